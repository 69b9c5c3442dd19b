"""Staff sign-in lock-out (django-axes): the page a locked-out staff member sees, lifting a lock,
and the retention of axes' own records.

Settings (config/settings/base.py, "Staff sign-in"): AXES_FAILURE_LIMIT wrong passwords or
wrong second-factor codes (feedback.workspace.two_factor counts those too) lock the username
for AXES_COOLOFF_TIME, from every address. An administrator lifts a lock with
`manage.py axes_reset_username USERNAME` (axes' own command) or `unlock(username)`.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import ngettext

log = logging.getLogger(__name__)


def cool_off_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_message() -> str:
    minutes = cool_off_minutes()
    return ngettext(
        "Too many failed sign-ins: try again in %(minutes)d minute, or ask an administrator "
        "to unlock you.",
        "Too many failed sign-ins: try again in %(minutes)d minutes, or ask an administrator "
        "to unlock you.",
        minutes,
    ) % {"minutes": minutes}


def locked_out(request, original_response=None, credentials=None):
    """settings.AXES_LOCKOUT_CALLABLE: Wagtail's sign-in page with the lock-out message, 429.

    A staff member locked out while giving the second factor is signed out: the password
    alone must not keep them in. The log names no one (axes' own messages, which carry the
    username and address, are silenced in LOGGING)."""
    from wagtail.admin.views.account import get_user_login_form

    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        logout(request)
    log.warning("Staff sign-in locked after repeated failures")
    form_class = get_user_login_form()
    response = render(
        request,
        "feedback/workspace/two_factor/locked_out.html",
        {"form": form_class(request), "lockout_message": lockout_message()},
        status=429,
    )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    response["Cache-Control"] = "no-store"
    return response


def unlock(username: str) -> int:
    """Lift a lock-out (and forget the failures) of one username; returns the records deleted."""
    from axes.utils import reset

    return reset(username=username)


def prune_sign_in_records(now: datetime | None = None) -> int:
    """Delete axes' records past their use: failure counts older than the cool-off (they lock
    no one any more) and, should the logs be turned on, log rows older than the cool-off too.
    They hold addresses and browsers (personal data). The daily sweep calls this
    (feedback.privacy.prune_expired_records)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    cutoff = (now or timezone.now()) - settings.AXES_COOLOFF_TIME
    deleted, _by_model = AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()
    AccessLog.objects.filter(attempt_time__lt=cutoff).delete()
    AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()
    return deleted
