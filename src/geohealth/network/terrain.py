"""Terrain: slower uphill, per direction, from a digital elevation model (DEM).

Each road segment is cut into pieces about one DEM cell long; the elevation at every cut is
read from the DEM (bilinear), and each piece is timed at the mode's flat speed times a factor
of its grade ``g`` (rise over horizontal run, positive uphill in the direction of travel):

- ``tobler`` (walking): Tobler's hiking function, ``6·exp(−3.5·|g + 0.05|)`` km/h, taken
  relative to its value on the flat, so the profile's walking speeds stay the flat speeds:
  ``exp(−3.5·(|g + 0.05| − 0.05))`` — fastest on a gentle 5 % descent (×1.19), ×0.70 at
  +10 %, ×0.50 at +20 %.
- ``uphill`` (two-wheelers): ``1 / (1 + k·g)`` uphill, unchanged downhill. E-bikes (GB
  17761-2018: 25 km/h, 400 W at most) climb on limited power, so speed falls roughly as the
  climbing share of the work grows; with the default ``k = 8``, +5 % → ×0.71, +10 % → ×0.56.
  Downhill speed is held by braking and speed limits, not raised.
- ``none``: grade is ignored (cars on Chinese rural roads are limited by the road, not by
  power).

Bridges and tunnels (``bridge=*``/``tunnel=*`` other than ``no``) do not follow the ground
beneath them: such a way climbs evenly from its first node to its last, at the grade between
the DEM elevations there. Pieces where the DEM has no data are timed as flat and reported in a
warning.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS, Transformer

from geohealth.errors import (
    InputError,
    InputFileNotFoundError,
    NetworkError,
    NoCrsError,
    TerrainGapWarning,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Elevation:
    """A digital elevation model in memory.

    Attributes
    ----------
    values
        Metres above sea level; NaN where the DEM has no data.
    transform
        Affine transform of the grid.
    crs
        The grid's CRS.
    source
        File name, for messages.
    """

    values: np.ndarray
    transform: Affine
    crs: CRS
    source: str

    @property
    def cell_m(self) -> float:
        """Approximate cell size in metres (the smaller side)."""
        size = min(abs(self.transform.a), abs(self.transform.e))
        return size * 111_320.0 if self.crs.is_geographic else size


def load_dem(path: str | Path) -> Elevation:
    """Read a DEM GeoTIFF (band 1), with its nodata as NaN.

    Parameters
    ----------
    path
        A single-band raster of elevations in metres, with a CRS.

    Returns
    -------
    Elevation
        The elevations.

    Raises
    ------
    InputFileNotFoundError
        If the file does not exist.
    NoCrsError
        If the raster has no CRS.
    InputError
        If it cannot be read or holds no data.
    """
    file = Path(path)
    source = file.name
    if not file.is_file():
        msg = f"{file}: DEM file not found — check network.dem"
        raise InputFileNotFoundError(msg)
    try:
        with rasterio.open(file) as dataset:
            if dataset.crs is None:
                msg = f"{source}: the DEM has no CRS — save it as a GeoTIFF with its CRS"
                raise NoCrsError(msg)
            values = dataset.read(1, masked=True).astype(np.float64).filled(np.nan)
            transform, crs = dataset.transform, CRS.from_user_input(dataset.crs)
    except rasterio.errors.RasterioIOError as exc:
        msg = f"{source}: not a readable raster ({exc}) — give a GeoTIFF"
        raise InputError(msg) from None
    if not np.isfinite(values).any():
        msg = f"{source}: the DEM holds no data (every cell is nodata) — check the file"
        raise InputError(msg)
    return Elevation(values=values, transform=transform, crs=crs, source=source)


def sample(dem: Elevation, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Elevation at points, interpolated bilinearly between cell centres.

    Parameters
    ----------
    dem
        The elevation model.
    lon, lat
        WGS 84 degrees.

    Returns
    -------
    numpy.ndarray
        Metres; NaN outside the DEM or next to a nodata cell.
    """
    from scipy.ndimage import map_coordinates  # only runs with a DEM load scipy.ndimage

    x, y = Transformer.from_crs(4326, dem.crs, always_xy=True).transform(lon, lat)
    col, row = ~dem.transform @ (np.asarray(x), np.asarray(y))
    coords = np.vstack([np.asarray(row) - 0.5, np.asarray(col) - 0.5])
    return map_coordinates(dem.values, coords, order=1, mode="constant", cval=np.nan)


def speed_factor(grade: np.ndarray, rule: str, uphill_slowdown: float = 8.0) -> np.ndarray:
    """Speed on a grade relative to the flat.

    Parameters
    ----------
    grade
        Rise over horizontal run in the direction of travel (0.1 = 10 % uphill).
    rule
        ``"tobler"``, ``"uphill"`` or ``"none"``.
    uphill_slowdown
        ``k`` of the ``uphill`` rule.

    Returns
    -------
    numpy.ndarray
        Factor multiplying the flat speed.
    """
    grade = np.asarray(grade, dtype=float)
    if rule == "tobler":
        return np.exp(-3.5 * (np.abs(grade + 0.05) - 0.05))
    if rule == "uphill":
        return 1.0 / (1.0 + uphill_slowdown * np.maximum(grade, 0.0))
    return np.ones_like(grade)


