"""API clients: their keys (feedback.channels.keys), the admin screens that issue and revoke
them (feedback.workspace.api_clients, administrators only), and the case page naming the
client that submitted a case.

A key is a secret shown once: these tests look for it everywhere it must not be (the
database, the history, the session, messages, logs, the next page) after each issue.
"""

import logging
import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from feedback.channels import keys
from feedback.models import ApiClient, Channel
from tests.feedback.factories import submit_case, user

pytestmark = pytest.mark.django_db

KEY = re.compile(r"mrj_[A-Za-z0-9]{8}\.[A-Za-z0-9]{40}")
NOT_ADMINISTRATORS = ["officer", "lead", "auditor", "oversight", "editor", "agent", "screener"]


def new_client(name="County portal", **fields) -> tuple[ApiClient, str]:
    return keys.create_client(name=name, created_by=user("admin"), **fields)


def stored_values(client: ApiClient) -> str:
    """Every value of the client's row and of its history rows, as one text."""
    rows = list(ApiClient.objects.filter(pk=client.pk).values())
    rows += list(ApiClient.history.filter(id=client.pk).values())
    return repr(rows)


# --- the keys module ---------------------------------------------------------------------------


def test_an_issued_key_finds_its_client_and_only_a_prefix_and_digest_are_stored():
    client, key = new_client(organisation="Ilala Municipal Council")
    assert KEY.fullmatch(key)
    assert keys.client_for_key(key) == client
    assert keys.client_for_key(f"  {key}\n") == client  # pasted with blanks around it
    client.refresh_from_db()
    assert client.key_prefix == key[4:12]
    assert re.fullmatch(r"[0-9a-f]{40,64}", client.key_digest)  # a keyed digest, hex
    secret = key.partition(".")[2]
    assert key not in stored_values(client) and secret not in stored_values(client)


def _wrong_secret(key: str) -> str:
    prefix, _dot, secret = key.partition(".")
    return f"{prefix}.{secret[::-1]}"


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(_wrong_secret, id="right-prefix-wrong-secret"),
        pytest.param(lambda key: key[:-1], id="secret-cut-short"),
        pytest.param(lambda key: key + "x", id="secret-lengthened"),
        pytest.param(lambda key: "mrj_ZZZZZZZZ." + key.partition(".")[2], id="unknown-prefix"),
        pytest.param(lambda key: key.replace("mrj_", "abc_", 1), id="wrong-start"),
        pytest.param(lambda key: key.replace(".", "", 1), id="no-separator"),
        pytest.param(lambda key: key.partition(".")[0] + ".", id="prefix-only"),
        pytest.param(lambda key: key.upper(), id="case-changed"),
        pytest.param(lambda key: "", id="empty"),
        pytest.param(lambda key: None, id="none"),
    ],
)
def test_a_wrong_key_finds_no_client(forge):
    _client, key = new_client()
    assert keys.client_for_key(forge(key)) is None


def test_a_new_key_stops_the_old_one_at_once():
    client, first = new_client()
    second = keys.issue_key(client, by=user("admin"))
    assert second != first and second[4:12] != first[4:12]
    assert keys.client_for_key(first) is None
    assert keys.client_for_key(second) == client


def test_a_revoked_client_is_refused_and_keeps_its_cases():
    client, key = new_client()
    case = submit_case(channel=Channel.API, api_client=client).case
    revoked = keys.revoke(client, by=user("admin"))
    assert revoked.revoked_at is not None and not revoked.is_active
    assert keys.client_for_key(key) is None
    case.refresh_from_db()
    assert case.api_client == revoked
    # Revoking again changes nothing, not even the time it was revoked.
    later = keys.revoke(client, now=timezone.now() + timedelta(days=1))
    assert later.revoked_at == revoked.revoked_at


def test_create_new_key_and_revoke_are_chained_history_naming_who_did_it():
    admin = user("admin")
    client, _key = new_client()
    keys.issue_key(client, by=admin)
    keys.revoke(client, by=admin)
    records = list(ApiClient.history.filter(id=client.pk).order_by("history_date"))
    assert [r.history_type for r in records] == ["+", "~", "~"]
    assert {r.history_user_id for r in records} == {admin.pk}
    assert records[0].key_prefix != records[1].key_prefix
    assert records[-1].revoked_at is not None
    assert all(r.record_hash for r in records)  # chained, like every audited model


