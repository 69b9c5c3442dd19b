"""What the citizen (and the level above) is told when a case changes, in the citizen's language.

Messages go out on the channel the citizen used: SMS for USSD and SMS cases, otherwise SMS or
e-mail as the citizen chose. Each is queued with the change that caused it as a task holding
ids only; the text is written, and the contact looked up, when the task runs (feedback.tasks).
A contact erased in between is simply not written to.
"""

from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from feedback import references, sms_text
from feedback.models import (
    Appeal,
    Case,
    CaseEvent,
    Channel,
    Contact,
    Directive,
    Institution,
    NotifyBy,
    Role,
    StaffProfile,
    Status,
)
from feedback.sms import send_sms
from feedback.tasks import deliver_or_retry, enqueue_with_change


def _date(value) -> str:
    return formats.date_format(timezone.localtime(value), "j M Y") if value else ""


def _short(text: str, limit: int = 140) -> str:
    """The officer's words on one line, cut after a whole word (never inside a reference
    number) with "..." (not "…": one character outside GSM-7 makes an SMS UCS-2)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else sms_text.shorten(text, limit, "ucs2")


def tracking_url(case: Case) -> str:
    """The case on the feedback page that editors placed, in the citizen's language."""
    feedback_page = apps.get_model("pages", "FeedbackPage")  # pages imports this app
    page = feedback_page.objects.live().filter(locale__language_code=case.language).first()
    path = page.get_url() if page is not None else f"/{case.language}/feedback/"
    return f"{settings.SITE_URL}{path}track/{case.reference}/"


# The messages that quote the officer's words (the event's body).
FREE_TEXT_ACTIONS = frozenset(
    {
        "request_information",
        "resolve",
        "interim_reply",
        "uphold_appeal",
        "dismiss_appeal",
        "close_with_pointer",
        "reply",
    }
)


def _free_part(action: str, body: str) -> str:
    """The part of an event's message the officer wrote: what an SMS shortens to fit."""
    if action not in FREE_TEXT_ACTIONS:
        return ""
    if action == "close_with_pointer":
        return _short(body.split("\n", 1)[-1])
    return _short(body)


def _messages(case: Case, action: str, body: str) -> str | None:
    """The text for one event, in the active language; None when the citizen is not told."""
    ref = references.format_reference(case.reference)
    place = str(case.handling_institution)
    number = settings.SMS_SHORT_NUMBER
    free = _free_part(action, body)
    texts = {
        "acknowledge": lambda: (
            _("Mrejesho %(ref)s: %(place)s has received your feedback and will answer by %(date)s.")
            % {"ref": ref, "place": place, "date": _date(case.resolve_due)}
        ),
        "request_information": lambda: (
            (
                _(
                    "Mrejesho %(ref)s: %(place)s needs more information: %(question)s "
                    "Reply to %(number)s with %(compact)s, your PIN and your answer."
                )
                if number
                else _(
                    "Mrejesho %(ref)s: %(place)s needs more information: %(question)s "
                    "Answer at %(url)s with your reference and PIN."
                )
            )
            % {
                "ref": ref,
                "place": place,
                "question": free,
                "number": number,
                "compact": case.reference,
                "url": "" if number else tracking_url(case),
            }
        ),
        "resolve": lambda: (
            (
                _(
                    "Mrejesho %(ref)s: your case is resolved: %(answer)s "
                    "Not resolved? Reply NO %(compact)s to %(number)s by %(date)s."
                )
                if number
                else _(
                    "Mrejesho %(ref)s: your case is resolved: %(answer)s "
                    "Not satisfied? Reopen it by %(date)s."
                )
            )
            % {
                "ref": ref,
                "answer": free,
                "compact": case.reference,
                "number": number,
                "date": _date(case.reopen_until),
            }
        ),
        "escalate": lambda: (
            _(
                "Mrejesho %(ref)s: your case has been escalated to %(place)s, who will answer by "
                "%(date)s."
            )
            % {"ref": ref, "place": place, "date": _date(case.resolve_due)}
        ),
        "refer": lambda: (
            _(
                "Mrejesho %(ref)s: your case has been passed to %(place)s, who will answer by "
                "%(date)s."
            )
            % {"ref": ref, "place": place, "date": _date(case.resolve_due)}
        ),
        "interim_reply": lambda: (
            _(
                "Mrejesho %(ref)s: %(place)s needs more time: %(message)s Expect an answer by "
                "%(date)s."
            )
            % {"ref": ref, "place": place, "message": free, "date": _date(case.expected_by)}
        ),
        "appeal": lambda: (
            _(
                "Mrejesho %(ref)s: your appeal was received by %(place)s, who will decide by "
                "%(date)s."
            )
            % {"ref": ref, "place": case.appeal.institution, "date": _date(case.appeal.due)}
        ),
        "escalate_appeal": lambda: (
            _(
                "Mrejesho %(ref)s: your appeal has been passed to %(place)s, who will decide by "
                "%(date)s."
            )
            % {"ref": ref, "place": case.appeal.institution, "date": _date(case.appeal.due)}
        ),
        "uphold_appeal": lambda: (
            _("Mrejesho %(ref)s: decision on your appeal: %(decision)s %(reasons)s")
            % {
                "ref": ref,
                "decision": Appeal.Decision.UPHELD.label,
                "reasons": free,
            }
        ),
        "dismiss_appeal": lambda: (
            _("Mrejesho %(ref)s: decision on your appeal: %(decision)s %(reasons)s")
            % {
                "ref": ref,
                "decision": Appeal.Decision.DISMISSED.label,
                "reasons": free,
            }
        ),
        "merge": lambda: (
            _(
                "Mrejesho %(ref)s: your case was joined to case %(into)s, which deals with the "
                "same matter. Follow it with your own reference and PIN: %(url)s"
            )
            % {
                "ref": ref,
                "into": references.format_reference(case.duplicate_of.reference),
                "url": tracking_url(case),
            }
        ),
        "close_with_pointer": lambda: (
            _(
                "Mrejesho %(ref)s: no public institution in this registry handles this matter. "
                "Please take it to: %(right_body)s. %(explanation)s"
            )
            % {
                "ref": ref,
                "right_body": body.split("\n", 1)[0],
                "explanation": free,
            }
        ),
        "reply": lambda: (
            _("Mrejesho %(ref)s: new message from %(place)s: %(message)s")
            % {"ref": ref, "place": place, "message": free}
        ),
    }
    make = texts.get(action)
    return make() if make else None


