"""USSD in Africa's Talking's callback format: read the form, record the session, let the menu
(feedback.channels.ussd_menu) answer, reply "CON ..." or "END ..." as plain text.

Whatever comes in, the gateway gets a CON or END screen (a raw error page would reach the
citizen's phone as text), except a refused gateway check (403: not our gateway).
"""

import logging

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from feedback import limits, workflow
from feedback.channels import gateway, ussd_menu
from feedback.channels.phones import phone_digest
from feedback.models import PhonePreference, UssdSession

logger = logging.getLogger("feedback.channels")

# Longest values kept of what the gateway names itself (the model's columns).
SESSION_ID_MAX = UssdSession._meta.get_field("session_id").max_length
SERVICE_CODE_MAX = UssdSession._meta.get_field("service_code").max_length
NETWORK_CODE_MAX = UssdSession._meta.get_field("network_code").max_length
END_STATUS_MAX = UssdSession._meta.get_field("end_status").max_length


def _plain(text: str, status: int = 200) -> HttpResponse:
    """A screen for the gateway; it may show a PIN, so no cache keeps it and it is never
    compressed (config.page_cache.PageCompressionMiddleware skips no-store: BREACH)."""
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def _end(message: str) -> HttpResponse:
    return _plain(str(ussd_menu.Reply("END", ussd_menu.fit(message))))


def starting_language(digest: str, started_at) -> str | None:
    """The language the session began in: the phone's remembered one if it had one before
    the session started, else None (the menu asks first). Decided from the session's start,
    not from now, so that a language chosen in this session does not change how its text is
    read: the text still begins with that choice. A change from the main menu keeps the
    preference's updated_at (ussd_menu.Registry.remember_language) for the same reason."""
    preference = PhonePreference.objects.filter(
        phone_digest=digest, updated_at__lt=started_at
    ).first()
    return preference.language if preference else None


def _record(session_id: str, digest: str, request) -> UssdSession | None:
    """The session, created on first sight and refreshed on every request; None when the
    id is already another phone's."""
    now = timezone.now()
    session, created = UssdSession.objects.get_or_create(
        session_id=session_id,
        defaults={
            "phone_digest": digest,
            "service_code": request.POST.get("serviceCode", "")[:SERVICE_CODE_MAX],
            "network_code": request.POST.get("networkCode", "")[:NETWORK_CODE_MAX],
            "started_at": now,
            "last_seen_at": now,
        },
    )
    if session.phone_digest != digest:
        return None
    if not created:
        UssdSession.objects.filter(pk=session.pk).update(last_seen_at=now)
    return session


@csrf_exempt
def callback(request):
    refused = gateway.refusal(request)
    if refused is not None:
        return refused
    session_id = request.POST.get("sessionId", "").strip()
    text = request.POST.get("text", "")
    if request.method != "POST" or not session_id or len(session_id) > SESSION_ID_MAX:
        return _end(_("Sorry, this request could not be read. Please dial again."))
    try:
        phone = workflow.normalise_phone(request.POST.get("phoneNumber", ""))
    except workflow.InvalidPhone:
        return _end(_("Sorry, this request could not be read. Please dial again."))
    digest = phone_digest(phone)
    if not UssdSession.objects.filter(session_id=session_id).exists():
        try:  # a session begins: counted per phone, refused before anything is kept
            limits.hit("ussd-sessions-per-phone", phone)
        except limits.LimitExceeded as error:
            language = starting_language(digest, timezone.now())
            with translation.override(language or settings.LANGUAGE_CODE):
                return _end(error.message)
    session = _record(session_id, digest, request)
    if session is None:
        return _end(_("Sorry, this request could not be read. Please dial again."))
    language = starting_language(digest, session.started_at)
    registry = ussd_menu.Registry(phone=phone, session_id=session_id)
    try:
        reply = ussd_menu.respond(text, language=language, registry=registry)
    except Exception:
        # The gateway would show a server error as raw text: end the session politely, and
        # keep the traceback (never the text typed, nor the number) for us.
        logger.exception("USSD menu failed (session %s)", session.pk)
        with translation.override(language or settings.LANGUAGE_CODE):
            return _end(_("Sorry, something went wrong. Please dial again later."))
    if registry.submitted is not None and session.case_id != registry.submitted.pk:
        UssdSession.objects.filter(pk=session.pk).update(case=registry.submitted)
    return _plain(str(reply))


def unreadable_input(request):
    """What config.middleware answers for a form it could not read (not UTF-8, a NUL): the
    gateway's own format, never the HTML 400 page, which a phone would show as raw text."""
    if request.path_info.rstrip("/").endswith("/events"):
        return _plain("OK")
    return _end(_("Sorry, this request could not be read. Please dial again."))


def _seconds(value: str) -> int | None:
    value = value.strip()
    if value.isascii() and value.isdigit() and len(value) <= 9:
        return int(value)
    return None


@csrf_exempt
def session_event(request):
    """The gateway's word that a session ended (status, duration): recorded on the session,
    which is created if the callback never saw it. Always "OK": there is nothing the gateway
    could do about a notification we cannot use."""
    refused = gateway.refusal(request)
    if refused is not None:
        return refused
    session_id = request.POST.get("sessionId", "").strip()
    if request.method != "POST" or not session_id or len(session_id) > SESSION_ID_MAX:
        return _plain("OK")
    try:
        digest = phone_digest(workflow.normalise_phone(request.POST.get("phoneNumber", "")))
    except workflow.InvalidPhone:
        digest = ""
    now = timezone.now()
    session, _created = UssdSession.objects.get_or_create(
        session_id=session_id,
        defaults={"phone_digest": digest, "started_at": now, "last_seen_at": now},
    )
    session.ended_at = now
    session.end_status = request.POST.get("status", "").strip()[:END_STATUS_MAX]
    session.duration_seconds = _seconds(request.POST.get("duration", ""))
    session.save(update_fields=["ended_at", "end_status", "duration_seconds"])
    return _plain("OK")
