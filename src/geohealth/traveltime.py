"""Travel times on a road graph: nearest facility, reachable sets, facility-to-facility.

All shortest paths run in compiled code (``scipy.sparse.csgraph.dijkstra``) on the graph's
CSR matrix, extended by one virtual node per facility that joins the road where the facility
attaches (partway along a segment, plus its off-road walk). Times are *to* the facility,
so searches from facilities run on the reversed graph. Public results are in minutes;
unreachable is ``inf`` in arrays and missing in tables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import rasterio.transform
from pyproj import Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geohealth.inputs.population import PopulationGrid
from geohealth.network import snap
from geohealth.network.graph import RoadGraph
from geohealth.network.snap import Attachment

_UNREACHED = -9999  # scipy's marker for "no source"


@dataclass(frozen=True)
class NearestFacility:
    """Time from every node to its nearest facility.

    Attributes
    ----------
    node_min
        Minutes from each node to the nearest facility (``inf`` if none is reachable).
    node_facility
        Index of that facility (``-1`` if none).
    """

    node_min: np.ndarray
    node_facility: np.ndarray


def _augmented(
    graph: RoadGraph, facilities: Attachment, *, towards: bool
) -> tuple[csr_matrix, np.ndarray]:
    """Extend the graph by a virtual node per facility, joined to its segment's two ends.

    ``towards=True``: the reversed graph, for times from nodes *to* the facilities (virtual
    node → end costs the trip end → facility). ``towards=False``: the forward graph, for
    times *from* the facilities (virtual node → end costs the trip facility → end).
    """
    n = graph.n_nodes
    virtual = n + np.arange(len(facilities))
    if towards:
        cost_a, cost_b = facilities.from_a_s(), facilities.from_b_s()
        base = graph.reverse_matrix
    else:
        cost_a, cost_b = facilities.to_a_s(), facilities.to_b_s()
        base = graph.matrix
    cost = np.column_stack([cost_a, cost_b]) + facilities.offroad_s[:, None]
    heads = np.column_stack([facilities.a, facilities.b])
    ok = np.isfinite(cost)
    # the graph's CSR with one row per facility appended: no re-sorting of the road edges
    indptr = np.concatenate([base.indptr, base.indptr[-1] + np.cumsum(ok.sum(axis=1))])
    size = n + len(facilities)
    matrix = csr_matrix(
        (
            np.concatenate([base.data, cost[ok]]),
            np.concatenate([base.indices, heads[ok]]),
            indptr,
        ),
        shape=(size, size),
    )
    return matrix, virtual


def _along(
    gap: np.ndarray, time_ab_s: np.ndarray | float, time_ba_s: np.ndarray | float
) -> np.ndarray:
    """Time to move ``gap`` (share of a segment, signed: + towards b) along it."""
    with np.errstate(invalid="ignore"):  # 0 × inf where the gap is zero, masked out
        along = np.where(gap >= 0, gap * time_ab_s, -gap * time_ba_s)
    return np.where(gap == 0, 0.0, along)


def nearest_facility(graph: RoadGraph, facilities: Attachment) -> NearestFacility:
    """Time from every node to its nearest facility, in one multi-source search.

    Parameters
    ----------
    graph
        A timed road graph.
    facilities
        The facilities, attached to ``graph``.

    Returns
    -------
    NearestFacility
        Minutes and facility index per node.
    """
    if len(facilities) == 0:
        return NearestFacility(
            node_min=np.full(graph.n_nodes, np.inf), node_facility=np.full(graph.n_nodes, -1)
        )
    matrix, virtual = _augmented(graph, facilities, towards=True)
    dist, _, sources = dijkstra(matrix, indices=virtual, min_only=True, return_predecessors=True)
    node_s = dist[: graph.n_nodes]
    source = sources[: graph.n_nodes]
    facility = np.where(source == _UNREACHED, -1, source - graph.n_nodes)
    return NearestFacility(node_min=node_s / 60.0, node_facility=facility.astype(np.int64))


def point_times(
    nearest: NearestFacility, points: Attachment, facilities: Attachment
) -> tuple[np.ndarray, np.ndarray]:
    """Time from attached points (homes, population cells) to their nearest facility.

    Leaves by either end of the point's segment (where its direction allows), or goes
    straight to a facility on the same segment.

    Parameters
    ----------
    nearest
        From :func:`nearest_facility` with the same ``facilities``.
    points
        Origins, attached to the same graph.
    facilities
        Facilities, attached to the same graph.

    Returns
    -------
    tuple of numpy.ndarray
        Minutes (``inf`` when no facility is reachable) and the facility index (``-1``).
    """
    node_s = nearest.node_min * 60.0
    via_a = points.to_a_s() + node_s[points.a]
    via_b = points.to_b_s() + node_s[points.b]
    best_s = np.minimum(via_a, via_b)
    best_facility = np.where(
        via_a <= via_b, nearest.node_facility[points.a], nearest.node_facility[points.b]
    )
    # a facility on the point's own segment may be reached without passing a node
    shared = np.intersect1d(points.segment, facilities.segment)
    for seg in shared:
        on_seg = np.flatnonzero(points.segment == seg)
        for j in np.flatnonzero(facilities.segment == seg):
            gap = facilities.fraction[j] - points.fraction[on_seg]
            along = _along(gap, points.time_ab_s[on_seg], points.time_ba_s[on_seg])
            along = along + facilities.offroad_s[j]
            better = along < best_s[on_seg]
            best_s[on_seg[better]] = along[better]
            best_facility[on_seg[better]] = j
    total_s = points.offroad_s + best_s
    best_facility = np.where(np.isfinite(total_s), best_facility, -1)
    return total_s / 60.0, best_facility


def node_times(
    graph: RoadGraph,
    facilities: Attachment,
    *,
    limit_min: float | None = None,
    towards: bool = True,
    batch: int = 64,
) -> Iterator[tuple[int, np.ndarray]]:
    """Travel times between every node and each facility, a batch of facilities at a time.

    Parameters
    ----------
    graph
        A timed road graph.
    facilities
        The facilities, attached to ``graph``.
    limit_min
        Stop each search at this many minutes (farther nodes are ``inf``); no limit when None.
    towards
        Times from the nodes *to* the facility (True) or from the facility to the nodes.
    batch
        Facilities searched per call (bounds memory to ``batch × nodes`` floats).

    Yields
    ------
    tuple
        Index of the batch's first facility, and seconds of shape (facilities in the batch,
        nodes).
    """
    matrix, virtual = _augmented(graph, facilities, towards=towards)
    limit = np.inf if limit_min is None else limit_min * 60.0
    for start in range(0, len(virtual), batch):
        dist = dijkstra(matrix, indices=virtual[start : start + batch], limit=limit)
        yield start, np.atleast_2d(dist)[:, : graph.n_nodes]


def reachable(
    graph: RoadGraph, facilities: Attachment, *, limit_min: float, batch: int = 64
) -> csr_matrix:
    """Nodes that can reach each facility within a time limit.

    Parameters
    ----------
    graph
        A timed road graph.
    facilities
        The facilities, attached to ``graph``.
    limit_min
        Time limit (minutes).
    batch
        Facilities searched per call (bounds memory to ``batch × nodes`` floats).

    Returns
    -------
    scipy.sparse.csr_matrix
        Facilities × nodes; entry = minutes from the node to the facility, stored only where
        within ``limit_min`` (a stored 0 means the node is at the facility).
    """
    rows: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    cols: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    vals: list[np.ndarray] = [np.zeros(0)]
    for start, dist in node_times(graph, facilities, limit_min=limit_min, batch=batch):
        r, c = np.nonzero(np.isfinite(dist))
        rows.append(r + start)
        cols.append(c)
        vals.append(dist[r, c] / 60.0)
    return csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(facilities), graph.n_nodes),
    )


def facility_matrix(graph: RoadGraph, origins: Attachment, destinations: Attachment) -> np.ndarray:
    """Travel time from every origin facility to every destination facility.

    For example township health centres → county hospitals.

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
    matrix, virtual = _augmented(graph, origins, towards=False)
    dist = np.atleast_2d(dijkstra(matrix, indices=virtual))[:, : graph.n_nodes]
    via_a = dist[:, destinations.a] + destinations.from_a_s()
    via_b = dist[:, destinations.b] + destinations.from_b_s()
    best = np.minimum(via_a, via_b)
    for i in range(len(origins)):  # same segment: straight along it
        same = np.flatnonzero(destinations.segment == origins.segment[i])
        if same.size:
            gap = destinations.fraction[same] - origins.fraction[i]
            along = _along(gap, origins.time_ab_s[i], origins.time_ba_s[i])
            best[i, same] = np.minimum(best[i, same], along + origins.offroad_s[i])
    return (best + destinations.offroad_s[None, :]) / 60.0


