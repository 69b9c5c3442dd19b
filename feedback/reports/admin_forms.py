"""The admin's report form: the only parameters a report request may carry, each checked here
(an institution the user covers, a period in order, a language, a format the renderers know).
The public pages' query strings are validated in forms.py."""

from __future__ import annotations

from datetime import date

from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from feedback.reports import periods
from feedback.reports.delivery import FORMATS, available_formats, institutions_for


class Period(models.TextChoices):
    LAST_MONTH = "last_month", _("Last month")
    LAST_QUARTER = "last_quarter", _("Last quarter")
    LAST_YEAR = "last_year", _("Last year")
    CUSTOM = "custom", _("These dates")


def quick_period(choice: str, today: date) -> tuple[date, date]:
    """The last whole calendar month, quarter or year before `today`."""
    if choice == Period.LAST_MONTH:
        first = periods.month_start(today, back=1)
        return first, periods.month_end(first)
    if choice == Period.LAST_QUARTER:
        first = periods.month_start(today, back=(today.month - 1) % 3 + 3)
        return first, periods.month_end(periods.month_start(first, back=-2))
    if choice == Period.LAST_YEAR:
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    raise ValueError(f"not a quick period: {choice!r}")


INDENT = "\u2014 "


class InstitutionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        # Indented by depth so the tree shows in a plain <select>, with the code staff type.
        return f"{INDENT * (obj.depth - 1)}{obj.display_name} ({obj.short_code})"


class ReportForm(forms.Form):
    institution = InstitutionChoice(
        label=_("Institution"), queryset=None, empty_label=_("Choose an institution")
    )
    subunits = forms.BooleanField(
        label=_("Include its sub-units"),
        required=False,
        initial=True,
        help_text=_("Count the cases of every institution below it in the tree too."),
    )
    period = forms.ChoiceField(
        label=_("Period"),
        choices=Period.choices,
        initial=Period.LAST_MONTH,
        widget=forms.RadioSelect,
        help_text=_("By the date each case was submitted, both days included."),
    )
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Only with “These dates”."),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Only with “These dates”."),
    )
    language = forms.ChoiceField(
        label=_("Language of the report"),
        choices=settings.LANGUAGES,
        widget=forms.RadioSelect,
    )
    format = forms.ChoiceField(label=_("Format"), widget=forms.RadioSelect)

    def __init__(self, *args, user, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["institution"].queryset = institutions_for(user)
        formats = available_formats()
        self.fields["format"].choices = [(name, FORMATS[name][0]) for name in formats]
        self.fields["format"].initial = formats[0]

    def clean(self):
        data = super().clean()
        period = data.get("period")
        if period and period != Period.CUSTOM:
            data["date_from"], data["date_to"] = quick_period(period, self.today)
        elif period == Period.CUSTOM:
            for name in ("date_from", "date_to"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Give this date, or choose a period above."))
            date_from, date_to = data.get("date_from"), data.get("date_to")
            if date_from and date_to and date_from > date_to:
                self.add_error("date_to", _("The last day must not be before the first day."))
        return data
