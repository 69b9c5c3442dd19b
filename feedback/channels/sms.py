"""Inbound SMS in Africa's Talking's callback format: each message is parsed
(feedback.channels.sms_parser), handled through the same intake, citizen proof and action
table as the web, and answered by an outbound SMS sent at once (the HTTP answer is only "OK").

A reply carries no personal data, nor the case's text or the institution's answer, to a number
that has not proved the case: by the PIN, or, to confirm or dispute a resolution, by being the
number on the case's contact (the "resolved" SMS went to that number).
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from feedback import citizens, limits, notifications, references, tracking, workflow
from feedback.channels import gateway
from feedback.channels.phones import phone_digest
from feedback.channels.sms_parser import KEYWORDS, Intent, Request, parse
from feedback.models import (
    Case,
    Channel,
    Contact,
    InboundSms,
    Institution,
    Kind,
    NotifyBy,
    PhonePreference,
    Status,
)
from feedback.sms import SMSDeliveryError, send_sms

logger = logging.getLogger("feedback.channels")

# Replies that carry the institution's answer may take two SMS parts, as notifications do.
ANSWER_LIMIT = 300
SUBJECT_LIMIT = 60
GATEWAY_ID_MAX_LENGTH = InboundSms._meta.get_field("gateway_id").max_length


@dataclass(frozen=True)
class Reply:
    text: str
    case: Case | None = None  # the case the message acted on (submitted, added to, answered)


# --- the callback --------------------------------------------------------------------------


@csrf_exempt
@require_POST
def inbound(request):
    """One SMS from the gateway: always 200 "OK" once it is well formed (the answer to the
    citizen goes out as an SMS); a retried callback (same id) is recognised and not handled
    again."""
    refused = gateway.refusal(request)
    if refused is not None:
        return refused
    sender = request.POST.get("from", "").strip()
    gateway_id = request.POST.get("id", "").strip()
    if not sender or not gateway_id or len(gateway_id) > GATEWAY_ID_MAX_LENGTH:
        return HttpResponseBadRequest(
            "from and id are required", content_type="text/plain; charset=utf-8"
        )
    try:
        phone = workflow.normalise_phone(sender)
    except workflow.InvalidPhone:
        phone = None  # an alphanumeric sender or a malformed number: nothing to answer
    digest = phone_digest(phone or sender)
    try:
        with transaction.atomic():
            record = InboundSms.objects.create(
                gateway_id=gateway_id, phone_digest=digest, received_at=timezone.now()
            )
    except IntegrityError:
        return _ok()  # the gateway's retry of a message already handled
    if phone is None:
        record.handled_as = "no_reply_number"
        record.save(update_fields=["handled_as"])
        return _ok()
    try:
        limits.hit("sms-per-phone", phone)
    except limits.LimitExceeded as error:
        return _flooded(record, digest, phone, error)
    message = parse(request.POST.get("text", ""))
    try:
        language = language_for(digest, message)
        with translation.override(language):
            reply = handle(message, phone=phone, gateway_id=gateway_id, language=language)
    except Exception:
        # A fault of ours, not the citizen's input: let the gateway's retry be handled (a
        # submission is still made once, by its idempotency key).
        record.delete()
        raise
    record.handled_as = message.intent.value
    record.case = reply.case
    record.save(update_fields=["handled_as", "case"])
    try:
        send_sms(phone, reply.text, case=reply.case, purpose="sms_reply")
    except SMSDeliveryError:
        logger.warning("SMS reply to inbound message %s not accepted by the gateway", record.pk)
        if message.intent == Intent.SUBMIT and reply.case is not None:
            # The citizen never got the reference: the "received" message, queued and
            # retried, gives it (and the way to a new PIN; the PIN itself is never queued).
            notifications.submission_reply_lost(reply.case)
    return _ok()


def _flooded(record: InboundSms, digest: str, phone: str, error) -> HttpResponse:
    """Past the number's limit: not read. The first refusal is answered, once; after it,
    nothing is sent (each reply costs money: a flood must not make us send thousands)."""
    record.handled_as = "limited"
    record.save(update_fields=["handled_as"])
    if error.first_refusal:
        preference = PhonePreference.objects.filter(phone_digest=digest).first()
        with translation.override(preference.language if preference else default_language()):
            try:
                send_sms(phone, _prefixed(error.message), purpose="sms_reply")
            except SMSDeliveryError:
                logger.warning("SMS refusal to inbound message %s not accepted", record.pk)
    return _ok()


def _ok() -> HttpResponse:
    return HttpResponse("OK", content_type="text/plain; charset=utf-8")


def default_language() -> str:
    """Swahili for phones (most who text us use it), unless the site offers no Swahili."""
    codes = [code for code, _name in settings.LANGUAGES]
    return "sw" if "sw" in codes else settings.LANGUAGE_CODE


def language_for(digest: str, message: Request) -> str:
    """The keyword's language (remembered for this number), else the number's remembered
    one, else the default."""
    if message.language:
        PhonePreference.objects.update_or_create(
            phone_digest=digest, defaults={"language": message.language}
        )
        return message.language
    preference = PhonePreference.objects.filter(phone_digest=digest).first()
    return preference.language if preference is not None else default_language()


# --- the handlers: plain functions a test may call without HTTP ----------------------------


def handle(message: Request, *, phone: str, gateway_id: str, language: str) -> Reply:
    """The reply to one parsed SMS from `phone` (E.164), in the active language."""
    client = f"phone:{phone_digest(phone)}"
    try:
        if message.intent == Intent.SUBMIT:
            return _submit(message, phone, gateway_id, language)
        if message.intent == Intent.TRACK:
            return _track(message, client)
        if message.intent == Intent.ADD_INFORMATION:
            return _add_information(message, client)
        if message.intent in (Intent.DISPUTE, Intent.CONFIRM):
            return _answer_resolution(message, phone, client)
    except workflow.WorkflowError as error:  # the proof's and the workflow's own words
        return Reply(_prefixed(str(error.message)))
    except limits.LimitExceeded as error:
        return Reply(_prefixed(error.message))
    return Reply(help_text(language))


def help_text(language: str) -> str:
    return _(
        "Mrejesho SMS: %(complaint)s <code> <text> (or %(suggestion)s, %(inquiry)s, "
        "%(compliment)s). %(track)s <ref>. <ref> <PIN> <information>. %(no)s <ref> if not "
        "resolved."
    ) % {
        "complaint": keyword(Intent.SUBMIT, language, Kind.COMPLAINT),
        "suggestion": keyword(Intent.SUBMIT, language, Kind.SUGGESTION),
        "inquiry": keyword(Intent.SUBMIT, language, Kind.INQUIRY),
        "compliment": keyword(Intent.SUBMIT, language, Kind.COMPLIMENT),
        "track": keyword(Intent.TRACK, language),
        "no": keyword(Intent.DISPUTE, language),
    }


def keyword(intent: Intent, language: str, kind: str = "") -> str:
    """The word the keyword table teaches for this intent in this language."""
    for row_intent, row_kind, row_language, words in KEYWORDS:
        if (row_intent, row_kind, row_language) == (intent, kind, language):
            return words[0]
    return keyword(intent, "en", kind) if language != "en" else ""


def _prefixed(text: str, case: Case | None = None) -> str:
    if case is None:
        return f"Mrejesho: {text}"
    return f"Mrejesho {references.format_reference(case.reference)}: {text}"


def subject_of(text: str) -> str:
    """A case's subject from an SMS: its first words, as many as fit."""
    words, subject = text.split(), ""
    for word in words:
        candidate = f"{subject} {word}".strip()
        if len(candidate) > SUBJECT_LIMIT:
            return (subject or word[:SUBJECT_LIMIT]) + "..."
        subject = candidate
    return subject


