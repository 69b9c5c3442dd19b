"""The work queues: what each inbox filter and each dashboard number means, once.

Conditions on `Case.objects.visible_to(user)`: the inbox's filters apply them, the
dashboards count them (so a number and the listing it links to cannot drift apart), the
demo prints them. Who may see a case at all is feedback.access's rule, not this module's.
"""

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from feedback.access import EVERYWHERE, SUBTREE, profile_of, role_of
from feedback.models import (
    OPEN_STATUSES,
    CaseEvent,
    Directive,
    PublicOutcome,
    Role,
    Status,
)


def handled_here(user) -> Q:
    """Cases the user's part of the tree handles now: for officers, leads and oversight, not
    those escalated above their institution (still visible, but someone else's work now)."""
    profile = profile_of(user)
    if role_of(user) in SUBTREE and profile is not None and profile.institution is not None:
        path = profile.institution.path
        return Q(escalated_to__isnull=True) | Q(escalated_to__path__startswith=path)
    return Q()


def due_within(now: datetime, until: datetime) -> Q:
    """Not overdue yet, and the next deadline (`Case.next_due`, the workflow's `next_due`)
    falls before `until`."""
    return Q(next_due__gte=now, next_due__lte=until)


def escalated_to_me(user) -> Q:
    """Open cases escalated to the user's level or below (any escalated case, for those who
    see everything)."""
    profile = profile_of(user)
    if profile is not None and profile.institution is not None:
        return Q(status__in=OPEN_STATUSES, escalated_to__path__startswith=profile.institution.path)
    return Q(status__in=OPEN_STATUSES, escalation_level__gt=0)


def disputed() -> Q:
    """Open cases whose citizen said "not resolved" (workflow.dispute sets `disputed_at`) and
    that have not been resolved since: the officer's first work. `disputed_at` stays as a fact
    after a later resolution, so a resolution after it ends the priority (a plain reopening
    afterwards is an ordinary reopening). `disputed_at IS NOT NULL` is what the partial index
    (case_disputed_idx) answers; the event check runs only for those few cases."""
    resolved_since = CaseEvent.objects.filter(
        case=OuterRef("pk"),
        to_status=Status.RESOLVED,
        created_at__gt=OuterRef("disputed_at"),
    )
    return Q(status__in=OPEN_STATUSES, disputed_at__isnull=False) & ~Q(Exists(resolved_since))


def awaiting_directive_answer() -> Q:
    """Cases with a directive still waiting for its answer."""
    return Q(Exists(Directive.objects.open().filter(case=OuterRef("pk"))))


def appeals_to_decide(user) -> Q:
    """Undecided appeals heard at the user's institution or below: the ones the action table
    lets them uphold or dismiss (its scope is the appeal's institution, within their tree).
    Every undecided appeal for those who see everything; none for anyone else."""
    undecided = Q(status=Status.APPEALED, appeal__decided_at__isnull=True)
    role = role_of(user)
    if role in EVERYWHERE:
        return undecided
    profile = profile_of(user)
    if role not in SUBTREE or profile is None or profile.institution is None:
        return Q(pk__in=[])
    return undecided & Q(appeal__institution__path__startswith=profile.institution.path)


OUTCOME_AWAITING_APPROVAL = Q(public_outcome__state=PublicOutcome.State.DRAFT)


def directives_waiting_for(user, cases: QuerySet) -> QuerySet[Directive]:
    """Open directives on `cases` (those the user may see) that concern this user: for an
    oversight leader, those their level gave; for everyone else, those their institution must
    answer. `.overdue(now)` of it are late: shown, never escalated."""
    directives = Directive.objects.open().filter(case__in=cases)
    profile = profile_of(user)
    if role_of(user) == Role.OVERSIGHT and profile is not None and profile.institution:
        return directives.filter(issued_by_institution__path__startswith=profile.institution.path)
    return directives
