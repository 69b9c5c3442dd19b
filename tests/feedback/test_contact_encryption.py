"""Contact details encrypted at rest, found by exact phone or e-mail through keyed digests,
rotated to a new key, and exported or erased for the data subject by administrators only."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from config.settings.guards import (
    DEVELOPMENT_CONTACT_DIGEST_KEY,
    DEVELOPMENT_CONTACT_ENCRYPTION_KEY,
    check_contact_keys,
)
from feedback import encryption, privacy, workflow
from feedback.models import Case, Contact, PersonalDataAccess, SubmissionDraft
from tests.conftest import require_service
from tests.feedback.factories import build_test_world, submit_case, user

pytestmark = pytest.mark.django_db

PHONE = "+255712345678"
OTHER_PHONE = "+255754000111"
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
EXPORT_URL = "/admin/feedback/data-subject/"


def _submit(phone=PHONE, email="", name="Asha Mwinyi"):
    contact = workflow.ContactDetails(name=name, phone=phone, email=email, notify_by="sms")
    return submit_case(contact=contact).case


def _raw(table: str, columns: str, pk: int, key: str = "id") -> tuple:
    """What the database holds, read with SQL: no model field decrypts it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE {key} = %s", [pk])
        return cursor.fetchone()


def _raw_contact(case: Case) -> tuple[str, str, str]:
    return _raw("feedback_contact", "name, phone, email", case.pk, key="case_id")


def test_the_database_row_holds_no_clear_name_phone_or_email():
    case = _submit(phone="0712 345 678", email="Asha.Mwinyi@Example.org")
    stored = _raw_contact(case)
    for clear in ("Asha", "Mwinyi", "712345678", "712 345", "example", "Example"):
        assert not any(clear in value for value in stored), clear
    assert all(value.startswith("gAAAAA") for value in stored)  # Fernet tokens
    contact = Contact.objects.get(case=case)
    assert (contact.name, contact.phone, contact.email) == (
        "Asha Mwinyi",
        PHONE,
        "Asha.Mwinyi@Example.org",
    )
    # The digests sit beside the ciphertext, and the history keeps neither.
    assert contact.phone_digest and contact.email_digest
    assert PHONE not in contact.phone_digest
    history = contact.history.values()[0]
    assert not {"name", "phone", "email", "phone_digest", "email_digest"} & set(history)


def test_a_web_draft_is_encrypted_at_rest_and_read_back():
    draft = SubmissionDraft.objects.create(
        token="3f1c0e9a-5b7d-4c2e-9f1a-0b6d8e7c5a4f",
        data={"phone": "0712 345 678", "email": "asha@example.org", "subject": "Maji 💧"},
    )
    (stored,) = _raw("feedback_submissiondraft", "data", draft.pk)
    assert "0712" not in stored and "asha" not in stored and stored.startswith("gAAAAA")
    assert SubmissionDraft.objects.get(pk=draft.pk).data["subject"] == "Maji 💧"


def test_an_encrypted_field_refuses_a_lookup_by_its_value():
    _submit()
    with pytest.raises(FieldError, match="digest"):
        list(Contact.objects.filter(phone=PHONE))
    with pytest.raises(FieldError):
        list(Contact.objects.filter(email__icontains="asha"))
    assert Contact.objects.exclude(phone="").count() == 1  # blank stays blank


@pytest.mark.parametrize(
    "typed", [PHONE, "0712 345 678", "+255 712 345 678", "0712345678", " 255712345678 "]
)
def test_a_lookup_by_phone_in_any_form_finds_every_case_of_that_number(typed):
    mine = {_submit().pk, _submit(name="").pk}
    _submit(phone=OTHER_PHONE)
    assert {case.pk for case in privacy.cases_of_data_subject(phone=typed)} == mine


def test_a_lookup_by_email_ignores_case_and_spaces():
    mine = _submit(phone="", email="Asha@Example.org")
    _submit(email="someone@example.org")
    found = privacy.cases_of_data_subject(email="  asha@EXAMPLE.org ")
    assert [case.pk for case in found] == [mine.pk]


