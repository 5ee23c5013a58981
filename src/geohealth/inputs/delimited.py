"""Delimited text as rows of cells: the delimiter guessed, rows numbered, the header found.

A decoded CSV/TSV is split at its delimiter (comma, tab, semicolon, bar or full-width comma,
guessed from the first lines) into :data:`Record` s — the file line each row starts on and
its cells — so that messages can name the file's own row numbers. :func:`header_index`
finds the header among the first :data:`HEADER_SEARCH_ROWS` records, below any title rows;
workbook sheets give records of the same shape (:mod:`geohealth.inputs.tables`).

This is the layer between decoding (:mod:`geohealth.inputs.encodings`, which uses
:func:`has_header` to tell a right decoding from a wrong one) and building a table
(:mod:`geohealth.inputs.tables`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

#: How many rows at the top of a table are searched for the header.
HEADER_SEARCH_ROWS = 10
#: A row as read: the file line (or sheet row) it starts on, 1-based, and its cells.
Record = tuple[int, list[str | None]]
#: Tells a header row from a title or data row, given the row's non-missing cells, e.g.
#: :func:`geohealth.inputs.columns.is_facility_header`.
HeaderTest = Callable[[Sequence[object]], bool]

_DELIMITERS = (",", "\t", ";", "|", "，")


def guess_delimiter(text: str) -> str:
    """Guess the delimiter from the first lines (comma, tab, semicolon, bar, full-width comma).

    A title line above the header can defeat :class:`csv.Sniffer`; then the delimiter that
    splits the most lines into the same number of cells wins.

    Parameters
    ----------
    text
        Decoded text; the first 20 non-blank lines of its first 64 KiB are examined.

    Returns
    -------
    str
        One character, ``","`` when no line holds any candidate.
    """
    lines = [line for line in text[:65536].splitlines()[:40] if line.strip()][:20]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters="".join(_DELIMITERS)).delimiter
    except csv.Error:
        pass
    best, best_score = ",", (0, 0)
    for candidate in _DELIMITERS:
        counts = [line.count(candidate) for line in lines if line.count(candidate)]
        if not counts:
            continue
        modal = max(set(counts), key=counts.count)
        score = (counts.count(modal), modal)
        if score > best_score:
            best, best_score = candidate, score
    return best


def records(text: str, delimiter: str, *, limit: int | None = None) -> list[Record]:
    """Split text into records numbered by the file line each starts on.

    Parameters
    ----------
    text
        Decoded text.
    delimiter
        The cell delimiter (see :func:`guess_delimiter`).
    limit
        Stop after this many records (rows); None reads them all.

    Returns
    -------
    list of Record
        ``(line, cells)`` per record, lines 1-based; a quoted cell may span lines, so the
        next record's line is the one after its last. Blank lines give records without
        cells.

    Raises
    ------
    csv.Error
        If the text is not well-formed CSV (the :mod:`csv` reader's own errors).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    if limit is None and '"' not in text:  # no quoting: one record per line
        return list(enumerate(reader, start=1))
    found: list[Record] = []
    line = 1
    for cells in reader:
        found.append((line, cells))
        line = reader.line_num + 1
        if limit is not None and len(found) >= limit:
            break
    return found


def is_blank(cells: Sequence[str | None]) -> bool:
    """Tell whether a row has no text: no cells, or only missing and whitespace cells.

    Parameters
    ----------
    cells
        The row's cells.

    Returns
    -------
    bool
        True for a blank row.
    """
    return all(c is None or not str(c).strip() for c in cells)


def header_index(rows: Sequence[Record], is_header: HeaderTest) -> int | None:
    """Find the header among the first :data:`HEADER_SEARCH_ROWS` records.

    Parameters
    ----------
    rows
        Records from :func:`records` or a workbook sheet.
    is_header
        Tells a header row, given its non-missing cells.

    Returns
    -------
    int or None
        The index (0-based, into ``rows``) of the first non-blank record ``is_header``
        accepts; None when there is none.
    """
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if not is_blank(cells) and is_header([c for c in cells if c is not None]):
            return index
    return None


def has_header(text: str, is_header: HeaderTest) -> bool:
    """Tell whether decoded text has a header ``is_header`` accepts within its first rows.

    Parameters
    ----------
    text
        Decoded text, split at its guessed delimiter.
    is_header
        Tells a header row, given its non-missing cells.

    Returns
    -------
    bool
        True when one of the first :data:`HEADER_SEARCH_ROWS` records is a header.
    """
    first = records(text, guess_delimiter(text), limit=HEADER_SEARCH_ROWS)
    return header_index(first, is_header) is not None
