"""Travel times of places: to the nearest facility, pairs within a limit, facility to facility.

Each place takes the best of its links to the roads (:mod:`geohealth.network.snap`) on top of
the searches from the facilities (:mod:`geohealth.network.search`, whose names are also
reachable here). Public results are in minutes; unreachable is ``inf`` in arrays and missing
in tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from geohealth.cells import GridCells, Ways, grid_cells, needed_ways
from geohealth.inputs.population import PopulationGrid
from geohealth.network import snap
from geohealth.network.graph import RoadGraph
from geohealth.network.search import (
    NearestFacility,
    Search,
    bounded_searches,
    nearest_facility,
    reachable,
)
from geohealth.network.snap import Attachment

__all__ = [  # the searches live in geohealth.network.search; reachable here too
    "NearestFacility",
    "PairTimes",
    "Search",
    "Ways",
    "beyond_reach",
    "bounded_searches",
    "cell_pair_times",
    "facility_matrix",
    "nearest_cells",
    "nearest_facility",
    "needed_ways",
    "pair_times",
    "point_times",
    "populated_cell_times",
    "reachable",
    "surface",
]


def _first_per(key: np.ndarray, seconds: np.ndarray, *other: np.ndarray) -> tuple[np.ndarray, ...]:
    """Keep the fastest row per ``key``: (keys, seconds, *other), keys ascending."""
    if other:
        order = np.lexsort((seconds, key))
        key, seconds = key[order], seconds[order]
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        return (key[first], seconds[first], *(o[order][first] for o in other))
    order = np.argsort(key)  # one integer key sorts faster than two; the minimum follows
    key, seconds = key[order], seconds[order]
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else order
    if len(key) == 0:
        return key, seconds
    return key[start], np.minimum.reduceat(seconds, start)


def _origin_ways(
    points: Attachment | GridCells, facilities: Attachment, ways: Ways | None
) -> tuple[Ways, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Origins' ways onto the network (sorted by origin) and their trips along shared segments."""
    if isinstance(points, GridCells):
        return points.ways if ways is None else ways, points.along(facilities)
    # every way of attached points: the minimum is taken by the caller
    mine = points.leaving(best=False) if ways is None else ways
    return mine, snap.same_segment(points, facilities)


def point_times(
    nearest: NearestFacility,
    points: Attachment | GridCells,
    facilities: Attachment,
    *,
    ways: Ways | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Time from attached points (homes, population cells) to their nearest facility.

    The best over the point's links: walk to a linked road, along it to either end (where
    its direction allows) and on to the facility, or straight along the segment to a
    facility linked to the same segment.

    Parameters
    ----------
    nearest
        From :func:`nearest_facility` with the same ``facilities``.
    points
        Origins, attached to the same graph.
    facilities
        Facilities, attached to the same graph.
    ways
        The points' ways onto the network, sorted by point (:func:`needed_ways`, kept for
        points timed often); all of them when None.

    Returns
    -------
    tuple of numpy.ndarray
        Minutes (``inf`` when no facility is reachable) and the facility index (``-1``).
    """
    (point, node, cost), along = _origin_ways(points, facilities, ways)
    node_s = nearest.node_min * 60.0
    total_s = np.full(len(points), np.inf)
    best = np.full(len(points), -1, dtype=np.int64)
    if len(point):  # the ways come sorted by point: a minimum per run, no sorting
        seconds = cost + node_s[node]
        start = np.flatnonzero(np.r_[True, point[1:] != point[:-1]])
        fastest = np.minimum.reduceat(seconds, start)
        count = np.diff(np.r_[start, len(point)])
        at = np.where(seconds == np.repeat(fastest, count), np.arange(len(point)), len(point))
        first = np.minimum.reduceat(at, start)
        reached = np.isfinite(fastest)
        total_s[point[start[reached]]] = fastest[reached]
        best[point[start[reached]]] = nearest.node_facility[node[first[reached]]]
    # a facility on a segment the point is linked to may be reached straight along it
    via_point, via_facility, direct_s = along
    if len(via_point):
        key, seconds, which = _first_per(via_point, direct_s, via_facility)
        better = seconds < total_s[key]
        total_s[key[better]] = seconds[better]
        best[key[better]] = which[better]
    return total_s / 60.0, best


def facility_matrix(graph: RoadGraph, origins: Attachment, destinations: Attachment) -> np.ndarray:
    """Travel time from every origin facility to every destination facility.

    For example township health centres → county hospitals. One unbounded search per origin
    (referral trips have no time limit).

    Parameters
    ----------
    graph
        A timed road graph.
    origins, destinations
        Facilities attached to ``graph``.

    Returns
    -------
    numpy.ndarray
        Minutes, shape (origins, destinations); ``inf`` where unreachable.
    """
    best = np.full((len(origins), len(destinations)), np.inf)
    if len(origins) == 0 or len(destinations) == 0:
        return best
    d_point, d_node, d_cost = destinations.arriving()
    starts = np.flatnonzero(np.r_[True, d_point[1:] != d_point[:-1]])
    for found in bounded_searches(graph, origins, limit_min=None, towards=False):
        via = found.seconds[:, d_node] + d_cost[None, :]
        best[np.ix_(found.facility, d_point[starts])] = np.minimum.reduceat(via, starts, axis=1)
    o_point, t_point, direct_s = snap.same_segment(origins, destinations)
    np.minimum.at(best, (o_point, t_point), direct_s)
    return best / 60.0


def nearest_cells(
    graph: RoadGraph,
    grid: PopulationGrid,
    facilities: Attachment,
    *,
    nearest: NearestFacility | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Travel time to the nearest facility, and which one, for every cell of a grid.

    Each cell centre with people walks to the roads within the walking reach and travels on
    by the fastest (none within reach: ``inf``); the results are aligned cell for cell with
    the grid (same shape, transform and CRS).

    Parameters
    ----------
    graph, grid, facilities, nearest
        As for :func:`populated_cell_times`.

    Returns
    -------
    tuple of numpy.ndarray
        Minutes (float64; NaN where the cell has no people or no data, ``inf`` where no
        facility is reachable) and the nearest facility's index (int64; ``-1`` for both
        cases), each of the grid's shape.
    """
    rows, cols, minutes, facility = populated_cell_times(graph, grid, facilities, nearest=nearest)
    out = np.full(grid.shape, np.nan)
    out[rows, cols] = minutes
    which = np.full(grid.shape, -1, dtype=np.int64)
    which[rows, cols] = facility
    return out, which


