"""The search benchmark's data generator: real, public, varied outcomes, at the size asked."""

from collections import Counter

import pytest
from django.db import connection

from bench import searchdata
from feedback import privacy
from feedback.models import Contact, PublicOutcome
from search.documents import public_documents
from tests.conftest import require_service

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def on_postgresql():
    require_service(
        "PostgreSQL",
        connection.vendor == "postgresql",
        "the generator writes with COPY; set DATABASE_URL to a PostgreSQL database",
    )


def test_tops_up_to_the_count_with_public_outcomes_and_trims_back():
    before = PublicOutcome.objects.public().count()

    assert searchdata.ensure_published(before + 300, progress=lambda _m: None) == 300
    assert PublicOutcome.objects.public().count() == before + 300
    # Contacts written by COPY read back like any other: encrypted, and found by their digest.
    generated = Contact.objects.filter(case__pin_digest="-").exclude(phone="")
    contact = generated.first()
    assert contact.phone.startswith("+2557") and contact.name == "Asha Mwinyi"
    assert contact.case in privacy.cases_of_data_subject(phone=contact.phone)
    assert searchdata.ensure_published(before + 300, progress=lambda _m: None) == 0

    searchdata.trim_to(before + 120, progress=lambda _m: None)
    assert PublicOutcome.objects.public().count() == before + 120


def test_documents_vary_like_real_feedback():
    searchdata.ensure_published(400, progress=lambda _m: None)
    documents = [d for d in public_documents() if d["reference"]]
    generated = [d for d in documents if d["summary"].count(" ") > 15]

    languages = Counter(d["language"] for d in generated)
    assert languages["en"] > 100 and languages["sw"] > 60
    assert len({d["kind"] for d in generated}) == 4
    assert len({d["institution"]["id"] for d in generated}) >= 10
    assert len({d["year"] for d in generated}) >= 3
    assert {d["satisfaction"] for d in generated} == {"satisfied", "disputed", "no_answer"}
    assert {d["deadline_met"] for d in generated} == {True, False}
    assert len({d["reference"] for d in generated}) == len(generated)
    words = Counter(w for d in generated if d["language"] == "sw" for w in d["summary"].split())
    assert max(words.values()) > 20 * sorted(words.values())[len(words) // 2]  # a Zipf head