def _reachable_contact(case: Case) -> Contact | None:
    contact = Contact.objects.filter(case=case, erased_at=None).first()
    return contact if contact is not None and (contact.phone or contact.email) else None


def _by_sms(case: Case, contact: Contact) -> bool:
    """Phone-first: USSD and SMS cases are answered by SMS whatever else was given."""
    return bool(contact.phone) and (
        case.channel in (Channel.USSD, Channel.SMS) or contact.notify_by == NotifyBy.SMS
    )


def _wants_updates(case: Case, contact: Contact | None) -> bool:
    if contact is None:
        return False
    return _by_sms(case, contact) or (contact.notify_by == NotifyBy.EMAIL and bool(contact.email))


def _footer(text: str) -> list[str]:
    """Where the citizen can write or dial, in the active language, longest first; none when
    the text already names the SMS number or no channel is configured."""
    number, ussd = settings.SMS_SHORT_NUMBER, settings.USSD_CODE
    if number and number in text:
        return []
    if number and ussd:
        return [
            _("Questions? SMS HELP to %(number)s or dial %(ussd)s.")
            % {"number": number, "ussd": ussd},
            _("Help: SMS HELP to %(number)s.") % {"number": number},
        ]
    if number:
        return [_("Help: SMS HELP to %(number)s.") % {"number": number}]
    if ussd:
        return [_("Questions? Dial %(ussd)s.") % {"ussd": ussd}]
    return []


def sms_body(text: str, free: str = "") -> str:
    """An SMS in one segment where it can be: the SMS number (and the USSD code if it still
    fits) after the text, the officer's words shortened before anything else is; the fixed
    part is never cut, and a reference never split (feedback.sms_text.fit)."""
    footers = _footer(text)
    if not footers:
        return sms_text.fit(text, free=free)
    for footer in footers:
        fitted = sms_text.fit(f"{text} {footer}", free=free)
        if len(sms_text.parts(fitted)) == 1:
            return fitted
    return sms_text.fit(f"{text} {footers[-1]}", free=free)


def _send(
    case: Case, contact: Contact, text: str, subject: str, free: str = "", *, action="", event=None
) -> None:
    """Hand one message to the gateway now (inside a task); e-mails carry the tracking link."""
    if _by_sms(case, contact):
        send_sms(contact.phone, sms_body(text, free), case=case, event=event, purpose=action)
    else:
        send_mail(subject, f"{text}\n\n{tracking_url(case)}", None, [contact.email])


