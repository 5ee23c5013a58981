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
from geohealth.inputs import columns, geometry, region, shapefile, tables

log = logging.getLogger(__name__)

VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb", ".gml", ".kml")


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
        GBK/GB18030) when None, by :func:`geohealth.inputs.shapefile.detect_dbf_encoding`.
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
        used = encoding or shapefile.detect_dbf_encoding(path, config_key=config_key)
        if used:
            kwargs["encoding"] = used
        frame = gpd.read_file(path, layer=layer, engine="pyogrio", **kwargs)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        msg = f"{path.name}: not a readable vector file ({exc}) — re-export it as GeoPackage"
        raise InputError(msg) from None
    except UnicodeDecodeError:
        fallback = used or shapefile.cpg_encoding(path)
        if path.suffix.lower() == ".shp" and fallback is not None:
            # names or values cut mid-character (10-byte field names): decode them leniently
            frame = shapefile.read_recoded(
                path, layer=layer, encoding=fallback, config_key=config_key
            )
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