def nearest_cells(
    graph: RoadGraph,
    grid: PopulationGrid,
    facilities: Attachment,
    *,
    nearest: NearestFacility | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Travel time to the nearest facility, and which one, for every cell of a grid.

    Each cell centre with people walks to its nearest road and travels on; the results are
    aligned cell for cell with the grid (same shape, transform and CRS).

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
        Minutes (float64; NaN where the cell has no people or no data, ``inf`` where no
        facility is reachable) and the nearest facility's index (int64; ``-1`` for both
        cases), each of the grid's shape.
    """
    nearest = nearest or nearest_facility(graph, facilities)
    rows, cols, cells = _grid_cells(graph, grid)
    minutes, facility = point_times(nearest, cells, facilities)
    out = np.full(grid.shape, np.nan)
    out[rows, cols] = minutes
    which = np.full(grid.shape, -1, dtype=np.int64)
    which[rows, cols] = facility
    return out, which


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


@dataclass(frozen=True)
class PairTimes:
    """Travel times of origin–facility pairs within a limit, as three aligned arrays.

    Attributes
    ----------
    origin
        Index of the origin (point or grid cell).
    facility
        Index of the facility.
    minutes
        Minutes from the origin to the facility (≤ the limit).
    """

    origin: np.ndarray
    facility: np.ndarray
    minutes: np.ndarray

    def __len__(self) -> int:
        return len(self.origin)


def pair_times(
    graph: RoadGraph,
    points: Attachment,
    facilities: Attachment,
    *,
    limit_min: float,
    max_cells: int = 4_000_000,
) -> PairTimes:
    """Travel time from every point to every facility it can reach within a limit.

    One bounded search per facility (on the reversed graph), then each point leaves by either
    end of its segment, or goes straight to a facility on the same segment, as in
    :func:`point_times`; the minimum over facilities equals :func:`point_times`.

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
    max_cells
        Bound on facilities × points handled at once (memory: ~40 bytes each).

    Returns
    -------
    PairTimes
        Pairs in facility order.
    """
    limit_s = limit_min * 60.0
    batch = max(1, min(len(facilities), max_cells // max(1, len(points))))
    to_a, to_b = points.to_a_s(), points.to_b_s()
    origins: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    found: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    values: list[np.ndarray] = [np.zeros(0)]
    for start, dist in node_times(graph, facilities, limit_min=limit_min, batch=batch):
        best = np.minimum(dist[:, points.a] + to_a, dist[:, points.b] + to_b)
        for k in range(best.shape[0]):  # a facility on the point's own segment
            j = start + k
            same = np.flatnonzero(points.segment == facilities.segment[j])
            if same.size:
                gap = facilities.fraction[j] - points.fraction[same]
                along = _along(gap, points.time_ab_s[same], points.time_ba_s[same])
                best[k, same] = np.minimum(best[k, same], along + facilities.offroad_s[j])
        best += points.offroad_s
        k, i = np.nonzero(best <= limit_s)
        origins.append(i)
        found.append(k + start)
        values.append(best[k, i] / 60.0)
    return PairTimes(
        origin=np.concatenate(origins).astype(np.int64),
        facility=np.concatenate(found).astype(np.int64),
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
    rows, cols, cells = _grid_cells(graph, grid)  # populated cells only
    pairs = pair_times(graph, cells, facilities, limit_min=limit_min)
    return rows, cols, pairs


def _grid_cells(
    graph: RoadGraph, grid: PopulationGrid
) -> tuple[np.ndarray, np.ndarray, Attachment]:
    """Cells with people and their attachment to the graph, cached on the graph.

    Only populated cells are origins: a cell with nobody in it has no trip to time (most of
    a WorldPop grid is empty land — 42 000 of the sample county's 667 000 cells hold
    people). Attaching costs more than the search itself and does not depend on the
    facilities, so runs over several care groups attach the grid once per mode.
    """
    has_data = np.nan_to_num(grid.values, nan=0.0) > 0
    key = (
        "cells:"
        + hashlib.sha256(
            np.packbits(has_data).tobytes()
            + repr((grid.shape, tuple(grid.transform), grid.crs.to_wkt())).encode()
        ).hexdigest()
    )
    cached = graph._cache.get(key)
    if cached is None:
        rows, cols = np.nonzero(has_data)
        x, y = rasterio.transform.xy(grid.transform, rows, cols, offset="center")
        lon, lat = Transformer.from_crs(grid.crs, 4326, always_xy=True).transform(
            np.asarray(x), np.asarray(y)
        )
        cached = (rows, cols, snap.attach(graph, lon, lat, check_islands=False))
        graph._cache[key] = cached
    return cached  # type: ignore[return-value]
