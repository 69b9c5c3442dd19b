"""The web form's limits: submissions per address and per contact phone (429, the form kept,
in the visitor's language), and the honeypot (a plain 400, nothing kept, counted)."""

import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import translation

from feedback import limits
from feedback.models import Case, SubmissionDraft
from tests.feedback.factories import water_service

pytestmark = pytest.mark.django_db

NEW = "/en/feedback/new/"
REVIEW = "/en/feedback/new/review/"
SUBJECT = "Bili ya maji imeongezeka"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def form_data(**overrides):
    return {
        "kind": "complaint",
        "service": water_service().pk,
        "subject": SUBJECT,
        "description": "Bili ya mwezi Machi ni mara mbili ya kawaida.",
        "phone": "0712 345 678",
        "notify_by": "sms",
        **overrides,
    }


def send(client, language="en", address="127.0.0.1", **overrides):
    """The form, then "Send" on the review page: the answer to the send."""
    response = client.post(
        f"/{language}/feedback/new/", form_data(**overrides), REMOTE_ADDR=address
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.post(f"/{language}/feedback/new/review/", {"send": "1"}, REMOTE_ADDR=address)


def in_swahili(text: str) -> str:
    with translation.override("sw"):
        return translation.gettext(text)


def test_the_honeypot_is_hidden_by_a_class_and_from_assistive_technology(client):
    html = client.get(NEW).content.decode()
    block = re.search(r'<div class="honeypot" aria-hidden="true">(.*?)</div>', html, re.S)
    assert block, "the honeypot's wrapper"
    field = block.group(1)
    assert 'name="website"' in field and 'tabindex="-1"' in field
    assert 'autocomplete="off"' in field and "Leave this field empty" in field
    assert "style=" not in field  # a strict CSP forbids inline styles
    css = Path("site/static/css/site.css").read_text(encoding="utf-8")
    assert re.search(r"\.honeypot\s*\{[^}]*left:\s*-10000px", css)


def test_a_filled_honeypot_keeps_nothing_and_looks_like_a_form_error(client):
    response = client.post(NEW, form_data(website="http://spam.example"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please check the form and send it again." in html
    assert SUBJECT in html  # the form comes back as sent
    assert "spam.example" not in html  # the honeypot starts empty again
    assert not SubmissionDraft.objects.exists()
    assert limits.used("submissions-per-address", "127.0.0.1") == 1
    # Straight on to "send": there is no draft to send.
    response = client.post(REVIEW, {"send": "1"})
    assert response.status_code == 302 and response["Location"] == NEW
    assert not Case.objects.exists()


def test_a_person_who_leaves_the_honeypot_empty_sends_as_before(client):
    response = send(client, website="")
    assert response.status_code == 200
    assert Case.objects.count() == 1
    assert limits.used("submissions-per-address", "127.0.0.1") == 1


def test_submissions_past_the_address_limit_get_429_in_swahili_with_the_form_kept(client, settings):
    settings.SUBMISSIONS_PER_ADDRESS = 2
    for n in range(2):
        assert send(client, phone=f"0712 345 67{n}").status_code == 200
    response = send(client, language="sw", phone="0712 345 679")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= settings.SUBMISSIONS_WINDOW_SECONDS
    html = response.content.decode()
    assert '<html lang="sw">' in html
    refused = in_swahili(
        "Too much feedback was sent from your network. Please try again in %(wait)s."
    )
    assert refused.split("%(wait)s")[0] in html
    assert SUBJECT in html and 'value="+255712345679"' in html  # the form as it was sent
    assert Case.objects.count() == 2  # the limited one stored nothing
    assert SubmissionDraft.objects.count() == 1  # its draft is kept to send later
    # Another address is not held back.
    assert send(client, address="203.0.113.5", phone="0754 000 111").status_code == 200


def test_submissions_past_the_phone_limit_are_refused_whatever_the_address(client, settings):
    settings.SUBMISSIONS_PER_PHONE = 1
    assert send(client, phone="0712 345 678").status_code == 200
    # The same number written another way, from another address: the same phone.
    response = send(client, address="203.0.113.5", phone="+255 712 345 678")
    assert response.status_code == 429
    assert "Too much feedback was sent with this phone number." in response.content.decode()
    assert Case.objects.count() == 1
    assert send(client, address="203.0.113.5", phone="").status_code == 200  # anonymous
