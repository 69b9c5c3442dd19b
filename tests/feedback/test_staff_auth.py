"""Staff sign-in (issue 19): lock-out after repeated failures (django-axes) and two-step
sign-in in the Wagtail admin (django-otp), as a staff member meets them through the client;
one browser journey enrols an auditor by reading the secret off the page."""

import re
from base64 import b32decode
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.settings import base as base_settings
from feedback import privacy
from feedback.models import StaffProfile
from feedback.workspace import two_factor
from tests.feedback.factories import user
from tests.feedback.test_browser_journey import (  # noqa: F401 (fixtures)
    _new_page,
    _require_chromium,
    _screenshot,
    browser,
    orm_beside_playwright,
    seeded,
)

pytestmark = pytest.mark.django_db

PASSWORD = "staff-auth-pass-2026"
LOGIN = "/admin/login/"
HOME = "/admin/"
REQUIRED_ROLES = list(base_settings.STAFF_TWO_FACTOR_ROLES)
ROLE_USERS = {
    "admin": "admin",
    "auditor": "auditor",
    "lead": "lead",
    "oversight": "oversight",
    "officer": "officer",
}


@pytest.fixture
def with_password():
    def give(username: str):
        member = user(username)
        member.set_password(PASSWORD)
        member.save()
        return member

    return give


def sign_in(client, username: str, password: str = PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password, "next": HOME})


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the staff member's app shows now (RFC 6238, django-otp's own computation)."""
    return str(
        totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead)
    ).zfill(device.digits)


def confirmed_device(member) -> TOTPDevice:
    return TOTPDevice.objects.create(user=member, name="app", confirmed=True)


def unthrottle(member) -> None:
    """What the device's exponential wait would let through once a few seconds pass."""
    TOTPDevice.objects.filter(user=member).update(
        throttling_failure_timestamp=timezone.now() - timedelta(hours=1)
    )
    StaticDevice.objects.filter(user=member).update(
        throttling_failure_timestamp=timezone.now() - timedelta(hours=1)
    )


# --- lock-out ---------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, with_password):
    with_password("officer")
    for _try in range(4):
        response = sign_in(client, "officer", "wrong-guess")
        assert response.status_code == 200  # Wagtail's form again, with its error
    response = sign_in(client, "officer", "wrong-guess")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-ins: try again in 15 minutes" in page
    assert 'name="username"' in page  # Wagtail's own sign-in page, not a bare axes page
    response = sign_in(client, "officer")
    assert response.status_code == 429
    assert client.get(HOME).status_code == 302  # not signed in


def test_a_lock_is_per_username_so_colleagues_at_the_same_address_still_sign_in(
    client, with_password
):
    with_password("officer")
    with_password("lead")
    for _try in range(5):
        sign_in(client, "officer", "wrong-guess")
    assert sign_in(client, "lead").status_code == 302


def test_the_lock_lifts_after_the_cool_off(client, with_password):
    with_password("officer")
    for _try in range(5):
        sign_in(client, "officer", "wrong-guess")

    def clock_moves(minutes):
        # The clock moving forward is the stored attempt moving back by as much.
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=minutes))

    clock_moves(14)
    assert sign_in(client, "officer").status_code == 429
    clock_moves(16)
    assert sign_in(client, "officer").status_code == 302


def test_an_administrator_unlocks_with_axes_command(client, with_password):
    with_password("officer")
    for _try in range(5):
        sign_in(client, "officer", "wrong-guess")
    call_command("axes_reset_username", "officer")
    assert sign_in(client, "officer").status_code == 302


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_the_address_counted_is_the_one_our_proxy_saw(client, with_password):
    with_password("officer")
    client.post(
        LOGIN,
        {"username": "officer", "password": "wrong"},
        HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.7",
    )
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"


def test_the_sweep_deletes_failures_once_cooled_off(client, with_password):
    with_password("officer")
    sign_in(client, "officer", "wrong")
    privacy.prune_expired_records()
    assert AccessAttempt.objects.count() == 1
    privacy.prune_expired_records(now=timezone.now() + timedelta(minutes=16))
    assert AccessAttempt.objects.count() == 0


# --- two-step sign-in -------------------------------------------------------------------------


