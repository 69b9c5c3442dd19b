"""The browser's side of tracking: which address a request comes from, and which cases this
browser session has proved it may see. The proof itself is feedback.citizens.prove."""

import time

from django.conf import settings


def client_address(request) -> str:
    """The citizen's address, not our proxy's, so per-address limits count each client apart.

    X-Forwarded-For is trusted only as far as settings.TRUSTED_PROXY_COUNT proxies of our
    own append to it; anything further left was written by the client and could be forged.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "unknown")


# Which cases this browser proved it may see (PIN, or having just submitted), and until when.
# Kept short: service points and cyber cafes share one browser between many citizens.
PROVEN_KEY = "feedback_proven"


def _now() -> float:
    return time.time()


def remember_proven(session, reference: str) -> None:
    proven = {ref: until for ref, until in session.get(PROVEN_KEY, {}).items() if until > _now()}
    proven[reference] = _now() + settings.TRACKING_SESSION_SECONDS
    session[PROVEN_KEY] = proven


def is_proven(session, reference: str) -> bool:
    return session.get(PROVEN_KEY, {}).get(reference, 0) > _now()


def forget_proven(session, reference: str) -> None:
    proven = dict(session.get(PROVEN_KEY, {}))
    proven.pop(reference, None)
    session[PROVEN_KEY] = proven


# A merged case's citizen follows the case it was merged into (feedback.workflow.merge).


def surviving_case(case):
    """The case the citizen of a merged case follows now: the end of its chain of merges
    (None when the case was not merged)."""
    from feedback.models import Case

    seen = {case.pk}
    current = case
    while current.duplicate_of_id is not None and current.duplicate_of_id not in seen:
        seen.add(current.duplicate_of_id)
        current = Case.objects.select_related("institution", "escalated_to").get(
            pk=current.duplicate_of_id
        )
    return None if current.pk == case.pk else current


def institution_replies(case):
    """What the institution told the public on a case, for the citizen of a duplicate: staff
    and system steps and messages visible to citizens; never the other citizen's own words
    (their submission, messages, reasons to reopen or appeal, rating), even when an agent
    typed them, nor any file."""
    from feedback.models import CaseEvent
    from feedback.workflow import ACTIONS

    citizens_own = [name for name, action in ACTIONS.items() if "citizen" in action.roles]
    return (
        case.events.filter(
            is_public=True,
            actor_kind__in=[CaseEvent.ActorKind.STAFF, CaseEvent.ActorKind.SYSTEM],
            type__in=[CaseEvent.Type.TRANSITION, CaseEvent.Type.STAFF_MESSAGE],
        )
        .exclude(action__in=[*citizens_own, "submit"])
        .only("created_at", "to_status", "from_status", "body", "type", "action")
    )


def _public(events):
    """The events a proved citizen may read: every public one but assignments (which name
    staff)."""
    from feedback.models import CaseEvent

    return events.filter(is_public=True).exclude(type=CaseEvent.Type.ASSIGNED)


def public_exchange(case):
    """What the proved citizen reads of their case's story, oldest first. The web's tracking
    page, the API, USSD and SMS read this one query."""
    return _public(case.events.all()).order_by("created_at", "pk")


def last_answers(cases) -> dict:
    """case pk -> the institution's latest public words on it (a message, a response, a
    decision with a text), for these cases in one query; cases with none are absent."""
    from feedback.models import CaseEvent

    answers = {}
    events = _public(CaseEvent.objects.filter(case__in=cases))
    for event in (
        events.filter(actor_kind=CaseEvent.ActorKind.STAFF)
        .exclude(body="")
        .order_by("created_at", "pk")
        .only("case_id", "body", "created_at")
    ):
        answers[event.case_id] = event
    return answers


def last_answer(case):
    """The institution's latest public words on one case, or None: Open311's status_notes,
    the USSD "last answer" screen."""
    return last_answers([case]).get(case.pk)