def _submitted_text(case: Case) -> str:
    # The PIN was shown once on screen and is kept nowhere readable: the message gives the
    # reference, and the way to a new PIN for a citizen who lost it.
    return _(
        "Mrejesho: we received your %(kind)s for %(place)s. Reference %(ref)s. Keep it with "
        "the PIN you were shown. Lost the PIN? Ask for a new one at %(url)s"
    ) % {
        "kind": case.get_kind_display().lower(),
        "place": case.institution,
        "ref": references.format_reference(case.reference),
        "url": tracking_url(case),
    }


def _citizen_text(case: Case, action: str, event: CaseEvent | None) -> tuple[str, str, str] | None:
    """(text, e-mail subject, the free part an SMS may shorten) for one event, in the active
    language; None if not told."""
    if action == "submit":
        return _submitted_text(case), _("Your feedback %(ref)s") % {"ref": case.reference}, ""
    body = event.body if event else ""
    text = _messages(case, action, body)
    if text is None:
        return None
    subject = _("Update on your feedback %(ref)s") % {"ref": case.reference}
    return text, subject, _free_part(action, body)


@task()
def notify_citizen(case_id: int, action: str, event_id: int | None = None, attempt: int = 1):
    """Tell the citizen of one event, written now in their language, on their channel."""

    def deliver():
        case = Case.objects.select_related("institution", "escalated_to").filter(pk=case_id)
        case = case.first()
        contact = _reachable_contact(case) if case is not None else None
        if not _wants_updates(case, contact):
            return  # erased, or asked for no updates, since the change was queued
        event = CaseEvent.objects.filter(pk=event_id, case=case).first() if event_id else None
        with translation.override(case.language):
            message = _citizen_text(case, action, event)
            if message is not None:
                _send(case, contact, *message, action=action, event=event)

    deliver_or_retry(
        notify_citizen, attempt, deliver, case_id=case_id, action=action, event_id=event_id
    )


def _queue_for_citizen(case: Case, action: str, event: CaseEvent | None) -> None:
    if not _wants_updates(case, _reachable_contact(case)):
        return
    with translation.override(case.language):
        if _citizen_text(case, action, event) is None:
            return
    enqueue_with_change(
        notify_citizen, case_id=case.pk, action=action, event_id=event.pk if event else None
    )


def case_submitted(case: Case, event: CaseEvent | None = None) -> None:
    # A case sent by SMS is answered by the channel itself, at once, with its reference and
    # PIN (feedback.channels.sms): a second "received" SMS would only repeat it.
    if case.channel == Channel.SMS:
        return
    _queue_for_citizen(case, "submit", event)


def submission_reply_lost(case: Case) -> None:
    """The SMS channel's own answer to a submission (reference and PIN) was not accepted by
    the gateway: queue the "received" message instead, which names the reference and the way
    to a new PIN, and is retried until the gateway takes it."""
    _queue_for_citizen(case, "submit", case.events.filter(action="submit").first())


def case_changed(case: Case, action: str, event) -> None:
    _queue_for_citizen(case, action, event)
    if action in ("escalate", "reopen"):
        level = case.handling_institution
    elif action in ("appeal", "escalate_appeal"):
        level = case.appeal.institution
    else:
        return
    enqueue_with_change(notify_leaders, case_id=case.pk, institution_id=level.pk)


@task()
def notify_leaders(case_id: int, institution_id: int, attempt: int = 1):
    """The leaders of the level a case climbed to hear of it by e-mail, in the site language
    (staff read it, whatever language the citizen's request was in)."""

    def deliver():
        case = Case.objects.select_related("institution").filter(pk=case_id).first()
        level = Institution.objects.filter(pk=institution_id).first()
        if case is None or level is None:
            return
        with translation.override(settings.LANGUAGE_CODE):
            _tell_level_above(case, level)

    deliver_or_retry(
        notify_leaders, attempt, deliver, case_id=case_id, institution_id=institution_id
    )


