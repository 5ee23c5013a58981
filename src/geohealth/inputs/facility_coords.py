"""Where facilities are: their coordinates read, checked, converted, and set against the region.

:func:`read` takes a facility list's longitude and latitude from two columns, from one
``longitude,latitude`` column as AMap exports it (``location``: ``116.397128,39.916527``;
full-width commas too) or from a point layer's geometry; rows without coordinates fail or
are dropped; coordinates that are not degrees, longitude and latitude exchanged (columns or
single rows) and points not in China at all are errors that say which columns or rows to
fix; then WGS-84, GCJ-02 (AMap/GaoDe, Tencent) or BD-09 (Baidu) is converted to WGS-84.
:func:`check_inside` then sets the points against the study region: stray facilities are
named (kept within a buffer, in kilometres), and a swap that stays inside China's box (only
the townships show it) is found there.

The list itself — names, IDs, levels, beds — is read by :mod:`geohealth.inputs.facilities`,
whose ``load`` calls :func:`read`.
"""

from __future__ import annotations

import logging
import re
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geohealth.errors import (
    ConfigError,
    CoordinateError,
    DroppedRowsWarning,
    InputError,
    OutsideStudyAreaWarning,
)
from geohealth.inputs import columns, coords, geometry, tables
from geohealth.inputs.geometry import WGS84
from geohealth.inputs.region import Region

log = logging.getLogger(__name__)


def describe_rows(
    mask: np.ndarray, names: pd.Series, row_numbers: np.ndarray, *, limit: int = 5
) -> str:
    """Name the rows of a facility list that a mask selects, for messages.

    Parameters
    ----------
    mask
        Boolean, one per facility.
    names
        The facilities' names, in the same order.
    row_numbers
        The file's own number of each facility's row (1-based).
    limit
        How many rows are named; the rest are counted.

    Returns
    -------
    str
        ``"row 4 丙卫生室, row 6 前进村卫生室 and 3 more"``.
    """
    idx = np.flatnonzero(mask)
    shown = ", ".join(f"row {row_numbers[i]} {names.iloc[i]}" for i in idx[:limit])
    return shown + (f" and {len(idx) - limit} more" if len(idx) > limit else "")


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
            f"{source}: {describe_rows(suspicious, names, row_numbers)} fall outside China but "
            "inside it with longitude and latitude exchanged — exchange the two values in those "
            "rows"
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


def read(
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
    """Read facility coordinates, check them and convert them to WGS-84.

    Parameters
    ----------
    attrs
        The facility list's attributes, every cell as text for tables.
    frame
        The vector layer the list was read from, or None for CSV/Excel. Its geometry gives
        the coordinates unless ``lon_column`` or ``lat_column`` is set.
    source
        The file name, for messages.
    lon_column, lat_column
        Configured columns of longitude and latitude (degrees); the same column for
        ``longitude,latitude`` pairs; recognised automatically when None.
    system
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"``: what the coordinates are. Required for
        columns; for a layer's geometry, None takes the layer's CRS as it is.
    names
        The facilities' names, for messages.
    row_numbers
        The file's own number of each row (1-based), for messages.
    drop_missing
        Drop rows without coordinates, with a warning, instead of failing.

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS-84 longitude and latitude (degrees) of the rows kept.
    keep : numpy.ndarray
        Boolean, one per row of ``attrs``: the rows that have coordinates.
    columns : tuple of str or None
        The longitude and latitude columns read (the same one for pairs); None, None for a
        layer's geometry.

    Raises
    ------
    ConfigError
        If ``system`` is None for a table.
    NoCrsError, CoordinateError
        If a layer has no CRS or a wrong one (see :func:`geohealth.inputs.geometry.settle_crs`).
    MissingColumnError
        If a configured column is absent, or no coordinate columns are recognised.
    InputError
        If a pair column has cells that are not pairs, a cell is not a number, or a
        layer's geometries are not points.
    CoordinateError
        If rows lack coordinates (and ``drop_missing`` is false), coordinates are not
        degrees, longitude and latitude look exchanged, or most points lie outside China
        either way round.

    Warns
    -----
    DroppedRowsWarning
        For rows dropped for lack of coordinates.
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
            f"{source}: no coordinates for {describe_rows(missing, names, row_numbers)} — fill "
            "them in, or set facilities.drop_missing_coordinates = true"
        )
        raise CoordinateError(msg)
    if missing.any():
        msg = f"{source}: dropped {int(missing.sum())} rows without coordinates: " + describe_rows(
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
        listed = describe_rows(out_of_range, names[keep], row_numbers[keep])
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
        As returned by :func:`geohealth.inputs.facilities.load`.
    region
        The study region.
    buffer_km
        Tolerated distance outside the region (km).
    drop_outside
        Drop far-away facilities instead of failing.
    source
        The file name, for messages; by default the one
        :func:`~geohealth.inputs.facilities.load` recorded in ``facilities.attrs["source"]``,
        else ``"facilities"``.

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
        listed = describe_rows(far, names, rows)
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
                f"the townships ({listed}); {describe_rows(rescued, names, rows)} would lie inside "
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
                f" ({describe_rows(rescued, names, rows)} would lie inside with longitude and "
                "latitude exchanged)"
            )
        warnings.warn(msg, DroppedRowsWarning, stacklevel=2)
        out = out.loc[~far].copy()
    near = ~inside & ~far
    if near.any():
        msg = (
            f"{source}: {int(near.sum())} facilities lie outside every township but within "
            f"{buffer_km:g} km; kept: {describe_rows(near, names, rows)}"
        )
        warnings.warn(msg, OutsideStudyAreaWarning, stacklevel=2)
    return out