def test_an_erased_contact_is_no_longer_found():
    case = _submit(email="asha@example.org")
    privacy.erase_contact(case, reason="citizen asked")
    assert Contact.objects.get(case=case).phone_digest == ""
    assert not privacy.cases_of_data_subject(phone=PHONE, email="asha@example.org").exists()


def _under(key: str, token: str) -> bool:
    try:
        Fernet(key).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def test_rotation_re_encrypts_every_row_and_the_old_key_alone_reads_nothing(settings):
    settings.CONTACT_ENCRYPTION_KEYS = [OLD_KEY]
    cases = [_submit(email=f"c{n}@example.org") for n in range(3)]
    draft = SubmissionDraft.objects.create(token="0b6d8e7c-5a4f-4c2e-9f1a-3f1c0e9a5b7d")
    draft.data = {"phone": "0712 345 678"}
    draft.save()
    settings.CONTACT_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    out = StringIO()
    call_command("rotate_contact_keys", batch_size=2, stdout=out)
    assert "feedback.Contact: 3 row(s) re-encrypted, 0 already" in out.getvalue()
    assert "feedback.SubmissionDraft: 1 row(s) re-encrypted" in out.getvalue()
    tokens = [token for case in cases for token in _raw_contact(case)]
    tokens.append(_raw("feedback_submissiondraft", "data", draft.pk)[0])
    assert all(_under(NEW_KEY, t) and not _under(OLD_KEY, t) for t in tokens)

    settings.CONTACT_ENCRYPTION_KEYS = [OLD_KEY]  # a reader left with the old key only
    with pytest.raises(encryption.UnreadableContact):
        Contact.objects.get(case=cases[0])
    settings.CONTACT_ENCRYPTION_KEYS = [NEW_KEY]  # the old key dropped
    assert Contact.objects.get(case=cases[0]).email == "c0@example.org"
    assert SubmissionDraft.objects.get(pk=draft.pk).data == {"phone": "0712 345 678"}

    # Idempotent: a second run finds nothing to do and changes no token.
    out = StringIO()
    call_command("rotate_contact_keys", batch_size=2, stdout=out)
    assert "feedback.Contact: 0 row(s) re-encrypted, 3 already" in out.getvalue()
    assert [t for case in cases for t in _raw_contact(case)] == tokens[:-1]


def test_an_interrupted_rotation_resumes_where_it_stopped(settings, monkeypatch):
    settings.CONTACT_ENCRYPTION_KEYS = [OLD_KEY]
    cases = [_submit() for _ in range(4)]
    settings.CONTACT_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    real_rotate, calls = encryption.rotate, []

    def failing_in_the_second_batch(token):
        calls.append(token)
        if len(calls) > 4:  # two rows of two values (name, phone): the first batch
            raise encryption.UnreadableContact("interrupted")
        return real_rotate(token)

    monkeypatch.setattr(encryption, "rotate", failing_in_the_second_batch)
    with pytest.raises(CommandError, match="interrupted"):
        call_command("rotate_contact_keys", batch_size=2, stdout=StringIO())
    done = [_under(NEW_KEY, _raw_contact(case)[1]) for case in cases]
    assert done == [True, True, False, False]  # the first batch committed, the second not
    monkeypatch.setattr(encryption, "rotate", real_rotate)
    out = StringIO()
    call_command("rotate_contact_keys", batch_size=2, stdout=out)
    assert "feedback.Contact: 2 row(s) re-encrypted, 2 already" in out.getvalue()


GOOD_SECRET = "k3Jq9vXz-7pLw2Rb_5nTc8Hy0aUe4Mf6Gd1Sx9Qo2Vi7Zr3Bt5Nw8Ly0Kh4Pj6Ca"
GOOD_DIGEST_KEY = "d1G3st-kEy_0f-its-0wn-9vXz7pLw2Rb5nTc8Hy0aUe4"


