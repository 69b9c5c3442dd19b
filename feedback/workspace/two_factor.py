"""Two-factor authentication for staff in the Wagtail admin (django-otp).

After the password, a staff member with a confirmed device is asked for a code before any admin
page (TwoFactorMiddleware); one whose role is in settings.STAFF_TWO_FACTOR_ROLES and who has no
device yet is sent to enrol: an authenticator app (TOTP, a QR code and the secret to type),
confirmed with one code, then 10 backup codes shown once. Staff of other roles may enrol from
their account page and are then asked too. A wrong code is throttled by the device itself
(django-otp's exponential delay) and counts toward the sign-in lock-out (django-axes, through
Django's user_login_failed signal), so passwords and codes share one budget. An administrator
resets a staff member's devices (lost phone) from Settings > Users; the reset is recorded in
the audit chain (a StaffProfile history row naming who did it).

The TOTP secret is shown only on the enrolment page (no-store) and is never logged.
"""

import logging
import time
from base64 import b32encode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.core import checks
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from feedback.models import Role, StaffProfile

log = logging.getLogger(__name__)

BACKUP_CODE_COUNT = 10
APP_DEVICE_NAME = "authenticator app"
BACKUP_DEVICE_NAME = "backup codes"
# Admin URLs reachable between the password and the second factor.
OPEN_URL_NAMES = frozenset(
    {
        "wagtailadmin_login",
        "wagtailadmin_logout",
        "wagtailadmin_javascript_catalog",
        "wagtailadmin_sprite",
        "staff_two_factor_enrol",
        "staff_two_factor_verify",
    }
)


# --- who must use it -------------------------------------------------------------------------


def staff_role(user) -> str | None:
    """The user's role for this rule: superusers count as administrators."""
    if user.is_superuser:
        return Role.ADMIN
    profile = getattr(user, "staff_profile", None)
    return profile.role if profile is not None else None


def requires_two_factor(user) -> bool:
    return user.is_authenticated and staff_role(user) in settings.STAFF_TWO_FACTOR_ROLES


def has_two_factor(user) -> bool:
    return user.is_authenticated and user_has_device(user, confirmed=True)


# The session remembers whether its user has a confirmed device, so the gate does not ask the
# two device tables on every admin request of staff without one. The session is server-side;
# this session's own enrolment, verification and reset write it at once, and a change made
# elsewhere (an enrolment in another browser) is seen after STAFF_TWO_FACTOR_RECHECK_SECONDS.
# A reset by an administrator needs no wait: it deletes the devices, which unverifies every
# session of that user, and the verify page checks the tables themselves.
DEVICE_SESSION_KEY = "staff_two_factor_device"


def remember_device(request, has_device: bool) -> None:
    request.session[DEVICE_SESSION_KEY] = {
        "user": request.user.pk,
        "has": has_device,
        "at": int(time.time()),
    }


def has_two_factor_remembered(request) -> bool:
    """has_two_factor() of the request's user, read from the session while it is fresh."""
    remembered = request.session.get(DEVICE_SESSION_KEY)
    if (
        isinstance(remembered, dict)
        and remembered.get("user") == request.user.pk
        and time.time() - remembered.get("at", 0) < settings.STAFF_TWO_FACTOR_RECHECK_SECONDS
    ):
        return bool(remembered.get("has"))
    has_device = has_two_factor(request.user)
    remember_device(request, has_device)
    return has_device


def next_step(request) -> str | None:
    """Which page a signed-in user must pass before the admin: "verify", "enrol" or None."""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return None
    if has_two_factor_remembered(request):
        return "verify"
    if requires_two_factor(user):
        return "enrol"
    return None


# --- enrolment, codes, reset: plain functions ------------------------------------------------


def pending_app_device(user) -> TOTPDevice:
    """The unconfirmed authenticator device being set up (the same one on every reload)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The secret as an authenticator app asks for it: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline <svg> element (no script, no style attribute)."""
    code = segno.make(device.config_url, error="m")
    # No fixed size (a viewBox only): feedback/workspace/two_factor.css fits it to a phone.
    return code.svg_inline(
        scale=5, omitsize=True, title=gettext("QR code for your authenticator app")
    )


