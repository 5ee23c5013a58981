"""Road segments in a metric CRS, and finding the ones near a place.

A graph's undirected segments with their times and coordinates (:func:`segment_table`), and an
index of the main network's segments (:func:`segment_index`: samples along every segment in a
KD-tree, the segments in an R-tree) that answers, exactly, "which segments lie within this
distance of each point" and "which segment is nearest" for many points at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from pyproj import CRS, Transformer
from scipy.spatial import cKDTree

from geohealth.network.graph import RoadGraph


@dataclass(frozen=True)
class Segments:
    """The graph's road segments, undirected, with their time in each direction.

    Attributes
    ----------
    a, b
        End nodes (``a < b``).
    time_ab_s, time_ba_s
        Travel time from ``a`` to ``b`` and back (seconds; ``inf`` where not allowed).
    start, end
        Coordinates of ``a`` and ``b`` in the metric CRS (metres), shape (n, 2).
    main
        True for segments of the main (strongly connected) component.
    """

    a: np.ndarray
    b: np.ndarray
    time_ab_s: np.ndarray
    time_ba_s: np.ndarray
    start: np.ndarray
    end: np.ndarray
    main: np.ndarray

    @cached_property
    def main_index(self) -> np.ndarray:
        """Positions of the main component's segments (``numpy.flatnonzero(main)``, once)."""
        return np.flatnonzero(self.main)


