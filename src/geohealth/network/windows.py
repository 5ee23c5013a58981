"""Search windows: the part of a road graph a bounded search from a few places can reach.

A search limited to T minutes never leaves the disc that the graph's fastest road covers in
T minutes, so it can run on that window of the graph instead of the whole region. The nodes
are indexed in square buckets, so finding a window's nodes and cutting its sub-graph cost
work in proportion to the window, never to the region.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from pyproj import CRS, Transformer
from scipy.sparse import csr_matrix

from geohealth.network.graph import RoadGraph

_BUCKET_M = 1000.0


@dataclass
class NodeIndex:
    """A graph's nodes in square buckets of a metric CRS.

    Attributes
    ----------
    x0, y0
        South-west corner of bucket (0, 0), metres.
    nx, ny
        Buckets across and up.
    order
        Node indices sorted by bucket (row-major).
    starts
        Nodes of bucket ``k`` are ``order[starts[k]:starts[k + 1]]``.
    xy
        Node coordinates (metres; NaN for nodes with no edge).
    speed_max_mps
        The graph's fastest edge (metres per second, straight line over time).
    """

    x0: float
    y0: float
    nx: int
    ny: int
    order: np.ndarray
    starts: np.ndarray
    xy: np.ndarray
    speed_max_mps: float
    _local: np.ndarray

    def within(self, west: float, south: float, east: float, north: float) -> np.ndarray:
        """Nodes inside a box (metres), ascending.

        Parameters
        ----------
        west, south, east, north
            The box.

        Returns
        -------
        numpy.ndarray
            Node indices.
        """
        i0 = int(np.clip((west - self.x0) // _BUCKET_M, 0, self.nx - 1))
        i1 = int(np.clip((east - self.x0) // _BUCKET_M, 0, self.nx - 1))
        j0 = int(np.clip((south - self.y0) // _BUCKET_M, 0, self.ny - 1))
        j1 = int(np.clip((north - self.y0) // _BUCKET_M, 0, self.ny - 1))
        parts = [
            self.order[self.starts[j * self.nx + i0] : self.starts[j * self.nx + i1 + 1]]
            for j in range(j0, j1 + 1)
        ]
        nodes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        x, y = self.xy[nodes, 0], self.xy[nodes, 1]
        inside = (x >= west) & (x <= east) & (y >= south) & (y <= north)
        return np.sort(nodes[inside])

    def count_within(self, west: float, south: float, east: float, north: float) -> int:
        """Nodes in the buckets a box touches (an upper bound of :meth:`within`'s count)."""
        i0 = int(np.clip((west - self.x0) // _BUCKET_M, 0, self.nx - 1))
        i1 = int(np.clip((east - self.x0) // _BUCKET_M, 0, self.nx - 1))
        j0 = int(np.clip((south - self.y0) // _BUCKET_M, 0, self.ny - 1))
        j1 = int(np.clip((north - self.y0) // _BUCKET_M, 0, self.ny - 1))
        rows = np.arange(j0, j1 + 1) * self.nx
        return int((self.starts[rows + i1 + 1] - self.starts[rows + i0]).sum())

    def subgraph(
        self, base: csr_matrix, nodes: np.ndarray, lookup: np.ndarray
    ) -> tuple[csr_matrix, np.ndarray]:
        """Cut the edges of ``base`` between window nodes, renumbered ``0 … len(nodes) − 1``.

        Parameters
        ----------
        base
            The graph's (or reversed graph's) CSR matrix.
        nodes
            The window's nodes.
        lookup
            Further graph nodes to renumber (−1 where outside the window).

        Returns
        -------
        tuple
            The window's CSR matrix and ``lookup`` renumbered.
        """
        local = self._local
        local[nodes] = np.arange(len(nodes))
        try:
            begin, end = base.indptr[nodes], base.indptr[nodes + 1]
            count = end - begin
            edge = (
                np.repeat(begin, count)
                + np.arange(int(count.sum()))
                - np.repeat(np.cumsum(count) - count, count)
            )
            head = local[base.indices[edge]]
            keep = head >= 0
            kept = np.bincount(np.repeat(np.arange(len(nodes)), count)[keep], minlength=len(nodes))
            sub = csr_matrix(
                (base.data[edge][keep], head[keep], np.concatenate([[0], np.cumsum(kept)])),
                shape=(len(nodes), len(nodes)),
            )
            renumbered = local[lookup]
        finally:
            local[nodes] = -1
        return sub, renumbered


def node_index(graph: RoadGraph, crs: CRS) -> NodeIndex:
    """Return the graph's bucketed node index in a metric CRS (cached on the graph).

    Parameters
    ----------
    graph
        A timed road graph.
    crs
        The metric CRS of the attachments searched from.

    Returns
    -------
    NodeIndex
        The index.
    """
    key = f"node-index:{crs.srs}"
    cached = graph._cache.get(key)
    if isinstance(cached, NodeIndex):
        return cached
    x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(graph.lon, graph.lat)
    xy = np.column_stack([x, y]).astype(float)
    used = np.zeros(graph.n_nodes, dtype=bool)
    used[graph.u] = True
    used[graph.v] = True
    xy[~used] = np.nan
    finite = np.isfinite(xy).all(axis=1)
    x0 = float(np.nanmin(xy[:, 0])) if finite.any() else 0.0
    y0 = float(np.nanmin(xy[:, 1])) if finite.any() else 0.0
    nx = int((np.nanmax(xy[:, 0]) - x0) // _BUCKET_M) + 1 if finite.any() else 1
    ny = int((np.nanmax(xy[:, 1]) - y0) // _BUCKET_M) + 1 if finite.any() else 1
    bucket = np.full(graph.n_nodes, nx * ny, dtype=np.int64)  # unused nodes: past the end
    bx = ((xy[finite, 0] - x0) // _BUCKET_M).astype(np.int64)
    by = ((xy[finite, 1] - y0) // _BUCKET_M).astype(np.int64)
    bucket[finite] = by * nx + bx
    order = np.argsort(bucket, kind="stable")
    starts = np.searchsorted(bucket[order], np.arange(nx * ny + 1))
    straight = np.hypot(*(xy[graph.u] - xy[graph.v]).T)
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(graph.time_s > 0, np.maximum(straight, graph.length_m) / graph.time_s, 0)
    index = NodeIndex(
        x0=x0,
        y0=y0,
        nx=nx,
        ny=ny,
        order=order,
        starts=starts,
        xy=xy,
        speed_max_mps=float(np.nanmax(speed, initial=1.0)),
        _local=np.full(graph.n_nodes, -1, dtype=np.int64),
    )
    graph._cache[key] = index
    return index


def batches(x: np.ndarray, y: np.ndarray, size_m: float, most: int) -> Iterator[np.ndarray]:
    """Group places that lie close together: squares of ``size_m``, at most ``most`` each.

    Parameters
    ----------
    x, y
        Places (metres).
    size_m
        Side of the squares.
    most
        Largest group.

    Yields
    ------
    numpy.ndarray
        Indices of one group; every place is in exactly one.
    """
    if len(x) == 0:
        return
    size = max(size_m, 1.0)
    bx = ((x - x.min()) // size).astype(np.int64)
    by = ((y - y.min()) // size).astype(np.int64)
    key = by * (int(bx.max()) + 1) + bx
    order = np.argsort(key, kind="stable")
    bounds = np.flatnonzero(np.r_[True, key[order][1:] != key[order][:-1], True])
    for lo, hi in itertools.pairwise(bounds):
        for start in range(lo, hi, most):
            yield order[start : min(start + most, hi)]
