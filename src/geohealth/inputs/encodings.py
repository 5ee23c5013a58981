"""Text decoding for attribute tables: UTF-8, GBK/GB18030, and Big5 recognised by name.

Bureaus hand over CSV files saved as UTF-8 (with or without BOM) or, from Excel on Chinese
Windows, as GBK; :func:`decode` tells them apart. Big5 (traditional Chinese, Hong Kong and
Taiwan software) mostly decodes "successfully" as GB18030 into nonsense, so readings are
also judged by whether they look garbled (:func:`looks_garbled`) and whether a header is
found in them; an undeclared Big5 file is named in the error rather than read as nonsense,
and read when its encoding is declared. The decoded text is split into rows by
:mod:`geohealth.inputs.delimited` and made a table by :mod:`geohealth.inputs.tables`.
"""

from __future__ import annotations

import codecs
import logging
import re

from geohealth.errors import EncodingError
from geohealth.inputs import delimited
from geohealth.inputs.delimited import HeaderTest

log = logging.getLogger(__name__)

#: Encodings tried, in order, when the encoding is "auto". GB18030 is a superset of GBK and
#: GB2312, so it reads files saved as any of them (Excel's "CSV" on Chinese Windows is GBK).
AUTO_ENCODINGS = ("utf-8", "gbk", "gb18030")
#: Tried after those when GBK/GB18030 fails, gives garbled text or no header: Big5
#: (traditional Chinese, Hong Kong and Taiwan software) mostly decodes "successfully" as
#: GB18030 into nonsense. A file that reads as Big5 is named so in the error; it is read only
#: when its encoding is declared, as coordinate systems are.
FALLBACK_ENCODINGS = ("big5", "cp950")
#: Share of non-ASCII characters that must be implausible before a decoding counts as
#: garbled, and the fewest non-ASCII characters such a verdict needs.
GARBLED_SHARE = 0.2
GARBLED_MIN_CHARS = 8
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


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
        Tells a header row (see :func:`geohealth.inputs.tables.read`); lets Big5 be
        recognised by its header.

    Returns
    -------
    tuple of str
        The text and the encoding that decoded it.

    Raises
    ------
    EncodingError
        If the text is not UTF-8 or GBK/GB18030 (naming Big5 when it reads as Big5), or the
        declared encoding fails, or gives garbled text without a header, or the bytes are
        an Excel workbook.
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
            and not delimited.has_header(text, is_header)
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
        header = is_header is not None and delimited.has_header(candidate[0], is_header)
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
