"""Health facilities: CSV (UTF-8 or GBK), Excel or a vector file → validated points.

Coordinates are declared as WGS-84, GCJ-02 (AMap/GaoDe, Tencent) or BD-09 (Baidu) and
converted to WGS-84. The result has the columns ``facility_id`` (text), ``name``, ``level``
(a key of :data:`geohealth.inputs.levels.BY_KEY`), ``level_text`` (the text as given),
``beds`` (NaN when unknown), ``township`` (as given, may be missing), ``source_row`` (the
1-based row or feature number in the file) and the file's other columns, with point geometry
in WGS 84 (EPSG:4326). ``attrs`` records the encoding, the coordinate system and the columns
the coordinates came from.

Tables are read as bureaus export them: a title row above the header is skipped, the sheet
holding the list is found, a single AMap ``location`` column (``116.397128,39.916527``) is
split, and levels must be known spellings (:mod:`geohealth.inputs.levels`).
"""

from __future__ import annotations

import logging
import re
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
    path: Path,
    *,
    encoding: str,
    sheet: str | None,
    layer: str | None,
    header_row: int | None,
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
    table = tables.read(
        path,
        encoding=encoding,
        sheet=sheet,
        config_key="facilities.path",
        header_row=header_row,
        is_header=columns.is_facility_header,
    )
    if table.row_numbers is not None:
        return table.frame, None, table.encoding, table.row_numbers
    return table.frame, None, table.encoding, np.arange(2, len(table.frame) + 2)


def _swap_fix(lon_col: str | None, lat_col: str | None) -> str:
    """How to fix swapped coordinates read from these columns (None: a layer's geometry)."""
    if lon_col is None or lat_col is None:
        return "the layer's x and y look swapped — export it again with longitude as x"
    if lon_col == lat_col:
        return (
            f"the pairs in '{lon_col}' look like latitude,longitude — write them longitude "
            "first, as AMap does (116.397128,39.916527)"
        )
    return (
        f"'{lon_col}' and '{lat_col}' look swapped: exchange facilities.lon_column and "
        "facilities.lat_column"
    )


def _check_swapped(
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    source: str,
    lon_col: str | None,
    lat_col: str | None,
    names: pd.Series,
    row_numbers: np.ndarray,
) -> None:
    """Fail when points lie outside China but would lie inside with lon/lat exchanged.

    Most points so: the columns are swapped. A few: those rows are named.
    """
    inside = coords.in_china(lon, lat)
    swapped = coords.in_china(lat, lon)
    suspicious = ~inside & swapped
    if not suspicious.any() or suspicious.sum() < 0.5 * (~inside).sum():
        return
    if suspicious.sum() > 0.5 * len(lon):
        msg = (
            f"{source}: {int(suspicious.sum())} of {len(lon)} points fall outside China but "
            f"inside it with longitude and latitude exchanged — {_swap_fix(lon_col, lat_col)}"
        )
    else:
        msg = (
            f"{source}: {_rows(suspicious, names, row_numbers)} fall outside China but inside "
            "it with longitude and latitude exchanged — exchange the two values in those rows"
        )
    raise CoordinateError(msg)


def _check_in_china(
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    source: str,
    lon_col: str | None,
    lat_col: str | None,
    names: pd.Series,
    row_numbers: np.ndarray,
) -> None:
    """Fail when most points lie outside China whichever way lon/lat are read.

    A few stray points are left to :func:`check_inside`, which names them and may drop them.
    """
    outside = ~coords.in_china(lon, lat) & ~coords.in_china(lat, lon)
    if outside.sum() <= 0.5 * len(lon):
        return
    idx = np.flatnonzero(outside)
    shown = ", ".join(
        f"row {row_numbers[i]} {names.iloc[i]} ({lon[i]:g}, {lat[i]:g})" for i in idx[:3]
    )
    if lon_col is None or lat_col is None:
        fix = "check the layer's CRS (facilities.crs) and that it is the facilities layer"
    elif lon_col == lat_col:
        fix = f"check that '{lon_col}' holds longitude,latitude pairs in degrees"
    else:
        fix = (
            f"check that '{lon_col}' and '{lat_col}' hold longitude and latitude in degrees "
            "(facilities.lon_column, facilities.lat_column)"
        )
    msg = (
        f"{source}: {len(idx)} of {len(lon)} points lie outside China, with or without "
        f"longitude and latitude exchanged ({shown}) — {fix}, and facilities.coordinate_system"
    )
    raise CoordinateError(msg)


