"""Reading attribute tables as bureaus hand them over: CSV in UTF-8 or GBK, and Excel.

Every column is read as text so that codes keep their leading zeros and 12-digit
statistical codes are not turned into floats; numbers are parsed later, per column, by the
loader that knows what the column means.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geohealth.errors import EncodingError, InputError, InputFileNotFoundError

log = logging.getLogger(__name__)

#: Encodings tried, in order, when the encoding is "auto". GB18030 is a superset of GBK and
#: GB2312, so it reads files saved as any of them (Excel's "CSV" on Chinese Windows is GBK).
AUTO_ENCODINGS = ("utf-8", "gbk", "gb18030")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
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
    """

    frame: pd.DataFrame
    encoding: str


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


def decode(raw: bytes, *, encoding: str = "auto", source: str) -> tuple[str, str]:
    """Decode a text file's bytes, detecting UTF-8 (with or without BOM) or GBK/GB18030.

    Parameters
    ----------
    raw
        The file's bytes.
    encoding
        ``"auto"`` or a Python codec name (``"gbk"``, ``"utf-8"`` …).
    source
        The file name, for messages.

    Returns
    -------
    tuple of str
        The text and the encoding that decoded it.

    Raises
    ------
    EncodingError
        If no candidate encoding decodes the bytes.
    """
    if encoding != "auto":
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            msg = (
                f"{source}: not valid {encoding} text (byte 0x{raw[exc.start]:02x} at offset "
                f"{exc.start}) — re-save it as UTF-8, or set the layer's encoding key to "
                "'auto'"
            )
            raise EncodingError(msg) from None
        except LookupError:
            msg = f"{source}: unknown encoding '{encoding}' — use 'auto', 'utf-8' or 'gbk'"
            raise EncodingError(msg) from None
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return raw.decode(name), name
    first_error: UnicodeDecodeError | None = None
    for name in AUTO_ENCODINGS:
        try:
            return raw.decode(name), name
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
    offset = first_error.start if first_error else 0
    msg = (
        f"{source}: text is neither UTF-8 nor GBK/GB18030 (undecodable byte "
        f"0x{raw[offset]:02x} at offset {offset}) — re-save it as UTF-8 CSV, or name its "
        "encoding in the layer's encoding key"
    )
    raise EncodingError(msg)


def _delimiter(text: str) -> str:
    """Guess the delimiter from the first lines (comma, tab, semicolon, bar, full-width comma)."""
    head = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(head, delimiters=",\t;|，").delimiter
    except csv.Error:
        return ","


def read(
    path: Path, *, encoding: str = "auto", sheet: str | None = None, config_key: str
) -> TextTable:
    """Read a CSV or Excel table with every cell as text.

    Parameters
    ----------
    path
        A ``.csv``/``.txt``/``.tsv`` file (delimiter detected) or an ``.xlsx`` workbook.
    encoding
        For text files: ``"auto"`` (UTF-8, else GBK/GB18030) or a codec name.
    sheet
        For workbooks: the sheet name; the first sheet when None.
    config_key
        The configuration key that names the file, for messages.

    Returns
    -------
    TextTable
        The table and the encoding used.

    Raises
    ------
    InputFileNotFoundError
        If the file is missing.
    EncodingError
        If a text file cannot be decoded.
    InputError
        If the file is empty, an unreadable workbook, or an old ``.xls``.
    """
    require_file(path, config_key=config_key)
    suffix = path.suffix.lower()
    source = path.name
    if suffix == ".xls":
        msg = f"{source}: old-style .xls workbooks are not read — save it as .xlsx in Excel or WPS"
        raise InputError(msg)
    if suffix in EXCEL_SUFFIXES:
        try:
            frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, engine="openpyxl")
        except ValueError as exc:
            if sheet is not None and "not found" in str(exc).lower():
                with pd.ExcelFile(path, engine="openpyxl") as book:
                    names = [str(n) for n in book.sheet_names]
                msg = (
                    f"{source}: sheet '{sheet}' not found; sheets are: {', '.join(names)} "
                    "— set the layer's sheet key"
                )
                raise InputError(msg) from None
            raise
        except Exception as exc:
            msg = f"{source}: not a readable .xlsx workbook ({exc}) — re-save it from Excel or WPS"
            raise InputError(msg) from None
        enc = "excel"
    else:
        text, enc = decode(path.read_bytes(), encoding=encoding, source=source)
        if not text.strip():
            msg = f"{source}: the file is empty — export the table again"
            raise InputError(msg)
        try:
            frame = pd.read_csv(
                io.StringIO(text), sep=_delimiter(text), dtype=str, skipinitialspace=True
            )
        except pd.errors.ParserError as exc:
            msg = f"{source}: not a well-formed table ({exc}) — check quoting and delimiters"
            raise InputError(msg) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.dropna(how="all").reset_index(drop=True)
    if frame.empty:
        msg = f"{source}: the table has a header but no rows — export the table again"
        raise InputError(msg)
    log.info("read %s: %d rows, encoding %s", source, len(frame), enc)
    return TextTable(frame=frame, encoding=enc)


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