def _tell_level_above(case: Case, level: Institution) -> None:
    recipients = list(
        StaffProfile.objects.filter(
            institution=level,
            role__in=[Role.LEAD, Role.OVERSIGHT],
            user__is_active=True,
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not recipients:
        return
    subject = _("Case %(ref)s escalated to %(place)s") % {"ref": case.reference, "place": level}
    body = _(
        "Case %(ref)s (%(subject)s) from %(institution)s is now with %(place)s at escalation "
        "level %(level)s. It must be answered by %(date)s."
    ) % {
        "ref": case.reference,
        "subject": case.subject,
        "institution": case.institution,
        "place": level,
        "level": case.escalation_level,
        "date": _date(case.appeal.due if case.status == Status.APPEALED else case.resolve_due),
    }
    send_mail(subject, body, None, recipients)


def directive_given(directive) -> None:
    """Queue the e-mail that tells the institution handling the case of a leader's directive
    (its feedback leads and the officer assigned), with the change that made it."""
    enqueue_with_change(notify_directive, directive_id=directive.pk)


@task()
def notify_directive(directive_id: int, attempt: int = 1):
    """The leads of the handling institution (up to the leader's level) and the assigned
    officer hear of a directive by e-mail, in the site language; it also waits in their
    inbox and on their dashboard (feedback.workspace.queues)."""

    def deliver():
        directive = (
            Directive.objects.select_related("case", "issued_by_institution")
            .filter(pk=directive_id, answered_at__isnull=True)
            .first()
        )
        if directive is None:
            return  # answered (or gone) before the task ran
        with translation.override(settings.LANGUAGE_CODE):
            _tell_of_directive(directive)

    deliver_or_retry(notify_directive, attempt, deliver, directive_id=directive_id)


def _tell_of_directive(directive) -> None:
    case = directive.case
    handling = case.handling_institution
    # The feedback leads of the handling institution and of the levels between it and the
    # leader who gave the directive (a unit often has none of its own).
    levels = [
        level
        for level in [*handling.get_ancestors(), handling]
        if level.depth > directive.issued_by_institution.depth
    ]
    users = StaffProfile.objects.filter(
        institution__in=levels, role=Role.LEAD, user__is_active=True
    ).values_list("user__email", flat=True)
    recipients = {email for email in users if email}
    if case.assigned_to_id and case.assigned_to.email:
        recipients.add(case.assigned_to.email)
    if not recipients:
        return
    subject = _("Directive on case %(ref)s") % {"ref": case.reference}
    body = _(
        "%(leader)s has given a directive on case %(ref)s (%(subject)s): %(instruction)s "
        "Answer it on the case page by %(date)s."
    ) % {
        "leader": directive.issued_by_institution,
        "ref": case.reference,
        "subject": case.subject,
        "instruction": directive.instruction,
        "date": _date(directive.due),
    }
    send_mail(subject, body, None, sorted(recipients))


def pin_recipient(case: Case) -> Contact | None:
    """Where a new PIN may go: the phone or e-mail address on file, not erased."""
    return _reachable_contact(case)


def send_new_pin(case: Case, contact: Contact, pin: str) -> None:
    """Hand a new PIN to the gateway at once: it is never queued, so no row ever holds it.
    Phone-first cases get it by SMS, as their notifications; others by e-mail if given."""
    with translation.override(case.language):
        text = _("Mrejesho %(ref)s: your new PIN is %(pin)s. Your old PIN no longer works.") % {
            "ref": references.format_reference(case.reference),
            "pin": pin,
        }
        subject = _("Your new PIN for %(ref)s") % {"ref": case.reference}
        if contact.phone and (_by_sms(case, contact) or not contact.email):
            send_sms(contact.phone, sms_body(text), case=case, purpose="new_pin")
        else:
            send_mail(subject, f"{text}\n\n{tracking_url(case)}", None, [contact.email])


def send_receipt(case: Case, phone: str, pin: str) -> None:
    """Hand a service point's receipt (reference and PIN) to the SMS gateway at once, in the
    citizen's language: like a new PIN, it is never queued, so no row ever holds the PIN.
    Raises SMSDeliveryError if the gateway refuses it; the agent then says so on paper."""
    with translation.override(case.language):
        text = _(
            "Mrejesho: %(place)s received your feedback. Reference %(ref)s, PIN %(pin)s. "
            "Keep both to follow your case at %(url)s or at a service point."
        ) % {
            "place": case.institution,
            "ref": references.format_reference(case.reference),
            "pin": pin,
            "url": tracking_url(case),
        }
        body = sms_body(text)
    send_sms(phone, body, case=case, purpose="receipt")