def populated_cell_times(
    graph: RoadGraph,
    grid: PopulationGrid,
    facilities: Attachment,
    *,
    nearest: NearestFacility | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Travel time to the nearest facility, and which one, for the grid cells with people.

    As :func:`nearest_cells`, without the grid-shaped arrays (most of a province's grid is
    empty land).

    Parameters
    ----------
    graph
        A timed road graph.
    grid
        The population grid whose cells are the origins.
    facilities
        Facilities attached to ``graph``.
    nearest
        A precomputed :func:`nearest_facility` for these facilities (computed when None).

    Returns
    -------
    tuple of numpy.ndarray
        Row and column of each cell with people, its minutes (float64; ``inf`` where no
        facility is reachable) and its nearest facility (``-1`` for none).
    """
    nearest = nearest or nearest_facility(graph, facilities)
    cells = grid_cells(graph, grid)
    minutes, facility = point_times(nearest, cells, facilities)
    rows, cols = cells.rows, cells.cols
    return rows, cols, minutes, facility


def surface(
    graph: RoadGraph,
    grid: PopulationGrid,
    facilities: Attachment,
    *,
    nearest: NearestFacility | None = None,
) -> np.ndarray:
    """Travel time to the nearest facility for every cell of a population grid.

    Parameters
    ----------
    graph
        A timed road graph.
    grid
        The population grid whose cells are the origins.
    facilities
        Facilities attached to ``graph``.
    nearest
        A precomputed :func:`nearest_facility` for these facilities (computed when None).

    Returns
    -------
    numpy.ndarray
        Minutes, float64, the grid's shape; NaN where the cell has no people or no data,
        ``inf`` where no facility is reachable. See :func:`nearest_cells`.
    """
    return nearest_cells(graph, grid, facilities, nearest=nearest)[0]


#: Pairs summed at a time: a province has tens of millions within half an hour.
PAIRS_AT_A_TIME = 4_000_000


@dataclass(frozen=True)
class PairTimes:
    """Travel times of origin–facility pairs within a limit, as three aligned arrays.

    Attributes
    ----------
    origin
        Index of the origin (point or grid cell), int32.
    facility
        Index of the facility, int32.
    minutes
        Minutes from the origin to the facility (≤ the limit), float32.
    """

    origin: np.ndarray
    facility: np.ndarray
    minutes: np.ndarray

    def __len__(self) -> int:
        return len(self.origin)

    def parts(self, size: int | None = None) -> Iterator[PairTimes]:
        """Yield the pairs ``size`` (:data:`PAIRS_AT_A_TIME`) at a time, as views.

        Sums over them then need little memory, however many pairs a province has.
        """
        size = size or PAIRS_AT_A_TIME
        for lo in range(0, len(self), size):
            part = slice(lo, lo + size)
            yield PairTimes(self.origin[part], self.facility[part], self.minutes[part])


def pair_times(
    graph: RoadGraph,
    points: Attachment | GridCells,
    facilities: Attachment,
    *,
    limit_min: float,
    ways: Ways | None = None,
) -> PairTimes:
    """Travel time from every point to every facility it can reach within a limit.

    One bounded search per facility over its own window (:func:`bounded_searches`); then
    the points linked to the reached nodes, found through an index by node, take their best
    link, as in :func:`point_times` — the minimum over facilities equals
    :func:`point_times`. No step scans all points or the whole graph per facility.

    Parameters
    ----------
    graph
        A timed road graph.
    points
        Origins (homes, population cells), attached to ``graph``.
    facilities
        Facilities, attached to ``graph``.
    limit_min
        Keep pairs within this many minutes.
    ways
        As for :func:`point_times`.

    Returns
    -------
    PairTimes
        Pairs grouped by facility, each (origin, facility) once.
    """
    limit_s = limit_min * 60.0
    (point, node, cost), (via_point, via_facility, direct_s) = _origin_ways(
        points, facilities, ways
    )
    by_node = np.argsort(node, kind="stable")
    first = np.searchsorted(node[by_node], np.arange(graph.n_nodes + 1))
    near = direct_s <= limit_s
    via_point, via_facility, direct_s = via_point[near], via_facility[near], direct_s[near]
    by_facility = np.argsort(via_facility, kind="stable")
    direct_at = np.searchsorted(via_facility[by_facility], np.arange(len(facilities) + 1))
    # one buffer per point, reused facility after facility: the minimum per point without
    # sorting, in work proportional to the facility's own reach
    best = np.full(len(points), np.inf)
    slot = np.zeros(len(points), dtype=np.int64)
    origins: list[np.ndarray] = [np.zeros(0, dtype=np.int32)]
    found_at: list[np.ndarray] = [np.zeros(0, dtype=np.int32)]
    values: list[np.ndarray] = [np.zeros(0, dtype=np.float32)]
    for found in bounded_searches(graph, facilities, limit_min=limit_min):
        for k, j in enumerate(found.facility.tolist()):
            row = found.seconds[k]
            hit = np.flatnonzero(row <= limit_s)
            reached, node_s = found.nodes[hit], row[hit]
            count = first[reached + 1] - first[reached]
            edge = by_node[
                np.repeat(first[reached], count)
                + np.arange(int(count.sum()))
                - np.repeat(np.cumsum(count) - count, count)
            ]
            total = cost[edge] + np.repeat(node_s, count)
            ok = total <= limit_s
            mine = by_facility[direct_at[j] : direct_at[j + 1]]
            who = np.concatenate([point[edge][ok], via_point[mine]])
            secs = np.concatenate([total[ok], direct_s[mine]])
            np.minimum.at(best, who, secs)
            slot[who] = np.arange(len(who))
            unique = who[slot[who] == np.arange(len(who))]  # each point once
            origins.append(unique.astype(np.int32))
            found_at.append(np.full(len(unique), j, dtype=np.int32))
            values.append((best[unique] / 60.0).astype(np.float32))
            best[unique] = np.inf
    return PairTimes(  # compact: pairs are the engine's largest arrays
        origin=np.concatenate(origins),
        facility=np.concatenate(found_at),
        minutes=np.concatenate(values),
    )


def cell_pair_times(
    graph: RoadGraph,
    grid: PopulationGrid,
    facilities: Attachment,
    *,
    limit_min: float,
) -> tuple[np.ndarray, np.ndarray, PairTimes]:
    """Travel time from every populated cell to every facility within a limit.

    Parameters
    ----------
    graph
        A timed road graph.
    grid
        The population grid; cells with people (> 0) are the origins.
    facilities
        Facilities attached to ``graph``.
    limit_min
        Keep pairs within this many minutes.

    Returns
    -------
    tuple
        Row and column of each populated cell, and the :class:`PairTimes` whose ``origin``
        indexes them.
    """
    cells = grid_cells(graph, grid)  # populated cells only
    pairs = pair_times(graph, cells, facilities, limit_min=limit_min)
    return cells.rows, cells.cols, pairs


def beyond_reach(graph: RoadGraph, grid: PopulationGrid) -> float:
    """People in cells with no road of the mode within the walking reach.

    They cannot reach care by this mode: the coverage tables count them as not covered.

    Parameters
    ----------
    graph
        A timed road graph.
    grid
        The population grid.

    Returns
    -------
    float
        Persons.
    """
    cells = grid_cells(graph, grid)
    unlinked = ~cells.linked
    return float(np.nansum(grid.values[cells.rows[unlinked], cells.cols[unlinked]]))
