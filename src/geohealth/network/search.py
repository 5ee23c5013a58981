"""Searches on a road graph from facilities: nearest facility per node, bounded searches.

All shortest paths run in compiled code (``scipy.sparse.csgraph.dijkstra``) on the graph's
CSR matrix, extended by one virtual node per facility joined to every node its links reach
(each link's walk plus the part of its segment). Times are *to* the facility unless asked
otherwise, so those searches run on the reversed graph. A bounded search runs on the window of
the graph the facility can reach (:mod:`geohealth.network.windows`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geohealth.network import windows
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


def _with_sources(
    base: csr_matrix, point: np.ndarray, node: np.ndarray, cost: np.ndarray, n_sources: int
) -> tuple[csr_matrix, np.ndarray]:
    """Append one row per source to a graph's CSR, joined to ``node`` at ``cost`` seconds.

    ``point`` (sorted) names the source of each join; nodes are the base graph's.
    """
    n = base.shape[0]
    virtual = n + np.arange(n_sources)
    counts = np.bincount(point, minlength=n_sources)
    size = n + n_sources
    # the base's index type (int32 unless the graph is huge), so scipy neither scans nor
    # converts the indices
    kind = np.result_type(
        base.indices, base.indptr, np.min_scalar_type(max(base.nnz + len(node), size))
    )
    indptr = np.concatenate([base.indptr, base.indptr[-1] + np.cumsum(counts)]).astype(kind)
    matrix = csr_matrix(
        (
            np.concatenate([base.data, cost]),
            np.concatenate([base.indices, node.astype(kind)]),
            indptr,
        ),
        shape=(size, size),
    )
    return matrix, virtual


def _augmented(
    graph: RoadGraph, facilities: Attachment, *, towards: bool
) -> tuple[csr_matrix, np.ndarray]:
    """Extend the graph by a virtual node per facility, joined to every node its links reach.

    ``towards=True``: the reversed graph, for times from nodes *to* the facilities (virtual
    node → node costs the trip node → facility). ``towards=False``: the forward graph, for
    times *from* the facilities.
    """
    point, node, cost = facilities.arriving() if towards else facilities.leaving()
    base = graph.reverse_matrix if towards else graph.matrix
    return _with_sources(base, point, node, cost, len(facilities))


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


@dataclass(frozen=True)
class Search:
    """Bounded searches for a batch of facilities, over the window they can reach.

    Attributes
    ----------
    facility
        The facilities searched (indices into the attachment).
    nodes
        The window's nodes (graph indices).
    seconds
        Time between each facility and each window node, shape (facilities, nodes); ``inf``
        beyond the limit.
    """

    facility: np.ndarray
    nodes: np.ndarray
    seconds: np.ndarray


def bounded_searches(
    graph: RoadGraph,
    facilities: Attachment,
    *,
    limit_min: float | None,
    towards: bool = True,
    batch: int = 32,
) -> Iterator[Search]:
    """Travel times between each facility and the nodes within a limit, batch by batch.

    Each batch holds facilities close together, and searches only the window of the graph
    they could reach: no node farther (straight line) than the fastest road covers in the
    limit, plus the facility's walk to its roads (the whole graph when the window holds most
    of it anyway). Work per facility is bounded by its own window, not by the size of the
    region.

    Parameters
    ----------
    graph
        A timed road graph.
    facilities
        The facilities, attached to ``graph``.
    limit_min
        Stop each search at this many minutes (farther nodes are ``inf``); the whole graph
        with no limit when None.
    towards
        Times from the nodes *to* the facility (True) or from the facility to the nodes.
    batch
        Most facilities searched together.

    Yields
    ------
    Search
        One batch; every facility appears in exactly one.
    """
    point, node, cost = facilities.arriving() if towards else facilities.leaving()
    base = graph.reverse_matrix if towards else graph.matrix
    if limit_min is None or not np.isfinite(limit_min):
        for start in range(0, len(facilities), batch):
            chosen = np.arange(start, min(start + batch, len(facilities)))
            yield _search(base, None, np.arange(graph.n_nodes), chosen, point, node, cost, None)
        return
    limit_s = limit_min * 60.0
    index = windows.node_index(graph, facilities.crs)
    walk_m = np.zeros(len(facilities))
    np.maximum.at(walk_m, facilities.links.point, facilities.links.walk_m)
    radius = index.speed_max_mps * limit_s * 1.01 + walk_m.max(initial=0.0) + 1.0
    everything = np.arange(graph.n_nodes)
    for chosen in windows.batches(facilities.x, facilities.y, radius, batch):
        box = (
            facilities.x[chosen].min() - radius,
            facilities.y[chosen].min() - radius,
            facilities.x[chosen].max() + radius,
            facilities.y[chosen].max() + radius,
        )
        if index.count_within(*box) * 2 >= index.starts[-1]:  # of the mode's nodes
            # the window is most of the graph: cutting it out would cost more than it saves
            yield _search(base, None, everything, chosen, point, node, cost, limit_s)
            continue
        yield _search(base, index, index.within(*box), chosen, point, node, cost, limit_s)


def _search(
    base: csr_matrix,
    index: windows.NodeIndex | None,
    nodes: np.ndarray,
    chosen: np.ndarray,
    point: np.ndarray,
    node: np.ndarray,
    cost: np.ndarray,
    limit_s: float | None,
) -> Search:
    """One batch's search on the window ``nodes`` of ``base`` (``point`` sorted)."""
    lo = np.searchsorted(point, chosen, side="left")
    hi = np.searchsorted(point, chosen, side="right")
    count = hi - lo
    rows = (
        np.repeat(lo, count)
        + np.arange(int(count.sum()))
        - np.repeat(np.cumsum(count) - count, count)
    )
    source = np.repeat(np.arange(len(chosen)), count)
    if index is None:  # the whole graph
        sub, head = base, node[rows]
    else:
        sub, head = index.subgraph(base, nodes, node[rows])
    ok = head >= 0
    matrix, virtual = _with_sources(sub, source[ok], head[ok], cost[rows][ok], len(chosen))
    limit = np.inf if limit_s is None else limit_s
    dist = np.atleast_2d(dijkstra(matrix, indices=virtual, limit=limit))[:, : len(nodes)]
    return Search(facility=chosen, nodes=nodes, seconds=dist)


def reachable(
    graph: RoadGraph, facilities: Attachment, *, limit_min: float, batch: int = 32
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
        Most facilities searched together.

    Returns
    -------
    scipy.sparse.csr_matrix
        Facilities × nodes; entry = minutes from the node to the facility, stored only where
        within ``limit_min`` (a stored 0 means the node is at the facility).
    """
    rows: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    cols: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    vals: list[np.ndarray] = [np.zeros(0)]
    for found in bounded_searches(graph, facilities, limit_min=limit_min, batch=batch):
        r, c = np.nonzero(np.isfinite(found.seconds))
        rows.append(found.facility[r])
        cols.append(found.nodes[c])
        vals.append(found.seconds[r, c] / 60.0)
    return csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(facilities), graph.n_nodes),
    )
