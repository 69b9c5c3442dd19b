"""Public outcomes: written, scrubbed, approved or sent back, withdrawn; never for a case that
did not consent or is confidential; every change in the outcome's own history, and the search
index told inside the same transaction."""

from unittest import mock

import pytest

from feedback import privacy, workflow
from feedback.models import Case, CaseEvent, PublicOutcome, Status
from tests.feedback.factories import CaseFactory, actor, make_staff

pytestmark = pytest.mark.django_db
State = PublicOutcome.State

CONTACT = workflow.ContactDetails(
    name="Rehema Said Mushi", phone="+255754111222", email="rehema@example.org", notify_by="sms"
)
SUMMARY = "Rehema Said (0754 111 222) was billed TSh 180,000 for October instead of TSh 60,000."
RESPONSE = "We read the meter again, corrected the bill and called Bi. Rehema on 0754-111-222."


def publishable(status=Status.RESOLVED, **overrides):
    return CaseFactory(status=status, consent_to_publish=True, contact=CONTACT, **overrides)


def write(case, by="officer", **params):
    texts = {"summary": SUMMARY, "response": RESPONSE, "language": "en", **params}
    return workflow.perform("write_outcome", case, by=actor(by), **texts)


def published(case):
    write(case)
    workflow.perform("approve_outcome", case, by=actor("lead"))
    return PublicOutcome.objects.get(case=case)


def refusal_of(name, case, by, **params):
    with pytest.raises(workflow.WorkflowError) as caught:
        workflow.perform(name, case, by=actor(by) if isinstance(by, str) else by, **params)
    return caught.value


# --- write_outcome ---------------------------------------------------------------------------


def test_officer_writes_a_scrubbed_draft_and_sees_what_was_removed():
    case = publishable()
    write(case)
    outcome = PublicOutcome.objects.get(case=case)
    assert outcome.state == State.DRAFT and outcome.language == "en"
    assert outcome.summary == (
        "[name] ([phone number]) was billed TSh 180,000 for October instead of TSh 60,000."
    )
    assert outcome.response == (
        "We read the meter again, corrected the bill and called Bi. [name] on [phone number]."
    )
    assert outcome.removed == [
        {"kind": "name", "masked": "R••• S•••"},
        {"kind": "phone", "masked": "07•• ••• 222"},
        {"kind": "name", "masked": "R•••"},
        {"kind": "phone", "masked": "07••-•••-222"},
    ]
    assert "754" not in str(outcome.removed) and "Rehema" not in str(outcome.removed)
    assert outcome.written_by.username == "officer"
    event = case.events.latest("pk")
    assert (event.action, event.is_public, event.type) == ("write_outcome", False, "note")
    assert not PublicOutcome.objects.public().filter(case=case).exists()


def test_a_closed_case_may_have_its_outcome_written_too():
    case = publishable(Status.CLOSED)
    write(case, language="sw", summary="Bili ilikuwa juu.", response="Tumeirekebisha.")
    assert PublicOutcome.objects.get(case=case).language == "sw"


@pytest.mark.parametrize(
    ("overrides", "status", "by", "error", "message"),
    [
        ({}, Status.IN_PROGRESS, "officer", workflow.TransitionNotAllowed, "cannot be given"),
        ({}, Status.REOPENED, "officer", workflow.TransitionNotAllowed, "cannot be given"),
        ({}, Status.RESOLVED, "agent", workflow.ActionNotPermitted, "may not write the public"),
        ({}, Status.RESOLVED, "auditor", workflow.ActionNotPermitted, "may not write the public"),
        ({}, Status.RESOLVED, "nhif", workflow.ActionNotPermitted, "outside your view"),
        (
            {"consent_to_publish": False},
            Status.RESOLVED,
            "officer",
            workflow.TransitionNotAllowed,
            "The citizen did not consent to publication.",
        ),
    ],
)
def test_write_outcome_refusals(overrides, status, by, error, message):
    case = CaseFactory(status=status, **{"consent_to_publish": True, **overrides})
    if by == "nhif":
        by = workflow.staff(make_staff("nhif-officer", "officer", "121"))
    refused = refusal_of("write_outcome", case, by, summary="S", response="R", language="en")
    assert type(refused) is error and message in str(refused.message)
    assert not PublicOutcome.objects.filter(case=case).exists()


def test_a_confidential_case_gets_no_outcome_written():
    case = publishable()
    workflow.set_confidential(case, by=actor("officer"), reason="Names a minor.")
    refused = refusal_of("write_outcome", case, "officer", summary="S", response="R", language="en")
    assert "confidential" in str(refused.message)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"summary": " "}, "Write the problem as the public will read it."),
        ({"response": ""}, "Write what the institution did."),
        ({"language": "fr"}, "Choose the language the outcome is written in."),
    ],
)
def test_write_outcome_needs_both_texts_and_a_language(params, message):
    case = publishable()
    with pytest.raises(workflow.MissingInformation, match=message):
        write(case, **params)


