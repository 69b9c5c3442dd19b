"""Staff roles as Django groups, so the Wagtail admin's permissions follow the role."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from feedback.models import Institution, Role, StaffProfile

# Wagtail's own "Editors" group already carries the page permissions an editor needs.
GROUP_NAMES = {
    Role.EDITOR: "Editors",
    Role.OFFICER: "Institution officers",
    Role.LEAD: "Feedback leads",
    Role.OVERSIGHT: "Oversight leaders",
    Role.AGENT: "Service-point agents",
    Role.AUDITOR: "Auditors",
    Role.SCREENER: "Screening desk",
}

# Model permissions only open admin screens; which cases appear is feedback.access's decision.
READ_REGISTRY = [
    "wagtailadmin.access_admin",
    "feedback.view_case",
    "feedback.view_institution",
    "feedback.view_service",
    "feedback.view_charterterm",
]
# Feedback leads keep the service charters of their part of the tree (feedback.admin_views).
KEEP_CHARTERS = [
    "feedback.change_service",
    "feedback.add_charterterm",
    "feedback.change_charterterm",
    "feedback.delete_charterterm",
]
GROUP_PERMISSIONS = {
    Role.OFFICER: READ_REGISTRY,
    Role.LEAD: READ_REGISTRY + KEEP_CHARTERS,
    Role.OVERSIGHT: READ_REGISTRY,
    Role.AGENT: ["wagtailadmin.access_admin", "feedback.view_case"],
    Role.AUDITOR: READ_REGISTRY,
    Role.SCREENER: ["wagtailadmin.access_admin", "feedback.view_case", "feedback.view_institution"],
}


def ensure_role_groups() -> dict[str, Group]:
    """Create (or complete) one group per staff role; safe to run any number of times."""
    groups = {}
    for role, name in GROUP_NAMES.items():
        group, _created = Group.objects.get_or_create(name=name)
        for dotted in GROUP_PERMISSIONS.get(role, []):
            app_label, codename = dotted.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        groups[role] = group
    return groups


@transaction.atomic
def assign_role(user, role: str, institution: Institution | None = None) -> StaffProfile:
    """Give a user one role (and its group), replacing any role they had before."""
    groups = ensure_role_groups()
    user.groups.remove(*groups.values())
    if role in groups:
        user.groups.add(groups[role])
    if role == Role.ADMIN and not user.is_superuser:
        user.is_superuser = True
    user.is_staff = role == Role.ADMIN
    user.save()
    profile, _created = StaffProfile.objects.update_or_create(
        user=user, defaults={"role": role, "institution": institution}
    )
    return profile
