"""Lattice tiles linked to the roads, kept per graph: the field's working store.

A tile is ``TILE`` × ``TILE`` lattice points (:mod:`geohealth.field`) with their ways onto the
network — only those no other way of the point beats (:mod:`geohealth.network.dominance`).
Tiles are linked on first use, only where a search arrived, and the least recently used are
dropped beyond ``CACHE_BYTES`` per cache, so a facility's work is bounded by the area it
reaches. Trips straight along a facility's own segments are measured on demand
(:meth:`TileCache.direct`, :mod:`geohealth.along`), not kept.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS, Transformer

from geohealth import along
from geohealth.field import TILE, Lattice
from geohealth.network import dominance, snap
from geohealth.network.graph import RoadGraph
from geohealth.network.snap import Attachment

#: Bytes of linked tiles kept per cache (graph, lattice and direction) before the least
#: recently used are dropped.
CACHE_BYTES = 256 * 2**20
#: Places' links above which :meth:`TileCache.direct` remembers its last answer.
_MEMO_LINKS = 256


@dataclass(frozen=True)
class Tile:
    """One tile's lattice points and their ways onto the network.

    Attributes
    ----------
    row0, col0
        Lattice index of the tile's first point.
    rows, cols
        Points in the tile.
    edge_point, edge_node, edge_s
        Per way onto the network, sorted by point: the point (0 … rows·cols − 1, row-major),
        the graph node and the seconds to get there.
    point_start
        First way of each point with any (``edge_point[point_start]`` ascending), for
        :func:`numpy.minimum.reduceat`.
    point_row, point_col
        Row and column within the tile of each point with any way (as ``point_start``).
    towards
        Ways from the points onto the network (times to a place, True) or from the network
        to the points (times from a place).
    """

    row0: int
    col0: int
    rows: int
    cols: int
    edge_point: np.ndarray
    edge_node: np.ndarray
    edge_s: np.ndarray
    point_start: np.ndarray
    point_row: np.ndarray
    point_col: np.ndarray
    towards: bool

    @property
    def nbytes(self) -> int:
        """Memory held (bytes)."""
        return int(
            sum(
                a.nbytes
                for a in (
                    self.edge_point,
                    self.edge_node,
                    self.edge_s,
                    self.point_start,
                    self.point_row,
                    self.point_col,
                )
            )
        )

    def times(self, node_s: np.ndarray) -> np.ndarray:
        """Seconds from every point of the tile to the place the node times lead to.

        Trips straight along a segment shared with that place are not included
        (:meth:`TileCache.direct`).

        Parameters
        ----------
        node_s
            Seconds from every graph node onwards (``inf``: not reached), float32.

        Returns
        -------
        numpy.ndarray
            Seconds (float32), shape (rows, cols); ``inf`` where nothing is reached.
        """
        out = np.full(self.rows * self.cols, np.inf, dtype=np.float32)
        if len(self.edge_s):
            total = self.edge_s + node_s[self.edge_node]
            out[self.edge_point[self.point_start]] = np.minimum.reduceat(total, self.point_start)
        return out.reshape(self.rows, self.cols)


class TileCache:
    """Linked tiles of one lattice on one graph, least recently used dropped first."""

    def __init__(self, graph: RoadGraph, grid: Lattice, metric: CRS, *, towards: bool) -> None:
        self.graph = graph
        self.towards = towards
        self.lattice = grid
        self.metric = metric
        self._tiles: OrderedDict[tuple[int, int], Tile] = OrderedDict()
        self._bytes = 0
        self._same_crs = grid.crs == metric  # a lattice drawn in the metric CRS itself
        self._to_metric = Transformer.from_crs(grid.crs, metric, always_xy=True)
        self._step_m = grid.spacing_m
        self._to_grid = Transformer.from_crs(metric, grid.crs, always_xy=True)
        self._node_tiles: dict[float, tuple[np.ndarray, np.ndarray]] = {}
        self._seen: np.ndarray | None = None
        self._node_s: np.ndarray | None = None
        self._direct: tuple[str, tuple[np.ndarray, ...]] | None = None
        self._ends: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def step_m(self) -> float:
        """The lattice's smallest spacing (metres)."""
        return self._step_m

    @property
    def in_metric(self) -> bool:
        """True when the lattice is drawn in the metric CRS itself."""
        return self._same_crs

    def node_buffer(self) -> np.ndarray:
        """Return a float32 array of ``inf`` per graph node, for one search's times at a time.

        A caller sets the nodes it reached, uses the array, and sets them back to ``inf``, so
        no array the size of the graph is made per search. Not for concurrent use (one cache
        per graph, and a graph's runs are sequential).
        """
        if self._node_s is None:
            self._node_s = np.full(self.graph.n_nodes, np.inf, dtype=np.float32)
        return self._node_s

    def tile(self, ti: int, tj: int) -> Tile:
        """Return the linked tile (ti, tj), linking it on first use."""
        key = (ti, tj)
        found = self._tiles.get(key)
        if found is not None:
            self._tiles.move_to_end(key)
            return found
        made = self._link(ti, tj)
        self._tiles[key] = made
        self._bytes += made.nbytes
        while self._bytes > CACHE_BYTES and len(self._tiles) > 1:
            _, old = self._tiles.popitem(last=False)
            self._bytes -= old.nbytes
        return made

    def fill(
        self, tiles: np.ndarray, node_s: np.ndarray, block: np.ndarray, origin: tuple[int, int]
    ) -> None:
        """Write the seconds of every point of some tiles into a block of the lattice.

        What :meth:`Tile.times` gives tile by tile, for all the tiles at once: their ways are
        joined and reduced in one pass (a search's circle spans dozens of tiles, and per
        tile the fixed cost of the calls would dominate).

        Parameters
        ----------
        tiles
            Shape (n, 2): the tiles (ti, tj), each inside the block.
        node_s
            Seconds from every graph node onwards (``inf``: not reached), float32.
        block
            Float32 seconds, a block of the lattice starting at lattice (row, col)
            ``origin``; the tiles' points with any way are overwritten, others left as
            they are.
        origin
            Lattice (row, col) of the block's first point.
        """
        linked = [t for t in (self.tile(ti, tj) for ti, tj in tiles.tolist()) if len(t.edge_s)]
        if not linked:
            return
        ways = np.array([len(t.edge_s) for t in linked])
        points = np.array([len(t.point_start) for t in linked])
        total = np.concatenate([t.edge_s for t in linked])
        total += node_s[np.concatenate([t.edge_node for t in linked])]
        start = np.concatenate([t.point_start for t in linked]) + np.repeat(
            np.cumsum(ways) - ways, points
        )
        row = np.concatenate([t.point_row for t in linked]) + np.repeat(
            [t.row0 - origin[0] for t in linked], points
        )
        col = np.concatenate([t.point_col for t in linked]) + np.repeat(
            [t.col0 - origin[1] for t in linked], points
        )
        block[row, col] = np.minimum.reduceat(total, start)

    def _link(self, ti: int, tj: int) -> Tile:
        n_rows, n_cols = self.lattice.shape
        row0, col0 = ti * TILE, tj * TILE
        rows, cols = min(TILE, n_rows - row0), min(TILE, n_cols - col0)
        r, c = np.divmod(np.arange(rows * cols), cols)
        x, y = self.lattice.xy(r + row0, c + col0)
        mx, my = self.to_metric(x, y)
        candidates = self._candidates(mx, my, row0, col0, rows, cols)
        point, node, seconds, _ = snap.ways_within(
            self.graph, mx, my, self.metric, towards=self.towards, candidates=candidates
        )
        keep = dominance.needed_ways(self.graph, point, node, seconds, leaving=self.towards)
        point, node, seconds = point[keep], node[keep], seconds[keep]
        start = np.flatnonzero(np.r_[True, point[1:] != point[:-1]]) if len(point) else point
        point_row, point_col = np.divmod(point[start], cols)
        return Tile(
            row0=row0,
            col0=col0,
            rows=rows,
            cols=cols,
            edge_point=point.astype(np.int32),
            edge_node=node.astype(np.int32),
            edge_s=seconds.astype(np.float32),
            point_start=start.astype(np.int32),
            point_row=point_row.astype(np.int32),
            point_col=point_col.astype(np.int32),
            towards=self.towards,
        )

    def _candidates(
        self, mx: np.ndarray, my: np.ndarray, row0: int, col0: int, rows: int, cols: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(point, segment) pairs of a tile that may lie within the walking reach.

        Segment by segment rather than point by point: the segments near the tile (an
        R-tree query), then for each the block of lattice points around it, widened by the
        reach — a superset of the pairs within reach, measured exactly afterwards.
        """
        reach = self.graph.max_walk_m
        index = snap.segment_index(self.graph, self.metric)
        box = shapely.box(mx.min() - reach, my.min() - reach, mx.max() + reach, my.max() + reach)
        near = index.lines.query(box)
        if len(near) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        ends_r, ends_c = self._segment_ends()
        ra, rb = ends_r[0, near] - row0, ends_r[1, near] - row0
        ca, cb = ends_c[0, near] - col0, ends_c[1, near] - col0
        pad = reach / self._step_m * 1.05 + 1.0  # the reach in lattice steps, with a margin
        i_lo = np.clip(np.floor(np.minimum(ra, rb) - pad), 0, rows).astype(np.int64)
        i_hi = np.clip(np.ceil(np.maximum(ra, rb) + pad), -1, rows - 1).astype(np.int64)
        j_lo = np.clip(np.floor(np.minimum(ca, cb) - pad), 0, cols).astype(np.int64)
        j_hi = np.clip(np.ceil(np.maximum(ca, cb) + pad), -1, cols - 1).astype(np.int64)
        height = np.maximum(i_hi - i_lo + 1, 0)
        width = np.maximum(j_hi - j_lo + 1, 0)
        count = height * width
        seg = np.repeat(near, count)
        offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        w = np.repeat(width, count)
        i = np.repeat(i_lo, count) + offset // np.maximum(w, 1)
        j = np.repeat(j_lo, count) + offset % np.maximum(w, 1)
        return i * cols + j, seg

    def _segment_ends(self) -> tuple[np.ndarray, np.ndarray]:
        """Lattice (row, col) of both ends of every main segment, shape (2, n); made once."""
        if self._ends is None:
            index = snap.segment_index(self.graph, self.metric)
            ends = np.concatenate([index.start, index.end])
            rows, cols = self.lattice_index(ends[:, 0], ends[:, 1])
            self._ends = rows.reshape(2, -1), cols.reshape(2, -1)
        return self._ends

    def direct(self, places: Attachment) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Lattice points with a trip straight along a segment shared with some places.

        Only the places' own segments can carry such a trip, so only the lattice points
        within the walking reach of those segments are linked to them (exactly as a tile
        links its points, restricted to these segments): work in proportion to the places.

        Parameters
        ----------
        places
            Places attached to the graph, in ``self.metric`` (facilities).

        Returns
        -------
        tuple of numpy.ndarray
            Lattice row, column, place and seconds of every such trip (in the cache's
            direction: from the point to the place when ``towards``); a point may appear
            more than once.
        """
        links = places.links
        if len(links) <= _MEMO_LINKS:  # a facility or two: measuring is cheaper than a key
            return along.measure(self, places)
        key = hashlib.sha1(  # the coverage tables and the circles ask for the same places
            b"".join(
                np.ascontiguousarray(a).tobytes()
                for a in (links.point, links.segment, links.fraction, links.walk_s)
            )
        ).hexdigest()
        if self._direct is not None and self._direct[0] == key:
            return self._direct[1]
        found = along.measure(self, places)
        self._direct = (key, found)
        return found

    def to_metric(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lattice coordinates in the metric CRS."""
        if self._same_crs:
            return np.asarray(x), np.asarray(y)
        mx, my = self._to_metric.transform(x, y)
        return np.asarray(mx), np.asarray(my)

    def lattice_index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fractional lattice (row, col) of places in the metric CRS."""
        gx, gy = (x, y) if self._same_crs else self._to_grid.transform(x, y)
        return self.lattice.position(gx, gy)

    def _tile_pairs(
        self, lr: np.ndarray, lc: np.ndarray, margin_m: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(position, tile key ``ti · tiles across + tj``) for every tile near each position."""
        pad = margin_m / self._step_m + 1.0  # the margin in lattice steps, and one more
        ti_lo = np.floor((lr - pad) / TILE).astype(np.int64)
        ti_hi = np.floor((lr + pad) / TILE).astype(np.int64)
        tj_lo = np.floor((lc - pad) / TILE).astype(np.int64)
        tj_hi = np.floor((lc + pad) / TILE).astype(np.int64)
        n_ti, n_tj = self.lattice.tiles
        ti_lo, ti_hi = np.clip(ti_lo, 0, n_ti), np.clip(ti_hi, -1, n_ti - 1)
        tj_lo, tj_hi = np.clip(tj_lo, 0, n_tj), np.clip(tj_hi, -1, n_tj - 1)
        owners, keys = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        for di in range(int((ti_hi - ti_lo).max(initial=-1)) + 1):
            for dj in range(int((tj_hi - tj_lo).max(initial=-1)) + 1):
                ok = np.flatnonzero((ti_lo + di <= ti_hi) & (tj_lo + dj <= tj_hi))
                owners.append(ok)
                keys.append((ti_lo[ok] + di) * n_tj + (tj_lo[ok] + dj))
        return np.concatenate(owners), np.concatenate(keys)

    def tiles_along(self, nodes: np.ndarray, margin_m: float) -> np.ndarray:
        """Tiles within ``margin_m`` of any road segment touching some nodes.

        A place may be linked to the middle of a long segment, far from both its ends, so
        the segments themselves are followed, not just their end nodes. Each node's tiles
        are listed once per cache (:meth:`_tiles_by_node`); a call costs work in proportion
        to the nodes given.

        Parameters
        ----------
        nodes
            Graph nodes (reached by a search).
        margin_m
            Distance (metres).

        Returns
        -------
        numpy.ndarray
            Shape (n, 2), unique tiles inside the lattice, ascending.
        """
        if len(nodes) == 0:
            return np.zeros((0, 2), dtype=np.int64)
        first, tiles = self._tiles_by_node(margin_m)
        nodes = np.asarray(nodes)
        count = first[nodes + 1] - first[nodes]
        keys = tiles[_ranges(first[nodes], count)]
        if self._seen is None:
            self._seen = np.full(int(np.prod(self.lattice.tiles)), -1, dtype=np.int64)
        # distinct keys without sorting them all: the last writer of each key marks it
        position = np.arange(len(keys))
        self._seen[keys] = position
        found = np.sort(keys[self._seen[keys] == position])
        self._seen[found] = -1
        n_tj = self.lattice.tiles[1]
        return np.column_stack([found // n_tj, found % n_tj])

    def _tiles_by_node(self, margin_m: float) -> tuple[np.ndarray, np.ndarray]:
        """Tiles within ``margin_m`` of the segments at each node (CSR: first, tiles), once.

        A place on a segment lies within ``spacing`` lattice steps of one of the points
        sampled along it (its ends included; the lattice is affine to the metric CRS within
        a segment's length), so the tiles near those points, widened by the spacing, hold
        every place within ``margin_m`` of the segment.
        """
        found = self._node_tiles.get(margin_m)
        if found is not None:
            return found
        seg = snap.segment_table(self.graph, self.metric)
        ends = np.stack(  # segment ends in lattice steps
            [
                np.column_stack(self.lattice_index(seg.start[:, 0], seg.start[:, 1])),
                np.column_stack(self.lattice_index(seg.end[:, 0], seg.end[:, 1])),
            ],
            axis=1,
        )
        n_tiles = int(np.prod(self.lattice.tiles))
        spacing = 2.0
        pairs = [np.zeros(0, dtype=np.int64)]
        for lo in range(0, len(seg.a), 100_000):  # bounded memory on large graphs
            part = slice(lo, min(lo + 100_000, len(seg.a)))
            a_rc, b_rc = ends[part, 0], ends[part, 1]
            pieces = np.ceil(np.hypot(*(b_rc - a_rc).T) / spacing).astype(np.int64) + 1
            owner = np.repeat(np.arange(len(pieces)), pieces)
            share = _ranges(np.zeros(len(pieces), np.int64), pieces) / np.repeat(
                np.maximum(pieces - 1, 1), pieces
            )
            along = a_rc[owner] + share[:, None] * (b_rc[owner] - a_rc[owner])
            at, keys = self._tile_pairs(along[:, 0], along[:, 1], margin_m + spacing * self._step_m)
            which = owner[at] + lo
            pairs.append(
                np.unique(
                    np.concatenate([seg.a[which], seg.b[which]]) * n_tiles
                    + np.concatenate([keys, keys])
                )
            )
        key = np.unique(np.concatenate(pairs))
        node, tiles = key // n_tiles, key % n_tiles
        first = np.searchsorted(node, np.arange(self.graph.n_nodes + 1))
        self._node_tiles[margin_m] = (first, tiles)
        return first, tiles


def _ranges(start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start[i], start[i] + count[i])`` for every i."""
    return np.repeat(start - np.cumsum(count) + count, count) + np.arange(int(count.sum()))


def tile_cache(graph: RoadGraph, grid: Lattice, metric: CRS, *, towards: bool = True) -> TileCache:
    """Return the graph's tile cache for a lattice (one per lattice, kept on the graph).

    Parameters
    ----------
    graph
        A timed road graph.
    grid
        The lattice.
    metric
        The metric CRS attachments are measured in.
    towards
        Times to a place (True) or from it.

    Returns
    -------
    TileCache
        Shared by every run on this graph, lattice and direction.
    """
    key = f"tiles:{grid.key}:{metric.srs}:{towards}"
    cached = graph._cache.get(key)
    if isinstance(cached, TileCache):
        return cached
    made = TileCache(graph, grid, metric, towards=towards)
    graph._cache[key] = made
    return made


def release(graph: RoadGraph) -> None:
    """Drop what a graph keeps for places (linked tiles, cells, segment indexes).

    A run done with a mode calls it, so the next mode's run has the memory. Everything is
    built again if asked for later.

    Parameters
    ----------
    graph
        A timed road graph.
    """
    for key in [k for k in graph._cache if k.startswith(_RELEASED)]:
        del graph._cache[key]


#: What :func:`release` drops from a graph's cache (by key prefix).
_RELEASED = ("tiles:", "cells:", "segments:", "kdtree:", "node-index:")
