"""Attaching points (facilities, population cells) to the nearest routable road.

A point attaches to the nearest *segment* (not the nearest node) of the graph's main
connected component, at the position along it closest to the point; the straight line from
the point to the road is walked at the profile's ``offroad_kmh``. Points whose nearest
road lies on an island of the network (a road piece not connected to the main network) attach
to the main network instead, and are flagged.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from scipy.spatial import cKDTree

from geohealth.errors import FarFromRoadWarning, NetworkIslandWarning
from geohealth.network.graph import RoadGraph


@dataclass(frozen=True)
class Attachment:
    """Points attached to a road graph.

    Attributes
    ----------
    a, b
        Node indices of the segment each point attaches to.
    fraction
        Position of the attachment point from ``a`` (0) to ``b`` (1).
    time_ab_s, time_ba_s
        Travel time along the whole segment from ``a`` to ``b`` and back (seconds); ``inf``
        where that direction is not allowed (one-way).
    offroad_m
        Straight-line distance from the point to the road (metres).
    offroad_s
        Time to walk it (seconds).
    segment
        Index of the segment (points on the same segment can reach each other directly).
    island
        True where the nearest road was not on the main network.
    x, y
        The points themselves, in ``crs`` (metres).
    crs
        The metric CRS distances were measured in.
    """

    a: np.ndarray
    b: np.ndarray
    fraction: np.ndarray
    time_ab_s: np.ndarray
    time_ba_s: np.ndarray
    offroad_m: np.ndarray
    offroad_s: np.ndarray
    segment: np.ndarray
    island: np.ndarray
    x: np.ndarray
    y: np.ndarray
    crs: CRS

    def __len__(self) -> int:
        return len(self.a)

    def take(self, index: np.ndarray) -> Attachment:
        """Return the attachments of some of the points, in the order of ``index``.

        Parameters
        ----------
        index
            Positions (or a boolean mask) of the points to keep.

        Returns
        -------
        Attachment
            The subset, with the same CRS.
        """
        arrays = {
            name: getattr(self, name)[index] for name in self.__dataclass_fields__ if name != "crs"
        }
        return Attachment(**arrays, crs=self.crs)

    def to_a_s(self) -> np.ndarray:
        """Time from the attachment point along the segment to node ``a`` (seconds)."""
        return _partial(self.fraction, self.time_ba_s)

    def to_b_s(self) -> np.ndarray:
        """Time from the attachment point along the segment to node ``b`` (seconds)."""
        return _partial(1.0 - self.fraction, self.time_ab_s)

    def from_a_s(self) -> np.ndarray:
        """Time from node ``a`` along the segment to the attachment point (seconds)."""
        return _partial(self.fraction, self.time_ab_s)

    def from_b_s(self) -> np.ndarray:
        """Time from node ``b`` along the segment to the attachment point (seconds)."""
        return _partial(1.0 - self.fraction, self.time_ba_s)


def _partial(share: np.ndarray, full_s: np.ndarray) -> np.ndarray:
    """``share`` of a segment's time; zero when the share is zero, even if not traversable."""
    with np.errstate(invalid="ignore"):  # 0 × inf, masked out below
        return np.where(share <= 0.0, 0.0, share * full_s)


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
    key = f"segments:{crs.to_wkt()}"
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


