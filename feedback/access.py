"""Who may see what: the one place that turns a staff member into the cases they may see,
and says who may open a case's files or reveal its citizen's contact details.

Every listing, case page, export, attachment download and channel asks here (through
`Case.objects.visible_to`); none repeats the rule.
"""

from django.db.models import Q, QuerySet

from feedback.models import (
    IN_SCREENING,
    Case,
    Institution,
    Role,
    StaffProfile,
)

# Roles that see every case, whatever institution they belong to.
EVERYWHERE = frozenset({Role.ADMIN, Role.AUDITOR})
# Roles whose view follows the institution tree: their institution and everything below it.
SUBTREE = frozenset({Role.OFFICER, Role.LEAD, Role.OVERSIGHT})
# Roles that may reveal a citizen's masked contact details (each reveal is recorded).
REVEALERS = frozenset({Role.OFFICER, Role.LEAD, Role.ADMIN, Role.AUDITOR})
# Roles that may find a person's cases by phone number or e-mail across the whole registry,
# to export them for the data subject or erase them (feedback.privacy; each case recorded).
DATA_SUBJECT_OFFICERS = frozenset({Role.ADMIN})
# Roles that keep an institution's canned responses; officers of the institution read them.
CANNED_KEEPERS = frozenset({Role.LEAD, Role.ADMIN})
CANNED_READERS = CANNED_KEEPERS | {Role.OFFICER}


def profile_of(user) -> StaffProfile | None:
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.staff_profile
    except StaffProfile.DoesNotExist:
        return None


def role_of(user) -> str | None:
    if user is not None and user.is_authenticated and user.is_superuser:
        return Role.ADMIN
    profile = profile_of(user)
    return profile.role if profile else None


def covers(user, institution: Institution) -> bool:
    """Whether a staff member's view of the tree includes this institution."""
    role = role_of(user)
    if role in EVERYWHERE:
        return True
    profile = profile_of(user)
    if role not in SUBTREE or profile is None or profile.institution is None:
        return False
    return institution.path.startswith(profile.institution.path)


def handles(user, institution: Institution) -> bool:
    """Whether a staff member may do the handling work of a case this institution handles
    now: officers and leads within their tree; an oversight leader only at their own level
    (a case that climbed to them); below it they read and direct, they do not answer."""
    if role_of(user) == Role.OVERSIGHT:
        profile = profile_of(user)
        return profile is not None and profile.institution_id == institution.pk
    return covers(user, institution)


def in_screening(case: Case) -> bool:
    """The row-level twin of models.IN_SCREENING: routed to the top of the tree, not escalated
    up to it (the desk's queue)."""
    return case.institution.depth == 1 and case.escalation_level == 0


def screens(user, case: Case) -> bool:
    """Whether this user is the screening desk and the case is in its queue: the only cases
    the desk may act on (the workflow asks here, as it asks `covers` for the tree)."""
    return role_of(user) == Role.SCREENER and in_screening(case)


def case_scope(user) -> Q | None:
    """The condition on cases this user may see: Q() for everything, None for nothing.

    Officers, leads and oversight leaders: their institution's subtree (a case escalates
    only to ancestors of its institution, so the subtree covers it too). Agents: the cases
    they submitted. The screening desk: its queue. Citizens and editors: nothing.
    """
    role = role_of(user)
    if role in EVERYWHERE:
        return Q()
    if role == Role.AGENT:
        return Q(submitted_by=user)
    if role == Role.SCREENER:
        return IN_SCREENING
    profile = profile_of(user)
    if role not in SUBTREE or profile is None or profile.institution is None:
        return None
    return Q(institution__path__startswith=profile.institution.path)


def institutions_covered(user) -> QuerySet[Institution]:
    """The institutions a staff member's view of the tree includes (`covers`, as a query)."""
    role = role_of(user)
    if role in EVERYWHERE:
        return Institution.objects.all()
    profile = profile_of(user)
    if role not in SUBTREE or profile is None or profile.institution is None:
        return Institution.objects.none()
    return Institution.objects.filter(path__startswith=profile.institution.path)


def cases_visible_to(user) -> QuerySet[Case]:
    """Every case this user may see; nothing for citizens and editors."""
    return Case.objects.visible_to(user)


def may_see(user, case: Case) -> bool:
    return cases_visible_to(user).filter(pk=case.pk).exists()


def may_reveal_contact(user, case: Case) -> bool:
    """Handlers and auditors of a case they may see, and the agent who took it down."""
    role = role_of(user)
    if role == Role.AGENT:
        return case.submitted_by_id == user.pk
    return role in REVEALERS and may_see(user, case)


def may_act_for_data_subject(user) -> bool:
    """Administrators only: a lookup by phone number reaches every case of a person, in every
    institution, so it is no handler's or auditor's to make (they reveal case by case)."""
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and role_of(user) in DATA_SUBJECT_OFFICERS
    )
