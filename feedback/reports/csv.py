"""The reports' CSV files: one row per case (the data behind the figures, which the PDF
embeds), and one row per figure.

The bytes are deterministic, because the PDF embeds the case file and a test compares it byte
for byte: UTF-8 without a byte-order mark, RFC 4180 quoting with CRLF line ends (Python's csv
default, what spreadsheets expect), rows ordered by reference, times as local
"YYYY-MM-DD HH:MM:SS" in the project's time zone (settings.TIME_ZONE), shares as decimals with
four places. The header row is translated (English or Swahili); the values are the stored codes
(kind, channel, status, appeal decision), the same in every language, except the institution's
and the service's names, which follow the language. `CASE_COLUMNS` documents every column
(`case_fields_csv` writes that list as a file).

No personal data: no subject, description, message, contact or rating comment leaves through
these files. Every cell that starts with = + - @ (or a tab or carriage return) is prefixed with
an apostrophe so a spreadsheet shows it as text instead of running it as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime

from django.conf import settings
from django.db import connections
from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    ExpressionWrapper,
    Func,
    OuterRef,
    Value,
    When,
)
from django.db.models import Case as Choose
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from feedback.models import Case, Institution
from feedback.reports.figures import (
    ACK_WITHIN,
    ANSWERED,
    BREAKDOWNS,
    DISPUTED,
    HEADLINE,
    RES_WITHIN,
    TREND,
    Figures,
    acknowledgement_due,
    cases_in_scope,
    dispute_count,
    resolution_due,
)

LINE_END = "\r\n"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# The same format for PostgreSQL's to_char (seconds truncated, as strftime's %S).
SQL_TIME_FORMAT = "YYYY-MM-DD HH24:MI:SS"
# Rows fetched per round trip of the server-side cursor.
CHUNK = 10_000

YES, NO = "yes", "no"

# (column, header, meaning): the documented header of the case-level file.
CASE_COLUMNS = [
    ("reference", _("Reference"), _("The case's reference number.")),
    ("kind", _("Kind"), _("complaint, suggestion, inquiry or compliment.")),
    (
        "channel",
        _("Channel"),
        _("How the case came in: web, api, ussd, sms, service_point or open311."),
    ),
    ("institution_code", _("Institution code"), _("Short code of the institution holding it.")),
    ("institution", _("Institution"), _("Name of the institution holding the case.")),
    (
        "service_code",
        _("Service code"),
        _("The service's institution code and service code (empty: no service named)."),
    ),
    ("service", _("Service"), _("Name of the service the case is about.")),
    ("submitted_at", _("Submitted"), _("When the case was submitted (local time).")),
    (
        "acknowledgement_due",
        _("Acknowledgement first promised by"),
        _("The acknowledgement deadline the charter set at submission."),
    ),
    ("first_acknowledged_at", _("First acknowledged"), _("When it was first acknowledged.")),
    (
        "acknowledged_within_charter",
        _("Acknowledged within the charter"),
        _("yes, no, or empty while the acknowledgement is not yet due (or the case was rejected)."),
    ),
    (
        "working_days_to_acknowledge",
        _("Working days to acknowledge"),
        _("Working days from submission to the first acknowledgement."),
    ),
    (
        "resolution_due",
        _("Resolution first promised by"),
        _("The resolution deadline the charter set at submission."),
    ),
    ("first_resolved_at", _("First resolved"), _("When it was first resolved.")),
    (
        "resolved_within_charter",
        _("Resolved within the charter"),
        _("yes, no, or empty while the resolution is not yet due (or the case was rejected)."),
    ),
    (
        "working_days_to_resolve",
        _("Working days to resolve"),
        _("Working days from submission to the first resolution."),
    ),
    ("status", _("Status"), _("The case's status when the file was made.")),
    (
        "overdue",
        _("Overdue"),
        _("yes if the case was open and past its deadline when the file was made."),
    ),
    ("escalations", _("Escalations"), _("How many times it was escalated.")),
    ("referrals", _("Referrals"), _("How many times it was referred.")),
    (
        "merged_into",
        _("Merged into"),
        _("The reference of the case it was merged into as a duplicate; empty if not merged."),
    ),
    ("reopenings", _("Reopenings"), _("How many times the citizen reopened it.")),
    (
        "disputes",
        _("Resolutions disputed"),
        _(
            'How many times the citizen answered "not resolved" to the message saying it '
            "was resolved (each is a reopening too)."
        ),
    ),
    (
        "appeal",
        _("Appeal"),
        _("upheld, dismissed, pending, or empty when there was no appeal."),
    ),
    ("interim_replies", _("Interim replies"), _("Interim replies sent.")),
    (
        "interim_replies_kept",
        _("Interim replies kept"),
        _("Interim replies whose promised date the next resolution met."),
    ),
    ("satisfaction", _("Satisfaction"), _("The citizen's rating, 1 to 5, or empty.")),
    (
        "disputed",
        _("Disputed"),
        _(
            "yes if the citizen rated it 1 or 2, reopened it or appealed; no if answered and "
            "not disputed; empty if not yet answered."
        ),
    ),
]
FIGURE_COLUMNS = [_("Figure"), _("Name"), _("Value"), _("Definition")]


def neutralise(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _write(rows: Iterable[Iterable[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=LINE_END)
    starts = frozenset(FORMULA_STARTS)  # neutralise(), inlined: it runs for every cell
    for row in rows:
        cells = ["" if cell is None else str(cell) for cell in row]
        writer.writerow(["'" + cell if cell[:1] in starts else cell for cell in cells])
    return buffer.getvalue().encode("utf-8")


def _when(value: datetime | str | None) -> str:
    """A time as the files write it; a string is one the database already formatted."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return timezone.localtime(value, timezone.get_default_timezone()).strftime(TIME_FORMAT)