def issue_backup_codes(user) -> list[str]:
    """Replace the user's backup codes with BACKUP_CODE_COUNT new ones; each works once."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _i in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def confirm_app_device(device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the authenticator with one code from it; returns the new backup codes, or None
    when the code is wrong (the device's throttle counts it)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token(normalised(token)):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
        return issue_backup_codes(device.user)


def normalised(token: str) -> str:
    return "".join(token.split()).lower()


def verify_code(user, token: str):
    """(device, None) when the code is right; (None, seconds to wait) when the devices are
    throttled; (None, None) when it is wrong. Six digits are a code from the app, anything
    else a backup code: a wrong code then counts against one device only."""
    token = normalised(token)
    app = token.isdigit() and len(token) == 6
    devices = [
        device
        for device in devices_for_user(user, confirmed=True, for_verify=True)
        if isinstance(device, TOTPDevice if app else StaticDevice)
    ]
    wait = None
    with transaction.atomic():
        for device in devices:
            allowed, details = device.verify_is_allowed()
            if not allowed:
                until = (details or {}).get("locked_until")
                if until is not None:
                    wait = max(1, int((until - timezone.now()).total_seconds()) + 1)
                continue
            if device.verify_token(token):
                return device, None
    return None, wait


def reset_two_factor(user, *, by) -> int:
    """Delete every device of `user` (a lost phone); recorded in the audit chain as a history
    row of their staff profile naming `by`. Returns the devices deleted."""
    with transaction.atomic():
        deleted = 0
        for device in devices_for_user(user, confirmed=None):
            device.delete()
            deleted += 1
        profile = StaffProfile.objects.filter(user=user).first()
        if profile is not None:
            profile._history_user = by
            profile._change_reason = "two-factor devices reset"
            profile.save()
        else:
            # No chained row to hang it on (a superuser without a profile): Wagtail's log.
            from wagtail.log_actions import log as wagtail_log

            wagtail_log(instance=user, action="feedback.reset_two_factor", user=by)
    log.info("Two-factor devices reset for user id %s by user id %s", user.pk, by.pk)
    return deleted


# --- the gate ---------------------------------------------------------------------------------


class TwoFactorMiddleware:
    """Every /admin/ URL but the sign-in, sign-out and these pages (and the admin's script
    catalogue and icons) needs the second factor once the user's role or device asks for it.
    After django_otp.middleware.OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        step = self.step_for(request)
        if step is not None:
            target = reverse(f"staff_two_factor_{step}")
            if request.method == "GET":
                return redirect(f"{target}?{_next_query(request.get_full_path())}")
            return redirect(target)
        return self.get_response(request)

    @staticmethod
    def step_for(request) -> str | None:
        if not request.path_info.startswith(reverse("wagtailadmin_home")):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        try:
            if resolve(request.path_info).url_name in OPEN_URL_NAMES:
                return None
        except Resolver404:
            pass
        return next_step(request)


