"""Township boundaries: GeoPackage, GeoJSON or Shapefile → validated townships.

The result has the columns ``code`` (text: 12-digit statistical codes keep leading zeros),
``name``, ``population`` (persons, NaN when the file has none) and the file's other columns,
with polygon geometry in WGS 84 (EPSG:4326).
"""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geohealth.errors import DuplicateIdError, EncodingError, InputError
from geohealth.inputs import columns, encodings, geometry, region, tables

log = logging.getLogger(__name__)

VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb", ".gml", ".kml")


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
        The bytes.
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


def _cpg_encoding(path: Path) -> str | None:
    """Return the Python codec a Shapefile's ``.cpg`` names, if any ("936" → "cp936")."""
    cpg = _sibling(path, ".cpg")
    if cpg is None:
        return None
    name = cpg.read_text(encoding="ascii", errors="ignore").strip()
    name = f"cp{name}" if name.isdigit() else name
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _read_recoded(
    path: Path, *, layer: str | None, encoding: str, config_key: str
) -> gpd.GeoDataFrame:
    """Read a Shapefile whose field names or values were cut mid-character.

    GDAL hands over the raw bytes (read as Latin-1, which never fails); each name and text
    value is then decoded in ``encoding`` with :func:`decode_cut`.
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


def _is_kind(geometry_type: object, kind: str) -> bool:
    text = str(geometry_type or "").lower()
    if kind == "polygon":
        return "polygon" in text or "surface" in text
    return kind in text


def _choose_layer(path: Path, *, kind: str, config_key: str) -> str | None:
    """Pick the layer of a multi-layer file: the only one with ``kind`` geometry, or fail."""
    listed = pyogrio.list_layers(path)
    if len(listed) <= 1:
        return None
    matching = [str(name) for name, gtype in listed if _is_kind(gtype, kind)]
    prefix = config_key.rsplit(".", 1)[0]
    if len(matching) == 1:
        log.info(
            "%s: %d layers; using '%s', the only one with %ss (set %s.layer to choose)",
            path.name,
            len(listed),
            matching[0],
            kind,
            prefix,
        )
        return matching[0]
    described = ", ".join(
        f"{name} ({gtype or 'no geometry'}, "
        f"{pyogrio.read_info(path, layer=str(name), force_feature_count=True)['features']} "
        "features)"
        for name, gtype in listed
    )
    example = matching[0] if matching else str(listed[0][0])
    which = f"{len(matching)} hold {kind}s" if matching else f"none holds {kind}s"
    msg = (
        f"{path.name}: {len(listed)} layers and {prefix}.layer is not set ({which}): "
        f"{described} — set {prefix}.layer = '{example}' (or the right one)"
    )
    raise InputError(msg)


def read_vector(
    path: Path,
    *,
    layer: str | None,
    encoding: str | None,
    config_key: str,
    kind: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector file with pyogrio, turning its errors into one-line messages.

    Parameters
    ----------
    path
        The file.
    layer
        Layer name, for multi-layer files.
    encoding
        Attribute encoding; for Shapefiles without ``.cpg`` it is detected (UTF-8, else
        GBK/GB18030) when None.
    config_key
        The key that names the file, for messages.
    kind
        ``"polygon"`` or ``"point"``: with several layers and no ``layer``, use the only
        layer of that geometry, else fail listing the layers. None reads the first layer.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer as stored; ``attrs["encoding"]`` holds the encoding used (None: the
        file's own or GDAL's).

    Raises
    ------
    InputFileNotFoundError
        If the file is missing.
    InputError
        If the file or layer cannot be read, or several layers fit and none is named.
    EncodingError
        If the attributes cannot be decoded.
    """
    tables.require_file(path, config_key=config_key)
    prefix = config_key.rsplit(".", 1)[0]
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            msg = f"{path.name}: unknown encoding '{encoding}' — fix {prefix}.encoding (e.g. 'gbk')"
            raise EncodingError(msg) from None
    kwargs: dict[str, object] = {}
    used = encoding
    try:
        if layer is not None:
            names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
            if layer not in names:
                msg = (
                    f"{path.name}: layer '{layer}' not found; layers are: {', '.join(names)} "
                    f"— fix {prefix}.layer"
                )
                raise InputError(msg)
        elif kind is not None:
            layer = _choose_layer(path, kind=kind, config_key=config_key)
        used = encoding or detect_dbf_encoding(path, config_key=config_key)
        if used:
            kwargs["encoding"] = used
        frame = gpd.read_file(path, layer=layer, engine="pyogrio", **kwargs)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        msg = f"{path.name}: not a readable vector file ({exc}) — re-export it as GeoPackage"
        raise InputError(msg) from None
    except UnicodeDecodeError:
        fallback = used or _cpg_encoding(path)
        if path.suffix.lower() == ".shp" and fallback is not None:
            # names or values cut mid-character (10-byte field names): decode them leniently
            frame = _read_recoded(path, layer=layer, encoding=fallback, config_key=config_key)
        else:
            msg = (
                f"{path.name}: the attributes are not valid {used or 'UTF-8'} text — set "
                f"{prefix}.encoding to the file's encoding (e.g. 'gbk')"
            )
            raise EncodingError(msg) from None
    frame.attrs["encoding"] = used
    return frame