class LocalTimeText(Func):
    """PostgreSQL only: a timestamp as local "YYYY-MM-DD HH:MM:SS" text in settings.TIME_ZONE,
    the bytes `_when` writes, without parsing and converting 100,000s of datetimes in Python."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError("LocalTimeText is for PostgreSQL; elsewhere use _when()")

    def as_postgresql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        sql = f"to_char(({column}) AT TIME ZONE %s, %s)"
        return sql, (*params, settings.TIME_ZONE, SQL_TIME_FORMAT)


TIMES = (
    "submitted_at",
    "original_acknowledge_due",
    "first_acknowledged_at",
    "original_resolve_due",
    "first_resolved_at",
)


def _verdict(met: bool, due: bool) -> str:
    if met:
        return YES
    return NO if due else ""


def _named(name: str | None, name_sw: str | None, language: str) -> str:
    if language == "sw" and name_sw:
        return name_sw
    return name or ""


def _bool(q) -> ExpressionWrapper:
    return ExpressionWrapper(q, output_field=BooleanField())


def case_rows(
    institution: Institution,
    date_from: date,
    date_to: date,
    *,
    subunits: bool = False,
    now: datetime | None = None,
    language: str = "en",
):
    """The case-level rows (without the header), ordered by reference."""
    now = now or timezone.now()
    cases = (
        cases_in_scope(institution, date_from, date_to, subunits=subunits)
        .order_by("reference")
        .annotate(
            is_overdue=Exists(Case.objects.overdue(now).filter(pk=OuterRef("pk"))),
            ack_within=_bool(ACK_WITHIN),
            ack_due=_bool(acknowledgement_due(now)),
            res_within=_bool(RES_WITHIN),
            res_due=_bool(resolution_due(now)),
            answered=_bool(ANSWERED),
            is_disputed=_bool(DISPUTED),
            # The subquery runs only for a case once disputed (disputed_at set).
            disputes=Choose(When(disputed_at__isnull=True, then=Value(0)), default=dispute_count()),
        )
    )
    # On PostgreSQL the database writes the times as text (the same bytes, faster: no
    # datetime parsed, converted and formatted per cell); elsewhere Python formats them.
    in_sql = connections[cases.db].vendor == "postgresql"
    if in_sql:
        cases = cases.annotate(**{f"{name}_text": LocalTimeText(name) for name in TIMES})
    times = {name: f"{name}_text" if in_sql else name for name in TIMES}
    cases = cases.values_list(
        "reference",
        "kind",
        "channel",
        "institution__short_code",
        "institution__name",
        "institution__name_sw",
        "service__institution__short_code",
        "service__code",
        "service__name",
        "service__name_sw",
        times["submitted_at"],
        times["original_acknowledge_due"],
        times["first_acknowledged_at"],
        "ack_within",
        "ack_due",
        "timing__acknowledge_days",
        times["original_resolve_due"],
        times["first_resolved_at"],
        "res_within",
        "res_due",
        "timing__resolve_days",
        "status",
        "is_overdue",
        "escalation_count",
        "referral_count",
        "duplicate_of__reference",
        "reopen_count",
        "disputes",
        "appeal__id",
        "appeal__decision",
        "interim_reply_count",
        "timing__interim_replies_kept",
        "satisfaction",
        "answered",
        "is_disputed",
    )
    for (
        reference,
        kind,
        channel,
        inst_code,
        inst_name,
        inst_name_sw,
        service_inst,
        service_code,
        service_name,
        service_name_sw,
        submitted_at,
        ack_promised,
        first_ack,
        ack_within,
        ack_due,
        ack_days,
        res_promised,
        first_res,
        res_within,
        res_due,
        res_days,
        status,
        is_overdue,
        escalations,
        referrals,
        merged_into,
        reopenings,
        disputes,
        appeal_id,
        decision,
        interim,
        kept,
        satisfaction,
        answered,
        disputed,
    ) in cases.iterator(chunk_size=CHUNK):
        yield [
            reference,
            kind,
            channel,
            inst_code,
            _named(inst_name, inst_name_sw, language),
            f"{service_inst}/{service_code}" if service_code else "",
            _named(service_name, service_name_sw, language),
            _when(submitted_at),
            _when(ack_promised),
            _when(first_ack),
            _verdict(ack_within, ack_due),
            ack_days,
            _when(res_promised),
            _when(first_res),
            _verdict(res_within, res_due),
            res_days,
            status,
            YES if is_overdue else NO,
            escalations,
            referrals,
            merged_into or "",
            reopenings,
            disputes or 0,
            (decision or "pending") if appeal_id is not None else "",
            interim,
            kept or 0,
            satisfaction,
            _verdict(answered and disputed, answered),
        ]


def case_header(language: str = "en") -> list[str]:
    with translation.override(language):
        return [str(header) for _key, header, _meaning in CASE_COLUMNS]


def case_csv(
    institution: Institution,
    date_from: date,
    date_to: date,
    *,
    subunits: bool = False,
    now: datetime | None = None,
    language: str = "en",
) -> bytes:
    """The case-level CSV: the header, then one row per case the figures count."""
    rows = case_rows(institution, date_from, date_to, subunits=subunits, now=now, language=language)
    return _write([case_header(language), *rows])


def case_fields_csv(language: str = "en") -> bytes:
    """The case-level file's documented header: column, header as written, meaning."""
    with translation.override(language):
        return _write(
            [
                [str(_("Column")), str(_("Header")), str(_("Meaning"))],
                *([key, str(header), str(meaning)] for key, header, meaning in CASE_COLUMNS),
            ]
        )


def _value(value) -> str:
    return "" if value is None else str(value)


def figure_rows(figures: Figures) -> Iterable[list[str]]:
    """(figure, name, value, definition) rows: headline figures, breakdowns, the trend."""
    for attribute, name, definition in HEADLINE:
        yield [attribute, str(name), _value(getattr(figures, attribute)), str(definition)]
    for attribute, name, definition in BREAKDOWNS:
        for tally in getattr(figures, attribute):
            key = tally.key or "none"
            label = f"{name}: {tally.label}"
            yield [f"{attribute}:{key}", label, str(tally.count), str(definition)]
    for month in figures.trend:
        for attribute, name, definition in TREND:
            yield [
                f"trend:{month.month:%Y-%m}:{attribute}",
                f"{name}: {month.month:%Y-%m}",
                str(getattr(month, attribute)),
                str(definition),
            ]


def figures_csv(figures: Figures, language: str = "en") -> bytes:
    """The figures CSV: one row per figure, with its definition, in the language asked."""
    with translation.override(language):
        return _write([[str(c) for c in FIGURE_COLUMNS], *figure_rows(figures)])