_PAIR = re.compile(r"^\s*([+-]?\d+(?:\.\d*)?)\s*[,，]\s*([+-]?\d+(?:\.\d*)?)\s*$")


def _split_pairs(
    values: pd.Series, *, column: str, source: str, row_numbers: np.ndarray, row_label: str
) -> tuple[np.ndarray, np.ndarray]:
    """Split "longitude,latitude" cells (AMap's ``location``) into two float arrays."""
    text = values.astype("string").str.normalize("NFKC").str.strip().replace("", pd.NA)
    parts = text.str.extract(_PAIR)
    bad = (text.notna() & parts[0].isna()).to_numpy()
    if bad.any():
        shown = ", ".join(
            f"{row_label} {row_numbers[i]}: '{values.iloc[i]}'" for i in np.flatnonzero(bad)[:5]
        )
        more = f" and {int(bad.sum()) - 5} more" if bad.sum() > 5 else ""
        msg = (
            f"{source}: column '{column}' has values that are not longitude,latitude pairs "
            f"({shown}{more}) — write them as 116.397128,39.916527 (longitude first), or give "
            "separate longitude and latitude columns"
        )
        raise InputError(msg)
    lon = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype=float)
    return lon, lat


def _table_coordinates(
    attrs: pd.DataFrame,
    *,
    source: str,
    lon_column: str | None,
    lat_column: str | None,
    row_numbers: np.ndarray,
    row_label: str,
) -> tuple[np.ndarray, np.ndarray, str, str]:
    """Longitude, latitude and their column names from separate columns or a pair column."""
    cols = list(attrs.columns)
    pair_col: str | None = None
    if lon_column is not None and lon_column == lat_column:
        # one column named as both: "longitude,latitude" pairs (role "lon" for the message)
        pair_col = columns.find(
            cols, "lon", layer="facilities", configured=lon_column, source=source
        )
    elif lon_column is None and lat_column is None:
        found_lon = columns.find(cols, "lon", layer="facilities", source=source, required=False)
        found_lat = columns.find(cols, "lat", layer="facilities", source=source, required=False)
        if found_lon is None or found_lat is None:
            pair_col = columns.find(
                cols, "lonlat", layer="facilities", source=source, required=False
            )
    if pair_col is not None:
        lon, lat = _split_pairs(
            attrs[pair_col],
            column=pair_col,
            source=source,
            row_numbers=row_numbers,
            row_label=row_label,
        )
        log.info("%s: longitude,latitude pairs read from column '%s'", source, pair_col)
        return lon, lat, pair_col, pair_col
    lon_col = columns.find(cols, "lon", layer="facilities", configured=lon_column, source=source)
    lat_col = columns.find(cols, "lat", layer="facilities", configured=lat_column, source=source)
    assert lon_col is not None  # required: find raises otherwise
    assert lat_col is not None
    lon = tables.to_number(
        attrs[lon_col], column=lon_col, source=source, row_numbers=row_numbers, row_label=row_label
    ).to_numpy()
    lat = tables.to_number(
        attrs[lat_col], column=lat_col, source=source, row_numbers=row_numbers, row_label=row_label
    ).to_numpy()
    return lon, lat, lon_col, lat_col


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
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str | None, str | None]]:
    """Return WGS-84 lon, lat, a keep-mask of rows with coordinates, and their columns.

    The columns are None when the coordinates come from a vector layer's geometry.
    """
    lon_col: str | None
    lat_col: str | None
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
        lon_col, lat_col = None, None  # the geometry's x and y
        declared = system or "wgs84"
    else:
        if system is None:
            msg = (
                f"{source}: the coordinate system is not declared — set "
                "facilities.coordinate_system to 'wgs84' (GPS/OSM), 'gcj02' (AMap/GaoDe, "
                "Tencent) or 'bd09' (Baidu)"
            )
            raise ConfigError(msg)
        lon, lat, lon_col, lat_col = _table_coordinates(
            attrs,
            source=source,
            lon_column=lon_column,
            lat_column=lat_column,
            row_numbers=row_numbers,
            row_label="row" if frame is None else "feature",
        )
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
    _check_swapped(
        lon_k,
        lat_k,
        source=source,
        lon_col=lon_col,
        lat_col=lat_col,
        names=names[keep],
        row_numbers=row_numbers[keep],
    )
    out_of_range = (np.abs(lon_k) > 180) | (np.abs(lat_k) > 90)
    if out_of_range.any():
        listed = _rows(out_of_range, names[keep], row_numbers[keep])
        msg = (
            f"{source}: coordinates are not degrees ({listed}) "
            f"— '{lon_col or 'x'}'/'{lat_col or 'y'}' must be longitude/latitude in decimal "
            "degrees"
        )
        raise CoordinateError(msg)
    _check_in_china(
        lon_k,
        lat_k,
        source=source,
        lon_col=lon_col,
        lat_col=lat_col,
        names=names[keep],
        row_numbers=row_numbers[keep],
    )
    if declared != "wgs84":
        lon_k, lat_k = coords.to_wgs84(lon_k, lat_k, declared)  # type: ignore[arg-type]
    return lon_k, lat_k, keep, (lon_col, lat_col)