# --- the admin screens -------------------------------------------------------------------------


def index_url():
    return reverse("feedback_apiclient:index")


def add_url():
    return reverse("feedback_apiclient:add")


def edit_url(client):
    return reverse("feedback_apiclient:edit", args=[client.pk])


def rotate_url(client):
    return reverse("feedback_apiclient:rotate", args=[client.pk])


def revoke_url(client):
    return reverse("feedback_apiclient:revoke", args=[client.pk])


def logged_in(client, username):
    client.force_login(user(username))
    return client


FORM = {
    "name": "Ilala citizen app",
    "organisation": "Ilala Municipal Council",
    "contact_email": "ict@ilala.example",
    "requests_per_minute": "60",
}


def keys_in(response) -> list[str]:
    return KEY.findall(response.content.decode())


def assert_kept_nowhere(http, response, key, caplog):
    """After the page that showed it: the key is in no session, message, cookie, log, URL,
    stored row, nor on the next page the browser opens."""
    session = repr(dict(http.session.items()))
    assert key not in session
    assert all(key not in str(m) for m in get_messages(response.wsgi_request))
    assert all(key not in morsel.value for morsel in http.cookies.values())
    assert key not in caplog.text
    assert key not in response.wsgi_request.get_full_path()
    assert response.get("Location") is None  # shown in the POST's own answer, no redirect
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control
    for url in (index_url(), edit_url(keys.client_for_key(key))):
        assert key not in http.get(url).content.decode()
    assert key not in stored_values(keys.client_for_key(key))


def test_administrator_registers_a_client_and_sees_its_key_once(client, caplog):
    caplog.set_level(logging.DEBUG)
    http = logged_in(client, "admin")
    response = http.post(add_url(), FORM)
    assert response.status_code == 200
    [key] = set(keys_in(response))
    api_client = keys.client_for_key(key)
    assert (api_client.name, api_client.organisation) == (FORM["name"], FORM["organisation"])
    assert (api_client.requests_per_minute, api_client.created_by) == (60, user("admin"))
    html = response.content.decode()
    assert "will not be shown again" in html and "Copy the key" in html
    assert_kept_nowhere(http, response, key, caplog)
    # Afterwards, only the prefix.
    listing = http.get(index_url()).content.decode()
    assert f"mrj_{api_client.key_prefix}.…" in listing
    [record] = ApiClient.history.filter(id=api_client.pk)
    assert record.history_user_id == user("admin").pk


def test_the_form_never_takes_a_key_or_its_digest(client):
    http = logged_in(client, "admin")
    forged = {**FORM, "key_prefix": "AAAAAAAA", "key_digest": "0" * 64, "revoked_at": "2026-01-01"}
    response = http.post(add_url(), forged)
    [key] = set(keys_in(response))
    api_client = keys.client_for_key(key)
    assert api_client.key_prefix == key[4:12] != "AAAAAAAA"
    assert api_client.revoked_at is None
    form = http.get(edit_url(api_client)).context["form"]
    assert set(form.fields) == {"name", "organisation", "contact_email", "requests_per_minute"}


def test_an_invalid_form_issues_nothing(client):
    http = logged_in(client, "admin")
    response = http.post(add_url(), {**FORM, "name": "", "requests_per_minute": "0"})
    assert response.status_code == 200
    assert keys_in(response) == []
    assert not ApiClient.objects.exists()


def test_administrator_issues_a_new_key_behind_a_confirmation(client, caplog):
    caplog.set_level(logging.DEBUG)
    api_client, old = new_client()
    http = logged_in(client, "admin")
    confirm = http.get(rotate_url(api_client))
    assert confirm.status_code == 200
    assert keys_in(confirm) == [] and "stops working at once" in confirm.content.decode()
    assert keys.client_for_key(old) == api_client  # asking is not doing
    response = http.post(rotate_url(api_client))
    assert response.status_code == 200
    [new] = set(keys_in(response))
    assert keys.client_for_key(old) is None
    assert keys.client_for_key(new) == api_client
    assert_kept_nowhere(http, response, new, caplog)
    latest = ApiClient.history.filter(id=api_client.pk).latest()
    assert (latest.key_prefix, latest.history_user_id) == (new[4:12], user("admin").pk)