def utm_crs(lon: np.ndarray, lat: np.ndarray) -> CRS:
    """Return the UTM zone CRS (WGS 84) at the centre of some points.

    Parameters
    ----------
    lon, lat
        Degrees.

    Returns
    -------
    pyproj.CRS
        EPSG:326xx (north) or 327xx (south).
    """
    centre_lon = float(np.nanmedian(lon))
    centre_lat = float(np.nanmedian(lat))
    zone = int((centre_lon + 180) // 6) % 60 + 1
    return CRS.from_epsg((32600 if centre_lat >= 0 else 32700) + zone)


def segment_table(graph: RoadGraph, crs: CRS) -> Segments:
    """Return the graph's undirected segments in a metric CRS (cached on the graph).

    Parameters
    ----------
    graph
        A timed road graph.
    crs
        Metric CRS for the coordinates.

    Returns
    -------
    Segments
        One row per road segment the mode can use in at least one direction.
    """
    key = f"segments:{crs.srs}"
    cached = graph._cache.get(key)
    if isinstance(cached, Segments):
        return cached
    lo = np.minimum(graph.u, graph.v).astype(np.int64)
    hi = np.maximum(graph.u, graph.v).astype(np.int64)
    forward = graph.u < graph.v
    keys, inverse = np.unique(lo * graph.n_nodes + hi, return_inverse=True)
    a = (keys // graph.n_nodes).astype(np.int32)
    b = (keys % graph.n_nodes).astype(np.int32)
    t_ab = np.full(len(keys), np.inf)
    t_ba = np.full(len(keys), np.inf)
    t_ab[inverse[forward]] = graph.time_s[forward]
    t_ba[inverse[~forward]] = graph.time_s[~forward]
    x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(graph.lon, graph.lat)
    main = graph.main_component[a] & graph.main_component[b]
    segments = Segments(
        a=a,
        b=b,
        time_ab_s=t_ab,
        time_ba_s=t_ba,
        start=np.column_stack([x[a], y[a]]),
        end=np.column_stack([x[b], y[b]]),
        main=main,
    )
    graph._cache[key] = segments
    return segments


_SAMPLE_M = 50.0
_CANDIDATES = 8
_CHUNK = 65_536


@dataclass
class SegmentIndex:
    """Segments sampled at most ``_SAMPLE_M`` apart, in a KD-tree (positions in a subset)."""

    tree: cKDTree
    owner: np.ndarray
    start: np.ndarray
    end: np.ndarray
    _lines: shapely.STRtree | None = None

    @property
    def lines(self) -> shapely.STRtree:
        """The segments in an R-tree (built on first use)."""
        if self._lines is None:
            self._lines = shapely.STRtree(
                shapely.linestrings(np.stack([self.start, self.end], axis=1))
            )
        return self._lines


def segment_index(graph: RoadGraph, crs: CRS) -> SegmentIndex:
    """Return the main network's segments, indexed for nearest-road searches (cached).

    Parameters
    ----------
    graph
        A timed road graph.
    crs
        Metric CRS.

    Returns
    -------
    SegmentIndex
        ``start``/``end`` (metres) of the segments of the main component, in the order of
        ``numpy.flatnonzero(segment_table(graph, crs).main)``, a KD-tree of samples along
        them and an R-tree (``lines``).
    """
    segments = segment_table(graph, crs)
    return _sample_tree(graph, segments, segments.main_index, "main")


def all_segment_index(graph: RoadGraph, crs: CRS) -> SegmentIndex:
    """Return every segment (main network or not), indexed like :func:`segment_index`.

    Parameters
    ----------
    graph
        A timed road graph.
    crs
        Metric CRS.

    Returns
    -------
    SegmentIndex
        Positions are indices into :func:`segment_table`.
    """
    table = segment_table(graph, crs)
    return _sample_tree(graph, table, np.arange(len(table.a)), "all")


def _sample_tree(
    graph: RoadGraph, segments: Segments, subset: np.ndarray, name: str
) -> SegmentIndex:
    """Sample every segment of ``subset`` (cached on the graph)."""
    key = f"kdtree:{name}:{id(segments)}"
    cached = graph._cache.get(key)
    if isinstance(cached, SegmentIndex):
        return cached
    start, end = segments.start[subset], segments.end[subset]
    length = np.sqrt(((end - start) ** 2).sum(axis=1))
    pieces = np.maximum(1, np.ceil(length / _SAMPLE_M)).astype(np.int64)
    owner = np.repeat(np.arange(len(subset)), pieces)
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    share = (offset + 0.5) / pieces[owner]
    samples = start[owner] + share[:, None] * (end[owner] - start[owner])
    result = SegmentIndex(cKDTree(samples), owner, start, end)
    graph._cache[key] = result
    return result


def project(
    px: np.ndarray, py: np.ndarray, sx: np.ndarray, sy: np.ndarray, ex: np.ndarray, ey: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distance from points (px, py) to segments (s → e), broadcast, and position (0–1)."""
    dx, dy = ex - sx, ey - sy
    rx, ry = px - sx, py - sy
    length2 = dx * dx + dy * dy
    t = np.clip((rx * dx + ry * dy) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
    ox, oy = rx - t * dx, ry - t * dy
    return np.sqrt(ox * ox + oy * oy), t


def candidates(
    sampled: SegmentIndex, xy: np.ndarray, reach_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """(point, segment) pairs that may be closer than ``reach_m``, each pair once.

    The closest place of a segment lies within half the sample spacing of one of its
    samples, so every segment within reach has a sample within reach + half the spacing.
    """
    points: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    segs: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    n_seg = len(sampled.start)
    step = max(1, _CHUNK // 8)
    for lo in range(0, len(xy), step):
        pairs = cKDTree(xy[lo : lo + step]).sparse_distance_matrix(
            sampled.tree, reach_m + _SAMPLE_M / 2, output_type="ndarray"
        )
        key = np.unique(pairs["i"].astype(np.int64) * n_seg + sampled.owner[pairs["j"]])
        points.append(key // n_seg + lo)
        segs.append(key % n_seg)
    return np.concatenate(points), np.concatenate(segs)


def measure(
    sampled: SegmentIndex, xy: np.ndarray, point: np.ndarray, seg: np.ndarray, reach_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Measure candidate pairs exactly; keep those within reach: point, segment, m, position."""
    dist, t = project(
        xy[point, 0],
        xy[point, 1],
        sampled.start[seg, 0],
        sampled.start[seg, 1],
        sampled.end[seg, 0],
        sampled.end[seg, 1],
    )
    keep = dist <= reach_m
    return point[keep], seg[keep], dist[keep], t[keep]


def nearest(sampled: SegmentIndex, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact nearest segment for each point: (position in the subset, metres, position).

    The ``_CANDIDATES`` nearest samples (a KD-tree query) give candidate segments whose
    exact distances are computed; the answer is proven exact when the farthest candidate
    sample lies beyond best + half the spacing. Points where it is not proven (dense
    junctions) are answered by an R-tree.
    """
    tree, owner, start, end = sampled.tree, sampled.owner, sampled.start, sampled.end
    if len(xy) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    k = min(_CANDIDATES, len(owner))
    best = np.empty(len(xy), dtype=np.int64)
    best_d = np.empty(len(xy))
    best_t = np.empty(len(xy))
    unproven = np.zeros(len(xy), dtype=bool)
    for lo in range(0, len(xy), _CHUNK):  # chunks keep the k-wide temporaries small
        part = slice(lo, lo + _CHUNK)
        # threads pay off only for many points
        workers = -1 if len(xy[part]) > 20_000 else 1
        sample_d, sample_i = tree.query(xy[part], k=k, workers=workers)
        n = len(xy[part])
        sample_d = sample_d.reshape(n, k)
        candidates = owner[sample_i.reshape(n, k)]
        dist, t = project(
            xy[part, :1],
            xy[part, 1:],
            start[candidates, 0],
            start[candidates, 1],
            end[candidates, 0],
            end[candidates, 1],
        )
        pick = np.argmin(dist, axis=1)
        rows = np.arange(n)
        best[part] = candidates[rows, pick]
        best_d[part] = dist[rows, pick]
        best_t[part] = t[rows, pick]
        unproven[part] = (sample_d[:, -1] <= best_d[part] + _SAMPLE_M / 2) & (k < len(owner))
    if unproven.any():
        points = shapely.points(xy[unproven])
        (_, hit), _ = sampled.lines.query_nearest(points, return_distance=True, all_matches=False)
        d_exact, t_exact = project(
            xy[unproven, 0], xy[unproven, 1], start[hit, 0], start[hit, 1], end[hit, 0], end[hit, 1]
        )
        best[unproven], best_d[unproven], best_t[unproven] = hit, d_exact, t_exact
    return best, best_d, best_t
