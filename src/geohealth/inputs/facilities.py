"""Health facilities: CSV (UTF-8 or GBK), Excel or a vector file → validated points.

Coordinates are declared as WGS-84, GCJ-02 (AMap/GaoDe, Tencent) or BD-09 (Baidu) and
converted to WGS-84. The result has the columns ``facility_id`` (text), ``name``, ``level``
(a key of :data:`geohealth.inputs.levels.BY_KEY`), ``level_text`` (the text as given),
``beds`` (NaN when unknown), ``township`` (as given, may be missing), ``source_row`` (the
1-based row or feature number in the file) and the file's other columns, with point geometry
in WGS 84 (EPSG:4326).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geohealth.errors import (
    ConfigError,
    CoordinateError,
    DroppedRowsWarning,
    DuplicateIdError,
    InputError,
    LevelInferredWarning,
    OutsideStudyAreaWarning,
)
from geohealth.inputs import columns, coords, geometry, levels, tables
from geohealth.inputs.boundaries import VECTOR_SUFFIXES, read_vector
from geohealth.inputs.geometry import WGS84
from geohealth.inputs.region import Region

log = logging.getLogger(__name__)


def _rows(mask: np.ndarray, names: pd.Series, row_numbers: np.ndarray, limit: int = 5) -> str:
    idx = np.flatnonzero(mask)
    shown = ", ".join(f"row {row_numbers[i]} {names.iloc[i]}" for i in idx[:limit])
    return shown + (f" and {len(idx) - limit} more" if len(idx) > limit else "")


def _read(
    path: Path, *, encoding: str, sheet: str | None, layer: str | None
) -> tuple[pd.DataFrame, gpd.GeoDataFrame | None, str, np.ndarray]:
    """Read the file; return attributes, the vector layer (if any), encoding, row numbers."""
    suffix = path.suffix.lower()
    if suffix in VECTOR_SUFFIXES:
        frame = read_vector(path, layer=layer, encoding=None, config_key="facilities.path")
        if frame.empty:
            msg = f"{path.name}: the layer has no features — export the facilities again"
            raise InputError(msg)
        attrs = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        return attrs, frame, "vector", np.arange(1, len(frame) + 1)
    table = tables.read(path, encoding=encoding, sheet=sheet, config_key="facilities.path")
    # header is line 1 of a CSV / row 1 of a sheet, so data row i is file row i + 2
    return table.frame, None, table.encoding, np.arange(2, len(table.frame) + 2)


def _check_swapped(
    lon: np.ndarray, lat: np.ndarray, *, source: str, lon_col: str, lat_col: str
) -> None:
    """Fail when points lie outside China but would lie inside with lon/lat exchanged."""
    inside = coords.in_china(lon, lat)
    swapped = coords.in_china(lat, lon)
    suspicious = ~inside & swapped
    if suspicious.sum() > 0 and suspicious.sum() >= 0.5 * (~inside).sum():
        msg = (
            f"{source}: {int(suspicious.sum())} of {len(lon)} points fall outside China but "
            f"inside it with longitude and latitude exchanged — '{lon_col}' and '{lat_col}' "
            "look swapped: exchange facilities.lon_column and facilities.lat_column"
        )
        raise CoordinateError(msg)


def _coordinates(
    attrs: pd.DataFrame,
    frame: gpd.GeoDataFrame | None,
    *,
    source: str,
    lon_column: str | None,
    lat_column: str | None,
    system: str | None,
    names: pd.Series,
    row_numbers: np.ndarray,
    drop_missing: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return WGS-84 lon, lat and a keep-mask of rows with coordinates."""
    if frame is not None and lon_column is None and lat_column is None:
        frame = geometry.settle_crs(frame, None, source=source, config_key="facilities.crs")
        wgs = frame.to_crs(WGS84)
        geoms = wgs.geometry.to_numpy()
        if not set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist()) <= {0}:
            msg = (
                f"{source}: facilities must be points, found "
                f"{', '.join(sorted(set(wgs.geom_type.dropna())))} — give the point layer"
            )
            raise InputError(msg)
        lon = shapely.get_x(geoms)
        lat = shapely.get_y(geoms)
        lon_col, lat_col = "x", "y"
        declared = system or "wgs84"
    else:
        if system is None:
            msg = (
                f"{source}: the coordinate system is not declared — set "
                "facilities.coordinate_system to 'wgs84' (GPS/OSM), 'gcj02' (AMap/GaoDe, "
                "Tencent) or 'bd09' (Baidu)"
            )
            raise ConfigError(msg)
        cols = list(attrs.columns)
        lon_col = columns.find(
            cols, "lon", layer="facilities", configured=lon_column, source=source
        )
        lat_col = columns.find(
            cols, "lat", layer="facilities", configured=lat_column, source=source
        )
        lon = tables.to_number(
            attrs[lon_col],
            column=lon_col,
            source=source,
            row_numbers=row_numbers,
            row_label="row" if frame is None else "feature",
        ).to_numpy()
        lat = tables.to_number(
            attrs[lat_col],
            column=lat_col,
            source=source,
            row_numbers=row_numbers,
            row_label="row" if frame is None else "feature",
        ).to_numpy()
        declared = system
    missing = ~(np.isfinite(lon) & np.isfinite(lat))
    if missing.any() and not drop_missing:
        msg = (
            f"{source}: no coordinates for {_rows(missing, names, row_numbers)} — fill them "
            "in, or set facilities.drop_missing_coordinates = true"
        )
        raise CoordinateError(msg)
    if missing.any():
        msg = f"{source}: dropped {int(missing.sum())} rows without coordinates: " + _rows(
            missing, names, row_numbers
        )
        warnings.warn(msg, DroppedRowsWarning, stacklevel=4)
    keep = ~missing
    lon_k, lat_k = lon[keep], lat[keep]
    _check_swapped(lon_k, lat_k, source=source, lon_col=lon_col, lat_col=lat_col)
    out_of_range = (np.abs(lon_k) > 180) | (np.abs(lat_k) > 90)
    if out_of_range.any():
        listed = _rows(out_of_range, names[keep], row_numbers[keep])
        msg = (
            f"{source}: coordinates are not degrees ({listed}) "
            f"— '{lon_col}'/'{lat_col}' must be longitude/latitude in decimal degrees"
        )
        raise CoordinateError(msg)
    if declared != "wgs84":
        lon_k, lat_k = coords.to_wgs84(lon_k, lat_k, declared)  # type: ignore[arg-type]
    return lon_k, lat_k, keep


