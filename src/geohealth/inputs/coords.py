"""Chinese web-map coordinate systems: GCJ-02 and BD-09 to and from WGS-84.

GCJ-02 ("Mars coordinates", 国测局坐标) is the obfuscated datum that AMap/GaoDe, Tencent and
most Chinese web maps publish; a GCJ-02 point read as WGS-84 lands 300–600 m off. BD-09 is
Baidu's further transform of GCJ-02. Both forward transforms follow the published algorithm
(Krasovsky 1940 ellipsoid constants, as in the widely used eviltransform / coordtransform
implementations). The inverses have no closed form: they are solved here by fixed-point
iteration to below 1e-9 degrees (about 0.1 mm), not by the one-step approximation that
leaves metre-level errors.

Baidu's own conversion service is known to differ from the published BD-09 formula by
tens of metres; this module follows the formula.

Outside mainland China's bounding box GCJ-02 equals WGS-84 (the transforms are the identity),
as in the reference implementations.

All functions are vectorised over numpy arrays of longitude and latitude in degrees.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

CoordinateSystem = Literal["wgs84", "gcj02", "bd09"]
COORDINATE_SYSTEMS: tuple[CoordinateSystem, ...] = ("wgs84", "gcj02", "bd09")

# Krasovsky 1940 ellipsoid, as fixed by the GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
# BD-09's own constant.
_X_PI = np.pi * 3000.0 / 180.0

#: Mainland China's bounding box used by the GCJ-02 algorithm (lon_min, lat_min, lon_max, lat_max).
CHINA_BBOX = (72.004, 0.8293, 137.8347, 55.8271)

_TOLERANCE_DEG = 1e-10
_MAX_ITERATIONS = 30

FloatArray = NDArray[np.float64]


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Tell which points fall in the bounding box where GCJ-02 applies.

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees.

    Returns
    -------
    numpy.ndarray of bool
        True where the point is inside mainland China's bounding box.
    """
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    lon_min, lat_min, lon_max, lat_max = CHINA_BBOX
    return (lon_a >= lon_min) & (lon_a <= lon_max) & (lat_a >= lat_min) & (lat_a <= lat_max)


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return the GCJ-02 offset (degrees) to add to a WGS-84 point."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_abs_x
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    d_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_abs_x
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, d_lon, 0.0), np.where(inside, d_lat, 0.0)


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_a, lat_a = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return lon_a.astype(float), lat_a.astype(float)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 longitude/latitude (degrees) to GCJ-02.

    Parameters
    ----------
    lon, lat
        WGS-84 longitude and latitude in degrees (EPSG:4326).

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude in degrees.
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    d_lon, d_lat = _gcj_offset(lon_a, lat_a)
    return lon_a + d_lon, lat_a + d_lat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 longitude/latitude (degrees) to WGS-84, exactly.

    Solves ``wgs84_to_gcj02(w) = g`` by fixed-point iteration until the residual is below
    1e-10 degrees (about 0.01 mm); three to five iterations suffice inside China.

    Parameters
    ----------
    lon, lat
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 longitude and latitude in degrees (EPSG:4326).
    """
    g_lon, g_lat = _as_arrays(lon, lat)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(_MAX_ITERATIONS):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        r_lon, r_lat = g_lon - f_lon, g_lat - f_lat
        w_lon += r_lon
        w_lat += r_lat
        if np.all(np.abs(r_lon) < _TOLERANCE_DEG) and np.all(np.abs(r_lat) < _TOLERANCE_DEG):
            break
    return w_lon, w_lat


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 longitude/latitude (degrees) to Baidu's BD-09.

    Parameters
    ----------
    lon, lat
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitude and latitude in degrees.
    """
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 longitude/latitude (degrees) to GCJ-02, exactly.

    Starts from the usual one-step approximate inverse and refines it by fixed-point
    iteration on :func:`gcj02_to_bd09`.

    Parameters
    ----------
    lon, lat
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude in degrees.
    """
    b_lon, b_lat = _as_arrays(lon, lat)
    x = b_lon - 0.0065
    y = b_lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    g_lon, g_lat = z * np.cos(theta), z * np.sin(theta)
    for _ in range(_MAX_ITERATIONS):
        f_lon, f_lat = gcj02_to_bd09(g_lon, g_lat)
        r_lon, r_lat = b_lon - f_lon, b_lat - f_lat
        g_lon += r_lon
        g_lat += r_lat
        if np.all(np.abs(r_lon) < _TOLERANCE_DEG) and np.all(np.abs(r_lat) < _TOLERANCE_DEG):
            break
    return g_lon, g_lat


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 longitude/latitude (degrees) to BD-09.

    Parameters
    ----------
    lon, lat
        WGS-84 longitude and latitude in degrees (EPSG:4326).

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitude and latitude in degrees.
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 longitude/latitude (degrees) to WGS-84, exactly.

    Parameters
    ----------
    lon, lat
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 longitude and latitude in degrees (EPSG:4326).
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(
    lon: ArrayLike, lat: ArrayLike, system: CoordinateSystem
) -> tuple[FloatArray, FloatArray]:
    """Convert coordinates declared in ``system`` to WGS-84.

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees, in ``system``.
    system
        ``"wgs84"`` (GPS, OpenStreetMap, CGCS2000 to within a metre), ``"gcj02"`` (AMap/GaoDe,
        Tencent, Google China) or ``"bd09"`` (Baidu).

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 longitude and latitude in degrees (EPSG:4326).

    Raises
    ------
    ValueError
        If ``system`` is not one of the three names.
    """
    if system == "wgs84":
        return _as_arrays(lon, lat)
    if system == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if system == "bd09":
        return bd09_to_wgs84(lon, lat)
    msg = f"unknown coordinate system {system!r}; use one of {', '.join(COORDINATE_SYSTEMS)}"
    raise ValueError(msg)


def from_wgs84(
    lon: ArrayLike, lat: ArrayLike, system: CoordinateSystem
) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 coordinates to ``system`` (the inverse of :func:`to_wgs84`).

    Parameters
    ----------
    lon, lat
        WGS-84 longitude and latitude in degrees (EPSG:4326).
    system
        Target system: ``"wgs84"``, ``"gcj02"`` or ``"bd09"``.

    Returns
    -------
    tuple of numpy.ndarray
        Longitude and latitude in degrees, in ``system``.

    Raises
    ------
    ValueError
        If ``system`` is not one of the three names.
    """
    if system == "wgs84":
        return _as_arrays(lon, lat)
    if system == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if system == "bd09":
        return wgs84_to_bd09(lon, lat)
    msg = f"unknown coordinate system {system!r}; use one of {', '.join(COORDINATE_SYSTEMS)}"
    raise ValueError(msg)
