"""Who may see what: the one place that turns a staff member into a queryset of cases."""

from django.db.models import QuerySet

from feedback.models import Case, Institution, Role, StaffProfile

# Roles that see every case, whatever institution they belong to.
EVERYWHERE = frozenset({Role.ADMIN, Role.AUDITOR})
# Roles whose view follows the institution tree: their institution and everything below it.
SUBTREE = frozenset({Role.OFFICER, Role.LEAD, Role.OVERSIGHT})


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


def cases_visible_to(user) -> QuerySet[Case]:
    """Every case this user may see; nothing for citizens, agents and editors."""
    return Case.objects.visible_to(user)
