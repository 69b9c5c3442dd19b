"""The query strings of the public performance pages and the ranking, validated: only the
fields declared here reach a query."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from feedback.reports import periods


class PeriodForm(forms.Form):
    """A performance page's period: a calendar year, or (no year) the last twelve months."""

    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        min_value=periods.FIRST_YEAR,
        error_messages={
            "invalid": _("Give a year as four digits, such as 2026."),
            "min_value": _("Figures start in %(limit_value)s."),
        },
    )

    def __init__(self, data=None, *, today: date, **kwargs):
        super().__init__(data if data is not None else {}, **kwargs)
        self.today = today

    def clean_year(self) -> int | None:
        year = self.cleaned_data["year"]
        if year is not None and year > self.today.year:
            raise forms.ValidationError(_("There are no figures for a year that has not begun."))
        return year

    def period(self) -> tuple[date, date]:
        """[first day, last day]; call after is_valid()."""
        year = self.cleaned_data["year"]
        if year is None:
            return periods.last_twelve_months(self.today)
        return periods.calendar_year(year, self.today)


class RankingForm(forms.Form):
    """The ranking's month, as YYYY-MM; none: the last whole month."""

    month = forms.CharField(
        label=_("Month"),
        required=False,
        max_length=7,
        validators=[
            RegexValidator(
                r"^[0-9]{4}-[0-9]{2}$", _("Give a month as year and month, such as 2026-10.")
            )
        ],
    )

    def __init__(self, data=None, *, today: date, **kwargs):
        super().__init__(data if data is not None else {}, **kwargs)
        self.today = today

    def clean_month(self) -> date:
        value = self.cleaned_data["month"]
        if not value:
            return periods.previous_month(self.today)
        year, month = int(value[:4]), int(value[5:])
        if not 1 <= month <= 12:
            raise forms.ValidationError(_("Give a month as year and month, such as 2026-10."))
        if year < periods.FIRST_YEAR:
            raise forms.ValidationError(
                _("Figures start in %(year)s."), params={"year": periods.FIRST_YEAR}
            )
        first = date(year, month, 1)
        if first > self.today:
            raise forms.ValidationError(_("There are no figures for a month that has not begun."))
        return first