@pytest.mark.parametrize("role", REQUIRED_ROLES)
def test_each_role_the_setting_names_must_enrol_before_any_admin_page(client, settings, role):
    settings.STAFF_TWO_FACTOR_ROLES = REQUIRED_ROLES
    client.force_login(user(ROLE_USERS[role]))
    for url in (HOME, reverse("wagtailusers_users:index"), "/admin/no-such-page/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("staff_two_factor_enrol"))


def test_a_role_the_setting_does_not_name_is_not_asked(client, settings):
    settings.STAFF_TWO_FACTOR_ROLES = REQUIRED_ROLES
    client.force_login(user("officer"))
    assert client.get(HOME).status_code == 200


def test_enrolment_shows_a_qr_code_and_the_secret_then_backup_codes_once(client, settings, caplog):
    settings.STAFF_TWO_FACTOR_ROLES = ["auditor"]
    auditor = user("auditor")
    client.force_login(auditor)
    page = client.get(reverse("staff_two_factor_enrol"))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert "<svg" in html and "<script" not in html.split("<main", 1)[1].split("</main>")[0]
    secret = page.context["secret"]
    assert secret in html
    device = TOTPDevice.objects.get(user=auditor, confirmed=False)
    assert b32decode(secret.replace(" ", "")) == device.bin_key
    assert client.get(reverse("staff_two_factor_enrol")).context["secret"] == secret  # reload

    wrong = client.post(reverse("staff_two_factor_enrol"), {"otp_token": "000000"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    unthrottle(auditor)

    done = client.post(
        reverse("staff_two_factor_enrol"), {"otp_token": code_for(device), "next": HOME}
    )
    assert done.status_code == 200
    assert "no-store" in done["Cache-Control"]
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in done.content.decode() for code in codes)
    assert TOTPDevice.objects.get(user=auditor).confirmed
    assert client.get(HOME).status_code == 200
    # Shown once: enrolling again is refused, the codes are not shown again.
    again = client.get(reverse("staff_two_factor_enrol"))
    assert again.status_code == 302
    assert secret.replace(" ", "") not in caplog.text


def test_a_staff_member_with_a_device_gives_a_code_after_the_password(client, settings):
    settings.STAFF_TWO_FACTOR_ROLES = []  # the device alone asks for it
    officer = user("officer")
    device = confirmed_device(officer)
    client.force_login(officer)
    asked = client.get(reverse("wagtailusers_users:index"))
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("staff_two_factor_verify"))

    wrong = client.post(reverse("staff_two_factor_verify"), {"otp_token": "12 34 56"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    assert client.get(HOME).status_code == 302
    # Straight after a wrong code the device itself makes the next try wait.
    throttled = client.post(reverse("staff_two_factor_verify"), {"otp_token": code_for(device)})
    assert "Too many wrong codes: wait" in throttled.content.decode()
    unthrottle(officer)

    right = client.post(
        reverse("staff_two_factor_verify"), {"otp_token": code_for(device), "next": HOME}
    )
    assert right.status_code == 302 and right["Location"] == HOME
    assert client.get(HOME).status_code == 200


def test_an_outside_next_address_is_not_followed(client):
    officer = user("officer")
    device = confirmed_device(officer)
    client.force_login(officer)
    right = client.post(
        reverse("staff_two_factor_verify"),
        {"otp_token": code_for(device), "next": "https://evil.example/"},
    )
    assert right["Location"] == HOME


def test_a_backup_code_works_once(client):
    officer = user("officer")
    confirmed_device(officer)
    codes = two_factor.issue_backup_codes(officer)
    client.force_login(officer)
    used = client.post(reverse("staff_two_factor_verify"), {"otp_token": codes[0].upper()})
    assert used.status_code == 302
    assert client.get(HOME).status_code == 200

    client.logout()
    client.force_login(officer)
    again = client.post(reverse("staff_two_factor_verify"), {"otp_token": codes[0]})
    assert again.status_code == 400
    unthrottle(officer)
    assert (
        client.post(reverse("staff_two_factor_verify"), {"otp_token": codes[1]}).status_code == 302
    )


def test_wrong_codes_count_toward_the_lock_out_and_sign_the_user_out(
    client, settings, with_password
):
    officer = with_password("officer")
    confirmed_device(officer)
    assert sign_in(client, "officer").status_code == 302
    for _try in range(4):
        assert (
            client.post(reverse("staff_two_factor_verify"), {"otp_token": "999999"}).status_code
            == 400
        )
    locked = client.post(reverse("staff_two_factor_verify"), {"otp_token": "999999"})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert client.get(HOME)["Location"].startswith(LOGIN)  # signed out
    assert sign_in(client, "officer").status_code == 429  # and the password is refused too


def test_an_administrator_resets_a_lost_phone_and_it_is_recorded(client):
    lead = user("lead")
    confirmed_device(lead)
    two_factor.issue_backup_codes(lead)
    admin = user("admin")
    client.force_login(admin)
    listing = client.get(reverse("wagtailusers_users:index"))
    reset_url = reverse("staff_two_factor_reset", args=[lead.pk])
    assert reset_url in listing.content.decode()

    confirm = client.get(reset_url)
    assert confirm.status_code == 200
    assert "Reset two-step sign-in for lead?" in confirm.content.decode()
    assert TOTPDevice.objects.filter(user=lead).exists()  # asking changes nothing

    done = client.post(reset_url)
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=lead).exists()
    assert not StaticDevice.objects.filter(user=lead).exists()
    record = StaffProfile.history.filter(user_id=lead.pk).latest("history_date")
    assert record.history_change_reason == "two-factor devices reset"
    assert record.history_user_id == admin.pk


def device_queries(client, url: str = HOME) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries if "otp_" in q["sql"]]


def test_staff_without_a_device_cost_no_device_query_after_their_first_admin_page(client):
    """The gate remembers in the (server-side) session that there is no device to ask for."""
    client.force_login(user("officer"))
    assert len(device_queries(client)) == 2  # the app and the backup codes tables, once
    assert device_queries(client) == []
    assert device_queries(client, reverse("feedback_case:index")) == []


def test_an_enrolment_in_another_browser_reaches_an_older_session_at_the_recheck(client, settings):
    officer = user("officer")
    client.force_login(officer)
    assert client.get(HOME).status_code == 200  # remembered: no device
    confirmed_device(officer)  # enrolled elsewhere
    assert client.get(HOME).status_code == 200  # until the session checks again
    settings.STAFF_TWO_FACTOR_RECHECK_SECONDS = 0
    asked = client.get(HOME)
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("staff_two_factor_verify"))


