"""The public ranking of institutions: a published index in the spirit of India's Grievance
Redressal Assessment and Index (GRAI, Department of Administrative Reforms and Public
Grievances), defined once here and shown, weights and all, on the ranking page.

`rank(entries)` is a pure function from figures (anything with the attributes of
figures.Summary or figures.Figures) to scores: no query, no request, no clock.

The index: four indicators, each scaled to 0..1 where 1 is best, weighted and summed to a
score out of 100.
- Timeliness (weight 40): the share of cases due that were resolved within the charter.
- Citizen satisfaction (30): the average rating, 1 to 5, mapped to 0..1 as (average - 1) / 4.
- Appeals upheld (15, lower is better): 1 minus the share of answered cases whose appeal was
  decided in the citizen's favour.
- Reopening (15, lower is better): 1 minus the share of resolved cases the citizen reopened.
An indicator with nothing to measure (no case due, no rating, nothing answered or resolved)
is left out and the others' weights are scaled up to make 100, so an institution is neither
rewarded nor punished for an empty measure; the page says which were left out.

Only institutions with at least MIN_CASES cases received in the month are ranked: below that,
one case moves a share by more than five points and the order would reward luck. Scores are
rounded to one decimal and equal rounded scores share a rank ("1, 2, 2, 4"), listed by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from feedback.models import Institution
from feedback.reports.figures import share

# The levels ranked: agencies and district councils are where cases are received and
# answered. Ministries and regions mostly oversee them (ranking both would count every case
# twice), units are parts of an agency. Each is ranked with its sub-units.
RANKED_LEVELS = (Institution.Level.AGENCY, Institution.Level.DISTRICT)
MIN_CASES = 20
SCORE_PLACES = Decimal("0.1")
ONE = Decimal(1)


def _inverse(value: Decimal | None) -> Decimal | None:
    return None if value is None else ONE - value


def _satisfaction(figures) -> Decimal | None:
    average = figures.average_satisfaction
    return None if average is None else (Decimal(average) - 1) / 4


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    meaning: str
    weight: int
    measure: Callable[[object], Decimal | None]  # figures -> 0..1, 1 the best, None: no data
    lower_is_better: bool = False


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "timeliness",
        _("Timeliness"),
        _(
            "Of the cases whose charter deadline has come, the share resolved by the date the "
            "charter first promised."
        ),
        40,
        lambda f: f.resolved_within_charter_share,
    ),
    Indicator(
        "satisfaction",
        _("Citizen satisfaction"),
        _("The citizens' average rating, 1 to 5, counted as 0 for 1 and 100 for 5."),
        30,
        _satisfaction,
    ),
    Indicator(
        "appeals_upheld",
        _("Appeals upheld"),
        _(
            "The share of answered cases where the level above agreed with the citizen on "
            "appeal. Lower is better: the index counts 100 minus this share."
        ),
        15,
        lambda f: _inverse(share(f.appeals_upheld, f.answered)),
        lower_is_better=True,
    ),
    Indicator(
        "reopened",
        _("Reopen rate"),
        _(
            "The share of resolved cases the citizen reopened because the answer did not "
            "solve the problem. Lower is better: the index counts 100 minus this share."
        ),
        15,
        lambda f: _inverse(share(f.reopened, f.resolved)),
        lower_is_better=True,
    ),
)
TOTAL_WEIGHT = sum(indicator.weight for indicator in INDICATORS)


@dataclass(frozen=True)
class Rated:
    """One institution in the ranking: its figures, each indicator's value on 0..100 (None:
    nothing to measure), its score out of 100 and its rank (None: not ranked)."""

    name: str
    figures: object
    values: dict[str, Decimal | None]
    score: Decimal | None
    rank: int | None
    tied: bool = False  # another institution has the same rounded score

    @property
    def in_order(self) -> list[Decimal | None]:
        """The indicators' values in the order of INDICATORS, as the ranking's columns."""
        return [self.values[i.key] for i in INDICATORS]

    @property
    def left_out(self) -> list[Indicator]:
        return [i for i in INDICATORS if self.values[i.key] is None]


def score(figures) -> tuple[dict[str, Decimal | None], Decimal | None]:
    """Each indicator's value on 0..100 and the weighted score, rounded to one decimal; the
    score is None when the institution has too few cases or nothing to measure."""
    measured = {i.key: i.measure(figures) for i in INDICATORS}
    values = {
        key: None if value is None else (value * 100).quantize(SCORE_PLACES, ROUND_HALF_UP)
        for key, value in measured.items()
    }
    present = [i for i in INDICATORS if measured[i.key] is not None]
    if figures.received < MIN_CASES or not present:
        return values, None
    weight = sum(i.weight for i in present)
    total = sum(i.weight * measured[i.key] for i in present) * 100 / weight
    return values, total.quantize(SCORE_PLACES, ROUND_HALF_UP)


def rank(entries: Iterable[tuple[str, object]]) -> tuple[list[Rated], list[Rated]]:
    """(ranked, not ranked) from (name, figures) pairs. Ranked: best score first, equal
    rounded scores sharing the better rank and listed by name. Not ranked: by name."""
    rated, unranked = [], []
    for name, figures in entries:
        values, total = score(figures)
        (unranked if total is None else rated).append((name, figures, values, total))
    rated.sort(key=lambda row: (-row[3], row[0].casefold()))
    unranked.sort(key=lambda row: row[0].casefold())
    ranked: list[Rated] = []
    scores = [row[3] for row in rated]
    for position, (name, figures, values, total) in enumerate(rated, start=1):
        place = position if position == 1 or total != scores[position - 2] else ranked[-1].rank
        tied = scores.count(total) > 1
        ranked.append(Rated(name, figures, values, total, place, tied))
    return ranked, [Rated(name, f, values, None, None) for name, f, values, _t in unranked]