@pytest.mark.parametrize(
    ("keys", "digest_key", "complaint"),
    [
        ([], GOOD_DIGEST_KEY, "CONTACT_ENCRYPTION_KEYS must be set"),
        ([DEVELOPMENT_CONTACT_ENCRYPTION_KEY], GOOD_DIGEST_KEY, "must be set"),
        ([NEW_KEY, "not-a-fernet-key"], GOOD_DIGEST_KEY, "key 2 is not a Fernet key"),
        ([NEW_KEY], "", "CONTACT_DIGEST_KEY must be set"),
        ([NEW_KEY], DEVELOPMENT_CONTACT_DIGEST_KEY, "CONTACT_DIGEST_KEY must be set"),
        ([NEW_KEY], "short", "at least 32"),
        ([NEW_KEY], GOOD_SECRET, "must differ from SECRET_KEY"),
        ([NEW_KEY], NEW_KEY + "-and-more", None),
    ],
)
def test_production_refuses_contact_keys_that_are_missing_known_or_shared(
    keys, digest_key, complaint
):
    check = {"encryption_keys": keys, "digest_key": digest_key, "secret_key": GOOD_SECRET}
    if complaint is None:
        check_contact_keys(**check)
        return
    with pytest.raises(ImproperlyConfigured, match=complaint):
        check_contact_keys(**check)


def test_production_refuses_an_encryption_key_equal_to_the_secret_key():
    with pytest.raises(ImproperlyConfigured, match="must differ from SECRET_KEY"):
        check_contact_keys(
            encryption_keys=[NEW_KEY], digest_key=GOOD_DIGEST_KEY, secret_key=NEW_KEY
        )


def test_production_settings_refuse_to_start_without_contact_keys():
    unset = ("CONTACT_ENCRYPTION_KEYS", "CONTACT_DIGEST_KEY", "DJANGO_DEBUG")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parents[2],
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": GOOD_SECRET,
            "AUDIT_CHAIN_KEY": GOOD_SECRET[::-1],
            "ALLOWED_HOSTS": "example.org",
            "ALLOW_CONSOLE_MESSAGES": "1",  # the guard before this one
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "CONTACT_ENCRYPTION_KEYS must be set" in result.stderr


def _two_cases_and_a_stranger():
    mine = [_submit(), _submit(email="asha@example.org")]
    _submit(phone=OTHER_PHONE)
    return {case.reference for case in mine}


def test_the_export_covers_every_case_of_the_phone_and_records_each_access():
    references = _two_cases_and_a_stranger()
    export = privacy.export_data_subject(
        user("admin"), phone="0712 345 678", reason="Letter of 1 Dec from the citizen"
    )
    assert {case["reference"] for case in export["cases"]} == references
    assert {case["contact"]["phone"] for case in export["cases"]} == {PHONE}
    accesses = PersonalDataAccess.objects.filter(what=PersonalDataAccess.What.EXPORT)
    assert {a.case.reference for a in accesses} == references
    assert {(a.user.username, a.reason) for a in accesses} == {
        ("admin", "Letter of 1 Dec from the citizen")
    }


def test_the_export_command_prints_the_same_json_and_records_it():
    references = _two_cases_and_a_stranger()
    out = StringIO()
    call_command(
        "export_personal_data", phone="+255 712 345 678", reason="Ticket 42", by="admin", stdout=out
    )
    assert {case["reference"] for case in json.loads(out.getvalue())["cases"]} == references
    assert PersonalDataAccess.objects.filter(reason="Ticket 42").count() == 2
    with pytest.raises(CommandError, match="Only administrators"):
        call_command("export_personal_data", phone=PHONE, reason="x", by="auditor")


@pytest.mark.parametrize("username", ["auditor", "officer", "lead", "oversight", "agent"])
def test_only_administrators_act_for_a_data_subject(client, username):
    _submit()
    with pytest.raises(privacy.DataSubjectRefused):
        privacy.export_data_subject(user(username), phone=PHONE, reason="curious")
    client.force_login(user(username))
    assert client.get(EXPORT_URL).status_code == 403
    response = client.post(EXPORT_URL, {"phone": PHONE, "reason": "curious", "export": ""})
    assert response.status_code == 403
    assert b"data-subject-requests" not in client.get("/admin/").content  # no menu item
    assert not PersonalDataAccess.objects.exists()