def test_administrator_revokes_a_client_behind_a_confirmation(client):
    api_client, key = new_client()
    http = logged_in(client, "admin")
    assert http.get(revoke_url(api_client)).status_code == 200
    assert keys.client_for_key(key) == api_client
    response = http.post(revoke_url(api_client), follow=True)
    assert response.redirect_chain[-1][0] == index_url()
    assert keys.client_for_key(key) is None
    api_client.refresh_from_db()
    assert api_client.revoked_at is not None
    assert "revoked" in " ".join(str(m) for m in response.context["messages"])
    latest = ApiClient.history.filter(id=api_client.pk).latest()
    assert (latest.revoked_at, latest.history_user_id) == (api_client.revoked_at, user("admin").pk)
    # The edit page names the revocation in the client's history.
    page = http.get(edit_url(api_client)).content.decode()
    assert "Revoked on" in page and "Registered, first key issued" in page


def test_a_revoked_client_gets_no_new_key(client):
    api_client, key = new_client()
    keys.revoke(api_client)
    prefix = ApiClient.objects.get(pk=api_client.pk).key_prefix
    http = logged_in(client, "admin")
    assert http.get(rotate_url(api_client)).status_code == 409
    response = http.post(rotate_url(api_client))
    assert response.status_code == 409 and keys_in(response) == []
    assert ApiClient.objects.get(pk=api_client.pk).key_prefix == prefix
    assert keys.client_for_key(key) is None


def test_editing_details_keeps_the_key_and_names_the_editor(client):
    api_client, key = new_client()
    http = logged_in(client, "admin")
    response = http.post(edit_url(api_client), {**FORM, "requests_per_minute": "30"})
    assert response.status_code == 302
    api_client.refresh_from_db()
    assert (api_client.name, api_client.requests_per_minute) == (FORM["name"], 30)
    assert keys.client_for_key(key) == api_client
    latest = ApiClient.history.filter(id=api_client.pk).latest()
    assert latest.history_user_id == user("admin").pk


@pytest.mark.parametrize("who", NOT_ADMINISTRATORS)
def test_only_administrators_see_and_use_api_clients(client, who):
    api_client, key = new_client()
    http = logged_in(client, who)
    for url in (index_url(), add_url(), edit_url(api_client), rotate_url(api_client)):
        assert http.get(url).status_code in (403, 404), (who, url)
    for url in (add_url(), edit_url(api_client), rotate_url(api_client), revoke_url(api_client)):
        response = http.post(url, FORM)
        assert response.status_code in (403, 404), (who, url)
        assert keys_in(response) == []
    assert ApiClient.objects.count() == 1
    fresh = ApiClient.objects.get(pk=api_client.pk)
    assert (fresh.name, fresh.revoked_at) == ("County portal", None)
    assert keys.client_for_key(key) == api_client
    # No menu item either.
    home = http.get(reverse("wagtailadmin_home")).content.decode()
    assert index_url() not in home


def test_the_menu_item_is_the_administrators(client):
    home = logged_in(client, "admin").get(reverse("wagtailadmin_home")).content.decode()
    assert index_url() in home


def test_a_superuser_without_a_staff_role_is_an_administrator(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(root)
    assert client.get(index_url()).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client):
    api_client, _key = new_client()
    for url in (index_url(), rotate_url(api_client)):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.post(rotate_url(api_client)).status_code == 302
    assert keys_in(client.post(add_url(), FORM)) == []


def _api_cases(api_client, n):
    for _ in range(n):
        submit_case(channel=Channel.API, api_client=api_client)


def test_the_listing_counts_each_clients_cases_in_one_query(client):
    http = logged_in(client, "admin")
    first, _key = new_client("First portal")
    _api_cases(first, 2)
    http.get(index_url())  # warm up (sessions, menus)
    with CaptureQueriesContext(connection) as one:
        response = http.get(index_url())
    for n in range(4):
        _api_cases(new_client(f"Portal {n}")[0], n)
    with CaptureQueriesContext(connection) as five:
        response = http.get(index_url())
    assert len(five.captured_queries) == len(one.captured_queries)
    rows = {row.name: row.cases_submitted for row in response.context["object_list"]}
    assert rows == {"First portal": 2, "Portal 0": 0, "Portal 1": 1, "Portal 2": 2, "Portal 3": 3}
    html = response.content.decode()
    assert "mrj_" in html and "Cases submitted" in html
    assert KEY.search(html) is None


# --- the case page -----------------------------------------------------------------------------