def _counted(values: pd.Series, limit: int = 5) -> str:
    """'text' (count), … for the most frequent values, blanks shown as (blank)."""
    counts = values.fillna("").value_counts()
    shown = ", ".join(
        ("(blank)" if text == "" else f"'{text}'") + f" ({n})"
        for text, n in counts.head(limit).items()
    )
    return shown + (f" and {len(counts) - limit} more" if len(counts) > limit else "")


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
    known = ", ".join(levels.BY_KEY)
    level_col = columns.find(
        list(attrs.columns),
        "level",
        layer="facilities",
        configured=level_column,
        source=source,
        required=False,
    )
    if level_col is not None:
        texts = attrs[level_col].astype("string").str.strip()
        keys = levels.classify(texts, overrides)
        unknown = keys.isna()
        if unknown.any():
            bad = texts[unknown]
            example = str(bad.dropna().iloc[0]) if bad.notna().any() else ""
            guess = levels.suggest(example) if example else None
            fix = (
                f'map each in [facilities.levels], e.g. "{example}" = "{guess or "village_clinic"}"'
                if example
                else f"fill in '{level_col}'"
            )
            rows = "1 row has" if unknown.sum() == 1 else f"{int(unknown.sum())} rows have"
            msg = (
                f"{source}: {rows} a level text in '{level_col}' that is not a known "
                f"level: {_counted(bad)} — {fix}; known levels: {known}"
            )
            raise InputError(msg)
        return keys, texts
    texts = names.astype("string")
    msg = f"{source}: no level column; facility levels inferred from names"
    warnings.warn(msg, LevelInferredWarning, stacklevel=4)
    keys = levels.infer_from_names(texts, overrides)
    unknown = keys.isna().to_numpy()
    if unknown.any():
        found = {text: levels.candidates_from_name(text) for text in set(texts[unknown])}
        untold = [i for i in np.flatnonzero(unknown) if not found[texts.iloc[i]]]
        torn = [i for i in np.flatnonzero(unknown) if found[texts.iloc[i]]]
        parts = []
        if untold:
            shown = ", ".join(f"'{texts.iloc[i]}' (row {row_numbers[i]})" for i in untold[:5])
            more = f" and {len(untold) - 5} more" if len(untold) > 5 else ""
            what = "name tells" if len(untold) == 1 else "names tell"
            parts.append(f"{len(untold)} facility {what} no level: {shown}{more}")
        if torn:
            shown = ", ".join(
                f"'{texts.iloc[i]}' (row {row_numbers[i]}: {' or '.join(found[texts.iloc[i]])})"
                for i in torn[:5]
            )
            more = f" and {len(torn) - 5} more" if len(torn) > 5 else ""
            what = "name fits" if len(torn) == 1 else "names fit"
            parts.append(f"{len(torn)} {what} more than one level: {shown}{more}")
        first = texts.iloc[(torn or untold)[0]]
        example = (found[first] or ("village_clinic",))[0]
        msg = (
            f"{source}: no level column, and {'; '.join(parts)} — add a level column "
            f"(机构类别) or set facilities.level_column, or map each name in "
            f'[facilities.levels], e.g. "{first}" = "{example}"; known levels: {known}'
        )
        raise InputError(msg)
    return keys, texts