def _levels(
    attrs: pd.DataFrame,
    *,
    source: str,
    level_column: str | None,
    overrides: Mapping[str, str],
    names: pd.Series,
    row_numbers: np.ndarray,
) -> tuple[pd.Series, pd.Series]:
    for text, key in overrides.items():
        if key not in levels.BY_KEY:
            msg = (
                f"facilities.levels: '{text}' maps to unknown level '{key}' — use one of "
                f"{', '.join(levels.BY_KEY)}"
            )
            raise ConfigError(msg)
    level_col = columns.find(
        list(attrs.columns),
        "level",
        layer="facilities",
        configured=level_column,
        source=source,
        required=False,
    )
    if level_col is None:
        texts = names.astype("string")
        msg = f"{source}: no level column; facility levels inferred from names"
        warnings.warn(msg, LevelInferredWarning, stacklevel=4)
    else:
        texts = attrs[level_col].astype("string").str.strip()
    keys = levels.classify(texts, overrides)
    unknown = keys.isna()
    if unknown.any():
        values = texts[unknown].fillna("(blank)").value_counts()
        shown = "; ".join(f"'{v}' ×{n}" for v, n in values.head(6).items())
        where = f"column '{level_col}'" if level_col else "facility names"
        msg = (
            f"{source}: facility levels not recognised in {where}: {shown} — map them in "
            '[facilities.levels], e.g. "' + str(values.index[0]) + '" = "village_clinic"'
        )
        raise InputError(msg)
    return keys, texts


