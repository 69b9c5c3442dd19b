"""The parameters the Open311 endpoints read, and nothing else: GET requests' filters and a
POSTed service request. A parameter that is sent empty counts as absent (the spec's
"Optional Arguments")."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from feedback import references
from feedback.models import Kind

WINDOW = timedelta(days=90)  # the spec's default and widest window
MAX_RESULTS = 1000  # the spec's default cap, newest first
MAX_IDS = 100  # below the per-address look-up limit (each id named is a look-up)


def _comma_list(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class W3DateTimeField(forms.Field):
    """A W3C date-time ("2010-01-01T00:00:00Z", "2010-01-01T03:00:00+03:00") or a date; a time
    without zone is read in settings.TIME_ZONE (the spec asks clients to send the zone)."""

    default_error_messages = {
        "invalid": _("Use a W3C date-time such as 2026-01-01T00:00:00Z."),
    }

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        if len(value) > 40:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            moment = parse_datetime(value)
            if moment is None:
                day = parse_date(value)
                moment = day and datetime.combine(day, time.min)
        except ValueError:
            moment = None
        if moment is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment


class RequestFilterForm(forms.Form):
    service_request_id = forms.CharField(required=False, max_length=12 * MAX_IDS)
    service_code = forms.CharField(required=False, max_length=2000)
    start_date = W3DateTimeField(required=False)
    end_date = W3DateTimeField(required=False)
    status = forms.CharField(required=False, max_length=40)

    def clean_service_request_id(self) -> list[str]:
        wanted = _comma_list(self.cleaned_data["service_request_id"])
        if len(wanted) > MAX_IDS:
            raise forms.ValidationError(
                _("Ask for at most %(count)s service_request_id at once."),
                params={"count": MAX_IDS},
            )
        try:
            return [references.normalize(raw) for raw in wanted]
        except references.InvalidReference as error:
            raise forms.ValidationError(error.message) from None

    def clean_service_code(self) -> list[str]:
        return _comma_list(self.cleaned_data["service_code"])

    def clean_status(self) -> list[str]:
        statuses = [status.lower() for status in _comma_list(self.cleaned_data["status"])]
        if any(status not in ("open", "closed") for status in statuses):
            raise forms.ValidationError(_("A status is open or closed."))
        return statuses

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        start, end = data.get("start_date"), data.get("end_date")
        if start is None and end is None:
            end = timezone.now()
        if start is None:
            start = end - WINDOW
        if end is None:
            end = start + WINDOW
        if start > end:
            raise forms.ValidationError(_("start_date must come before end_date."))
        if end - start > WINDOW:
            raise forms.ValidationError(
                _("The dates may span at most %(days)s days."), params={"days": WINDOW.days}
            )
        data["start_date"], data["end_date"] = start, end
        return data


class SubmitForm(forms.Form):
    """POST requests' arguments. `device_id` is accepted and not kept; `media_url` is accepted
    and ignored: the registry never fetches an address a client gives (no request of ours
    may be aimed by a caller)."""

    service_code = forms.CharField(max_length=20)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90)
    long = forms.FloatField(required=False, min_value=-180, max_value=180)
    address_string = forms.CharField(required=False, max_length=200)
    address_id = forms.CharField(required=False, max_length=100)
    description = forms.CharField(max_length=4000)  # the spec's limit
    kind = forms.ChoiceField(required=False, choices=Kind.choices)
    # attribute[publish]: the citizen's consent to publish an anonymised outcome ("true").
    publish = forms.ChoiceField(required=False, choices=[("true", "true"), ("false", "false")])
    email = forms.EmailField(required=False)
    first_name = forms.CharField(required=False, max_length=100)
    last_name = forms.CharField(required=False, max_length=99)
    phone = forms.CharField(required=False, max_length=30)
    device_id = forms.CharField(required=False, max_length=200)
    account_id = forms.CharField(required=False, max_length=200)
    media_url = forms.CharField(required=False, max_length=2000)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        has_lat, has_long = data.get("lat") is not None, data.get("long") is not None
        if has_lat != has_long:
            raise forms.ValidationError(_("Send lat and long together."))
        if not (has_lat or data.get("address_string") or data.get("address_id")):
            raise forms.ValidationError(
                _("Give the location: lat and long, address_string or address_id.")
            )
        return data
