"""Reading attribute tables as bureaus hand them over: CSV in UTF-8 or GBK, and Excel.

Every column is read as text so that codes keep their leading zeros and 12-digit
statistical codes are not turned into floats; numbers are parsed later, per column, by the
loader that knows what the column means (:func:`to_number`). Text files are decoded by
:mod:`geohealth.inputs.encodings` (UTF-8, GBK/GB18030; Big5 when declared, named in the
error when not) and split into rows by :mod:`geohealth.inputs.delimited`.

Tables often carry a title above the header (``样例县医疗机构名录`` merged across the top) or
a second header row; given a test that recognises the header (such as
:func:`geohealth.inputs.columns.is_facility_header`), :func:`read` finds it within the first
rows, picks the workbook sheet that has it, and keeps the file's own row numbers for messages.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geohealth.errors import ConfigError, InputError, InputFileNotFoundError
from geohealth.inputs import delimited
from geohealth.inputs.delimited import HEADER_SEARCH_ROWS, HeaderTest, Record
from geohealth.inputs.encodings import decode

log = logging.getLogger(__name__)

#: Cells read as missing, as pandas reads them.
NA_TEXTS = frozenset(
    {"", "#N/A", "#N/A N/A", "#NA", "N/A", "n/a", "NA", "<NA>", "NULL", "null", "NaN", "nan"}
    | {"-NaN", "-nan", "None"}
)

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")


@dataclass(frozen=True)
class TextTable:
    """A table read from a text or Excel file.

    Attributes
    ----------
    frame
        The rows, every cell as text (missing cells are ``NA``).
    encoding
        The encoding used to decode the file (``"excel"`` for workbooks).
    row_numbers
        The file's own number of each row of ``frame`` (the line of a CSV, the row of a
        sheet, 1-based), for messages; None means the header is row 1 and data follow it.
    header_row
        The file row (1-based) the column names were read from.
    sheet
        The workbook sheet read, None for text files.
    """

    frame: pd.DataFrame
    encoding: str
    row_numbers: np.ndarray | None = None
    header_row: int = 1
    sheet: str | None = None


def require_file(path: Path, *, config_key: str) -> Path:
    """Check that an input file exists.

    Parameters
    ----------
    path
        The file.
    config_key
        The configuration key that names it, for the message.

    Returns
    -------
    pathlib.Path
        ``path`` unchanged.

    Raises
    ------
    InputFileNotFoundError
        If the file does not exist or is a directory.
    """
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "not found"
        msg = (
            f"{path}: {what} — check {config_key} in the configuration "
            "(paths there are relative to the configuration file)"
        )
        raise InputFileNotFoundError(msg)
    return path


def _pick_header(
    records: Sequence[Record],
    *,
    header_row: int | None,
    is_header: HeaderTest | None,
    source: str,
    config_key: str,
    where: str = "",
) -> int:
    """Choose the header record: the configured row, the recognised one, or the first."""
    section = config_key.rsplit(".", 1)[0]
    if header_row is not None:
        if header_row < 1:
            msg = f"{section}.header_row must be 1 or more (the file's row of column names)"
            raise ConfigError(msg)
        for index, (line, cells) in enumerate(records):
            if line == header_row and not delimited.is_blank(cells):
                return index
        last = records[-1][0] if records else 0
        what = "is blank" if header_row <= last else f"is past the end (last row {last})"
        msg = (
            f"{source}{where}: row {header_row} {what} — set {section}.header_row to the row "
            "that holds the column names"
        )
        raise InputError(msg)
    if is_header is not None:
        found = delimited.header_index(records, is_header)
        if found is not None:
            return found
    return next((i for i, (_, cells) in enumerate(records) if not delimited.is_blank(cells)), 0)


def _column_names(cells: Sequence[str | None], width: int) -> list[str]:
    """Header cells as column names: stripped, blanks ``Unnamed: i``, repeats ``a.1``."""
    names: list[str] = []
    for i in range(width):
        cell = cells[i] if i < len(cells) else None
        name = str(cell).strip() if cell is not None and str(cell).strip() else f"Unnamed: {i}"
        base, k = name, 0
        while name in names:  # as pandas: a.1, a.2 … never a name already taken
            k += 1
            name = f"{base}.{k}"
        names.append(name)
    return names


def _frame(
    records: Sequence[Record], header: int, *, source: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """Build the text frame below the header record, with each row's file row number."""
    head_line, head_cells = records[header]
    body = records[header + 1 :]
    lines = np.fromiter((line for line, _ in body), dtype=int, count=len(body))
    widest = max((len(row) for _, row in body), default=0)
    cells = pd.DataFrame(
        [row if len(row) == widest else [*row, *[None] * (widest - len(row))] for _, row in body],
        columns=range(widest),
        dtype=object,
    )
    cells = cells.where(cells.notna() & ~cells.isin(NA_TEXTS), None)  # NA_TEXTS holds ""
    blank = cells.isna()
    keep = ~blank.all(axis=1).to_numpy() if len(cells.columns) else np.zeros(len(body), bool)
    cells, blank, lines = cells.loc[keep], blank.loc[keep], lines[keep]
    filled = np.flatnonzero(~blank.all(axis=0).to_numpy()) if len(blank) else np.array([], int)
    data_width = int(filled[-1]) + 1 if len(filled) else 0
    if data_width > len(head_cells):
        # a cell beyond the header's last column: broken quoting or a wrong delimiter
        row = int(np.flatnonzero(~blank.iloc[:, len(head_cells) :].all(axis=1).to_numpy())[0])
        count = int((~blank.iloc[row]).to_numpy().nonzero()[0][-1]) + 1
        msg = (
            f"{source}: row {lines[row]} has {count} cells but the header (row {head_line}) "
            f"has {len(head_cells)} — check quoting and delimiters"
        )
        raise InputError(msg)
    named = [i for i, c in enumerate(head_cells) if c is not None and str(c).strip()]
    width = max(data_width, named[-1] + 1 if named else 0)
    cells = cells.reindex(columns=range(width))
    values = cells.to_numpy(dtype=object, copy=True)
    values[pd.isna(values)] = np.nan
    # dtype=str keeps NaN missing, as pandas.read_csv(dtype=str) does
    frame = pd.DataFrame(values, columns=_column_names(head_cells, width), dtype=str)
    return frame.reset_index(drop=True), lines