def load(
    path: str | Path,
    *,
    coordinate_system: str | None = None,
    encoding: str = "auto",
    sheet: str | None = None,
    layer: str | None = None,
    id_column: str | None = None,
    name_column: str | None = None,
    lon_column: str | None = None,
    lat_column: str | None = None,
    level_column: str | None = None,
    beds_column: str | None = None,
    township_column: str | None = None,
    level_map: Mapping[str, str] | None = None,
    drop_missing_coordinates: bool = False,
) -> gpd.GeoDataFrame:
    """Load and validate health facilities.

    Parameters
    ----------
    path
        CSV (UTF-8 or GBK/GB18030, detected), Excel ``.xlsx`` or a point vector file.
    coordinate_system
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"``; required for CSV/Excel. For vector files the
        file's CRS is used and this says whether its lon/lat are really GCJ-02/BD-09.
    encoding
        ``"auto"`` or a codec name, for CSV.
    sheet
        Excel sheet; the first when None.
    layer
        Layer of a multi-layer vector file.
    id_column, name_column, lon_column, lat_column, level_column, beds_column, township_column
        Column names; recognised automatically when None (机构编码, 机构名称, 经度, 纬度,
        机构类别, 床位数, 所属乡镇 …). Without an ID column, IDs ``F0001``… are made from the
        row order; without a level column, levels are inferred from the names.
    level_map
        Exact level text → level key, for spellings not recognised automatically.
    drop_missing_coordinates
        Drop rows without coordinates (with a warning) instead of failing.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per facility, point geometry in EPSG:4326 (see the module docstring).

    Raises
    ------
    InputFileNotFoundError, EncodingError, MissingColumnError, CoordinateError,
    DuplicateIdError, InputError, ConfigError
        With a one-line message naming the file and the fix.
    """
    path = Path(path)
    source = path.name
    attrs, frame, enc, row_numbers = _read(path, encoding=encoding, sheet=sheet, layer=layer)
    cols = list(attrs.columns)
    name_col = columns.find(cols, "name", layer="facilities", configured=name_column, source=source)
    names = attrs[name_col].astype("string").str.strip()
    blank = (names.isna() | (names == "")).to_numpy()
    if blank.any():
        rows = ", ".join(str(r) for r in row_numbers[blank][:10])
        msg = f"{source}: facility name is blank in row(s) {rows} — fill in '{name_col}'"
        raise InputError(msg)

    id_col = columns.find(
        cols, "id", layer="facilities", configured=id_column, source=source, required=False
    )
    if id_col is None:
        ids = pd.Series([f"F{i:04d}" for i in range(1, len(attrs) + 1)], dtype="string")
        log.info("%s: no facility ID column; numbering facilities F0001…", source)
    else:
        ids = attrs[id_col].astype("string").str.strip()
        blank_id = (ids.isna() | (ids == "")).to_numpy()
        if blank_id.any():
            msg = (
                f"{source}: facility ID is blank for {_rows(blank_id, names, row_numbers)} "
                f"— fill in '{id_col}'"
            )
            raise InputError(msg)
        dup = ids.duplicated(keep=False).to_numpy()
        if dup.any():
            repeated = ", ".join(sorted(set(ids[dup].astype(str)))[:5])
            msg = (
                f"{source}: facility IDs repeat ({repeated}: "
                f"{_rows(dup, names, row_numbers)}) — give each facility its own "
                f"'{id_col}'"
            )
            raise DuplicateIdError(msg)

    level_keys, level_texts = _levels(
        attrs,
        source=source,
        level_column=level_column,
        overrides=level_map or {},
        names=names,
        row_numbers=row_numbers,
    )
    beds_col = columns.find(
        cols, "beds", layer="facilities", configured=beds_column, source=source, required=False
    )
    beds = (
        tables.to_number(
            attrs[beds_col],
            column=beds_col,
            source=source,
            row_numbers=row_numbers,
            row_label="row" if frame is None else "feature",
        )
        if beds_col is not None
        else pd.Series(np.nan, index=attrs.index)
    )
    if (beds < 0).any():
        msg = f"{source}: negative beds in '{beds_col}' — fix those rows"
        raise InputError(msg)
    town_col = columns.find(
        cols,
        "township",
        layer="facilities",
        configured=township_column,
        source=source,
        required=False,
    )

    lon, lat, keep = _coordinates(
        attrs,
        frame,
        source=source,
        lon_column=lon_column,
        lat_column=lat_column,
        system=coordinate_system,
        names=names,
        row_numbers=row_numbers,
        drop_missing=drop_missing_coordinates,
    )
    used = {c for c in (name_col, id_col, beds_col, town_col) if c is not None}
    rest = attrs.drop(columns=[c for c in used if c in attrs.columns])
    rest = rest.drop(
        columns=[
            c
            for c in (
                "facility_id",
                "name",
                "level",
                "level_text",
                "beds",
                "township",
                "source_row",
            )
            if c in rest.columns
        ]
    )
    out = gpd.GeoDataFrame(
        {
            "facility_id": ids.to_numpy()[keep],
            "name": names.to_numpy()[keep],
            "level": level_keys.to_numpy()[keep],
            "level_text": level_texts.to_numpy()[keep],
            "beds": beds.to_numpy(dtype=float)[keep],
            "township": (
                attrs[town_col].astype("string").str.strip().to_numpy()[keep]
                if town_col is not None
                else pd.NA
            ),
            "source_row": row_numbers[keep],
        },
        geometry=shapely.points(lon, lat),
        crs=WGS84,
    )
    for column in rest.columns:
        out[column] = rest[column].to_numpy()[keep]
    out.attrs["encoding"] = enc
    out.attrs["coordinate_system"] = coordinate_system or "wgs84"
    log.info(
        "loaded %d facilities from %s (%s, %s)",
        len(out),
        source,
        enc,
        coordinate_system or "file CRS",
    )
    return out


