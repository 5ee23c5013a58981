"""Checks shared by the vector loaders: CRS, geographic range, geometry validity.

Each function states what it checks and raises or warns with the layer's file name.

CRS without a ``.prj``
    A file without a CRS is an error that says what the coordinates look like: lon/lat
    degrees (declare ``'EPSG:4490'`` or ``'EPSG:4326'``) or metres, in which case the likely
    EPSG codes are named — a Gauss–Krüger zone when the x values carry the zone number in
    front (x = 42 512 000 → CGCS2000 3-degree zone 42, EPSG:4530), else the CGCS2000
    3-degree central-meridian grids and UTM. A declared CRS whose units contradict the
    coordinates (degrees for metres or the reverse) is an error, as is a projected one that
    puts the layer far outside the CRS's area of use (a wrong zone).
"""

from __future__ import annotations

import logging
import warnings

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from geohealth.errors import (
    ConfigError,
    CoordinateError,
    GeometryRepairWarning,
    NoCrsError,
)
from geohealth.inputs import coords

log = logging.getLogger(__name__)

WGS84 = CRS.from_epsg(4326)

#: How far (degrees) a layer's centre may lie outside a declared projected CRS's area of use
#: before the CRS is taken as the wrong zone.
AREA_OF_USE_MARGIN_DEG = 1.0


def parse_crs(text: str, *, config_key: str) -> CRS:
    """Parse a CRS given in the configuration.

    Parameters
    ----------
    text
        ``"EPSG:4490"``, a WKT string or a PROJ string.
    config_key
        The key it came from, for the message.

    Returns
    -------
    pyproj.CRS
        The parsed CRS.

    Raises
    ------
    ConfigError
        If pyproj does not recognise it.
    """
    try:
        return CRS.from_user_input(text)
    except CRSError:
        msg = f"{config_key} = '{text}' is not a CRS pyproj knows — write it like 'EPSG:4490'"
        raise ConfigError(msg) from None


def coordinate_units(bounds: np.ndarray | tuple[float, ...]) -> str | None:
    """Tell whether a layer's coordinates look like lon/lat degrees or metres.

    Parameters
    ----------
    bounds
        ``(xmin, ymin, xmax, ymax)`` of the layer as stored.

    Returns
    -------
    str or None
        ``"degrees"`` when every coordinate is within ±180 / ±90, else ``"metres"``; None
        when the bounds are not finite (no coordinates).
    """
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    if not np.isfinite([xmin, ymin, xmax, ymax]).all():
        return None
    inside = max(abs(xmin), abs(xmax)) <= 180 and max(abs(ymin), abs(ymax)) <= 90
    return "degrees" if inside else "metres"