def test_the_admin_screen_downloads_every_case_as_json(client):
    references = _two_cases_and_a_stranger()
    client.force_login(user("admin"))
    page = client.get(EXPORT_URL)
    assert page.status_code == 200 and b'name="reason"' in page.content
    assert b"data-subject-requests" in client.get("/admin/").content  # Settings menu
    response = client.post(EXPORT_URL, {"phone": "0712 345 678", "reason": "Req 7", "export": ""})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert {case["reference"] for case in json.loads(response.content)["cases"]} == references
    assert PersonalDataAccess.objects.filter(reason="Req 7").count() == 2


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        ({"phone": "0712 345 678", "reason": ""}, "This field is required"),
        ({"phone": "12345", "reason": "Req 7"}, "Enter a phone number such as"),
        ({"phone": "", "email": "", "reason": "Req 7"}, "Give a phone number or an e-mail"),
        ({"phone": "0712 345 678", "reason": "Req 7", "erase": ""}, "Tick the box"),
    ],
)
def test_the_admin_screen_refuses_bad_input_and_keeps_what_was_typed(client, sent, message):
    _submit()
    client.force_login(user("admin"))
    response = client.post(EXPORT_URL, {"export": "", **sent})
    assert response.status_code == 400
    assert message in response.content.decode()
    if sent.get("phone"):
        assert f'value="{sent["phone"]}"' in response.content.decode()
    assert not PersonalDataAccess.objects.exists()
    assert Contact.objects.get().phone == PHONE


def test_the_admin_screen_says_when_no_case_has_the_contact(client):
    _submit()
    client.force_login(user("admin"))
    response = client.post(EXPORT_URL, {"phone": OTHER_PHONE, "reason": "Req 8", "export": ""})
    assert response.status_code == 200
    assert "No case has this phone number" in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_erasure_by_phone_number_blanks_every_case_of_it(client):
    references = _two_cases_and_a_stranger()
    client.force_login(user("admin"))
    response = client.post(
        EXPORT_URL, {"phone": "0712345678", "reason": "Req 9", "confirm_erase": "on", "erase": ""}
    )
    assert response.status_code == 302
    erased = Contact.objects.filter(case__reference__in=references)
    assert all(c.erased_at and (c.phone, c.email, c.phone_digest) == ("", "", "") for c in erased)
    assert Contact.objects.exclude(case__reference__in=references).get().phone == OTHER_PHONE
    assert PersonalDataAccess.objects.filter(what="erasure", reason="Req 9").count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_contacts_and_its_reverse_decrypts_them():
    """PostgreSQL (CI sets DATABASE_URL): rows written before 0021 are encrypted and digested
    by it, and decrypted back by its reverse. Committed transactions, as a real `migrate`
    (inside one test transaction PostgreSQL refuses the DDL after the rows' inserts)."""
    require_service(
        "PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL=postgres://..."
    )
    build_test_world()  # a transactional test may start from a flushed database
    case = submit_case(contact=None).case
    before = ("feedback", "0020_case_disputed_index")
    after = ("feedback", "0021_contact_encryption")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old_apps = executor.loader.project_state([before]).apps
    old_apps.get_model("feedback", "Contact").objects.create(
        case_id=case.pk, name="Asha", phone=PHONE, email="Asha@Example.org", notify_by="sms"
    )
    old_apps.get_model("feedback", "SubmissionDraft").objects.create(
        token="5b7d3f1c-0e9a-4c2e-9f1a-0b6d8e7c5a4f", data={"phone": "0712 345 678"}
    )
    MigrationExecutor(connection).migrate([after])
    assert all(value.startswith("gAAAAA") for value in _raw_contact(case))
    assert [c.pk for c in privacy.cases_of_data_subject(phone="0712 345 678")] == [case.pk]
    assert [c.pk for c in privacy.cases_of_data_subject(email="asha@example.org")] == [case.pk]
    assert SubmissionDraft.objects.get().data == {"phone": "0712 345 678"}

    MigrationExecutor(connection).migrate([before])
    assert _raw_contact(case) == ("Asha", PHONE, "Asha@Example.org")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
