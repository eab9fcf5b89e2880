"""Readwise's CSV export as ``Incoming`` rows. Pure: no database.

The header: ``Highlight, Book Title, Book Author, Amazon Book ID, Note, Color, Tags,
Location Type, Location, Highlighted at, Document tags``. A row names its article only by
title and author, so the post is found by a URL when a column holds one (``URL``, ``Source
URL``; or a title that is itself a URL), else by title (``annotations.restore`` does that);
the passage by its quote alone (Readwise's locations count in its own units), through the
anchoring ladder.

What each cell becomes: Highlight → the quote; Note → the note (then a note, else a
highlight); Color → the nearest of the five colours; Tags (comma separated) → tags;
Highlighted at → when it was made; Document tags → the reader's own tags of the post. Cells
are text and stay text: one that opens with ``=``, ``+``, ``-`` or ``@`` is a quote like any
other, never evaluated. ``to_csv`` writes notes back in the same shape (with a ``URL``
column), every cell escaped so that no spreadsheet runs it as a formula.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from annotations.incoming import Incoming, Limits, Refused, check_text, clean_tags
from annotations.models import Colour, Kind
from annotations.values import UNSTORABLE_MESSAGE, Changes, Target, timestamp, unstorable

HIGHLIGHT, TITLE, AUTHOR, NOTE, COLOR, TAGS = (
    "Highlight", "Book Title", "Book Author", "Note", "Color", "Tags",
)  # fmt: skip
HIGHLIGHTED_AT, DOCUMENT_TAGS = "Highlighted at", "Document tags"
# Columns that may hold the article's address (Readwise's import format, Reader's exports).
URL_COLUMNS = ("URL", "Source URL", "Document URL", "Book URL")

# Readwise's colours → the nearest of Pizhu's five (orange and red have no own).
COLOURS = {
    "yellow": Colour.YELLOW, "orange": Colour.YELLOW, "green": Colour.GREEN,
    "blue": Colour.BLUE, "pink": Colour.PINK, "red": Colour.PINK, "purple": Colour.PURPLE,
    "violet": Colour.PURPLE,
}  # fmt: skip


def header_of(text: str) -> list[str]:
    """The first row's cells, trimmed (empty when the text holds no CSV row)."""
    try:
        first = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        return []
    return [cell.strip() for cell in first]


def looks_like(header: list[str]) -> bool:
    return HIGHLIGHT in header and TITLE in header


def parse(text: str, limits: Limits) -> list[Incoming]:
    """Every row of the export (row 1 is the header, as a spreadsheet numbers them).
    ``Refused`` when the CSV itself is broken (an unclosed quote) or has more than
    ``limits.items`` rows: the file is read whole before anything is written."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [cell.strip() for cell in next(reader, [])]
    if not looks_like(header):
        raise Refused(f"is not a Readwise export: its header has no {HIGHLIGHT} and {TITLE}")
    rows: list[Incoming] = []
    number = 1
    try:
        for cells in reader:
            number += 1
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            if len(rows) == limits.items:
                raise Refused(
                    f"holds more than {limits.items} rows (PIZHU_MAX_RESTORE_ITEMS): "
                    "split it into smaller files"
                )
            rows.append(_row(number, header, cells, limits))
    except csv.Error as error:
        # The row being read when the reader failed: the one after the last it returned.
        raise Refused(f"row {number + 1}: {error} (an unclosed quote?)") from None
    return rows


def _row(number: int, header: list[str], cells: list[str], limits: Limits) -> Incoming:
    where = {"row": number}
    if len(cells) != len(header):
        return Incoming.invalid(
            where,
            [_error("", f"has {len(cells)} cells where the header has {len(header)}")],
        )
    row = {name: unescape_cell(cell) for name, cell in zip(header, cells, strict=True)}
    if bad := [name for name, value in row.items() if unstorable(value)]:
        return Incoming.invalid(where, [_error(name, UNSTORABLE_MESSAGE) for name in bad])
    title = " ".join(row[TITLE].split())
    author = " ".join(row.get(AUTHOR, "").split())
    quote = row[HIGHLIGHT].strip()
    note = row.get(NOTE, "").strip()
    errors = [] if quote else [_error(HIGHLIGHT, "is empty")]
    errors += check_text(quote, HIGHLIGHT, limits.quote_chars, "quotes")
    errors += check_text(note, NOTE, limits.note_chars, "notes")
    tags, tag_errors = clean_tags(row.get(TAGS, "").split(","), limits, TAGS)
    own_tags, own_tag_errors = clean_tags(
        row.get(DOCUMENT_TAGS, "").split(","), limits, DOCUMENT_TAGS
    )
    errors += tag_errors + own_tag_errors
    created = _when(row.get(HIGHLIGHTED_AT, ""))
    if created is False:
        errors.append(
            _error(HIGHLIGHTED_AT, f"is not a date and time: {row[HIGHLIGHTED_AT][:40]!r}")
        )
    if errors:
        return Incoming.invalid(where, errors, title=title, author=author)
    return Incoming(
        where,
        Changes(
            target=Target(source=_url(row), post_id=None, exact=quote, start=None, end=None),
            kind=Kind.NOTE if note else Kind.HIGHLIGHT,
            colour=COLOURS.get(row.get(COLOR, "").strip().lower()),
            body=note,
            language="",
            tags=tags,
            created=created or None,
            modified=created or None,
        ),
        title=title,
        author=author,
        own_tags=own_tags,
    )


# A cell a spreadsheet would run as a formula opens with one of these (OWASP, "CSV
# injection"): written out with a ' before it, which a spreadsheet shows as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def escape_cell(value: str) -> str:
    """``value`` as a cell no spreadsheet runs: ``'=1+1`` for ``=1+1``. A leading ``'`` is
    escaped too, so that ``unescape_cell`` gives back exactly what was escaped."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def unescape_cell(value: str) -> str:
    """What ``escape_cell`` (ours, or a spreadsheet's own) made of a cell, as it was."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _url(row: dict) -> str:
    """The article's address when a cell holds one ("" when none does)."""
    for name in (*URL_COLUMNS, TITLE):
        value = row.get(name, "").strip()
        if value.lower().startswith(("http://", "https://")) and " " not in value:
            return value
    return ""


def _when(value: str) -> datetime | bool | None:
    """``Highlighted at`` as Readwise writes it (ISO 8601, or ``May 4, 2024 10:05 AM``):
    None when empty, False when it is not a time."""
    value = value.strip()
    if not value:
        return None
    if stamp := timestamp(value):
        return stamp
    for shape in ("%B %d, %Y %I:%M %p", "%b %d, %Y %I:%M %p", "%B %d, %Y"):
        try:
            return datetime.strptime(value, shape).replace(tzinfo=UTC)
        except ValueError:
            continue
    return False


def _error(name: str, message: str) -> dict:
    return {"field": name, "message": message}


EXPORT_HEADER = [
    HIGHLIGHT, TITLE, AUTHOR, "Amazon Book ID", NOTE, COLOR, TAGS, "Location Type", "Location",
    HIGHLIGHTED_AT, DOCUMENT_TAGS, "URL",
]  # fmt: skip


def to_csv(rows) -> str:
    """Rows of cells (``EXPORT_HEADER``'s columns) as a CSV text, every cell escaped."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for row in rows:
        writer.writerow([escape_cell(str(cell)) for cell in row])
    return out.getvalue()