def structure_grades(
    lon: np.ndarray,
    lat: np.ndarray,
    segments: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    structure_way: np.ndarray,
    dem: Elevation,
) -> np.ndarray:
    """Even grade of bridge and tunnel ways, from their end nodes' elevations.

    Parameters
    ----------
    lon, lat
        Node coordinates (WGS 84).
    segments
        ``(u, v, way, length_m)`` of every segment, each way's segments consecutive and in
        the way's order.
    structure_way
        Per way: True for bridges and tunnels.
    dem
        The elevation model.

    Returns
    -------
    numpy.ndarray
        Per segment: the way's grade in the u → v direction, NaN for other ways (and where
        an end has no elevation).
    """
    u, v, way, length_m = segments
    grade = np.full(len(u), np.nan)
    on = np.flatnonzero(structure_way[way])
    if on.size == 0:
        return grade
    ways, first = np.unique(way[on], return_index=True)
    _, last_rev = np.unique(way[on][::-1], return_index=True)
    last = on.size - 1 - last_rev
    start = on[first]
    end = on[last]
    rise = sample(dem, lon[v[end]], lat[v[end]]) - sample(dem, lon[u[start]], lat[u[start]])
    run = np.bincount(way, weights=length_m)[ways]
    per_way = np.full(int(way.max()) + 1, np.nan)
    per_way[ways] = rise / np.where(run > 0, run, 1.0)
    grade[on] = per_way[way[on]]
    return grade


def slope_times(
    lon: np.ndarray,
    lat: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    length_m: np.ndarray,
    speed_ms: np.ndarray,
    dem: Elevation,
    *,
    rule: str,
    uphill_slowdown: float,
    fixed_grade: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Travel time of segments u → v and v → u over the terrain.

    Parameters
    ----------
    lon, lat
        Node coordinates (WGS 84).
    u, v
        Segment end nodes.
    length_m
        Segment lengths (metres, horizontal).
    speed_ms
        Flat speed on each segment (m/s).
    dem
        The elevation model.
    rule, uphill_slowdown
        See :func:`speed_factor`.
    fixed_grade
        Per segment, a grade to use instead of the DEM (bridges, tunnels); NaN elsewhere.

    Returns
    -------
    tuple of numpy.ndarray
        Seconds from u to v, and from v to u.

    Raises
    ------
    NetworkError
        If the DEM does not cover any of the roads.

    Warns
    -----
    TerrainGapWarning
        When part of the roads has no elevation; those pieces are timed as flat.
    """
    step = max(dem.cell_m, 5.0)
    pieces = np.maximum(1, np.ceil(length_m / step)).astype(np.int64)
    owner = np.repeat(np.arange(len(u)), pieces + 1)
    starts = np.cumsum(pieces + 1) - (pieces + 1)
    share = (np.arange(len(owner)) - starts[owner]) / pieces[owner]
    plon = lon[u][owner] + share * (lon[v][owner] - lon[u][owner])
    plat = lat[u][owner] + share * (lat[v][owner] - lat[u][owner])
    z = sample(dem, plon, plat)
    # piece k of a segment runs from point k to point k + 1 (never across segments)
    continues = np.ones(len(owner), dtype=bool)
    continues[starts] = False
    rise = (z[1:] - z[:-1])[continues[1:]]
    seg = owner[1:][continues[1:]]
    run = length_m[seg] / pieces[seg]
    if fixed_grade is not None:
        fixed = fixed_grade[seg]
        rise = np.where(np.isfinite(fixed), fixed * length_m[seg] / pieces[seg], rise)
    known = np.isfinite(rise)
    if not known.any():
        msg = (
            f"{dem.source}: the DEM does not cover the road network — check it is the right "
            "area and CRS, or remove network.dem"
        )
        raise NetworkError(msg)
    if not known.all():
        gap_km = float(run[~known].sum()) / 1000
        msg = (
            f"{dem.source}: no elevation for {gap_km:,.1f} km of road "
            f"({gap_km * 1000 / float(run.sum()):.0%}); timed as flat there — use a DEM "
            "covering the whole extract"
        )
        warnings.warn(msg, TerrainGapWarning, stacklevel=3)
    grade = np.where(known, rise / np.where(run > 0, run, 1.0), 0.0)
    up = speed_factor(grade, rule, uphill_slowdown)
    down = speed_factor(-grade, rule, uphill_slowdown)
    flat = run / speed_ms[seg]
    forward = np.bincount(seg, weights=flat / up, minlength=len(u))
    backward = np.bincount(seg, weights=flat / down, minlength=len(u))
    log.info("terrain (%s): %d pieces from %s", rule, len(seg), dem.source)
    return forward, backward