def _next_query(path: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": path})


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("wagtailadmin_home")


# --- views ------------------------------------------------------------------------------------


class CodeForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Code"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def _count_failure(request) -> None:
    """A wrong code counts toward the sign-in lock-out like a wrong password; django-axes
    flags the request when the limit is reached and its middleware answers with the lock-out
    page (feedback.workspace.sign_in.locked_out), which signs the user out."""
    user_login_failed.send(
        sender=__name__, credentials={"username": request.user.get_username()}, request=request
    )


def _is_locked(request) -> bool:
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(request, {"username": request.user.get_username()})


def _wrong_code_message(wait: int | None) -> str:
    if wait:
        return ngettext(
            "Too many wrong codes: wait %(seconds)d second, then try again.",
            "Too many wrong codes: wait %(seconds)d seconds, then try again.",
            wait,
        ) % {"seconds": wait}
    return gettext(
        "That code is not right. Type the 6 digits your authenticator app shows now, or one "
        "of your backup codes."
    )


@never_cache
def enrol(request):
    """Set up an authenticator app: QR code and secret, one code to confirm, then the backup
    codes, shown once."""
    if not request.user.is_authenticated:
        return redirect("wagtailadmin_login")
    if has_two_factor(request.user):
        if not request.user.is_verified():
            return redirect("staff_two_factor_verify")
        messages.info(request, gettext("Two-step sign-in is already set up for your account."))
        return redirect("wagtailadmin_home")
    from feedback.workspace.sign_in import locked_out

    if _is_locked(request):
        return locked_out(request)
    device = pending_app_device(request.user)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        codes = confirm_app_device(device, form.cleaned_data["otp_token"])
        if codes is not None:
            device.refresh_from_db()
            otp_login(request, device)
            remember_device(request, True)
            return _no_store(
                render(
                    request,
                    "feedback/workspace/two_factor/backup_codes.html",
                    {"codes": codes, "next": _safe_next(request)},
                )
            )
        _count_failure(request)
        form.add_error("otp_token", _wrong_code_message(None))
        status = 400
    elif request.method == "POST":
        status = 400
    context = {
        "form": form,
        # segno's own markup of the device's key URI: no user input in it.
        "qr_svg": mark_safe(qr_svg(device)),  # nosec B308 B703  # segno's markup
        "secret": secret_text(device),
        "required": requires_two_factor(request.user),
        "next": _safe_next(request),
    }
    return _no_store(
        render(request, "feedback/workspace/two_factor/enrol.html", context, status=status)
    )


@never_cache
def verify(request):
    """Ask a staff member with a device for a code (from the app, or a backup code)."""
    if not request.user.is_authenticated:
        return redirect("wagtailadmin_login")
    if request.user.is_verified():
        return redirect(_safe_next(request))
    has_device = has_two_factor(request.user)  # the tables themselves: a reset shows at once
    remember_device(request, has_device)
    if not has_device:
        if requires_two_factor(request.user):
            return redirect("staff_two_factor_enrol")
        return redirect(_safe_next(request))
    from feedback.workspace.sign_in import locked_out

    if _is_locked(request):
        return locked_out(request)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        device, wait = verify_code(request.user, form.cleaned_data["otp_token"])
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request))
        _count_failure(request)
        form.add_error("otp_token", _wrong_code_message(wait))
        status = 400
    elif request.method == "POST":
        status = 400
    return _no_store(
        render(
            request,
            "feedback/workspace/two_factor/verify.html",
            {"form": form, "next": _safe_next(request)},
            status=status,
        )
    )


def may_reset(user) -> bool:
    return user.is_authenticated and staff_role(user) == Role.ADMIN


@method_decorator(never_cache, name="dispatch")
class ResetView(WagtailAdminTemplateMixin, TemplateView):
    """An administrator resets another staff member's devices: GET asks, POST does it."""

    template_name = "feedback/workspace/two_factor/reset.html"
    header_icon = "key"
    page_title = _("Reset two-step sign-in")

    def dispatch(self, request, *args, **kwargs):
        if not may_reset(request.user):
            raise Http404
        self.target = get_object_or_404(get_user_model(), pk=kwargs["user_id"])
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("wagtailusers_users:index"), "label": gettext("Users")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            target=self.target,
            has_devices=has_two_factor(self.target),
            users_url=reverse("wagtailusers_users:index"),
        )
        return context

    def post(self, request, *args, **kwargs):
        reset_two_factor(self.target, by=request.user)
        if self.target.pk == request.user.pk:
            remember_device(request, False)
        messages.success(
            request,
            format_html(
                gettext(
                    "Two-step sign-in was reset for {user}: their authenticator app and "
                    "backup codes no longer work."
                ),
                user=self.target.get_username(),
            ),
        )
        return redirect("wagtailusers_users:index")


@checks.register(checks.Tags.security)
def check_two_factor_roles(app_configs=None, **kwargs):
    """A misspelt role in STAFF_TWO_FACTOR_ROLES would quietly exempt that role."""
    unknown = sorted(set(settings.STAFF_TWO_FACTOR_ROLES) - set(Role.values))
    if not unknown:
        return []
    return [
        checks.Error(
            f"STAFF_TWO_FACTOR_ROLES names unknown roles: {', '.join(unknown)}",
            hint=f"Use role values: {', '.join(Role.values)}.",
            id="feedback.E201",
        )
    ]