def _submit(message: Request, phone: str, gateway_id: str, language: str) -> Reply:
    institution = None
    if message.institution_code:
        institution = Institution.objects.filter(
            short_code=message.institution_code, is_active=True
        ).first()
        if institution is None:
            return Reply(
                _prefixed(
                    _("No institution has the code %(code)s. Check it, or send %(help)s.")
                    % {"code": message.institution_code, "help": keyword(Intent.HELP, language)}
                )
            )
    if not message.text:
        if not message.institution_code:  # the keyword alone: how to write the message
            return Reply(help_text(language))
        return Reply(
            _prefixed(
                _("Write your message after the code, for example: %(example)s")
                % {
                    "example": f"{keyword(Intent.SUBMIT, language, message.kind)} "
                    f"{message.institution_code} ..."
                }
            )
        )
    if not Case.objects.filter(channel=Channel.SMS, idempotency_key=f"sms:{gateway_id}").exists():
        limits.hit("submissions-per-phone", phone)  # LimitExceeded: handle() answers it
    # No code at all: no wrong door, the case goes to screening at the top (workflow.route).
    submission = workflow.submit(
        kind=message.kind,
        subject=subject_of(message.text),
        description=message.text,
        institution=institution,
        channel=Channel.SMS,
        language=language,
        contact=workflow.ContactDetails(phone=phone, notify_by=NotifyBy.SMS),
        idempotency_key=f"sms:{gateway_id}",
    )
    case = submission.case
    ref = references.format_reference(case.reference)
    if submission.pin is None:  # PIN given once, with the first answer to this message
        return Reply(
            _prefixed(_("We already have this message: reference %(ref)s.") % {"ref": ref}), case
        )
    return Reply(
        _prefixed(
            _(
                "%(kind)s received. Reference %(ref)s PIN %(pin)s. Keep both. To follow it, "
                "send %(track)s %(ref)s"
            )
            % {
                "kind": case.get_kind_display(),
                "ref": ref,
                "pin": submission.pin,
                "track": keyword(Intent.TRACK, language),
            }
        ),
        case,
    )