def test_the_case_page_names_the_api_client_that_sent_the_case(client):
    api_client, _key = new_client("Ilala citizen app", organisation="Ilala Municipal Council")
    case = submit_case(channel=Channel.OPEN311, api_client=api_client).case
    web = submit_case().case
    http = logged_in(client, "officer")
    page = http.get(reverse("feedback_case_workspace", args=[case.pk])).content.decode()
    assert "Sent by API client" in page
    assert "Ilala citizen app (Ilala Municipal Council)" in page
    other = http.get(reverse("feedback_case_workspace", args=[web.pk])).content.decode()
    assert "Sent by API client" not in other
    keys.revoke(api_client)
    page = http.get(reverse("feedback_case_workspace", args=[case.pk])).content.decode()
    assert "Ilala citizen app (Ilala Municipal Council) · since revoked" in page


def test_the_case_page_reads_the_client_with_the_case(client):
    """The client comes in the case's own query (select_related), not one more per page."""
    api_client, _key = new_client()
    case = submit_case(channel=Channel.API, api_client=api_client).case
    http = logged_in(client, "officer")
    url = reverse("feedback_case_workspace", args=[case.pk])
    http.get(url)
    with CaptureQueriesContext(connection) as with_client:
        http.get(url)
    plain = submit_case(channel=Channel.API).case
    with CaptureQueriesContext(connection) as without:
        http.get(reverse("feedback_case_workspace", args=[plain.pk]))
    assert len(with_client.captured_queries) <= len(without.captured_queries)


def test_the_audit_chain_verifies_after_a_clients_whole_life_in_the_admin(client):
    """Create, edit, new key, revoke: every change is a chained history row, the live row
    matches its latest record, and the chain still verifies."""
    from feedback.audit import verify_chain

    http = logged_in(client, "admin")
    [key] = set(keys_in(http.post(add_url(), FORM)))
    api_client = keys.client_for_key(key)
    http.post(edit_url(api_client), {**FORM, "name": "Renamed app"})
    http.post(rotate_url(api_client))
    http.post(revoke_url(api_client))
    records = ApiClient.history.filter(id=api_client.pk)
    assert records.count() == 4
    assert set(records.values_list("history_user_id", flat=True)) == {user("admin").pk}
    assert verify_chain().ok


# --- changes that cross: a revocation or a new key made while another request was under way --


def test_a_key_issued_from_a_stale_object_never_undoes_a_revocation():
    api_client, _key = new_client()
    stale = ApiClient.objects.get(pk=api_client.pk)  # read before the revocation
    keys.revoke(api_client)
    key = keys.issue_key(stale)
    assert ApiClient.objects.get(pk=api_client.pk).revoked_at is not None
    assert keys.client_for_key(key) is None


def test_an_edit_never_writes_back_the_key_or_state_it_read_before(client, monkeypatch):
    from feedback.workspace.api_clients import ApiClientEditView

    api_client, old = new_client()
    stale = ApiClient.objects.get(pk=api_client.pk)  # what the edit request read
    new = keys.issue_key(api_client)
    keys.revoke(api_client)
    monkeypatch.setattr(ApiClientEditView, "get_object", lambda self, queryset=None: stale)
    response = logged_in(client, "admin").post(edit_url(api_client), {**FORM, "name": "Renamed"})
    assert response.status_code == 302
    fresh = ApiClient.objects.get(pk=api_client.pk)
    assert (fresh.name, fresh.key_prefix) == ("Renamed", new[4:12])
    assert fresh.revoked_at is not None
    assert keys.client_for_key(old) is None and keys.client_for_key(new) is None
    latest = ApiClient.history.filter(id=api_client.pk).latest()
    assert (latest.key_prefix, latest.revoked_at) == (fresh.key_prefix, fresh.revoked_at)


def test_a_new_key_is_refused_when_the_client_was_revoked_since_the_page_read_it(
    client, monkeypatch
):
    from feedback.workspace.api_clients import KeyActionView

    api_client, _key = new_client()
    stale = ApiClient.objects.get(pk=api_client.pk)
    keys.revoke(api_client)
    monkeypatch.setattr(KeyActionView, "object", stale, raising=False)
    response = logged_in(client, "admin").post(rotate_url(api_client))
    assert response.status_code == 409 and keys_in(response) == []
    assert ApiClient.objects.get(pk=api_client.pk).key_prefix == stale.key_prefix