def test_a_published_outcome_is_not_rewritten_until_withdrawn():
    case = publishable()
    published(case)
    refused = refusal_of("write_outcome", case, "officer", summary="S", response="R", language="en")
    assert "withdraw it before" in str(refused.message)


# --- approve_outcome and send_back_outcome ----------------------------------------------------


def test_lead_approves_and_the_outcome_is_public():
    case = publishable()
    outcome = published(case)
    assert outcome.state == State.PUBLISHED and outcome.published_at is not None
    assert outcome.reviewed_by.username == "lead"
    assert PublicOutcome.objects.public().get() == outcome


def test_lead_edits_while_approving_and_the_edit_is_scrubbed_again():
    case = publishable()
    write(case)
    workflow.perform(
        "approve_outcome",
        case,
        by=actor("lead"),
        summary="A bill of TSh 180,000 was wrong; MUSHI paid twice.",
        response="",
    )
    outcome = PublicOutcome.objects.get(case=case)
    assert outcome.summary == "A bill of TSh 180,000 was wrong; [name] paid twice."
    assert outcome.response.endswith("on [phone number].")  # an empty edit keeps the draft's
    assert {"kind": "name", "masked": "M•••"} in outcome.removed
    assert len(outcome.removed) == 5  # the draft's four, and the edit's one


@pytest.mark.parametrize("by", ["officer", "oversight", "agent"])
def test_only_a_lead_or_admin_approves(by):
    case = publishable()
    write(case)
    assert type(refusal_of("approve_outcome", case, by)) is workflow.ActionNotPermitted
    assert PublicOutcome.objects.get(case=case).state == State.DRAFT


def test_admin_approves_any_institutions_outcome():
    case = publishable()
    write(case)
    workflow.perform("approve_outcome", case, by=actor("admin"))
    assert PublicOutcome.objects.get(case=case).state == State.PUBLISHED


def test_a_lead_of_another_institution_may_not_approve():
    case = publishable()
    write(case)
    other = workflow.staff(make_staff("nhif-lead", "lead", "121"))
    refused = refusal_of("approve_outcome", case, other)
    assert "outside your view" in str(refused.message)


@pytest.mark.parametrize("name", ["approve_outcome", "send_back_outcome"])
def test_there_is_nothing_to_review_without_a_draft(name):
    case = publishable()
    params = {"note": "x"} if name == "send_back_outcome" else {}
    assert "No draft outcome" in str(refusal_of(name, case, "lead", **params).message)
    published(case)
    assert "No draft outcome" in str(refusal_of(name, case, "lead", **params).message)


def test_approval_waits_for_the_case_to_be_resolved_again():
    case = publishable()
    write(case)
    case = workflow.reopen(case, by=workflow.citizen_of(case), reason="Still wrong.")
    refused = refusal_of("approve_outcome", case, "lead")
    assert type(refused) is workflow.TransitionNotAllowed
    # ... but the lead may still send the draft back.
    workflow.perform("send_back_outcome", case, by=actor("lead"), note="Wait for the new answer.")


def test_a_draft_is_never_approved_once_the_case_is_confidential():
    case = publishable()
    write(case)
    workflow.set_confidential(case, by=actor("officer"), reason="A threat was reported.")
    assert "confidential" in str(refusal_of("approve_outcome", case, "lead").message)
    assert not PublicOutcome.objects.public().exists()


def test_send_back_then_rewrite_makes_a_new_draft():
    case = publishable()
    write(case)
    workflow.perform("send_back_outcome", case, by=actor("lead"), note="Name the month.")
    outcome = PublicOutcome.objects.get(case=case)
    assert (outcome.state, outcome.review_note) == (State.SENT_BACK, "Name the month.")
    assert "No draft outcome" in str(refusal_of("approve_outcome", case, "lead").message)
    write(case, summary="The October bill was three times the usual.", response="Corrected.")
    outcome.refresh_from_db()
    assert (outcome.state, outcome.review_note, outcome.removed) == (State.DRAFT, "", [])
    assert outcome.summary == "The October bill was three times the usual."
    workflow.perform("approve_outcome", case, by=actor("lead"))
    assert PublicOutcome.objects.public().count() == 1


def test_send_back_needs_a_note_and_a_reviewer():
    case = publishable()
    write(case)
    with pytest.raises(workflow.MissingInformation, match="Say what the officer should change"):
        workflow.perform("send_back_outcome", case, by=actor("lead"), note=" ")
    refused = refusal_of("send_back_outcome", case, "officer", note="x")
    assert type(refused) is workflow.ActionNotPermitted