def _codes_as_text(values: pd.Series, *, source: str) -> pd.Series:
    """Turn a code column into text without '.0' tails, warning if it was numeric."""
    if pd.api.types.is_numeric_dtype(values):
        log.warning(
            "%s: township codes are stored as numbers; leading zeros may be lost "
            "— store them as text",
            source,
        )
        as_int = values.astype("Int64")
        return as_int.astype("string")
    return values.astype("string").str.strip()


def load(
    path: str | Path,
    *,
    layer: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    name_column: str | None = None,
    code_column: str | None = None,
    population_column: str | None = None,
    coordinate_system: str | None = None,
) -> gpd.GeoDataFrame:
    """Load and validate township boundaries.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON or Shapefile.
    layer
        Layer of a multi-layer file; when None, the only layer holding polygons (several
        polygon layers are an error listing them).
    crs
        CRS to assume when the file has none: geographic (``"EPSG:4490"``) or projected
        (``"EPSG:4526"``, ``"EPSG:32651"``) to match the coordinates' units; it also
        replaces a file CRS that contradicts the coordinates.
    encoding
        Attribute encoding for Shapefiles without ``.cpg`` (e.g. ``"gbk"``); detected
        (UTF-8, else GBK/GB18030) when None.
    name_column, code_column, population_column
        Column names; recognised automatically when None (名称/乡镇, 代码, 人口 …). A missing
        code column makes codes from the row order; a missing population column leaves
        ``population`` as NaN.
    coordinate_system
        ``"gcj02"`` or ``"bd09"`` for lon/lat outlines exported from Chinese web maps
        (converted to WGS-84 vertex by vertex); ``"wgs84"`` or None for none.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per township: ``code`` (text), ``name``, ``population`` (persons), the file's
        other columns, polygon geometry in EPSG:4326, disjoint (see
        :func:`geohealth.inputs.region.resolve_overlaps`). ``attrs`` holds ``source_crs``,
        ``coordinate_system``, ``encoding`` and ``overlaps``.

    Raises
    ------
    InputFileNotFoundError, InputError, MissingColumnError, NoCrsError, DuplicateIdError,
    CoordinateError, ConfigError, EncodingError
        With a one-line message naming the file and the fix.

    Warns
    -----
    GeometryRepairWarning
        When invalid polygons were repaired.
    OverlappingTownshipsWarning
        For each pair of townships overlapping by more than a sliver.
    """
    path = Path(path)
    source = path.name
    frame = read_vector(
        path, layer=layer, encoding=encoding, config_key="boundaries.path", kind="polygon"
    )
    used_encoding = frame.attrs.get("encoding")
    if frame.empty:
        msg = f"{source}: the layer has no features — export the townships again"
        raise InputError(msg)
    frame = geometry.settle_crs(frame, crs, source=source, config_key="boundaries.crs")
    source_crs = frame.crs.to_string()
    frame = geometry.convert_web_coordinates(  # → WGS-84; refuses a projected file
        frame, coordinate_system, source=source, config_key="boundaries.coordinate_system"
    )
    attrs = [c for c in frame.columns if c != frame.geometry.name]
    name_col = columns.find(
        attrs, "name", layer="boundaries", configured=name_column, source=source
    )
    code_col = columns.find(
        attrs, "code", layer="boundaries", configured=code_column, source=source, required=False
    )
    pop_col = columns.find(
        attrs,
        "population",
        layer="boundaries",
        configured=population_column,
        source=source,
        required=False,
    )

    names = frame[name_col].astype("string").str.strip()
    if names.isna().any() or (names == "").any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(names.isna() | (names == "")))
        msg = f"{source}: township name is blank in feature(s) {rows} — fill in '{name_col}'"
        raise InputError(msg)
    if code_col is None:
        log.info("%s: no township code column; using row numbers as codes", source)
        codes = pd.Series(
            [f"{i + 1:03d}" for i in range(len(frame))], index=frame.index, dtype="string"
        )
    else:
        codes = _codes_as_text(frame[code_col], source=source)
    duplicated = codes[codes.duplicated(keep=False)]
    if not duplicated.empty:
        shown = ", ".join(sorted(set(duplicated.astype(str)))[:5])
        msg = (
            f"{source}: township codes repeat ({shown}) — each township needs its own code "
            f"in '{code_col}'"
        )
        raise DuplicateIdError(msg)
    labels = [f"{n} ({c})" for n, c in zip(names, codes, strict=True)]

    geoms = frame.geometry.to_numpy()
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        bad = ", ".join(labels[i] for i in np.flatnonzero(empty)[:5])
        msg = f"{source}: township(s) with empty geometry: {bad} — draw their boundaries"
        raise InputError(msg)
    kinds = set(shapely.get_type_id(geoms).tolist())
    if not kinds <= {3, 6}:
        msg = (
            f"{source}: township boundaries must be polygons, found "
            f"{', '.join(sorted(set(frame.geom_type)))} — give the polygon layer"
        )
        raise InputError(msg)
    frame = geometry.repair_polygons(frame, labels=labels, source=source)

    population = (
        tables.to_number(
            frame[pop_col].astype("string"),
            column=pop_col,
            source=source,
            row_numbers=np.arange(1, len(frame) + 1),
            row_label="feature",
        )
        if pop_col is not None
        else pd.Series(np.nan, index=frame.index)
    )
    if (population < 0).any():
        msg = f"{source}: negative population in '{pop_col}' — fix those townships"
        raise InputError(msg)

    rest = frame.drop(columns=[c for c in (name_col, code_col, pop_col) if c is not None])
    rest = rest.drop(columns=[c for c in ("code", "name", "population") if c in rest.columns])
    out = gpd.GeoDataFrame(
        {
            "code": codes.to_numpy(),
            "name": names.to_numpy(),
            "population": population.to_numpy(dtype=float),
        },
        geometry=rest.geometry.to_numpy(),
        crs=rest.crs,
    )
    for column in rest.columns:
        if column != rest.geometry.name:
            out[column] = rest[column].to_numpy()
    geometry.check_degrees(out, source=source)
    out = region.resolve_overlaps(out, labels=labels, source=source)
    out.attrs["source_crs"] = source_crs
    out.attrs["coordinate_system"] = coordinate_system or "wgs84"
    out.attrs["encoding"] = used_encoding
    out.attrs.setdefault("overlaps", [])
    log.info("loaded %d townships from %s", len(out), source)
    return out