def check_inside(
    facilities: gpd.GeoDataFrame,
    region: Region,
    *,
    buffer_km: float,
    drop_outside: bool = False,
    source: str = "facilities",
) -> gpd.GeoDataFrame:
    """Check facilities against the study region.

    Facilities outside every township but within ``buffer_km`` are kept with a warning (a
    hospital across the county line still serves residents); farther ones are an error, or
    dropped with a warning when ``drop_outside``.

    Parameters
    ----------
    facilities
        As returned by :func:`load`.
    region
        The study region.
    buffer_km
        Tolerated distance outside the region (km).
    drop_outside
        Drop far-away facilities instead of failing.
    source
        The file name, for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        The facilities kept, with a boolean column ``inside_region``.

    Raises
    ------
    CoordinateError
        If facilities lie farther than ``buffer_km`` outside and ``drop_outside`` is false.

    Warns
    -----
    OutsideStudyAreaWarning
        For facilities kept outside the townships, and for those dropped.
    """
    metric = facilities.to_crs(region.metric_crs).geometry
    outline = gpd.GeoSeries([region.outline], crs=WGS84).to_crs(region.metric_crs).iloc[0]
    distance_km = shapely.distance(metric.to_numpy(), outline) / 1000.0
    inside = distance_km <= 0.0
    far = distance_km > buffer_km
    names = facilities["name"].astype(str)
    rows = facilities["source_row"].to_numpy()
    out = facilities.copy()
    out["inside_region"] = inside
    if far.any():
        listed = _rows(far, names, rows)
        if not drop_outside:
            if far.all():
                msg = (
                    f"{source}: all {len(far)} facilities lie more than {buffer_km:g} km "
                    "outside the townships — check facilities.coordinate_system and that "
                    "both layers cover the same place"
                )
            else:
                msg = (
                    f"{source}: {int(far.sum())} facilities lie more than {buffer_km:g} km "
                    f"outside the townships ({listed}) — fix their coordinates, or set "
                    "facilities.drop_outside = true"
                )
            raise CoordinateError(msg)
        msg = f"{source}: dropped {int(far.sum())} facilities far outside the townships: {listed}"
        warnings.warn(msg, DroppedRowsWarning, stacklevel=2)
        out = out.loc[~far].copy()
    near = ~inside & ~far
    if near.any():
        msg = (
            f"{source}: {int(near.sum())} facilities lie outside every township but within "
            f"{buffer_km:g} km; kept: {_rows(near, names, rows)}"
        )
        warnings.warn(msg, OutsideStudyAreaWarning, stacklevel=2)
    return out
