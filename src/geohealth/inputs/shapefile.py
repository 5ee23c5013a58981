"""Shapefile attribute text: the ``.dbf`` encoding, from its ``.cpg`` or detected.

A Shapefile stores its attributes in a ``.dbf`` whose code page is named, if at all, in a
``.cpg`` beside it. Chinese county files often come without one, in GBK. This module finds
the encoding (:func:`detect_dbf_encoding`: UTF-8, else GBK, else GB18030) and reads files
whose field names or values a fixed-width field cut in the middle of a character
(:func:`decode_cut`); :func:`geohealth.inputs.boundaries.read_vector` calls it.
"""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geohealth.errors import EncodingError
from geohealth.inputs import encodings

log = logging.getLogger(__name__)


def _sibling(path: Path, suffix: str) -> Path | None:
    """Find the file beside ``path`` with another suffix, matched case-insensitively."""
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate
    return None


def _raw_text(path: Path) -> list[bytes]:
    """Return a Shapefile's field names and distinct text values as raw bytes.

    GDAL reads the attributes as Latin-1, which maps every byte to one character and never
    fails, so encoding each name and value back to Latin-1 gives the bytes as stored.
    """
    table = pyogrio.read_dataframe(path, read_geometry=False, encoding="ISO-8859-1")
    names = [str(c).encode("latin-1") for c in table.columns]
    values = {
        v.encode("latin-1")
        for column in table.columns
        for v in pd.unique(table[column].dropna())
        if isinstance(v, str)
    }
    return names + sorted(values - {b""})


def decode_cut(raw: bytes, encoding: str) -> str:
    """Decode text that a fixed-width field may have cut in the middle of its last character.

    A Shapefile field name holds at most 10 bytes and a text value at most its field width,
    so a UTF-8 or GBK name is often cut mid-character; the partial character is dropped.

    Parameters
    ----------
    raw
        The bytes as stored (at most 10 for a field name, the field width for a value).
    encoding
        A Python codec name.

    Returns
    -------
    str
        The text.

    Raises
    ------
    UnicodeDecodeError
        If the bytes are invalid anywhere but in their last (cut) character.
    """
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.end < len(raw) or len(raw) - exc.start > 3:
            raise
        return raw[: exc.start].decode(encoding)


def _all_decode(chunks: list[bytes], encoding: str) -> bool:
    """Tell whether every chunk decodes in ``encoding`` (a cut last character allowed)."""
    try:
        for chunk in chunks:
            decode_cut(chunk, encoding)
    except UnicodeDecodeError:
        return False
    return True


def detect_dbf_encoding(path: Path, *, config_key: str) -> str | None:
    """Detect the attribute encoding of a Shapefile that has no ``.cpg``.

    The raw bytes of the ``.dbf`` field names and text values are decoded as UTF-8, else GBK,
    else GB18030 (the order :func:`geohealth.inputs.encodings.decode` uses for CSV files); a
    character cut at the end of a field is tolerated.

    Parameters
    ----------
    path
        The ``.shp`` file.
    config_key
        The key that names the file (``"boundaries.path"``), for messages.

    Returns
    -------
    str or None
        The codec name, or None when there is nothing to detect (not a Shapefile, a
        ``.cpg`` is present, or the text is plain ASCII).

    Raises
    ------
    EncodingError
        If the text is in none of those encodings.
    """
    if path.suffix.lower() != ".shp" or _sibling(path, ".cpg") is not None:
        return None
    if _sibling(path, ".dbf") is None:
        return None
    chunks = _raw_text(path)
    if all(chunk.isascii() for chunk in chunks):
        return None
    for encoding in encodings.AUTO_ENCODINGS:
        if _all_decode(chunks, encoding):
            log.info("%s: no .cpg file; attribute encoding detected as %s", path.name, encoding)
            return encoding
    prefix = config_key.rsplit(".", 1)[0]
    msg = (
        f"{path.name}: the attribute text is neither UTF-8 nor GBK/GB18030 and there is no "
        f".cpg file to say what it is — set {prefix}.encoding = 'gbk' (or the file's own code "
        "page, e.g. 'big5')"
    )
    raise EncodingError(msg)


def cpg_encoding(path: Path) -> str | None:
    """Return the Python codec a Shapefile's ``.cpg`` names, if any ("936" → "cp936").

    Parameters
    ----------
    path
        The ``.shp`` file.

    Returns
    -------
    str or None
        The codec's canonical name (``"gbk"`` for a ``.cpg`` holding ``936``, ``"utf-8"``),
        or None when there is no ``.cpg`` or it names no codec Python knows.
    """
    cpg = _sibling(path, ".cpg")
    if cpg is None:
        return None
    name = cpg.read_text(encoding="ascii", errors="ignore").strip()
    name = f"cp{name}" if name.isdigit() else name
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def read_recoded(
    path: Path, *, layer: str | None, encoding: str, config_key: str
) -> gpd.GeoDataFrame:
    """Read a Shapefile whose field names or values were cut mid-character.

    GDAL hands over the raw bytes (read as Latin-1, which never fails); each name and text
    value is then decoded in ``encoding`` with :func:`decode_cut`.

    Parameters
    ----------
    path
        The ``.shp`` file.
    layer
        Layer name, or None for the only one.
    encoding
        The attributes' Python codec name (``"utf-8"``, ``"gbk"``).
    config_key
        The key that names the file (``"boundaries.path"``), for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer as stored, its field names and text values decoded; a character cut at the
        end of a field (10 bytes for a name, the field width for a value) is dropped.

    Raises
    ------
    EncodingError
        If the attributes are not valid ``encoding`` text before their last character.
    """
    frame = gpd.read_file(path, layer=layer, engine="pyogrio", encoding="ISO-8859-1")
    prefix = config_key.rsplit(".", 1)[0]
    geometry_name = frame.geometry.name
    try:
        renamed = {
            c: decode_cut(c.encode("latin-1"), encoding)
            for c in frame.columns
            if c != geometry_name
        }
        for column in renamed:
            if pd.api.types.infer_dtype(frame[column], skipna=True) == "string":
                frame[column] = frame[column].map(
                    lambda v: decode_cut(v.encode("latin-1"), encoding) if isinstance(v, str) else v
                )
    except UnicodeDecodeError:
        msg = (
            f"{path.name}: the attributes are not valid {encoding} text — set "
            f"{prefix}.encoding to the file's encoding (e.g. 'gbk')"
        )
        raise EncodingError(msg) from None
    cut = [
        new
        for old, new in renamed.items()
        if old.encode("latin-1").decode(encoding, "replace") != new
    ]
    if cut:
        log.info(
            "%s: field names cut mid-character by the Shapefile's 10-byte limit, read as %s",
            path.name,
            ", ".join(cut),
        )
    return frame.rename(columns=renamed)
