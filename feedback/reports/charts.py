"""The report's two charts as SVG, drawn from the figures: the monthly trend and deadline
compliance.

Written here as plain SVG rather than with a chart library (pygal was the candidate): the PDF
must be reproducible enough to hash, and pygal stamps every chart with a random id and leans on
CSS and JavaScript that WeasyPrint's SVG renderer ignores; the two charts are simple bars, so
the geometry is a few lines. Readable in grey-scale print: each series has its own fill
pattern (solid, hatched) as well as a shade, every bar carries its value as a direct label, and
the legend repeats the patterns. The numbers also appear in tables beside the charts, for
screen readers and for anyone checking a bar.
"""

from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from feedback.reports.figures import Figures

NOT_APPLICABLE = "\u2013"  # an en dash: no value (nothing to measure)
FONT = "DejaVu Sans, Noto Sans, sans-serif"
DARK, LIGHT, INK = "#404040", "#d9d9d9", "#000000"
# Solid dark grey for the first series, black diagonal hatching on white for the second.
PATTERNS = f"""<defs>
<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse"
 patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>
<line x1="0" y1="0" x2="0" y2="6" stroke="{INK}" stroke-width="2.5"/></pattern>
</defs>"""


def _text(x: float, y: float, content: str, *, size: int = 10, anchor: str = "middle") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" '
        f'text-anchor="{anchor}" fill="{INK}">{escape(content)}</text>'
    )


def _rect(x: float, y: float, width: float, height: float, fill: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" '
        f'height="{max(height, 0):.1f}" fill="{fill}" stroke="{INK}" stroke-width="0.8"/>'
    )


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>'
        f"{PATTERNS}{''.join(body)}</svg>"
    )


def _legend(x: float, y: float, entries: list[tuple[str, str]]) -> list[str]:
    parts = []
    for fill, label in entries:
        parts.append(_rect(x, y - 9, 14, 10, fill))
        parts.append(_text(x + 20, y, label, anchor="start"))
        x += 28 + 6.2 * len(label)
    return parts


def trend_chart(figures: Figures) -> str:
    """Per month: cases received (solid) and, of those, resolved within the charter
    (hatched), each bar labelled with its number."""
    months = figures.trend
    width, height = 640, 260
    left, right, top, bottom = 40, 10, 40, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([m.received for m in months] + [1])
    slot = plot_w / max(len(months), 1)
    bar = min(slot * 0.38, 40)
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        f'stroke="{INK}" stroke-width="1"/>'
    ]
    body += _legend(
        left,
        16,
        [
            (DARK, _("Received in the month")),
            ("url(#hatch)", _("Resolved within the charter")),
        ],
    )
    # Month names are abbreviated past six months so the labels do not collide.
    label_format = "M Y" if len(months) <= 6 else "M"
    for i, month in enumerate(months):
        centre = left + slot * (i + 0.5)
        for offset, value, fill in (
            (-bar, month.received, DARK),
            (0, month.resolved_within_charter, "url(#hatch)"),
        ):
            h = plot_h * value / peak
            body.append(_rect(centre + offset, top + plot_h - h, bar, h, fill))
            body.append(_text(centre + offset + bar / 2, top + plot_h - h - 3, str(value), size=9))
        body.append(
            _text(centre, top + plot_h + 14, date_format(month.month, label_format), size=9)
        )
        if len(months) > 6 and (i == 0 or month.month.month == 1):
            body.append(_text(centre, top + plot_h + 27, str(month.month.year), size=9))
    return _svg(width, height, _("Monthly trend"), body)


def percent(value: Decimal | None) -> str:
    return NOT_APPLICABLE if value is None else f"{value * 100:.1f}%"


def compliance_chart(figures: Figures) -> str:
    """Acknowledgement and resolution: the share of due cases that met the charter (solid)
    and missed it (hatched), as one 100% bar each, labelled with shares and counts."""
    rows = [
        (
            _("Acknowledgement"),
            figures.acknowledged_within_charter,
            figures.acknowledgement_due,
            figures.acknowledged_within_charter_share,
        ),
        (
            _("Resolution"),
            figures.resolved_within_charter,
            figures.resolution_due,
            figures.resolved_within_charter_share,
        ),
    ]
    width, height = 640, 170
    left, right, top = 130, 20, 40
    bar_w, bar_h, gap = width - left - right, 34, 26
    body = _legend(
        left,
        16,
        [(DARK, _("Within the charter")), ("url(#hatch)", _("Missed"))],
    )
    for i, (label, met, due, ratio) in enumerate(rows):
        y = top + i * (bar_h + gap)
        body.append(_text(left - 8, y + bar_h / 2 + 4, str(label), anchor="end"))
        if not due:
            body.append(_rect(left, y, bar_w, bar_h, "#ffffff"))
            body.append(_text(left + bar_w / 2, y + bar_h / 2 + 4, _("None due yet")))
            continue
        met_w = bar_w * met / due
        body.append(_rect(left, y, met_w, bar_h, DARK))
        body.append(_rect(left + met_w, y, bar_w - met_w, bar_h, "url(#hatch)"))
        body.append(
            _text(
                left,
                y + bar_h + 13,
                _("%(share)s within the charter (%(met)s of %(due)s)")
                % {"share": percent(ratio), "met": met, "due": due},
                size=9,
                anchor="start",
            )
        )
    return _svg(width, height, _("Deadline compliance"), body)
