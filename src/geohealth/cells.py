"""The population grid's cells with people, as origins on one road graph.

Most of a WorldPop grid is empty land (42 000 of the sample county's 667 000 cells hold
people), so only cells with people are origins. Each is linked to the roads exactly as a home
(:func:`geohealth.network.snap.attach`), and what is kept of the links is what the times need:

- its ways onto the network, less those another way beats by one edge
  (:func:`geohealth.traveltime.needed_ways`) — every time through them is the same;
- whether any road is within the walking reach (people beyond it reach nothing by the mode).

Trips straight along a segment shared with a facility are found when the facilities are
known, from the facilities' own segments (:meth:`geohealth.tiles.TileCache.direct` on the
grid's lattice of cell centres — the same lattice the service circles are drawn on), so the
links themselves are not kept: a province's cells cost a few bytes each, not hundreds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from pyproj import Transformer

from geohealth import field
from geohealth.inputs.population import PopulationGrid
from geohealth.network import dominance, snap
from geohealth.network.graph import RoadGraph
from geohealth.network.snap import Attachment
from geohealth.tiles import tile_cache

#: Cells attached at a time (bounds the linking's working memory on a province's grid).
_CHUNK = 100_000

#: Ways from places onto the network: (place, node, seconds), sorted by place.
Ways = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class GridCells:
    """Cells with people of a population grid, and their ways onto one graph's network.

    Attributes
    ----------
    graph
        The graph.
    lattice
        The grid's cell centres (:func:`geohealth.field.lattice`, ``k = 1``).
    rows, cols
        The cells with people, row-major (int32).
    ways
        Their ways onto the network that no other way beats: cell (position in ``rows``),
        node and seconds, sorted by cell.
    linked
        True where some road of the mode is within the walking reach.
    """

    graph: RoadGraph
    lattice: field.Lattice
    rows: np.ndarray
    cols: np.ndarray
    ways: Ways
    linked: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def along(self, facilities: Attachment) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Trips straight along a segment shared with a facility, without passing a node.

        Parameters
        ----------
        facilities
            Facilities attached to the graph.

        Returns
        -------
        tuple of numpy.ndarray
            Cell (position in ``rows``), facility and seconds, as
            :func:`geohealth.network.snap.same_segment` gives them for attached cells.
        """
        cache = tile_cache(self.graph, self.lattice, facilities.crs)
        row, col, place, seconds = cache.direct(facilities)
        n_cols = self.lattice.shape[1]
        keys = self.rows.astype(np.int64) * n_cols + self.cols  # ascending: row-major
        wanted = row * n_cols + col
        at = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
        hit = (keys[at] == wanted) if len(keys) else np.zeros(len(wanted), dtype=bool)
        return at[hit], place[hit], seconds[hit]


def grid_cells(graph: RoadGraph, grid: PopulationGrid) -> GridCells:
    """Return the grid's cells with people on a graph (linked once per graph and grid).

    Parameters
    ----------
    graph
        A timed road graph.
    grid
        The population grid; cells with people (> 0) are kept.

    Returns
    -------
    GridCells
        Cached on the graph: every care group's run on this mode shares it.
    """
    has_data = np.nan_to_num(grid.values, nan=0.0) > 0
    key = (
        "cells:"
        + hashlib.sha256(
            np.packbits(has_data).tobytes()
            + repr((grid.shape, tuple(grid.transform), grid.crs.srs)).encode()
        ).hexdigest()
    )
    cached = graph._cache.get(key)
    if isinstance(cached, GridCells):
        return cached
    rows, cols = np.nonzero(has_data)
    # cell centres are points of every lattice of the grid (geohealth.field): the same
    # arithmetic gives the same coordinates, so a service circle agrees with the table
    lattice = field.lattice(grid.transform, grid.shape, grid.crs, np.inf)
    metric = snap.utm_crs(graph.lon, graph.lat)
    to_metric = Transformer.from_crs(grid.crs, metric, always_xy=True)
    parts: list[Ways] = [(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))]
    linked = np.zeros(len(rows), dtype=bool)
    for lo in range(0, len(rows), _CHUNK):
        part = slice(lo, lo + _CHUNK)
        x, y = lattice.xy(rows[part], cols[part])
        mx, my = to_metric.transform(x, y)
        point, node, seconds, linked[part] = snap.ways_within(graph, mx, my, metric, towards=True)
        keep = dominance.needed_ways(graph, point, node, seconds, leaving=True)
        parts.append((point[keep] + lo, node[keep], seconds[keep]))
    ways = (
        np.concatenate([p[0] for p in parts]).astype(np.int32),
        np.concatenate([p[1] for p in parts]).astype(np.int32),
        np.concatenate([p[2] for p in parts]),
    )
    made = GridCells(graph, lattice, rows.astype(np.int32), cols.astype(np.int32), ways, linked)
    graph._cache[key] = made
    return made


def needed_ways(graph: RoadGraph, points: Attachment) -> Ways:
    """Return the points' ways onto the network that no other way beats.

    The fastest way per (point, node), less those beaten by another way of the point plus
    one edge (:mod:`geohealth.network.dominance`): the times through them are the same.

    Parameters
    ----------
    graph
        The graph the points are attached to.
    points
        Attached points.

    Returns
    -------
    Ways
        Point (int32), node (int32) and seconds (float64), sorted by point.
    """
    point, node, cost = points.leaving(best=True)
    keep = dominance.needed_ways(graph, point, node, cost, leaving=True)
    return point[keep].astype(np.int32), node[keep].astype(np.int32), cost[keep]
