"""The travel-time field: minutes to care from every place of a regular lattice.

The lattice is the population grid's cell centres, refined by a whole factor where a finer
drawing is wanted (walking), so every populated cell's centre is a lattice point. Each
lattice point is linked to the roads exactly as a home is (:func:`geohealth.network.snap.attach`:
every segment within the walking reach, or the nearest one), so the field at a populated
cell's centre *is* that cell's travel time in the coverage tables, and a service circle drawn
as a level set of the field (:mod:`geohealth.isochrones`) agrees with the tables by
construction.

The lattice is linked tile by tile (``TILE`` × ``TILE`` points), only where a search
reached, and kept while memory allows: the work for one facility is bounded by the area it
reaches, never by the size of the region.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import shapely
from affine import Affine
from pyproj import CRS, Transformer

from geohealth.network import snap
from geohealth.network.graph import RoadGraph
from geohealth.network.snap import Attachment

#: Lattice points per tile side.
TILE = 32
#: Bytes of linked tiles kept per graph before the least recently used are dropped.
CACHE_BYTES = 256 * 2**20


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

    @property
    def tiles(self) -> tuple[int, int]:
        """Tiles (rows, cols)."""
        return -(-self.shape[0] // TILE), -(-self.shape[1] // TILE)

    @property
    def key(self) -> str:
        """A text key for caches."""
        return f"{tuple(self.transform)}:{self.k}:{self.shape}:{self.crs.to_wkt()}"


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
    width, height = _cell_m(transform, shape[0], crs)
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


@dataclass(frozen=True)
class Tile:
    """One tile's lattice points and their ways onto the network.

    Attributes
    ----------
    row0, col0
        Lattice index of the tile's first point.
    rows, cols
        Points in the tile.
    nodes
        The graph nodes the points' links lead to (ascending).
    edge_point, edge_node, edge_s
        Per way onto the network, sorted by point: the point (0 … rows·cols − 1, row-major),
        the node (index into ``nodes``) and the seconds to get there.
    point_start
        First way of each point with any (``edge_point[point_start]`` ascending), for
        :func:`numpy.minimum.reduceat`.
    attached
        The points' links (for trips straight along a shared segment).
    by_segment
        The links in segment order.
    towards
        Ways from the points onto the network (times to a place, True) or from the network
        to the points (times from a place).
    """

    row0: int
    col0: int
    rows: int
    cols: int
    nodes: np.ndarray
    edge_point: np.ndarray
    edge_node: np.ndarray
    edge_s: np.ndarray
    point_start: np.ndarray
    attached: Attachment
    by_segment: np.ndarray
    towards: bool

    @property
    def nbytes(self) -> int:
        """Memory held (bytes, roughly)."""
        links = self.attached.links
        return int(
            self.nodes.nbytes
            + self.edge_point.nbytes
            + self.edge_node.nbytes
            + self.edge_s.nbytes
            + sum(getattr(links, n).nbytes for n in ("point", "segment", "a", "b"))
            + 5 * links.fraction.nbytes
        )

    def times(self, node_s: np.ndarray, facilities: Attachment | None = None) -> np.ndarray:
        """Seconds from every point of the tile to the place the node times lead to.

        Parameters
        ----------
        node_s
            Seconds from each of ``nodes`` onwards (``inf``: not reached).
        facilities
            Places whose links may share a segment with the points' (trips straight along
            it, in the tile's direction); none when None.

        Returns
        -------
        numpy.ndarray
            Seconds, shape (rows, cols); ``inf`` where nothing is reached.
        """
        out = np.full(self.rows * self.cols, np.inf)
        if len(self.edge_s):
            total = self.edge_s + node_s[self.edge_node]
            out[self.edge_point[self.point_start]] = np.minimum.reduceat(total, self.point_start)
        if facilities is not None and self.towards:
            point, _, seconds = snap.same_segment(
                self.attached, facilities, by_segment=self.by_segment
            )
            np.minimum.at(out, point, seconds)
        elif facilities is not None:
            _, point, seconds = snap.same_segment(facilities, self.attached)
            np.minimum.at(out, point, seconds)
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
        self._to_metric = Transformer.from_crs(grid.crs, metric, always_xy=True)
        self._step_m = _spacing_m(grid)
        self._by_node: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._to_grid = Transformer.from_crs(metric, grid.crs, always_xy=True)

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

    def _link(self, ti: int, tj: int) -> Tile:
        n_rows, n_cols = self.lattice.shape
        row0, col0 = ti * TILE, tj * TILE
        rows, cols = min(TILE, n_rows - row0), min(TILE, n_cols - col0)
        r, c = np.divmod(np.arange(rows * cols), cols)
        x, y = self.lattice.xy(r + row0, c + col0)
        mx, my = self._to_metric.transform(x, y)
        candidates = self._candidates(mx, my, row0, col0, rows, cols)
        attached = snap.attach_xy(
            self.graph,
            mx,
            my,
            self.metric,
            check_islands=False,
            candidates=candidates,
            nearest_beyond=False,
        )
        point, node, seconds = (
            attached.leaving(best=False) if self.towards else attached.arriving(best=False)
        )
        nodes, edge_node = np.unique(node, return_inverse=True)
        start = np.flatnonzero(np.r_[True, point[1:] != point[:-1]]) if len(point) else point
        return Tile(
            row0=row0,
            col0=col0,
            rows=rows,
            cols=cols,
            nodes=nodes,
            edge_point=point.astype(np.int32),
            edge_node=edge_node.astype(np.int32),
            edge_s=seconds.astype(np.float32),
            point_start=start,
            attached=attached,
            by_segment=np.argsort(attached.links.segment, kind="stable"),
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
        ends = np.concatenate([index.start[near], index.end[near]])
        gx, gy = self._to_grid.transform(ends[:, 0], ends[:, 1])
        col_f, row_f = _apply(~self.lattice.transform, np.asarray(gx), np.asarray(gy))
        k = self.lattice.k
        li = (np.asarray(row_f) - 0.5) * k - row0
        lj = (np.asarray(col_f) - 0.5) * k - col0
        half = len(near)
        pad = reach / self._step_m * 1.05 + 1.0  # the reach in lattice steps, with a margin
        i_lo = np.clip(np.floor(np.minimum(li[:half], li[half:]) - pad), 0, rows).astype(np.int64)
        i_hi = np.clip(np.ceil(np.maximum(li[:half], li[half:]) + pad), -1, rows - 1).astype(
            np.int64
        )
        j_lo = np.clip(np.floor(np.minimum(lj[:half], lj[half:]) - pad), 0, cols).astype(np.int64)
        j_hi = np.clip(np.ceil(np.maximum(lj[:half], lj[half:]) + pad), -1, cols - 1).astype(
            np.int64
        )
        height = np.maximum(i_hi - i_lo + 1, 0)
        width = np.maximum(j_hi - j_lo + 1, 0)
        count = height * width
        seg = np.repeat(near, count)
        offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        w = np.repeat(width, count)
        i = np.repeat(i_lo, count) + offset // np.maximum(w, 1)
        j = np.repeat(j_lo, count) + offset % np.maximum(w, 1)
        return i * cols + j, seg

    def tiles_near(self, x: np.ndarray, y: np.ndarray, margin_m: float) -> np.ndarray:
        """Tiles (ti, tj) within ``margin_m`` of some places (metric CRS ``self.metric``).

        Parameters
        ----------
        x, y
            Places, metres in the metric CRS.
        margin_m
            Distance (metres).

        Returns
        -------
        numpy.ndarray
            Shape (n, 2), unique tiles inside the lattice.
        """
        if len(x) == 0:
            return np.zeros((0, 2), dtype=np.int64)
        lr, lc = self._lattice_index(np.asarray(x), np.asarray(y))
        return self._tiles_at(lr, lc, margin_m)

    def _lattice_index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fractional lattice (row, col) of places in the metric CRS."""
        gx, gy = self._to_grid.transform(x, y)
        col, row = _apply(~self.lattice.transform, np.asarray(gx), np.asarray(gy))
        k = self.lattice.k
        return (np.asarray(row) - 0.5) * k, (np.asarray(col) - 0.5) * k

    def _tiles_at(self, lr: np.ndarray, lc: np.ndarray, margin_m: float) -> np.ndarray:
        """Tiles within ``margin_m`` of fractional lattice positions."""
        pad = margin_m / self._step_m + 1.0  # the margin in lattice steps, and one more
        ti_lo = np.floor((lr - pad) / TILE).astype(np.int64)
        ti_hi = np.floor((lr + pad) / TILE).astype(np.int64)
        tj_lo = np.floor((lc - pad) / TILE).astype(np.int64)
        tj_hi = np.floor((lc + pad) / TILE).astype(np.int64)
        n_ti, n_tj = self.lattice.tiles
        ti_lo, ti_hi = np.clip(ti_lo, 0, n_ti), np.clip(ti_hi, -1, n_ti - 1)
        tj_lo, tj_hi = np.clip(tj_lo, 0, n_tj), np.clip(tj_hi, -1, n_tj - 1)
        keys = []
        for di in range(int((ti_hi - ti_lo).max(initial=-1)) + 1):
            for dj in range(int((tj_hi - tj_lo).max(initial=-1)) + 1):
                ok = (ti_lo + di <= ti_hi) & (tj_lo + dj <= tj_hi)
                keys.append((ti_lo[ok] + di) * n_tj + (tj_lo[ok] + dj))
        found = np.unique(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
        return np.column_stack([found // n_tj, found % n_tj])

    def tiles_along(self, nodes: np.ndarray, margin_m: float) -> np.ndarray:
        """Tiles within ``margin_m`` of any road segment touching some nodes.

        A place may be linked to the middle of a long segment, far from both its ends, so
        the segments themselves are followed, not just their end nodes.

        Parameters
        ----------
        nodes
            Graph nodes (reached by a search).
        margin_m
            Distance (metres).

        Returns
        -------
        numpy.ndarray
            Shape (n, 2), unique tiles inside the lattice.
        """
        first, order, ends, node_rc = self._incident()
        if len(nodes) == 0:
            return np.zeros((0, 2), dtype=np.int64)
        count = first[nodes + 1] - first[nodes]
        seg = np.unique(
            order[
                np.repeat(first[nodes], count)
                + np.arange(int(count.sum()))
                - np.repeat(np.cumsum(count) - count, count)
            ]
        )
        # a place on a segment lies within `spacing` of one of its ends or of a point along
        # it: the reached nodes, and points along the longer segments (in lattice steps; the
        # lattice is affine to the metric CRS within a segment's length)
        spacing = 2.0
        a_rc, b_rc = ends[seg, 0], ends[seg, 1]
        length = np.hypot(*(b_rc - a_rc).T)
        long = length > spacing
        pieces = np.ceil(length[long] / spacing).astype(np.int64) + 1
        owner = np.repeat(np.flatnonzero(long), pieces)
        share = (np.arange(len(owner)) - np.repeat(np.cumsum(pieces) - pieces, pieces)) / (
            np.repeat(pieces, pieces) - 1
        )
        along = a_rc[owner] + share[:, None] * (b_rc[owner] - a_rc[owner])
        rc = np.concatenate([node_rc[nodes], along])
        return self._tiles_at(rc[:, 0], rc[:, 1], margin_m + spacing * self._step_m)

    def _incident(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Segments by node (CSR), their ends and every node in lattice steps, built once."""
        if self._by_node is None:
            seg = snap.segment_table(self.graph, self.metric)
            node = np.concatenate([seg.a, seg.b])
            order = np.argsort(node, kind="stable") % len(seg.a)
            first = np.searchsorted(np.sort(node), np.arange(self.graph.n_nodes + 1))
            xy = np.full((self.graph.n_nodes, 2), np.nan)
            xy[seg.a], xy[seg.b] = seg.start, seg.end
            node_rc = np.column_stack(self._lattice_index(xy[:, 0], xy[:, 1]))
            ends = np.stack([node_rc[seg.a], node_rc[seg.b]], axis=1)
            self._by_node = (first, order, ends, node_rc)
        return self._by_node


def _apply(t: Affine, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply an affine transform to coordinate arrays."""
    return t.a * x + t.b * y + t.c, t.d * x + t.e * y + t.f


def _cell_m(transform: Affine, rows: int, crs: CRS) -> tuple[float, float]:
    """Width and height of a grid's cells in metres (at the grid's middle row if geographic)."""
    width, height = abs(transform.a), abs(transform.e)
    if crs.is_geographic:
        lat = transform.f + transform.e * rows / 2
        width *= 111_320.0 * math.cos(math.radians(lat))
        height *= 110_574.0
    return width, height


def _spacing_m(grid: Lattice) -> float:
    """Smaller lattice spacing, metres."""
    return min(_cell_m(grid.transform, grid.shape[0] // grid.k, grid.crs)) / grid.k


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
    key = f"tiles:{grid.key}:{metric.to_wkt()}:{towards}"
    cached = graph._cache.get(key)
    if isinstance(cached, TileCache):
        return cached
    made = TileCache(graph, grid, metric, towards=towards)
    graph._cache[key] = made
    return made