def _checked_reference(message: Request) -> str:
    """The reference typed, its check digit checked before any look-up."""
    if not message.reference:
        raise workflow.MissingInformation(
            _("Send the keyword, then your reference number, for example: %(example)s")
            % {
                "example": f"{keyword(message.intent, translation.get_language() or 'en')} "
                "123 456 7890"
            }
        )
    try:
        return references.normalize(message.reference)
    except references.InvalidReference as error:
        raise workflow.MissingInformation(str(error.message)) from error


def _look_up(message: Request, client: str) -> Case:
    """The case a number names without a PIN: counted against the number's look-ups."""
    reference = _checked_reference(message)
    citizens.limit_lookups(client, per=limits.PHONE)
    case = Case.objects.select_related("institution").filter(reference=reference).first()
    if case is None:
        raise citizens.UnknownReference(_("No case has this number. Check it and try again."))
    return case


def _proved(message: Request, client: str) -> Case:
    """The case the reference and PIN prove (citizens.prove and its throttles)."""
    actor = citizens.prove(message.reference, message.pin, client, per=limits.PHONE)
    return Case.objects.select_related("institution").get(pk=actor.case_id)


def _date(value) -> str:
    return formats.date_format(timezone.localtime(value), "j M Y") if value else ""


def status_text(case: Case) -> str:
    """Status and dates: what the web shows anyone who types the reference."""
    values = {
        "status": case.get_status_display(),
        "submitted": _date(case.submitted_at),
        "due": _date(case.acknowledge_due if case.status == Status.SUBMITTED else case.resolve_due),
        "date": _date(case.closed_at if case.status == Status.CLOSED else case.resolved_at),
    }
    if case.status == Status.SUBMITTED and case.acknowledge_due:
        text = _("Status: %(status)s. Received %(submitted)s. To be acknowledged by %(due)s.")
    elif case.status in (Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REOPENED):
        text = _("Status: %(status)s. Received %(submitted)s. Answer due by %(due)s.")
    elif (case.status == Status.RESOLVED and case.resolved_at) or (
        case.status == Status.CLOSED and case.closed_at
    ):
        text = _("Status: %(status)s on %(date)s.")
    else:
        text = _("Status: %(status)s. Received %(submitted)s.")
    return _prefixed(text % values, case)


def _track(message: Request, client: str) -> Reply:
    if not message.pin:
        return Reply(status_text(_look_up(message, client)))
    case = _proved(message, client)
    text = status_text(case)
    answer = tracking.last_answer(case)
    if answer is not None:
        text = f"{text} {_('Last answer:')} {' '.join(answer.body.split())}"
    return Reply(_fit(text, ANSWER_LIMIT), case)


def _add_information(message: Request, client: str) -> Reply:
    if not message.pin:
        return Reply(
            _prefixed(
                _("To add information, send your reference, PIN and text: %(example)s")
                % {"example": "123 456 7890 1234 ..."}
            )
        )
    case = _proved(message, client)
    case = workflow.perform(
        "add_information", case, by=workflow.citizen_of(case), body=message.text
    )
    return Reply(_prefixed(str(workflow.ACTIONS["add_information"].thanks), case), case)


def is_contact_number(case: Case, phone: str) -> bool:
    """Whether `phone` (E.164) is the number on the case's contact, which the SMS saying
    "resolved" went to: compared by digest, as the channels keep numbers."""
    return Contact.objects.filter(
        case=case, erased_at=None, phone_digest=phone_digest(phone)
    ).exists()


def _answer_resolution(message: Request, phone: str, client: str) -> Reply:
    """YES/NDIYO closes a resolved case, NO/HAPANA disputes it (reopened with priority)."""
    action = "dispute" if message.intent == Intent.DISPUTE else "close"
    language = translation.get_language() or "en"
    if message.pin:
        case = _proved(message, client)
    else:
        case = _look_up(message, client)
        if not is_contact_number(case, phone):
            return Reply(
                _prefixed(
                    _("This number is not the one on the case. Send %(example)s instead.")
                    % {
                        "example": f"{references.format_reference(case.reference)} <PIN> "
                        f"{keyword(message.intent, language)}"
                    }
                )
            )
    if case.status != Status.RESOLVED:
        return Reply(
            _prefixed(
                _("This case is not waiting for your answer: %(status)s.")
                % {"status": case.get_status_display()},
                case,
            ),
        )
    case = workflow.perform(
        action, case, by=workflow.citizen_of(case), reason=message.text, message=message.text
    )
    return Reply(_prefixed(str(workflow.ACTIONS[action].thanks), case), case)


def _fit(text: str, limit: int) -> str:
    # "..." rather than an ellipsis character: GSM-7 has none, and one would make the whole
    # message UCS-2 (70 characters a part instead of 160).
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def unreadable_input(request):
    """What config.middleware answers for a callback form it could not read (not UTF-8, a
    NUL, which no SMS carries): 200, so the gateway does not retry it, and no reply, as nothing
    in the form, not even the sender, can be trusted."""
    logger.warning("unreadable inbound SMS callback ignored")
    return _ok()