def _warn_no_primary_care(level_keys: np.ndarray, *, source: str) -> None:
    """Log when no facility gives primary care: valid, but primary coverage will be zero."""
    if not any(levels.serves(str(key), "primary") for key in set(level_keys)):
        log.warning(
            "%s: no primary-care facility in the list (village clinic, township health "
            "centre, community health centre/station, clinic) — primary-care coverage will "
            "be zero",
            source,
        )


def load(
    path: str | Path,
    *,
    coordinate_system: str | None = None,
    encoding: str = "auto",
    sheet: str | None = None,
    layer: str | None = None,
    header_row: int | None = None,
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
        ``"auto"`` (UTF-8, else GBK/GB18030; a Big5 file is named in the error) or a codec
        name such as ``"big5"``, for CSV.
    sheet
        Excel sheet; when None, the first sheet whose first rows hold the facility columns
        (logged when it is not the first sheet).
    layer
        Layer of a multi-layer vector file.
    header_row
        CSV line or sheet row (1-based) of the column names; when None, the first of the
        first 10 rows that names longitude and latitude, or name and level (title rows above
        it are skipped). Row numbers in messages and ``source_row`` stay the file's own.
    id_column, name_column, lon_column, lat_column, level_column, beds_column, township_column
        Column names; recognised automatically when None (机构编码, 机构名称, 经度, 纬度,
        机构类别, 床位数, 所属乡镇 …). Without separate longitude/latitude columns, one
        ``longitude,latitude`` column is split (location, 坐标, 经纬度 …; or name the same
        column as both ``lon_column`` and ``lat_column``). Without an ID column, IDs
        ``F0001``… are made from the row order; without a level column, levels are inferred
        from the names.
    level_map
        Level text (or, without a level column, facility name) → level key, for spellings
        not recognised: a level text must be a known spelling, not merely contain one.
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
        With a one-line message naming the file and the fix: among others, level texts
        that are not known spellings, names that tell no level or several, longitude and
        latitude swapped, points not in China at all.

    Notes
    -----
    A list without any primary-care facility loads (a hospital-only list is valid) with a
    logged warning that primary-care coverage will be zero.
    """
    path = Path(path)
    source = path.name
    attrs, frame, enc, row_numbers = _read(
        path, encoding=encoding, sheet=sheet, layer=layer, header_row=header_row
    )
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

    lon, lat, keep, (lon_col, lat_col) = _coordinates(
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
    out.attrs["source"] = source
    out.attrs["lon_column"] = lon_col
    out.attrs["lat_column"] = lat_col
    _warn_no_primary_care(out["level"].to_numpy(), source=source)
    log.info(
        "loaded %d facilities from %s (%s, %s)",
        len(out),
        source,
        enc,
        coordinate_system or "file CRS",
    )
    return out


def _distance_km(points: np.ndarray, region: Region) -> np.ndarray:
    """Distance (km) from WGS-84 points to the region, measured in its metric CRS.

    Missing points, and points the metric CRS cannot project, are infinitely far.
    """
    metric = gpd.GeoSeries(points, crs=WGS84).to_crs(region.metric_crs).to_numpy()
    outline = gpd.GeoSeries([region.outline], crs=WGS84).to_crs(region.metric_crs).iloc[0]
    with np.errstate(invalid="ignore"):
        distance = shapely.distance(metric, outline) / 1000.0
    return np.where(np.isfinite(distance), distance, np.inf)


def check_inside(
    facilities: gpd.GeoDataFrame,
    region: Region,
    *,
    buffer_km: float,
    drop_outside: bool = False,
    source: str | None = None,
) -> gpd.GeoDataFrame:
    """Check facilities against the study region.

    Facilities outside every township but within ``buffer_km`` are kept with a warning (a
    hospital across the county line still serves residents); farther ones are an error, or
    dropped with a warning when ``drop_outside``. When most facilities lie far outside but
    would lie inside with longitude and latitude exchanged, the columns (named in
    ``facilities.attrs``) are reported as swapped, whatever ``drop_outside`` says; single
    rows that look swapped are named too.

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
        The file name, for messages; by default the one :func:`load` recorded in
        ``facilities.attrs["source"]``, else ``"facilities"``.

    Returns
    -------
    geopandas.GeoDataFrame
        The facilities kept, with a boolean column ``inside_region``.

    Raises
    ------
    CoordinateError
        If facilities lie farther than ``buffer_km`` outside and ``drop_outside`` is false,
        or most of them would lie inside with longitude and latitude exchanged.

    Warns
    -----
    OutsideStudyAreaWarning
        For facilities kept outside the townships, and for those dropped.
    """
    if source is None:
        source = str(facilities.attrs.get("source", "facilities"))
    geoms = facilities.geometry.to_crs(WGS84).to_numpy()
    distance_km = _distance_km(geoms, region)
    inside = distance_km <= 0.0
    far = distance_km > buffer_km
    names = facilities["name"].astype(str)
    rows = facilities["source_row"].to_numpy()
    out = facilities.copy()
    out["inside_region"] = inside
    if far.any():
        listed = _rows(far, names, rows)
        # with x and y exchanged, would the far points lie in the townships?
        x, y = shapely.get_x(geoms), shapely.get_y(geoms)
        exchanged = np.where(np.abs(x) <= 90, shapely.points(y, x), None)
        rescued = far & (_distance_km(exchanged, region) <= buffer_km)
        if rescued.sum() > 0.5 * len(far):
            if "lon_column" in facilities.attrs:
                fix = _swap_fix(facilities.attrs["lon_column"], facilities.attrs["lat_column"])
            else:
                fix = "exchange them (facilities.lon_column and facilities.lat_column)"
            msg = (
                f"{source}: {int(rescued.sum())} of {len(far)} facilities lie more than "
                f"{buffer_km:g} km outside the townships but inside them with longitude and "
                f"latitude exchanged — {fix}"
            )
            raise CoordinateError(msg)
        if rescued.any() and not drop_outside:
            msg = (
                f"{source}: {int(far.sum())} facilities lie more than {buffer_km:g} km outside "
                f"the townships ({listed}); {_rows(rescued, names, rows)} would lie inside "
                "with longitude and latitude exchanged — exchange the two values in those "
                "rows, or set facilities.drop_outside = true"
            )
            raise CoordinateError(msg)
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
        if rescued.any():
            msg += (
                f" ({_rows(rescued, names, rows)} would lie inside with longitude and latitude "
                "exchanged)"
            )
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