# --- withdraw_outcome and confidentiality -----------------------------------------------------


@pytest.mark.parametrize("by", ["lead", "oversight", "admin"])
def test_withdrawal_takes_the_outcome_off_the_public_site(by):
    case = publishable()
    published(case)
    workflow.perform("withdraw_outcome", case, by=actor(by), reason="The wrong case was named.")
    outcome = PublicOutcome.objects.get(case=case)
    assert outcome.state == State.WITHDRAWN and outcome.withdrawn_at is not None
    assert not PublicOutcome.objects.public().exists()
    # A withdrawn outcome may be written again, as a new draft.
    write(case)
    assert PublicOutcome.objects.get(case=case).state == State.DRAFT


def test_withdrawal_refusals():
    case = publishable()
    write(case)
    assert "No outcome of this case is published" in str(
        refusal_of("withdraw_outcome", case, "lead", reason="x").message
    )
    workflow.perform("approve_outcome", case, by=actor("lead"))
    assert type(refusal_of("withdraw_outcome", case, "officer", reason="x")) is (
        workflow.ActionNotPermitted
    )
    with pytest.raises(workflow.MissingInformation):
        workflow.perform("withdraw_outcome", case, by=actor("lead"), reason="")


def test_marking_a_case_confidential_withdraws_its_published_outcome_at_once():
    case = publishable()
    published(case)
    workflow.set_confidential(case, by=actor("officer"), reason="The citizen fears reprisals.")
    outcome = PublicOutcome.objects.get(case=case)
    assert outcome.state == State.WITHDRAWN
    assert outcome.history.latest().history_change_reason.startswith("set_confidential:")
    assert not PublicOutcome.objects.public().exists()


def test_a_published_outcome_stays_public_through_later_transitions():
    case = publishable(Status.RESOLVED)
    published(case)
    case = workflow.close(case, by=workflow.citizen_of(case))
    case = workflow.appeal(case, by=workflow.citizen_of(case), reason="Still wrong.")
    assert PublicOutcome.objects.public().filter(case=case).exists()


# --- history -----------------------------------------------------------------------------------


def test_every_change_of_the_outcome_is_in_its_own_history():
    case = publishable()
    write(case)
    workflow.perform("send_back_outcome", case, by=actor("lead"), note="Shorter.")
    write(case, summary="Shorter.", response="Fixed.")
    workflow.perform("approve_outcome", case, by=actor("lead"))
    workflow.perform("withdraw_outcome", case, by=actor("oversight"), reason="Error.")
    rows = PublicOutcome.objects.get(case=case).history.order_by("history_date", "chain_seq")
    assert [(r.state, r.history_change_reason, r.history_user_id) for r in rows] == [
        ("draft", "write_outcome", actor("officer").user.pk),
        ("sent_back", "send_back_outcome: Shorter.", actor("lead").user.pk),
        ("draft", "write_outcome", actor("officer").user.pk),
        ("published", "approve_outcome", actor("lead").user.pk),
        ("withdrawn", "withdraw_outcome: Error.", actor("oversight").user.pk),
    ]
    # The case's own history and events record each action too, all internal.
    actions = list(case.events.filter(action__endswith="_outcome").values_list("action", flat=True))
    assert actions == [
        "write_outcome",
        "send_back_outcome",
        "write_outcome",
        "approve_outcome",
        "withdraw_outcome",
    ]
    assert not CaseEvent.objects.filter(case=case, action__endswith="_outcome", is_public=True)


def test_outcome_events_notify_no_one(django_capture_on_commit_callbacks):
    from feedback import sms

    case = publishable()
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        published(case)
    assert sms.outbox == []


# --- the one rule of what is public -------------------------------------------------------------


def test_public_excludes_every_case_the_public_may_not_see():
    shown = publishable()
    published(shown)
    hidden = []
    for _n in range(3):
        case = publishable()
        published(case)
        hidden.append(case)
    # Consent withdrawn, or confidentiality set, by a route other than the workflow (an admin
    # edit, a data fix): the rule still hides the outcome.
    Case.objects.filter(pk=hidden[0].pk).update(consent_to_publish=False)
    Case.objects.filter(pk=hidden[1].pk).update(is_confidential=True)
    workflow.perform("withdraw_outcome", hidden[2], by=actor("lead"), reason="Wrong.")
    draft = publishable()
    write(draft)
    sent_back = publishable()
    write(sent_back)
    workflow.perform("send_back_outcome", sent_back, by=actor("lead"), note="No.")
    assert list(PublicOutcome.objects.public()) == [PublicOutcome.objects.get(case=shown)]


