"""The public performance pages: the list of institutions, one institution's figures (with its
sub-units) and the monthly ranking. Thin: a form validates the query string, figures.py and
ranking.py compute, the template shows; figures come from nowhere else."""

from __future__ import annotations

from decimal import Decimal

from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from config.page_cache import public_page
from feedback.models import Institution
from feedback.reports import periods
from feedback.reports.charts import trend_chart
from feedback.reports.figures import HEADLINE, TREND, compute_figures, compute_summaries
from feedback.reports.forms import PeriodForm, RankingForm
from feedback.reports.ranking import INDICATORS, MIN_CASES, RANKED_LEVELS, TOTAL_WEIGHT, rank

# How each figure reads: a count, a share (0..1) shown as a percentage, working days, a rating.
COUNT, SHARE, DAYS, RATING = "count", "share", "days", "rating"
KINDS = {
    "acknowledged_within_charter_share": SHARE,
    "resolved_within_charter_share": SHARE,
    "disputed_share": SHARE,
    "median_days_to_acknowledge": DAYS,
    "p90_days_to_acknowledge": DAYS,
    "median_days_to_resolve": DAYS,
    "p90_days_to_resolve": DAYS,
    "average_satisfaction": RATING,
}
# The figures a citizen sees first, in plain words: (attribute, name, what it means).
KEY_FIGURES = [
    (
        "received",
        _("Cases received"),
        _("Complaints, questions, suggestions and compliments citizens sent in this period."),
    ),
    (
        "resolved_within_charter_share",
        _("Resolved on time"),
        _("Of the cases whose deadline has come, how many were answered by the promised date."),
    ),
    (
        "median_days_to_resolve",
        _("Usual time to resolve"),
        _("Half of the resolved cases took this many working days or fewer."),
    ),
    (
        "acknowledged_within_charter_share",
        _("Acknowledged on time"),
        _("How many cases got a first reply by the date the service charter promises."),
    ),
    ("open", _("Still open"), _("Cases still waiting for an answer today.")),
    ("overdue", _("Overdue"), _("Open cases already past their deadline today.")),
    (
        "average_satisfaction",
        _("Citizens' rating"),
        _("The average rating citizens gave the answers, from 1 (poor) to 5 (very good)."),
    ),
    (
        "disputed_share",
        _("Answers disputed"),
        _("Of the answered cases, how many citizens rated poorly, reopened or appealed."),
    ),
    (
        "escalated",
        _("Escalated"),
        _("Cases passed to the level above, most often because a deadline was missed."),
    ),
    (
        "appeals_upheld",
        _("Appeals won by citizens"),
        _("Cases where the level above agreed with the citizen on appeal."),
    ),
]
NOT_MEASURED = pgettext_lazy("a figure with nothing to measure", "none yet")


def shown(value, kind: str = COUNT) -> str:
    """A figure as the page prints it; a share with one decimal, as a percentage."""
    if value is None:
        return str(NOT_MEASURED)
    if kind == SHARE:
        return f"{(Decimal(value) * 100).quantize(Decimal('0.1'))}%"
    if kind == DAYS:
        return ngettext("%(days)s working day", "%(days)s working days", value) % {"days": value}
    if kind == RATING:
        return str(_("%(rating)s of 5") % {"rating": value})
    return str(value)


def _figure(figures, attribute: str, name, meaning) -> dict:
    value = getattr(figures, attribute)
    return {
        "key": attribute,
        "name": name,
        "meaning": meaning,
        "value": shown(value, KINDS.get(attribute, COUNT)),
    }


def _today():
    return timezone.localdate(timezone.now())


# The figures change with every case action: kept PERFORMANCE_PAGE_CACHE_SECONDS, never cleared
# per action (config.page_cache).
@public_page(setting="PERFORMANCE_PAGE_CACHE_SECONDS")
def index(request):
    """Every active institution, as the tree: each links to its page."""
    institutions = list(Institution.objects.filter(is_active=True).order_by("path"))
    roots, stack = [], []
    for institution in institutions:
        node = {"institution": institution, "children": []}
        while stack and not institution.path.startswith(stack[-1]["institution"].path):
            stack.pop()
        (stack[-1]["children"] if stack else roots).append(node)
        stack.append(node)
    return TemplateResponse(request, "reports/performance_index.html", {"tree": roots})


def by_id(request, pk: int):
    """The outcome pages know institutions by id: send them to the page named by short code."""
    institution = get_object_or_404(Institution, pk=pk)
    return redirect("performance:institution", code=institution.short_code, permanent=True)


@public_page(setting="PERFORMANCE_PAGE_CACHE_SECONDS")
def institution(request, code: str):
    institution = get_object_or_404(Institution, short_code=code)
    now = timezone.now()
    form = PeriodForm(request.GET, today=timezone.localdate(now))
    if not form.is_valid():
        context = {"institution": institution, "form": form, "has_errors": True}
        return TemplateResponse(request, "reports/performance.html", context, status=400)
    date_from, date_to = form.period()
    figures = compute_figures(institution, date_from, date_to, subunits=True, now=now)
    counted = {tally.key: tally.count for tally in figures.by_subunit}
    children = [
        {"institution": child, "received": counted.get(child.short_code, 0)}
        for child in institution.get_children().filter(is_active=True)
    ]
    year = form.cleaned_data["year"]
    this_year = timezone.localdate(now).year
    context = {
        "institution": institution,
        "ancestors": institution.get_ancestors(),
        "form": form,
        "figures": figures,
        "year": year,
        # This year and the four before it (older years by address: ?year=...).
        "years": range(this_year, max(periods.FIRST_YEAR, this_year - 4) - 1, -1),
        "key_figures": [_figure(figures, *row) for row in KEY_FIGURES],
        "all_figures": [_figure(figures, *row) for row in HEADLINE],
        "rated": figures.rated,
        "trend_labels": [name for _key, name, _meaning in TREND],
        "trend": figures.trend,
        # The PDF's own chart (plain SVG, escaped text, no script), the table beside it.
        "trend_chart": mark_safe(trend_chart(figures)),  # nosec B308 B703  # trend_chart escapes every text it draws
        "itself": counted.get(institution.short_code, 0),
        "children": children,
    }
    return TemplateResponse(request, "reports/performance.html", context)


@public_page(setting="PERFORMANCE_PAGE_CACHE_SECONDS")
def ranking(request):
    today = _today()
    form = RankingForm(request.GET, today=today)
    if not form.is_valid():
        return TemplateResponse(
            request, "reports/ranking.html", {"form": form, "has_errors": True}, status=400
        )
    month = form.cleaned_data["month"]
    date_from, date_to = periods.calendar_month(month, today)
    institutions = list(
        Institution.objects.filter(level__in=RANKED_LEVELS, is_active=True).order_by("path")
    )
    summaries = compute_summaries(institutions, date_from, date_to)
    ranked, unranked = rank((i.display_name, summaries[i.short_code]) for i in institutions)
    earlier, later = periods.month_start(month, back=1), periods.month_start(month, back=-1)
    context = {
        "form": form,
        "month": month,
        "date_to": date_to,
        "running": date_to < periods.month_end(month),
        "previous": earlier if earlier.year >= periods.FIRST_YEAR else None,
        "next": later if later <= today else None,
        "ranked": ranked,
        "unranked": unranked,
        "indicators": INDICATORS,
        "total_weight": TOTAL_WEIGHT,
        "min_cases": MIN_CASES,
        "levels": [Institution.Level(level).label for level in RANKED_LEVELS],
    }
    return TemplateResponse(request, "reports/ranking.html", context)
