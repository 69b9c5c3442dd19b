"""Staff read the admin in the language they chose in their account, Wagtail's own strings too.

Needs the compiled catalogues (`make messages`, which `make test` runs first).
"""

import pytest
from django.conf import settings
from django.urls import reverse
from wagtail.users.models import UserProfile

from feedback.models import Status
from tests.feedback.factories import case_in, user

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-2026"


def staff(username: str, language: str):
    member = user(username)
    profile = UserProfile.get_for_user(member)
    profile.preferred_language = language
    profile.save()
    return member


def page(client, url_name, *args):
    response = client.get(reverse(url_name, args=args))
    assert response.status_code == 200
    return response, response.content.decode()


def test_account_offers_exactly_english_and_kiswahili(client):
    client.force_login(staff("officer", ""))
    _response, html = page(client, "wagtailadmin_account")
    select = html[html.index('name="locale-preferred_language"') :]
    select = select[: select.index("</select>")]
    assert 'value="en"' in select and 'value="sw"' in select
    assert select.count("<option") == 3  # the server's language, English, Kiswahili


def test_choosing_swahili_in_the_account_turns_the_admin_swahili(client):
    client.force_login(staff("officer", "en"))
    response = client.post(
        reverse("wagtailadmin_account"),
        {
            "locale-preferred_language": "sw",
            "locale-current_time_zone": "",
            "theme-theme": "system",
            "theme-density": "default",
            "theme-contrast": "system",
            "theme-keyboard_shortcuts": "on",
            "name_email-first_name": "Omari",
            "name_email-last_name": "Juma",
            "name_email-email": "officer@example.org",
        },
        follow=True,
    )
    assert UserProfile.get_for_user(user("officer")).preferred_language == "sw"
    assert '<html lang="sw"' in response.content.decode()  # the very next page


def test_swahili_dashboard_listing_and_case_page(client):
    case = case_in(Status.SUBMITTED)
    client.force_login(staff("officer", "sw"))

    response, html = page(client, "wagtailadmin_home")
    assert '<html lang="sw"' in html and response["Content-Language"] == "sw"
    for swahili in ("Dashibodi", "Ruka hadi maudhui makuu", "Njia za mkato za kibodi", "Akaunti"):
        assert swahili in html
    assert "Skip to main content" not in html and "Keyboard shortcuts" not in html

    _response, html = page(client, "feedback_case:index")
    for swahili in ("Chuja kwa", "Neno la kutafuta", "Mwanzo", "Mashauri", "Limechelewa"):
        assert swahili in html
    assert "Filter by" not in html and "Search term" not in html

    _response, html = page(client, "feedback_case_workspace", case.pk)
    assert '<html lang="sw"' in html and "Ruka hadi maudhui makuu" in html


def test_english_preference_keeps_the_admin_english_even_for_a_swahili_browser(client):
    client.force_login(staff("officer", "en"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sw"
    response, html = page(client, "wagtailadmin_home")
    assert '<html lang="en"' in html and response["Content-Language"] == "en"
    assert "Dashboard" in html and "Skip to main content" in html
    assert "Dashibodi" not in html
    _response, html = page(client, "feedback_case:index")
    assert "Filter by" in html and "Chuja kwa" not in html
    # The cookie now follows the account's choice, so the login page will be English too.
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


@pytest.mark.parametrize(
    ("language", "expected", "unexpected"),
    [
        ("sw", ("Ingia kwenye Wagtail", "Nenosiri", "Umesahau nenosiri?"), "Forgotten password?"),
        ("en", ("Sign in to Wagtail", "Password", "Forgotten password?"), "Umesahau nenosiri?"),
    ],
)
def test_login_page_after_signing_out_speaks_the_chosen_language(
    client, language, expected, unexpected
):
    member = staff("officer", language)
    member.set_password(PASSWORD)
    member.save()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sw" if language == "en" else "en"
    response = client.post(
        reverse("wagtailadmin_login"), {"username": "officer", "password": PASSWORD}
    )
    assert response.status_code == 302
    client.post(reverse("wagtailadmin_logout"))
    _response, html = page(client, "wagtailadmin_login")
    assert f'<html lang="{language}"' in html
    for text in expected:
        assert text in html
    assert unexpected not in html


def test_login_page_in_swahili_for_a_swahili_browser(client):
    response = client.get(reverse("wagtailadmin_login"), headers={"accept-language": "sw"})
    html = response.content.decode()
    assert "Ingia kwenye Wagtail" in html and "Jina la mtumiaji" in html and "Nenosiri" in html


def test_wagtail_javascript_strings_in_swahili(client):
    client.force_login(staff("officer", "sw"))
    response = client.get(reverse("wagtailadmin_javascript_catalog"))
    js = response.content.decode()
    assert '"Menyu kuu"' in js and '"Hakuna matokeo"' in js  # Main menu, No results


def test_django_strings_its_own_swahili_lacks_are_ours():
    from datetime import timedelta

    from django.contrib.auth.password_validation import NumericPasswordValidator
    from django.utils import timezone, translation
    from django.utils.timesince import timesince

    with translation.override("sw"):
        five_minutes_ago = timesince(timezone.now() - timedelta(minutes=5))
        assert five_minutes_ago.replace("\xa0", " ") == "dakika 5"
        assert NumericPasswordValidator().get_help_text() == "Nenosiri lako lisiwe la namba tupu."


def test_public_site_keeps_its_url_language(client):
    client.force_login(staff("officer", "sw"))
    response = client.get("/en/")
    assert response.status_code == 200
    assert '<html lang="en"' in response.content.decode()
