import pytest
from wagtail.models import Locale

from feedback.models import Institution
from pages.models import ServicePage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/en/", "Mrejesho: feedback on public services"),
        ("/sw/", "Mrejesho: maoni kuhusu huduma za umma"),
        ("/en/services/", "Public services"),
        ("/sw/huduma/", "Huduma za umma"),
        ("/en/about/", "About Mrejesho"),
        ("/sw/kuhusu/", "Kuhusu Mrejesho"),
    ],
)
def test_page_renders_in_its_language(client, url, expected):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert expected in html
    assert f'<html lang="{url[1:3]}">' in html


def test_service_page_shows_institution_and_charter_in_both_languages(client):
    page = ServicePage.objects.get(
        locale__language_code="en", service__name="Water bills and meters"
    )
    english = client.get(page.url).content.decode()
    assert "DAWASA Customer Care" in english
    assert "1 working day" in english and "7 working days" in english

    swahili_page = page.get_translation(Locale.objects.get(language_code="sw"))
    swahili = client.get(swahili_page.url).content.decode()
    assert "Bili za maji na mita" in swahili
    assert "Huduma kwa Wateja DAWASA" in swahili
    assert "siku 7 za kazi" in swahili


def test_language_switcher_links_to_the_same_page_in_the_other_language(client):
    html = client.get("/en/services/").content.decode()
    assert 'href="/sw/huduma/"' in html
    html = client.get("/sw/huduma/").content.decode()
    assert 'href="/en/services/"' in html


@pytest.mark.parametrize(
    ("accept_language", "target"), [("sw-TZ,sw;q=0.9", "/sw/"), ("en-GB,en;q=0.8", "/en/")]
)
def test_root_redirects_by_browser_language(client, accept_language, target):
    response = client.get("/", headers={"accept-language": accept_language})
    assert response.status_code == 302
    assert response["Location"] == target


def test_unknown_page_is_a_translated_404(client):
    response = client.get("/sw/hakuna-kitu/")
    assert response.status_code == 404
    assert "Ukurasa haukupatikana" in response.content.decode()


# That seed_demo run again adds no institution, service or page, and gives every service its
# Swahili page: tests/feedback/test_seed_demo.py (one test runs the command, twice).


def test_seed_demo_builds_a_tree_with_every_level(demo_content):
    levels = set(Institution.objects.values_list("level", flat=True))
    assert levels == {"national", "ministry", "agency", "unit", "region", "district"}
    district = Institution.objects.get(short_code="1811")
    assert [a.level for a in district.get_ancestors()] == ["national", "ministry", "region"]