@pytest.mark.parametrize(("required", "then"), [(["lead"], "enrol"), ([], "admin")])
def test_a_reset_by_an_administrator_takes_effect_in_the_open_session(
    client, settings, required, then
):
    """A lead signed in with a code, with the device remembered in the session: after an
    administrator's reset the session is asked again, and its remembered device is not
    trusted: a role that must use the second factor enrols anew, another goes on."""
    from django.test import Client

    settings.STAFF_TWO_FACTOR_ROLES = required
    lead = user("lead")
    device = confirmed_device(lead)
    client.force_login(lead)
    assert client.get(HOME)["Location"].startswith(reverse("staff_two_factor_verify"))
    client.post(reverse("staff_two_factor_verify"), {"otp_token": code_for(device)})
    assert client.get(HOME).status_code == 200

    administrator = Client()
    administrator.force_login(user("admin"))
    assert administrator.post(reverse("staff_two_factor_reset", args=[lead.pk])).status_code == 302

    response = client.get(HOME, follow=True)
    if then == "enrol":
        assert response.redirect_chain[-1][0].startswith(reverse("staff_two_factor_enrol"))
        assert client.get(HOME)["Location"].startswith(reverse("staff_two_factor_enrol"))
    else:
        assert response.status_code == 200
        assert response.request["PATH_INFO"] == HOME
        assert device_queries(client) == []  # and it remembers there is none now


def test_only_an_administrator_may_reset(client):
    officer = user("officer")
    confirmed_device(officer)
    client.force_login(user("lead"))
    assert client.get(reverse("staff_two_factor_reset", args=[officer.pk])).status_code == 404
    assert client.post(reverse("staff_two_factor_reset", args=[officer.pk])).status_code == 404
    assert TOTPDevice.objects.filter(user=officer).exists()


def test_an_unverified_session_cannot_add_a_second_device(client):
    officer = user("officer")
    confirmed_device(officer)
    client.force_login(officer)
    response = client.get(reverse("staff_two_factor_enrol"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff_two_factor_verify"))
    assert TOTPDevice.objects.filter(user=officer).count() == 1


def test_staff_of_any_role_may_enrol_from_their_account_page(client):
    client.force_login(user("officer"))
    account = client.get(reverse("wagtailadmin_account"))
    assert reverse("staff_two_factor_enrol") in account.content.decode()


# --- the browser ------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_auditor_enrols_in_the_browser(seeded, browser, settings):  # noqa: F811 (fixtures)
    _require_chromium()
    settings.STAFF_TWO_FACTOR_ROLES = ["auditor"]
    auditor = user("auditor")
    auditor.set_password(PASSWORD)
    auditor.save()
    page = _new_page(browser, "en-GB")
    page.goto(f"{seeded.url}{LOGIN}")
    page.fill("input[name=username]", "auditor")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/two-factor/enrol/"))
    assert page.locator(".mj-two-factor-qr svg").count() == 1
    _screenshot(page, "staff-two-factor-enrol.png")

    secret = page.inner_text("#two-factor-secret").replace(" ", "")
    device = TOTPDevice(key=b32decode(secret + "=" * (-len(secret) % 8)).hex())
    page.fill("input[name=otp_token]", code_for(device))
    page.click("form.login-form button[type=submit]")
    page.wait_for_selector("#backup-codes li")
    assert page.locator("#backup-codes li").count() == 10
    _screenshot(page, "staff-two-factor-backup-codes.png")
    page.click("text=Continue to the admin")
    page.wait_for_url(re.compile(r"/admin/$"))
    assert page.locator("#main").count() == 1
    _screenshot(page, "staff-two-factor-dashboard.png")
    page.context.close()


def test_a_misspelt_role_in_the_setting_stops_the_checks(settings):
    settings.STAFF_TWO_FACTOR_ROLES = ["auditors", "lead"]
    errors = two_factor.check_two_factor_roles()
    assert [error.id for error in errors] == ["feedback.E201"]
    assert "auditors" in errors[0].msg
    settings.STAFF_TWO_FACTOR_ROLES = REQUIRED_ROLES
    assert two_factor.check_two_factor_roles() == []