def likely_projected_crs(bounds: np.ndarray | tuple[float, ...], *, config_key: str) -> str:
    """Name the EPSG codes a metre-valued layer in China was most likely made in.

    Chinese survey data are in Gauss–Krüger grids. When the false easting carries the zone
    number (x = zone × 1 000 000 + 500 000 ± …) the zone is read from x's leading digits:
    25–45 is a 3-degree zone, 13–23 a 6-degree zone. Without it, the grid is one of the
    central-meridian variants (or UTM) and x alone cannot tell which.

    Parameters
    ----------
    bounds
        ``(xmin, ymin, xmax, ymax)`` in metres.
    config_key
        The key to set, for the advice.

    Returns
    -------
    str
        Advice ending in the exact key line to add, e.g.
        ``"add boundaries.crs = 'EPSG:4530' (CGCS2000 / 3-degree Gauss–Krüger zone 42; …)"``.
    """
    xmin, _, xmax, _ = (float(v) for v in bounds)
    zone = int(xmin // 1_000_000)
    if zone == int(xmax // 1_000_000) and 25 <= zone <= 45:
        return (
            f"x starts with {zone}, a 3-degree Gauss–Krüger zone: add {config_key} = "
            f"'EPSG:{4513 + zone - 25}' (CGCS2000 / 3-degree Gauss–Krüger zone {zone}; "
            f"'EPSG:{2349 + zone - 25}' if it is Xian 1980)"
        )
    if zone == int(xmax // 1_000_000) and 13 <= zone <= 23:
        return (
            f"x starts with {zone}, a 6-degree Gauss–Krüger zone: add {config_key} = "
            f"'EPSG:{4491 + zone - 13}' (CGCS2000 / Gauss–Krüger zone {zone}; "
            f"'EPSG:{2327 + zone - 13}' if it is Xian 1980)"
        )
    return (
        f"x has no zone number in front, so the central meridian is not in the data: add "
        f"{config_key} = 'EPSG:4534' … 'EPSG:4554' for CGCS2000 / 3-degree Gauss–Krüger CM "
        "75°E … 135°E (one code per 3°, e.g. 'EPSG:4544' for 105°E), or 'EPSG:32643' … "
        "'EPSG:32653' for WGS 84 / UTM zones 43N … 53N — ask the data's provider which"
    )


def _extent(bounds: np.ndarray | tuple[float, ...]) -> str:
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    return f"x {xmin:,.0f}–{xmax:,.0f}, y {ymin:,.0f}–{ymax:,.0f}"


def _check_units(
    crs: CRS, units: str | None, bounds: np.ndarray, *, source: str, said: str, config_key: str
) -> None:
    """Fail when a CRS's units contradict the coordinates (degrees vs metres)."""
    if units == "metres" and crs.is_geographic:
        msg = (
            f"{source}: {said} is in degrees but the coordinates are metres "
            f"({_extent(bounds)}) — {likely_projected_crs(bounds, config_key=config_key)}"
        )
        raise CoordinateError(msg)
    if units == "degrees" and crs.is_projected:
        xmin, ymin, xmax, ymax = (float(v) for v in bounds)
        msg = (
            f"{source}: {said} is projected (metres) but the coordinates are lon/lat degrees "
            f"({xmin:.3f}–{xmax:.3f}, {ymin:.3f}–{ymax:.3f}) — set {config_key} = 'EPSG:4490' "
            "(CGCS2000) or 'EPSG:4326' (WGS 84)"
        )
        raise CoordinateError(msg)


def _false_easting(crs: CRS) -> float | None:
    operation = crs.coordinate_operation
    if operation is None:
        return None
    for param in operation.params:
        if param.name.lower() == "false easting":
            return float(param.value)
    return None


def _check_zone(frame: gpd.GeoDataFrame, *, source: str, config_key: str) -> None:
    """Fail when a declared projected CRS is evidently the wrong zone for the coordinates.

    A Gauss–Krüger CRS whose false easting carries a zone number must carry the same number
    as the x values; other projected CRSs must put the layer near their area of use.
    """
    crs = CRS.from_user_input(frame.crs)
    bounds = frame.total_bounds
    easting = _false_easting(crs)
    if easting is not None and easting >= 1_000_000:
        zone = int(easting // 1_000_000)
        if int(bounds[0] // 1_000_000) == zone:
            return
        msg = (
            f"{source}: {config_key} = '{crs.to_string()}' is Gauss–Krüger zone {zone} but the "
            f"x values ({bounds[0]:,.0f}–{bounds[2]:,.0f}) do not start with {zone}: the zone is "
            f"wrong — {likely_projected_crs(bounds, config_key=config_key)}"
        )
        raise CoordinateError(msg)
    area = crs.area_of_use
    west, south, east, north = frame.to_crs(WGS84).total_bounds
    lon, lat = (west + east) / 2, (south + north) / 2
    if not np.isfinite([lon, lat]).all():
        msg = (
            f"{source}: with {config_key} = '{crs.to_string()}' the coordinates "
            f"({_extent(bounds)}) fall off the map: the CRS is wrong — "
            f"{likely_projected_crs(bounds, config_key=config_key)}"
        )
        raise CoordinateError(msg)
    if area is None:
        return
    margin = AREA_OF_USE_MARGIN_DEG
    within_lon = area.west - margin <= lon <= area.east + margin
    within_lat = area.south - margin <= lat <= area.north + margin
    if within_lon and within_lat:
        return
    msg = (
        f"{source}: with {config_key} = '{crs.to_string()}' the layer lands at "
        f"{lon:.2f}°E, {lat:.2f}°N, outside where that CRS is used ({area.west:.1f}–"
        f"{area.east:.1f}°E, {area.south:.1f}–{area.north:.1f}°N): the CRS is wrong — "
        f"{likely_projected_crs(bounds, config_key=config_key)}"
    )
    raise CoordinateError(msg)


def settle_crs(
    frame: gpd.GeoDataFrame, declared: str | None, *, source: str, config_key: str
) -> gpd.GeoDataFrame:
    """Give a layer its CRS: the file's own, or the declared one when the file has none.

    The declared CRS may be geographic (``"EPSG:4490"``) or projected (``"EPSG:4526"``,
    ``"EPSG:32651"``); its units must match the coordinates. It also replaces a file's own
    CRS when that one is evidently wrong (degrees declared for metre coordinates or the
    reverse).

    Parameters
    ----------
    frame
        The layer as read.
    declared
        The CRS from the configuration, if any.
    source
        The file name, for messages.
    config_key
        The configuration key for the CRS, for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        ``frame`` with its CRS set.

    Raises
    ------
    NoCrsError
        If neither the file nor the configuration gives a CRS (the message names the likely
        EPSG codes when the coordinates are metres).
    ConfigError
        If both do and they disagree while the file's own CRS fits its coordinates.
    CoordinateError
        If the CRS's units contradict the coordinates, or a declared projected CRS puts the
        layer far outside its area of use (a wrong Gauss–Krüger zone).
    """
    bounds = frame.total_bounds
    units = coordinate_units(bounds)
    if frame.crs is None:
        if declared is None:
            if units == "metres":
                msg = (
                    f"{source}: the file has no CRS (a Shapefile without its .prj?) and its "
                    f"coordinates are metres ({_extent(bounds)}); "
                    f"{likely_projected_crs(bounds, config_key=config_key)}"
                )
            else:
                msg = (
                    f"{source}: the file has no CRS (a Shapefile without its .prj?) — set "
                    f"{config_key}, e.g. 'EPSG:4490' for CGCS2000 or 'EPSG:4326' for WGS 84"
                )
            raise NoCrsError(msg)
        wanted = parse_crs(declared, config_key=config_key)
        _check_units(
            wanted,
            units,
            bounds,
            source=source,
            said=f"{config_key} = '{declared}'",
            config_key=config_key,
        )
        out = frame.set_crs(wanted)
        if wanted.is_projected:
            _check_zone(out, source=source, config_key=config_key)
        return out
    file_crs = CRS.from_user_input(frame.crs)
    if declared is not None:
        wanted = parse_crs(declared, config_key=config_key)
        if not file_crs.equals(wanted, ignore_axis_order=True):
            file_fits = not (
                (units == "metres" and file_crs.is_geographic)
                or (units == "degrees" and file_crs.is_projected)
            )
            if file_fits:
                msg = (
                    f"{source}: the file says its CRS is {file_crs.to_string()} but "
                    f"{config_key} says {declared} — remove {config_key} unless the file's own "
                    "CRS is wrong"
                )
                raise ConfigError(msg)
            _check_units(
                wanted,
                units,
                bounds,
                source=source,
                said=f"{config_key} = '{declared}'",
                config_key=config_key,
            )
            log.warning(
                "%s: the file's CRS %s does not fit its coordinates; using %s = %s instead",
                source,
                file_crs.to_string(),
                config_key,
                declared,
            )
            out = frame.set_crs(wanted, allow_override=True)
            if wanted.is_projected:
                _check_zone(out, source=source, config_key=config_key)
            return out
    if units == "metres" and file_crs.is_geographic:
        msg = (
            f"{source}: the file says its CRS is {file_crs.to_string()} (degrees) but the "
            f"coordinates look like metres ({_extent(bounds)}): the file's CRS is wrong — "
            f"{likely_projected_crs(bounds, config_key=config_key)}; it replaces the file's"
        )
        raise CoordinateError(msg)
    if units == "degrees" and file_crs.is_projected:
        msg = (
            f"{source}: the file says its CRS is {file_crs.to_string()} (metres) but the "
            "coordinates are lon/lat degrees: the file's CRS is wrong — set "
            f"{config_key} = 'EPSG:4490' (CGCS2000) or 'EPSG:4326' (WGS 84); it replaces "
            "the file's"
        )
        raise CoordinateError(msg)
    return frame


def convert_web_coordinates(
    frame: gpd.GeoDataFrame, system: str | None, *, source: str, config_key: str
) -> gpd.GeoDataFrame:
    """Convert a lon/lat layer in GCJ-02 or BD-09 (Chinese web maps) to WGS-84.

    Every vertex is converted, vectorised (:func:`shapely.transform` with the array
    functions of :mod:`geohealth.inputs.coords`).

    Parameters
    ----------
    frame
        The layer with its CRS settled; it must be geographic (degrees).
    system
        ``"gcj02"``, ``"bd09"``, or ``"wgs84"``/None (no conversion).
    source
        The file name, for messages.
    config_key
        The configuration key of the coordinate system, for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer in EPSG:4326, WGS-84 coordinates.

    Raises
    ------
    ConfigError
        If ``system`` is unknown, or the layer is projected (metres): GCJ-02 and BD-09 are
        lon/lat systems.
    """
    if system is None or system == "wgs84":
        return frame.to_crs(WGS84)
    if system not in coords.COORDINATE_SYSTEMS:
        msg = (
            f"{config_key} = '{system}' is unknown — use one of "
            f"{', '.join(coords.COORDINATE_SYSTEMS)}"
        )
        raise ConfigError(msg)
    crs = CRS.from_user_input(frame.crs)
    if not crs.is_geographic:
        msg = (
            f"{source}: {config_key} = '{system}' applies to lon/lat files, but this one is "
            f"in {crs.to_string()} (metres) — remove {config_key}"
        )
        raise ConfigError(msg)

    def to_wgs84(xy: np.ndarray) -> np.ndarray:
        lon, lat = coords.to_wgs84(xy[:, 0], xy[:, 1], system)  # type: ignore[arg-type]
        return np.column_stack([lon, lat])

    wgs = frame.to_crs(WGS84)
    out = wgs.copy()
    out[out.geometry.name] = gpd.GeoSeries(
        shapely.transform(wgs.geometry.to_numpy(), to_wgs84), index=wgs.index, crs=WGS84
    )
    log.info("%s: converted %s outlines to WGS-84", source, system.upper())
    return out


def check_degrees(frame: gpd.GeoDataFrame, *, source: str) -> None:
    """Check that a layer in a geographic CRS has coordinates in degree range.

    Parameters
    ----------
    frame
        A layer in EPSG:4326 (or another geographic CRS).
    source
        The file name, for messages.

    Raises
    ------
    CoordinateError
        If coordinates exceed ±180° / ±90°: the declared CRS is wrong (metres read as degrees).
    """
    xmin, ymin, xmax, ymax = frame.total_bounds
    if not (np.isfinite([xmin, ymin, xmax, ymax]).all()):
        return
    if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
        msg = (
            f"{source}: coordinates run to ({xmax:.0f}, {ymax:.0f}), beyond ±180°/±90° — "
            "they look like metres; the file's CRS is wrong or missing: declare the right one"
        )
        raise CoordinateError(msg)


def polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal part of each geometry (collections may carry stray lines).

    Parameters
    ----------
    geoms
        Array of geometries.

    Returns
    -------
    numpy.ndarray
        The same array where no geometry is a collection; a copy with each
        GeometryCollection replaced by the union of its (multi)polygons otherwise.
    """
    mixed = shapely.get_type_id(geoms) == 7  # GeometryCollection
    if not mixed.any():
        return geoms
    out = geoms.copy()
    out[mixed] = [
        shapely.union_all([p for p in shapely.get_parts(g) if shapely.get_type_id(p) in (3, 6)])
        for g in geoms[mixed]
    ]
    return out


def repair_polygons(frame: gpd.GeoDataFrame, *, labels: list[str], source: str) -> gpd.GeoDataFrame:
    """Repair invalid polygons with :func:`shapely.make_valid`, warning for each one.

    Parameters
    ----------
    frame
        Polygonal features.
    labels
        A readable label per row ("永安镇 (239901100000)"), for messages.
    source
        The file name, for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy whose geometries are valid (multi)polygons.

    Warns
    -----
    GeometryRepairWarning
        Naming the repaired features and their change in area.
    """
    geoms = frame.geometry.to_numpy()
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return frame
    fixed = geoms.copy()
    fixed[invalid] = polygonal(shapely.make_valid(geoms[invalid]))
    names = [labels[i] for i in np.flatnonzero(invalid)]
    msg = (
        f"{source}: repaired {len(names)} invalid geometr{'y' if len(names) == 1 else 'ies'} "
        f"(self-intersections or similar): {', '.join(names[:5])}"
        f"{' …' if len(names) > 5 else ''} — check them in QGIS if the area looks wrong"
    )
    warnings.warn(msg, GeometryRepairWarning, stacklevel=3)
    out = frame.copy()
    out[out.geometry.name] = gpd.GeoSeries(fixed, index=frame.index, crs=frame.crs)
    return out
