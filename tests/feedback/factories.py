"""Test data: cases driven to any status through the workflow itself, never written directly."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from feedback import workflow
from feedback.models import Institution, Service, Status
from feedback.roles import assign_role


def user(username: str):
    return get_user_model().objects.get(username=username)


def actor(username: str) -> workflow.Actor:
    return workflow.staff(user(username))


def make_staff(username: str, role: str, short_code: str | None):
    member, _created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.org"}
    )
    institution = Institution.objects.get(short_code=short_code) if short_code else None
    assign_role(member, role, institution)
    return member


def water_service() -> Service:
    return Service.objects.get(institution__short_code="1111", code="1")


def submit_case(now=None, **overrides) -> workflow.Submission:
    service = water_service()
    fields = {
        "kind": "complaint",
        "institution": service.institution,
        "service": service,
        "subject": "Water bill doubled",
        "description": "My March bill is twice the usual amount.",
        "contact": workflow.ContactDetails(phone="+255712345678", notify_by="sms"),
        "language": "sw",
        "now": now,
    }
    fields.update(overrides)
    return workflow.submit(**fields)


def case_in(status: str, now=None):
    """A case in the given status, reached by the workflow's own transitions."""
    admin = actor("admin")
    # Steps are spaced a few minutes apart and end before "now", like a real history.
    now = now or timezone.now() - timedelta(hours=1)
    case = submit_case(now=now).case
    steps = {
        Status.SUBMITTED: [],
        Status.ACKNOWLEDGED: ["ack"],
        Status.AWAITING_CITIZEN: ["ack", "ask"],
        Status.IN_PROGRESS: ["ack", "start"],
        Status.RESOLVED: ["ack", "start", "resolve"],
        Status.CLOSED: ["ack", "start", "resolve", "close"],
        Status.REOPENED: ["ack", "start", "resolve", "reopen"],
        Status.REJECTED: ["reject"],
        Status.APPEALED: ["ack", "start", "resolve", "close", "appeal"],
    }[status]
    for step in steps:
        now += timedelta(minutes=5)
        if step == "ack":
            case = workflow.acknowledge(case, by=admin, now=now)
        elif step == "ask":
            case = workflow.request_information(case, by=admin, question="Meter number?", now=now)
        elif step == "start":
            case = workflow.start(case, by=admin, now=now)
        elif step == "resolve":
            case = workflow.resolve(case, by=admin, response="Bill corrected.", now=now)
        elif step == "close":
            case = workflow.close(case, by=workflow.citizen_of(case), now=now)
        elif step == "reopen":
            case = workflow.reopen(
                case, by=workflow.citizen_of(case), reason="Still wrong.", now=now
            )
        elif step == "appeal":
            case = workflow.appeal(
                case, by=workflow.citizen_of(case), reason="Bill still wrong.", now=now
            )
        elif step == "reject":
            case = workflow.reject(
                case, by=admin, reason="out_of_scope", explanation="Private matter.", now=now
            )
    assert case.status == status
    return case
