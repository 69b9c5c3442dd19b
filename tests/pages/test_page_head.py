"""What search engines and browsers read in a page's head: a description in the page's
language, and a favicon at the root (Lighthouse's SEO and best-practices audits, issue 20)."""

import re
from html import unescape

import pytest
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from pages.models import HomePage, ServicePage
from tests.feedback.factories import water_service
from tests.search.factories import publish_outcome

pytestmark = pytest.mark.django_db

DESCRIPTION = re.compile(r'<meta name="description" content="([^"]*)">')


def _description(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    found = DESCRIPTION.findall(response.content.decode())
    assert len(found) == 1, f"{url}: {len(found)} descriptions"
    return found[0]


def _pages(language: str) -> dict[str, str]:
    outcome = publish_outcome(
        summary="Water bill tripled after the meter was not read.",
        response="We read the meter again and corrected the bill.",
        service=water_service(),
    )
    service = ServicePage.objects.filter(locale__language_code=language).first()
    return {
        "home": f"/{language}/",
        "service page": service.url,
        "feedback landing": f"/{language}/feedback/",
        "feedback form": f"/{language}/feedback/new/",
        "tracking form": f"/{language}/feedback/track/",
        "search": f"/{language}/search/?q=meter",
        "outcome": f"/{language}/outcomes/{outcome.case.reference}/",
        "performance": f"/{language}/performance/",
    }


def test_every_public_page_has_a_description_of_its_own_in_its_language(client):
    english = {name: _description(client, url) for name, url in _pages("en").items()}
    swahili = {name: _description(client, url) for name, url in _pages("sw").items()}
    assert all(len(text) >= 40 for text in [*english.values(), *swahili.values()]), english
    # The form, the tracking form and the search describe what each is for, not the site.
    kinds = ("feedback form", "tracking form", "search", "outcome")
    assert len({english[kind] for kind in kinds}) == len(kinds), english
    assert "Water bill tripled" in english["outcome"]
    # Editors' pages describe themselves in their own language; the defaults are translated
    # (their Swahili may still wait in locale/pending/, hence gettext, not a literal).
    for name in ("home", "service page", "feedback landing"):
        assert english[name] != swahili[name], name
    with translation.override("sw"):
        for name in ("feedback form", "tracking form", "search", "performance"):
            assert swahili[name] == escape(gettext(unescape(english[name]))), name


def test_the_editors_description_comes_first_then_the_introduction(client):
    home = HomePage.objects.get(locale__language_code="en")
    home.intro = "Water & power: tell public institutions what went wrong."
    home.search_description = ""
    home.save_revision().publish()
    assert _description(client, "/en/") == (
        "Water &amp; power: tell public institutions what went wrong."
    )
    home.search_description = "Complaints to public services in Tanzania."
    home.save_revision().publish()
    assert _description(client, "/en/") == "Complaints to public services in Tanzania."


def test_the_favicon_is_served_at_the_root_and_is_tiny(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert len(body) < 2048
    html = client.get("/en/").content.decode()
    assert re.search(
        r'<link rel="icon" href="/static/favicon[^"]*\.svg" type="image/svg\+xml">', html
    )