def _cell_text(value: object) -> str | None:
    """Return an Excel cell as text, as ``pandas.read_excel(dtype=str)`` gives it."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return None if text in NA_TEXTS else text


def _sheet_records(book: object, name: str) -> list[Record]:
    sheet = book[name]  # type: ignore[index]
    if not hasattr(sheet, "iter_rows"):  # a chart sheet
        return []
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()  # some writers record wrong dimensions
    return [
        (number, [_cell_text(v) for v in values])
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
    ]


def _read_excel(
    path: Path,
    *,
    sheet: str | None,
    header_row: int | None,
    is_header: HeaderTest | None,
    config_key: str,
) -> tuple[list[Record], int, str]:
    """Read a workbook's chosen sheet: records, the header's index, the sheet name."""
    import openpyxl

    source = path.name
    section = config_key.rsplit(".", 1)[0]
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        msg = f"{source}: not a readable .xlsx workbook ({exc}) — re-save it from Excel or WPS"
        raise InputError(msg) from None
    try:
        names = [str(n) for n in book.sheetnames]
        if sheet is not None:
            if sheet not in names:
                msg = (
                    f"{source}: sheet '{sheet}' not found; sheets are: {', '.join(names)} "
                    f"— set {section}.sheet"
                )
                raise InputError(msg)
            chosen = sheet
            records = _sheet_records(book, chosen)
        elif is_header is None or len(names) == 1:
            chosen = names[0]
            records = _sheet_records(book, chosen)
        else:
            for chosen in names:
                records = _sheet_records(book, chosen)
                if header_row is not None:
                    cells = next((c for ln, c in records if ln == header_row), [])
                    if not delimited.is_blank(cells) and is_header(
                        [c for c in cells if c is not None]
                    ):
                        break
                elif delimited.header_index(records, is_header) is not None:
                    break
            else:
                msg = (
                    f"{source}: no sheet has the columns this table needs in its first "
                    f"{HEADER_SEARCH_ROWS} rows; sheets are: {', '.join(names)} — set "
                    f"{section}.sheet (and {section}.header_row if the header is lower)"
                )
                raise InputError(msg)
            if chosen != names[0]:
                log.info(
                    "%s: reading sheet '%s', the first with the table's columns", source, chosen
                )
    finally:
        book.close()
    if delimited.is_blank([c for _, cells in records for c in cells]):
        msg = (
            f"{source}: sheet '{chosen}' is empty — set {section}.sheet to the sheet with the table"
        )
        raise InputError(msg)
    where = f", sheet '{chosen}'"
    header = _pick_header(
        records,
        header_row=header_row,
        is_header=is_header,
        source=source,
        config_key=config_key,
        where=where,
    )
    return records, header, chosen


def read(
    path: Path,
    *,
    encoding: str = "auto",
    sheet: str | None = None,
    config_key: str,
    header_row: int | None = None,
    is_header: HeaderTest | None = None,
) -> TextTable:
    """Read a CSV or Excel table with every cell as text.

    Parameters
    ----------
    path
        A ``.csv``/``.txt``/``.tsv`` file (delimiter detected) or an ``.xlsx`` workbook.
    encoding
        For text files: ``"auto"`` (UTF-8, else GBK/GB18030; Big5 is recognised and named
        in the error) or a codec name (``"big5"``).
    sheet
        For workbooks: the sheet name; when None, the first sheet whose first rows hold a
        header ``is_header`` accepts (the first sheet when there is no test).
    config_key
        The configuration key that names the file (``"facilities.path"``), for messages;
        its section names the ``encoding``, ``sheet`` and ``header_row`` keys.
    header_row
        The file row (1-based: CSV line, sheet row) holding the column names; when None,
        the first of the first :data:`~geohealth.inputs.delimited.HEADER_SEARCH_ROWS` rows
        that ``is_header`` accepts, else the first non-blank row. Rows above it (titles) are
        skipped.
    is_header
        Tells a header row from a title or data row, e.g.
        :func:`geohealth.inputs.columns.is_facility_header`.

    Returns
    -------
    TextTable
        The table, the encoding used and each row's number in the file.

    Raises
    ------
    InputFileNotFoundError
        If the file is missing.
    EncodingError
        If a text file cannot be decoded.
    InputError
        If the file is empty, malformed, an unreadable workbook, an old ``.xls``, or no
        sheet has the header.
    ConfigError
        If ``header_row`` is below 1.
    """
    require_file(path, config_key=config_key)
    suffix = path.suffix.lower()
    source = path.name
    chosen: str | None = None
    if suffix == ".xls":
        msg = f"{source}: old-style .xls workbooks are not read — save it as .xlsx in Excel or WPS"
        raise InputError(msg)
    if suffix in EXCEL_SUFFIXES:
        records, header, chosen = _read_excel(
            path, sheet=sheet, header_row=header_row, is_header=is_header, config_key=config_key
        )
        enc = "excel"
    else:
        text, enc = decode(
            path.read_bytes(),
            encoding=encoding,
            source=source,
            config_key=config_key,
            is_header=is_header,
        )
        if not text.strip():
            msg = f"{source}: the file is empty — export the table again"
            raise InputError(msg)
        try:
            records = delimited.records(text, delimited.guess_delimiter(text))
        except csv.Error as exc:
            msg = f"{source}: not a well-formed table ({exc}) — check quoting and delimiters"
            raise InputError(msg) from None
        header = _pick_header(
            records,
            header_row=header_row,
            is_header=is_header,
            source=source,
            config_key=config_key,
        )
    frame, row_numbers = _frame(records, header, source=source)
    if frame.empty:
        msg = f"{source}: the table has a header but no rows — export the table again"
        raise InputError(msg)
    head_line = records[header][0]
    log.info(
        "read %s: %d rows, encoding %s, header on row %d%s",
        source,
        len(frame),
        enc,
        head_line,
        f", sheet '{chosen}'" if chosen else "",
    )
    return TextTable(
        frame=frame, encoding=enc, row_numbers=row_numbers, header_row=head_line, sheet=chosen
    )


def to_number(
    values: pd.Series,
    *,
    column: str,
    source: str,
    allow_missing: bool = True,
    row_numbers: np.ndarray | None = None,
    row_label: str = "row",
) -> pd.Series:
    """Parse a text column as numbers, accepting thousands separators and full-width digits.

    Parameters
    ----------
    values
        The column as read.
    column
        Its name, for messages.
    source
        The file name, for messages.
    allow_missing
        Accept blank cells (as NaN); otherwise they are an error.
    row_numbers
        How the file numbers each value's row, for messages; by default a text table's line
        numbers (the header is line 1, so the first value is row 2).
    row_label
        What a row is called in messages (``"feature"`` for vector layers).

    Returns
    -------
    pandas.Series
        Floats, NaN where blank.

    Raises
    ------
    InputError
        If a cell is not a number (the first few offending rows are named).
    """
    text = values.astype("string").replace("", pd.NA)
    numbers = pd.to_numeric(text, errors="coerce")
    retry = numbers.isna() & text.notna()
    if retry.any():  # only the cells plain parsing missed: "1,200", full-width "３５", spaces
        cleaned = (
            text[retry]
            .str.normalize("NFKC")
            .str.replace(",", "", regex=False)
            .str.strip()
            .replace("", pd.NA)
        )
        numbers[retry] = pd.to_numeric(cleaned, errors="coerce")
        text = text.copy()
        text[retry] = cleaned
    numbered = np.arange(2, len(values) + 2) if row_numbers is None else row_numbers
    bad = numbers.isna() & text.notna()
    if bad.any():
        rows = ", ".join(
            f"{row_label} {numbered[i]}: '{values.iloc[i]}'"
            for i in bad.to_numpy().nonzero()[0][:5]
        )
        msg = f"{source}: column '{column}' has values that are not numbers ({rows}) — fix them"
        raise InputError(msg)
    if not allow_missing and numbers.isna().any():
        rows = ", ".join(str(numbered[i]) for i in numbers.isna().to_numpy().nonzero()[0][:10])
        msg = f"{source}: column '{column}' is blank in {row_label}s {rows} — fill them in"
        raise InputError(msg)
    return numbers.astype(float)