# --- the search index is told, in the transaction, on every path --------------------------------


@pytest.fixture
def index_hook():
    with mock.patch("search.indexing.outcome_changed") as hook:
        yield hook


def test_index_hook_on_publish_edit_withdraw_and_later_transitions(index_hook):
    case = publishable()
    write(case)
    index_hook.assert_not_called()  # a draft is not public
    workflow.perform("approve_outcome", case, by=actor("lead"), summary="Edited on approval.")
    index_hook.assert_called_once_with(case.pk)
    case = workflow.close(case, by=workflow.citizen_of(case))
    assert index_hook.call_count == 2
    workflow.perform("reply", case, by=actor("officer"), body="Thank you.", visibility="public")
    assert index_hook.call_count == 3
    workflow.perform("withdraw_outcome", case, by=actor("lead"), reason="Wrong.")
    assert index_hook.call_count == 4
    workflow.perform("reply", case, by=actor("officer"), body="Again.", visibility="public")
    assert index_hook.call_count == 4  # nothing public any more
    assert {call.args for call in index_hook.call_args_list} == {(case.pk,)}


def test_index_hook_when_confidential_withdraws(index_hook):
    case = publishable()
    published(case)
    index_hook.reset_mock()
    workflow.set_confidential(case, by=actor("officer"), reason="Reprisals.")
    index_hook.assert_called_once_with(case.pk)


def test_index_hook_on_contact_erasure(index_hook):
    case = publishable()
    published(case)
    index_hook.reset_mock()
    assert privacy.erase_contact(case, reason="Asked by the citizen", by_citizen=True)
    index_hook.assert_called_once_with(case.pk)


def test_no_index_hook_for_a_case_without_a_public_outcome(index_hook):
    case = publishable()
    workflow.perform("reply", case, by=actor("officer"), body="Thank you.", visibility="public")
    privacy.erase_contact(case, reason="Asked", by_citizen=True)
    index_hook.assert_not_called()


def test_index_hook_runs_inside_the_transaction(index_hook):
    """Called inside the change's atomic block: had it failed, the publication is undone too."""
    case = publishable()
    write(case)
    index_hook.side_effect = RuntimeError("queue unavailable")
    with pytest.raises(RuntimeError):
        workflow.perform("approve_outcome", case, by=actor("lead"))
    assert PublicOutcome.objects.get(case=case).state == State.DRAFT
    assert not case.events.filter(action="approve_outcome").exists()


# --- the staff case page -----------------------------------------------------------------------


def _page(client, case):
    from django.urls import reverse

    return reverse("feedback_case_workspace", args=[case.pk])


def test_officer_writes_from_the_case_page_and_sees_what_the_scrubber_removed(client):
    from tests.feedback.factories import user

    case = publishable()
    client.force_login(user("officer"))
    html = client.get(_page(client, case)).content.decode()
    assert "Write the public outcome" in html and "No public outcome has been written yet." in html
    assert 'value="sw" selected' in html  # the citizen's language, until a draft says otherwise
    response = client.post(
        _page(client, case),
        {
            "action": "write_outcome",
            "write_outcome-summary": SUMMARY,
            "write_outcome-response": RESPONSE,
            "write_outcome-language": "en",
        },
    )
    assert response.status_code == 302
    html = client.get(_page(client, case)).content.decode()
    assert "Awaiting approval" in html
    assert "<code>07•• ••• 222</code>" in html and "<code>R••• S•••</code>" in html
    # The rewrite form starts from the draft.
    assert "[name] ([phone number]) was billed" in html.split('name="write_outcome-summary"')[1]
    assert 'value="en" selected' in html


def test_lead_sends_back_and_the_officer_reads_the_note(client):
    from tests.feedback.factories import user

    case = publishable()
    write(case)
    client.force_login(user("lead"))
    response = client.post(
        _page(client, case), {"action": "send_back_outcome", "send_back_outcome-note": ""}
    )
    assert response.status_code == 400
    assert "Say what the officer should change." in response.content.decode()
    client.post(
        _page(client, case),
        {"action": "send_back_outcome", "send_back_outcome-note": "Say which month."},
    )
    client.force_login(user("officer"))
    html = client.get(_page(client, case)).content.decode()
    assert "Sent back to the officer" in html and "Say which month." in html
    assert "Approve and publish the outcome" not in html


def test_the_page_says_why_an_unconsented_case_has_no_outcome(client):
    from tests.feedback.factories import user

    case = CaseFactory(status=Status.RESOLVED, consent_to_publish=False)
    client.force_login(user("officer"))
    html = client.get(_page(client, case)).content.decode()
    assert "The citizen did not consent to publication." in html
    assert "Write the public outcome" not in html
