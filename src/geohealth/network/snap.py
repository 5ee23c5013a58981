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

    def __len__(self) -> int:
        return len(self.a)

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
class _Segments:
    a: np.ndarray
    b: np.ndarray
    time_ab_s: np.ndarray
    time_ba_s: np.ndarray
    lines: np.ndarray
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


def _segments(graph: RoadGraph, crs: CRS) -> _Segments:
    key = f"segments:{crs.to_wkt()}"
    cached = graph._cache.get(key)
    if isinstance(cached, _Segments):
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
    coords = np.stack([np.column_stack([x[a], y[a]]), np.column_stack([x[b], y[b]])], axis=1)
    lines = shapely.linestrings(coords)
    main = graph.main_component[a] & graph.main_component[b]
    segments = _Segments(a=a, b=b, time_ab_s=t_ab, time_ba_s=t_ba, lines=lines, main=main)
    graph._cache[key] = segments
    return segments


def attach(
    graph: RoadGraph, lon: np.ndarray, lat: np.ndarray, *, crs: CRS | None = None
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

    Returns
    -------
    Attachment
        Where each point meets the network, and at what cost.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    crs = crs or utm_crs(graph.lon, graph.lat)
    segments = _segments(graph, crs)
    x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    points = shapely.points(x, y)
    main_index = np.flatnonzero(segments.main)
    main_tree = shapely.STRtree(segments.lines[main_index])
    (_, hit), distance = main_tree.query_nearest(points, return_distance=True, all_matches=False)
    chosen = main_index[hit]
    all_tree = shapely.STRtree(segments.lines)
    (_, any_hit), any_distance = all_tree.query_nearest(
        points, return_distance=True, all_matches=False
    )
    island = ~segments.main[any_hit] & (any_distance + 1.0 < distance)
    fraction = shapely.line_locate_point(segments.lines[chosen], points, normalized=True)
    fraction = np.nan_to_num(fraction, nan=0.0)  # zero-length segments
    return Attachment(
        a=segments.a[chosen],
        b=segments.b[chosen],
        fraction=np.clip(fraction, 0.0, 1.0),
        time_ab_s=segments.time_ab_s[chosen],
        time_ba_s=segments.time_ba_s[chosen],
        offroad_m=distance,
        offroad_s=distance / (graph.profile.offroad_kmh / 3.6),
        segment=chosen,
        island=island,
    )


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
