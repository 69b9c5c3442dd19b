"""The open-data downloads: published outcomes of one search as CSV or JSON, written row by
row (a download of every outcome never sits in memory), with the documented columns of
search.documents.OPEN_DATA_FIELDS.
"""

import csv
import json
from collections.abc import Iterable, Iterator

# A spreadsheet runs a cell that starts with one of these as a formula ("=HYPERLINK(...)"):
# such a cell gets a leading apostrophe, as OWASP advises for CSV injection.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """One CSV cell as text, never read as a formula by a spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Line:
    """A file-like object that hands back what csv.writer writes, one line at a time."""

    def write(self, text: str) -> str:
        return text


def csv_lines(rows: Iterable[dict], columns: list[str]) -> Iterator[str]:
    """The header, then one line per row, each cell made safe."""
    writer = csv.writer(_Line())
    yield writer.writerow(columns)
    for row in rows:
        yield writer.writerow([safe_cell(row.get(column)) for column in columns])


def json_chunks(rows: Iterable[dict], columns: list[str]) -> Iterator[str]:
    """A JSON array of objects with exactly these keys, written one object at a time."""
    yield "["
    separator = "\n"
    for row in rows:
        yield separator + json.dumps(
            {column: row.get(column) for column in columns}, ensure_ascii=False
        )
        separator = ",\n"
    yield "\n]\n"
