"""Reading attribute tables as bureaus hand them over: CSV in UTF-8 or GBK, and Excel.

Every column is read as text so that codes keep their leading zeros and 12-digit
statistical codes are not turned into floats; numbers are parsed later, per column, by the
loader that knows what the column means. Other encodings (Big5 …) are read when declared;
undeclared, a Big5 file is recognised and named in the error rather than read as nonsense.

Tables often carry a title above the header (``样例县医疗机构名录`` merged across the top) or
a second header row; given a test that recognises the header (such as
:func:`geohealth.inputs.columns.is_facility_header`), :func:`read` finds it within the first
rows, picks the workbook sheet that has it, and keeps the file's own row numbers for messages.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geohealth.errors import ConfigError, EncodingError, InputError, InputFileNotFoundError

log = logging.getLogger(__name__)

#: Encodings tried, in order, when the encoding is "auto". GB18030 is a superset of GBK and
#: GB2312, so it reads files saved as any of them (Excel's "CSV" on Chinese Windows is GBK).
AUTO_ENCODINGS = ("utf-8", "gbk", "gb18030")
#: Tried after those when GBK/GB18030 fails, gives garbled text or no header: Big5
#: (traditional Chinese, Hong Kong and Taiwan software) mostly decodes "successfully" as
#: GB18030 into nonsense. A file that reads as Big5 is named so in the error; it is read only
#: when its encoding is declared, as coordinate systems are.
FALLBACK_ENCODINGS = ("big5", "cp950")
#: How many rows at the top of a table are searched for the header.
HEADER_SEARCH_ROWS = 10
#: Share of non-ASCII characters that must be implausible before a decoding counts as
#: garbled, and the fewest non-ASCII characters such a verdict needs.
GARBLED_SHARE = 0.2
GARBLED_MIN_CHARS = 8
#: Cells read as missing, as pandas reads them.
NA_TEXTS = frozenset(
    {"", "#N/A", "#N/A N/A", "#NA", "N/A", "n/a", "NA", "<NA>", "NULL", "null", "NaN", "nan"}
    | {"-NaN", "-nan", "None"}
)
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


HeaderTest = Callable[[Sequence[object]], bool]


def _encoding_key(config_key: str | None) -> str:
    if config_key is None:
        return "the layer's encoding key"
    return config_key.rsplit(".", 1)[0] + ".encoding"


def _implausible(char: str, *, simplified: bool) -> bool:
    """Say whether a decoded character is unlikely in a facility table (a sign of mojibake)."""
    code = ord(char)
    if (
        0xE000 <= code <= 0xF8FF  # private use: undefined bytes decoded by GB18030
        or code == 0xFFFD
        or 0x3040 <= code <= 0x30FF  # kana
        or 0xFF61 <= code <= 0xFF9F  # half-width kana
        or 0x2500 <= code <= 0x257F  # box drawing
        or 0x0370 <= code <= 0x04FF  # Greek, Cyrillic
        or 0x3100 <= code <= 0x312F  # bopomofo
        or 0x00C0 <= code <= 0x024F  # accented Latin, pinyin tone letters
    ):
        return True
    if simplified:  # a GBK table of the mainland is written in GB2312's common characters
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            return True
    return False


def looks_garbled(text: str, encoding: str) -> bool:
    """Tell whether decoded text looks like mojibake (e.g. Big5 bytes read as GB18030).

    Parameters
    ----------
    text
        Decoded text; its first 20 000 characters are examined.
    encoding
        The codec that decoded it; GBK/GB18030 text is expected in GB2312's characters.

    Returns
    -------
    bool
        True when at least :data:`GARBLED_MIN_CHARS` non-ASCII characters were found and
        at least :data:`GARBLED_SHARE` of them are implausible (private-use, kana, box
        drawing …, or outside GB2312 for GBK text).
    """
    simplified = encoding.replace("-", "").lower() in ("gbk", "gb18030", "gb2312", "cp936")
    wide = [c for c in text[:20000] if ord(c) > 0x7F and not c.isspace()]
    if len(wide) < GARBLED_MIN_CHARS:
        return False
    odd = sum(_implausible(c, simplified=simplified) for c in wide)
    return odd >= GARBLED_SHARE * len(wide)


def _first_cells(text: str, limit: int = 3) -> str:
    """Quote the first few non-ASCII cells: what a garbled reading looks like."""
    cells = [
        cell.strip()
        for line in text[:65536].splitlines()[:40]
        for cell in re.split(r"[,\t;|，]", line)
        if any(ord(c) > 0x7F for c in cell)
    ]
    return ", ".join(f"'{c}'" for c in cells[:limit])


def _has_header(text: str, is_header: HeaderTest) -> bool:
    records = _records(text, _delimiter(text), limit=HEADER_SEARCH_ROWS)
    return _header_index(records, is_header) is not None


def _try(raw: bytes, name: str) -> str | None:
    try:
        return raw.decode(name)
    except UnicodeDecodeError:
        return None


def decode(
    raw: bytes,
    *,
    encoding: str = "auto",
    source: str,
    config_key: str | None = None,
    is_header: HeaderTest | None = None,
) -> tuple[str, str]:
    """Decode a text file's bytes: UTF-8 (with or without BOM), GBK/GB18030, else Big5.

    With ``encoding="auto"``, UTF-8 is taken when the bytes are valid UTF-8. Otherwise the
    GBK/GB18030 and Big5 readings are ranked by whether ``is_header`` finds a header in
    them, then by whether they read plausibly (:func:`looks_garbled`); GBK wins ties and is
    returned (with a logged warning when it reads garbled but has a header). When Big5
    ranks first, or no reading has either, it is an error that says so.

    Parameters
    ----------
    raw
        The file's bytes.
    encoding
        ``"auto"`` or a Python codec name (``"gbk"``, ``"utf-8"``, ``"big5"`` …).
    source
        The file name, for messages.
    config_key
        The configuration key naming the file (``"facilities.path"``), so messages can name
        the encoding key (``facilities.encoding``).
    is_header
        Tells a header row (see :func:`read`); lets Big5 be recognised by its header.

    Returns
    -------
    tuple of str
        The text and the encoding that decoded it.

    Raises
    ------
    EncodingError
        If the text is not UTF-8 or GBK/GB18030 (naming Big5 when it reads as Big5), or the
        declared encoding fails, or gives garbled text without a header.
    """
    key = _encoding_key(config_key)
    if raw.startswith(b"PK\x03\x04"):
        msg = (
            f"{source}: this is an Excel workbook (.xlsx), not a text table "
            "— rename it to .xlsx, or save it from Excel as CSV UTF-8"
        )
        raise EncodingError(msg)
    if encoding != "auto":
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            msg = (
                f"{source}: not valid {encoding} text (byte 0x{raw[exc.start]:02x} at offset "
                f"{exc.start}) — set {key} to the file's encoding, or to 'auto' (UTF-8, "
                "GBK/GB18030 and Big5 are detected)"
            )
            raise EncodingError(msg) from None
        except LookupError:
            msg = (
                f"{source}: unknown encoding '{encoding}' — set {key} to 'auto', 'utf-8', "
                "'gbk' or 'big5'"
            )
            raise EncodingError(msg) from None
        if (
            is_header is not None
            and looks_garbled(text, encoding)
            and not _has_header(text, is_header)
        ):
            msg = (
                f"{source}: read as {encoding} the text comes out garbled "
                f"({_first_cells(text)}) — set {key} to the file's real encoding "
                "(e.g. 'big5'), or to 'auto'"
            )
            raise EncodingError(msg)
        return text, encoding
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return raw.decode(name), name
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_error = exc
    chinese = next(
        ((text, name) for name in AUTO_ENCODINGS[1:] if (text := _try(raw, name)) is not None),
        None,
    )

    def rank(candidate: tuple[str, str]) -> tuple[bool, bool]:
        """(has a recognised header, reads plausibly): the better reading ranks higher."""
        header = is_header is not None and _has_header(candidate[0], is_header)
        return header, not looks_garbled(*candidate)

    best = (chinese, rank(chinese)) if chinese is not None else None
    if best is None or best[1] != (is_header is not None, True):
        # GBK/GB18030 failed, reads garbled, or shows no header: try Big5
        big5 = next(
            ((text, name) for name in FALLBACK_ENCODINGS if (text := _try(raw, name)) is not None),
            None,
        )
        if big5 is not None and (best is None or rank(big5) > best[1]):
            best = (big5, rank(big5))
    fix = f"save it as UTF-8 (Excel: 另存为 → CSV UTF-8), or set {key}"
    if best is not None and any(best[1]):
        (text, name), (_, plausible) = best
        if name in FALLBACK_ENCODINGS:
            msg = (
                f"{source}: the text is in none of UTF-8, GBK/GB18030 but reads as Big5 "
                f"(traditional Chinese: {_first_cells(text)}) — {fix} = 'big5'"
            )
            raise EncodingError(msg)
        if not plausible:
            log.warning(
                "%s: read as %s, but many characters look garbled (%s) — if names are "
                "garbled, set %s to the file's encoding or save it as UTF-8",
                source,
                name.upper(),
                _first_cells(text),
                key,
            )
        return text, name
    if chinese is not None:
        why = f"read as {chinese[1].upper()} it comes out garbled: {_first_cells(chinese[0])}"
    else:
        offset = first_error.start
        why = f"undecodable byte 0x{raw[offset]:02x} at offset {offset}"
    msg = (
        f"{source}: the text is in none of UTF-8, GBK/GB18030 or Big5 ({why}) — {fix} to "
        "its encoding (e.g. 'big5')"
    )
    raise EncodingError(msg)


def _delimiter(text: str) -> str:
    """Guess the delimiter from the first lines (comma, tab, semicolon, bar, full-width comma).

    A title line above the header can defeat :class:`csv.Sniffer`; then the delimiter that
    splits the most lines into the same number of cells wins.
    """
    lines = [line for line in text[:65536].splitlines()[:40] if line.strip()][:20]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",\t;|，").delimiter
    except csv.Error:
        pass
    best, best_score = ",", (0, 0)
    for candidate in (",", "\t", ";", "|", "，"):
        counts = [line.count(candidate) for line in lines if line.count(candidate)]
        if not counts:
            continue
        modal = max(set(counts), key=counts.count)
        score = (counts.count(modal), modal)
        if score > best_score:
            best, best_score = candidate, score
    return best


Record = tuple[int, list[str | None]]


def _records(text: str, delimiter: str, *, limit: int | None = None) -> list[Record]:
    """Split text into (first line number, cells) records; blank lines give no cells."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    if limit is None and '"' not in text:  # no quoting: one record per line
        return list(enumerate(reader, start=1))
    records: list[Record] = []
    line = 1
    for cells in reader:
        records.append((line, cells))
        line = reader.line_num + 1
        if limit is not None and len(records) >= limit:
            break
    return records


