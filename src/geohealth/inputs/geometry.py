"""Checks shared by the vector loaders: CRS, geographic range, geometry validity.

Each function states what it checks and raises or warns with the layer's file name.
"""

from __future__ import annotations

import logging
import warnings

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from geohealth.errors import ConfigError, CoordinateError, GeometryRepairWarning, NoCrsError

log = logging.getLogger(__name__)

WGS84 = CRS.from_epsg(4326)


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


def settle_crs(
    frame: gpd.GeoDataFrame, declared: str | None, *, source: str, config_key: str
) -> gpd.GeoDataFrame:
    """Give a layer its CRS: the file's own, or the declared one when the file has none.

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
        If neither the file nor the configuration gives a CRS.
    ConfigError
        If both do and they disagree.
    """
    if frame.crs is None:
        if declared is None:
            msg = (
                f"{source}: the file has no CRS (a Shapefile without its .prj?) — set "
                f"{config_key}, e.g. 'EPSG:4490' for CGCS2000 or 'EPSG:4326' for WGS 84"
            )
            raise NoCrsError(msg)
        return frame.set_crs(parse_crs(declared, config_key=config_key))
    if declared is not None:
        wanted = parse_crs(declared, config_key=config_key)
        if not CRS.from_user_input(frame.crs).equals(wanted, ignore_axis_order=True):
            msg = (
                f"{source}: the file says its CRS is {frame.crs.to_string()} but {config_key} "
                f"says {declared} — remove {config_key} unless the file's own CRS is wrong"
            )
            raise ConfigError(msg)
    return frame


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
    repaired = shapely.make_valid(geoms[invalid])
    # keep only the polygonal part (make_valid may return collections with stray lines)
    polygonal = np.array(
        [
            shapely.union_all([p for p in shapely.get_parts(g) if shapely.get_type_id(p) in (3, 6)])
            if g is not None
            else g
            for g in repaired
        ],
        dtype=object,
    )
    fixed[invalid] = polygonal
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
