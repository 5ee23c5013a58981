"""The travel-time field: minutes to care from every place of a regular lattice.

The lattice is the population grid's cell centres, refined by a whole factor where a finer
drawing is wanted (walking), so every populated cell's centre is a lattice point. Each
lattice point is linked to the roads exactly as a home is (:func:`geohealth.network.snap.attach`:
every segment within the walking reach; none beyond it), so the field at a populated cell's
centre is that cell's travel time in the coverage tables (to float32 precision, a few
ten-thousandths of a second), and a service circle drawn as a level set of the field
(:mod:`geohealth.isochrones`) agrees with the tables by construction.

The lattice is linked tile by tile (``TILE`` × ``TILE`` points), only where a search
reached, and kept while memory allows (:mod:`geohealth.tiles`): the work for one facility is
bounded by the area it reaches, never by the size of the region.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from affine import Affine
from pyproj import CRS

#: Lattice points per tile side.
TILE = 32


@dataclass(frozen=True)
class Lattice:
    """Regular points: ``transform * (col / k + 0.5, row / k + 0.5)`` for a grid's transform.

    Attributes
    ----------
    transform
        The population grid's affine transform (cell corners).
    k
        Refinement: lattice points per grid cell side (1: the cell centres themselves).
    shape
        Lattice points (rows, cols).
    crs
        The grid's CRS.
    """

    transform: Affine
    k: int
    shape: tuple[int, int]
    crs: CRS

    def xy(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates (in ``crs``) of lattice points."""
        c = np.asarray(cols, dtype=float) / self.k + 0.5
        r = np.asarray(rows, dtype=float) / self.k + 0.5
        t = self.transform
        return t.a * c + t.b * r + t.c, t.d * c + t.e * r + t.f

    def position(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fractional lattice (row, col) of places given in ``crs`` (the inverse of :meth:`xy`)."""
        t = ~self.transform
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        col, row = t.a * x + t.b * y + t.c, t.d * x + t.e * y + t.f
        return (row - 0.5) * self.k, (col - 0.5) * self.k

    @property
    def step(self) -> float:
        """The shorter distance between neighbouring lattice points, in the CRS's units."""
        t = self.transform
        return min(math.hypot(t.a, t.d), math.hypot(t.b, t.e)) / self.k

    @property
    def spacing_m(self) -> float:
        """The smallest spacing between lattice points anywhere on the lattice (metres).

        On a geographic grid, at the row farthest from the equator (where a degree of
        longitude is shortest): a reach counted in lattice steps with it holds everywhere.
        """
        t = self.transform
        farthest = max(abs(t.f), abs(t.f + t.e * self.shape[0] / self.k))  # edge rows' latitude
        return min(_cell_m(t, self.crs, min(farthest, 89.0))) / self.k

    @property
    def tiles(self) -> tuple[int, int]:
        """Tiles (rows, cols)."""
        return -(-self.shape[0] // TILE), -(-self.shape[1] // TILE)

    @property
    def key(self) -> str:
        """A text key for caches."""
        return f"{tuple(self.transform)}:{self.k}:{self.shape}:{self.crs.srs}"


def lattice(transform: Affine, shape: tuple[int, int], crs: CRS, cell_m: float) -> Lattice:
    """Return the lattice of a grid's cell centres, refined to at most ``cell_m`` apart.

    Parameters
    ----------
    transform, shape, crs
        The population grid's transform, (rows, cols) and CRS.
    cell_m
        Largest spacing wanted (metres); the grid's own cells when they are finer.

    Returns
    -------
    Lattice
        ``k = ceil(cell size / cell_m)`` points per cell side.
    """
    width, height = _cell_m(transform, crs, transform.f + transform.e * shape[0] / 2)  # middle
    k = max(1, math.ceil(max(width, height) / cell_m - 1e-9))
    return Lattice(transform=transform, k=k, shape=(shape[0] * k, shape[1] * k), crs=crs)


def lattice_around(
    x: np.ndarray, y: np.ndarray, crs: CRS, margin_m: float, cell_m: float
) -> Lattice:
    """Return a lattice in a metric CRS around some places, with a margin (no grid).

    Parameters
    ----------
    x, y
        Places (metres, in ``crs``).
    crs
        A metric CRS.
    margin_m
        Margin around the places (metres).
    cell_m
        Spacing (metres).

    Returns
    -------
    Lattice
        North-up, ``k = 1``.
    """
    west, east = float(np.min(x)) - margin_m, float(np.max(x)) + margin_m
    south, north = float(np.min(y)) - margin_m, float(np.max(y)) + margin_m
    cols = max(1, math.ceil((east - west) / cell_m))
    rows = max(1, math.ceil((north - south) / cell_m))
    transform = Affine(cell_m, 0.0, west, 0.0, -cell_m, north)
    return Lattice(transform=transform, k=1, shape=(rows, cols), crs=crs)


def _cell_m(transform: Affine, crs: CRS, lat: float) -> tuple[float, float]:
    """Width and height of a grid's cells in metres (at latitude ``lat`` if geographic)."""
    width, height = abs(transform.a), abs(transform.e)
    if crs.is_geographic:
        width *= 111_320.0 * math.cos(math.radians(lat))
        height *= 110_574.0
    return width, height