def _blank(cells: Sequence[str | None]) -> bool:
    return all(c is None or not str(c).strip() for c in cells)


def _header_index(records: Sequence[Record], is_header: HeaderTest) -> int | None:
    """Index of the first record among the first rows that ``is_header`` accepts."""
    for index, (_, cells) in enumerate(records[:HEADER_SEARCH_ROWS]):
        if not _blank(cells) and is_header([c for c in cells if c is not None]):
            return index
    return None


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
            if line == header_row and not _blank(cells):
                return index
        last = records[-1][0] if records else 0
        what = "is blank" if header_row <= last else f"is past the end (last row {last})"
        msg = (
            f"{source}{where}: row {header_row} {what} — set {section}.header_row to the row "
            "that holds the column names"
        )
        raise InputError(msg)
    if is_header is not None:
        found = _header_index(records, is_header)
        if found is not None:
            return found
    return next((i for i, (_, cells) in enumerate(records) if not _blank(cells)), 0)


def _column_names(cells: Sequence[str | None], width: int) -> list[str]:
    """Header cells as column names: stripped, blanks ``Unnamed: i``, repeats ``a.1``."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for i in range(width):
        cell = cells[i] if i < len(cells) else None
        name = str(cell).strip() if cell is not None and str(cell).strip() else f"Unnamed: {i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
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
                    if not _blank(cells) and is_header([c for c in cells if c is not None]):
                        break
                elif _header_index(records, is_header) is not None:
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
    if _blank([c for _, cells in records for c in cells]):
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
        the first of the first :data:`HEADER_SEARCH_ROWS` rows that ``is_header`` accepts,
        else the first non-blank row. Rows above it (titles) are skipped.
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
            records = _records(text, _delimiter(text))
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
