"""What the citizen (and the level above) is told when a case changes, in the citizen's language.

Messages go out on the channel the citizen used: SMS for USSD and SMS cases, otherwise SMS or
e-mail as the citizen chose. Each is queued with the change that caused it (feedback.tasks).
"""

from django.apps import apps
from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from feedback import references
from feedback.models import Appeal, Case, Channel, Contact, NotifyBy, Role, StaffProfile, Status
from feedback.tasks import deliver_email, deliver_sms, enqueue_with_change

SMS_TEXT_LIMIT = 300  # two concatenated SMS parts; longer answers are on the tracking page


def _date(value) -> str:
    return formats.date_format(timezone.localtime(value), "j M Y") if value else ""


def _short(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tracking_url(case: Case) -> str:
    """The case on the feedback page that editors placed, in the citizen's language."""
    feedback_page = apps.get_model("pages", "FeedbackPage")  # pages imports this app
    page = feedback_page.objects.live().filter(locale__language_code=case.language).first()
    path = page.get_url() if page is not None else f"/{case.language}/feedback/"
    return f"{settings.SITE_URL}{path}track/{case.reference}/"


def _messages(case: Case, action: str, body: str) -> str | None:
    """The text for one event, in the active language; None when the citizen is not told."""
    ref = references.format_reference(case.reference)
    place = str(case.handling_institution)
    texts = {
        "acknowledge": lambda: (
            _("Mrejesho %(ref)s: %(place)s has received your feedback and will answer by %(date)s.")
            % {"ref": ref, "place": place, "date": _date(case.resolve_due)}
        ),
        "request_information": lambda: (
            _(
                "Mrejesho %(ref)s: %(place)s needs more information: %(question)s "
                "Reply with your reference and PIN."
            )
            % {"ref": ref, "place": place, "question": _short(body)}
        ),
        "resolve": lambda: (
            _(
                "Mrejesho %(ref)s: your case is resolved: %(answer)s "
                "Not satisfied? Reopen it by %(date)s."
            )
            % {"ref": ref, "answer": _short(body), "date": _date(case.reopen_until)}
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
            % {"ref": ref, "place": place, "message": _short(body), "date": _date(case.expected_by)}
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
                "reasons": _short(body),
            }
        ),
        "dismiss_appeal": lambda: (
            _("Mrejesho %(ref)s: decision on your appeal: %(decision)s %(reasons)s")
            % {
                "ref": ref,
                "decision": Appeal.Decision.DISMISSED.label,
                "reasons": _short(body),
            }
        ),
        "reply": lambda: (
            _("Mrejesho %(ref)s: new message from %(place)s: %(message)s")
            % {"ref": ref, "place": place, "message": _short(body)}
        ),
    }
    make = texts.get(action)
    return make() if make else None


def _reachable_contact(case: Case) -> Contact | None:
    try:
        contact = case.contact
    except Contact.DoesNotExist:
        return None
    return None if contact.erased_at else contact


def _send_to_citizen(case: Case, text: str, subject: str) -> None:
    contact = _reachable_contact(case)
    if contact is None:
        return
    by_sms = case.channel in (Channel.USSD, Channel.SMS) or contact.notify_by == NotifyBy.SMS
    if by_sms and contact.phone:
        enqueue_with_change(deliver_sms, contact.phone, text[:SMS_TEXT_LIMIT])
    elif contact.notify_by == NotifyBy.EMAIL and contact.email:
        body = f"{text}\n\n{tracking_url(case)}"
        enqueue_with_change(deliver_email, [contact.email], subject, body)


def case_submitted(case: Case, pin: str) -> None:
    with translation.override(case.language):
        text = _(
            "Mrejesho: we received your %(kind)s for %(place)s. Reference %(ref)s, PIN %(pin)s. "
            "Keep them to follow your case."
        ) % {
            "kind": case.get_kind_display().lower(),
            "place": case.institution,
            "ref": references.format_reference(case.reference),
            "pin": pin,
        }
        _send_to_citizen(case, text, _("Your feedback %(ref)s") % {"ref": case.reference})


def case_changed(case: Case, action: str, event) -> None:
    with translation.override(case.language):
        text = _messages(case, action, event.body if event else "")
        if text is not None:
            _send_to_citizen(
                case, text, _("Update on your feedback %(ref)s") % {"ref": case.reference}
            )
    # Staff read the site's language, whatever language the citizen's request was in.
    with translation.override(settings.LANGUAGE_CODE):
        if action in ("escalate", "reopen"):
            _tell_level_above(case, case.handling_institution)
        elif action in ("appeal", "escalate_appeal"):
            _tell_level_above(case, case.appeal.institution)


def _tell_level_above(case: Case, level) -> None:
    """The leaders of the level a case climbed to hear of it by e-mail, in the site language."""
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
    enqueue_with_change(deliver_email, recipients, subject, body)