def attach(
    graph: RoadGraph,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    crs: CRS | None = None,
    check_islands: bool = True,
) -> Attachment:
    """Attach points to the nearest road segment of the graph's main component.

    Parameters
    ----------
    graph
        A timed road graph.
    lon, lat
        Points, WGS 84 degrees.
    crs
        Metric CRS for distances; the UTM zone of the graph when None.
    check_islands
        Also find whether the nearest road overall is off the main network (``island``);
        skipping it halves the cost for many points.

    Returns
    -------
    Attachment
        Where each point meets the network, and at what cost.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    crs = crs or utm_crs(graph.lon, graph.lat)
    segments = segment_table(graph, crs)
    x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    xy = np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])
    main_index = np.flatnonzero(segments.main)
    hit, distance, fraction = _nearest(graph, segments, main_index, xy, "main")
    chosen = main_index[hit]
    island = np.zeros(len(xy), dtype=bool)
    if check_islands and not segments.main.all():
        any_hit, any_distance, _ = _nearest(graph, segments, np.arange(len(segments.a)), xy, "all")
        island = ~segments.main[any_hit] & (any_distance + 1.0 < distance)
    return Attachment(
        a=segments.a[chosen],
        b=segments.b[chosen],
        fraction=fraction,
        time_ab_s=segments.time_ab_s[chosen],
        time_ba_s=segments.time_ba_s[chosen],
        offroad_m=distance,
        offroad_s=distance / (graph.profile.offroad_kmh / 3.6),
        segment=chosen,
        island=island,
        x=xy[:, 0],
        y=xy[:, 1],
        crs=crs,
    )


_SAMPLE_M = 50.0
_CANDIDATES = 16
_CHUNK = 65_536


def _project(
    px: np.ndarray, py: np.ndarray, sx: np.ndarray, sy: np.ndarray, ex: np.ndarray, ey: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distance from points (px, py) to segments (s → e), broadcast, and position (0–1)."""
    dx, dy = ex - sx, ey - sy
    rx, ry = px - sx, py - sy
    length2 = dx * dx + dy * dy
    t = np.clip((rx * dx + ry * dy) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
    ox, oy = rx - t * dx, ry - t * dy
    return np.sqrt(ox * ox + oy * oy), t


def _nearest(
    graph: RoadGraph, segments: Segments, subset: np.ndarray, xy: np.ndarray, name: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact nearest segment of ``subset`` for each point: (position in subset, m, fraction).

    Every segment is sampled at most ``_SAMPLE_M`` apart, so the nearest segment has a
    sample within its distance + ``_SAMPLE_M``/2 of the point. The ``_CANDIDATES`` nearest
    samples (a KD-tree query) give candidate segments whose exact distances are computed; the
    answer is proven exact when the farthest candidate sample lies beyond best + half the
    spacing. Points where it is not proven (dense junctions) are answered by an R-tree.
    """
    key = f"kdtree:{name}:{id(segments)}"
    cached = graph._cache.get(key)
    if cached is None:
        start, end = segments.start[subset], segments.end[subset]
        length = np.sqrt(((end - start) ** 2).sum(axis=1))
        pieces = np.maximum(1, np.ceil(length / _SAMPLE_M)).astype(np.int64)
        owner = np.repeat(np.arange(len(subset)), pieces)
        offset = np.arange(len(owner)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        share = (offset + 0.5) / pieces[owner]
        samples = start[owner] + share[:, None] * (end[owner] - start[owner])
        cached = (cKDTree(samples), owner, start, end)
        graph._cache[key] = cached
    tree, owner, start, end = cached
    k = min(_CANDIDATES, len(owner))
    best = np.empty(len(xy), dtype=np.int64)
    best_d = np.empty(len(xy))
    best_t = np.empty(len(xy))
    unproven = np.zeros(len(xy), dtype=bool)
    for lo in range(0, len(xy), _CHUNK):  # chunks keep the k-wide temporaries small
        part = slice(lo, lo + _CHUNK)
        sample_d, sample_i = tree.query(xy[part], k=k, workers=-1)
        n = len(xy[part])
        sample_d = sample_d.reshape(n, k)
        candidates = owner[sample_i.reshape(n, k)]
        dist, t = _project(
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
        lines = shapely.linestrings(np.stack([start, end], axis=1))
        points = shapely.points(xy[unproven])
        (_, hit), _ = shapely.STRtree(lines).query_nearest(
            points, return_distance=True, all_matches=False
        )
        d_exact, t_exact = _project(
            xy[unproven, 0], xy[unproven, 1], start[hit, 0], start[hit, 1], end[hit, 0], end[hit, 1]
        )
        best[unproven], best_d[unproven], best_t[unproven] = hit, d_exact, t_exact
    return best, best_d, best_t


def attach_facilities(
    graph: RoadGraph,
    facilities: gpd.GeoDataFrame,
    *,
    crs: CRS | None = None,
    max_snap_m: float = 1000.0,
) -> Attachment:
    """Attach facilities to a road graph, naming those that attach badly.

    Parameters
    ----------
    graph
        A timed road graph.
    facilities
        Facility points (EPSG:4326) with ``name`` (and ``facility_id``).
    crs
        Metric CRS for distances; the UTM zone of the graph when None.
    max_snap_m
        Distance to the road beyond which a facility is reported (metres).

    Returns
    -------
    Attachment
        One attachment per facility, in the frame's order.

    Warns
    -----
    NetworkIslandWarning
        For facilities whose nearest road is not connected to the main network; they are
        attached to the main network (and may be far from it).
    FarFromRoadWarning
        For facilities farther than ``max_snap_m`` from the road they attach to.
    """
    points = facilities.to_crs(4326).geometry
    attached = attach(graph, points.x.to_numpy(), points.y.to_numpy(), crs=crs)
    names = facilities["name"].astype(str).to_numpy()
    mode = graph.mode
    if attached.island.any():
        listed = ", ".join(
            f"{n} ({d:,.0f} m)"
            for n, d in zip(
                names[attached.island], attached.offroad_m[attached.island], strict=True
            )
        )
        msg = (
            f"{mode}: {int(attached.island.sum())} facilit"
            f"{'y sits' if attached.island.sum() == 1 else 'ies sit'} on roads not connected "
            f"to the main network; attached to the main network instead: {listed} — check "
            "the extract covers the roads between them"
        )
        warnings.warn(msg, NetworkIslandWarning, stacklevel=2)
    far = (attached.offroad_m > max_snap_m) & ~attached.island
    if far.any():
        listed = ", ".join(
            f"{n} ({d:,.0f} m)" for n, d in zip(names[far], attached.offroad_m[far], strict=True)
        )
        msg = (
            f"{mode}: {int(far.sum())} facilit{'y is' if far.sum() == 1 else 'ies are'} "
            f"more than {max_snap_m:,.0f} m from any usable road: {listed} — check their "
            "coordinates, or that the extract has the roads to them"
        )
        warnings.warn(msg, FarFromRoadWarning, stacklevel=2)
    return attached
