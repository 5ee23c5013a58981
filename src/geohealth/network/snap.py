"""Attaching points (facilities, population cells, sites) to the roads they can walk to.

A point is linked to *every* road segment of the graph's main connected component within a
walking reach (``network.max_walk_m``, :data:`DEFAULT_MAX_WALK_M` = 300 m unless configured),
each at the position along the segment closest to the point. The straight line from the point
to each linked position is walked at the profile's ``offroad_kmh``; travel times then take the
best of the links (see :mod:`geohealth.traveltime`): a home 45 m from a dead-end track and
175 m from a through street uses whichever reaches care first.

A home with no road within the reach is not linked: it cannot reach care by that mode (the
coverage tables count its people as not covered and a warning says how many). A facility or
proposed site with no road within the reach is linked to its nearest road, however far, and
named in a warning beyond ``network.max_snap_m``. Points whose nearest road lies on an island
of the network (a road piece not connected to the main network) link to the main network
instead, and are flagged.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, fields

import geopandas as gpd
import numpy as np
from pyproj import CRS, Transformer

from geohealth.errors import FarFromRoadWarning, NetworkIslandWarning
from geohealth.network import segments
from geohealth.network.graph import DEFAULT_MAX_WALK_M, RoadGraph
from geohealth.network.segments import Segments, segment_index, segment_table, utm_crs

__all__ = [  # the segment table's names stay reachable here, where callers look for them
    "DEFAULT_MAX_WALK_M",
    "Attachment",
    "Links",
    "Segments",
    "attach",
    "attach_facilities",
    "attach_xy",
    "same_segment",
    "segment_index",
    "segment_table",
    "utm_crs",
]


@dataclass(frozen=True)
class Links:
    """Point ↔ road-segment links, sorted by point.

    Attributes
    ----------
    point
        The point each link belongs to.
    segment
        The segment (index into :func:`segment_table`).
    a, b
        The segment's end nodes.
    fraction
        Position of the linked place along the segment, from ``a`` (0) to ``b`` (1).
    time_ab_s, time_ba_s
        Travel time along the whole segment from ``a`` to ``b`` and back (seconds); ``inf``
        where that direction is not allowed (one-way).
    walk_m, walk_s
        Straight-line distance from the point to the linked place (metres) and the time to
        walk it (seconds).
    """

    point: np.ndarray
    segment: np.ndarray
    a: np.ndarray
    b: np.ndarray
    fraction: np.ndarray
    time_ab_s: np.ndarray
    time_ba_s: np.ndarray
    walk_m: np.ndarray
    walk_s: np.ndarray

    def __len__(self) -> int:
        return len(self.point)

    def take(self, index: np.ndarray) -> Links:
        """Return some of the links (positions or a mask), in the order of ``index``."""
        return Links(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def to_a_s(self) -> np.ndarray:
        """Time from the linked place along the segment to node ``a`` (seconds)."""
        return _partial(self.fraction, self.time_ba_s)

    def to_b_s(self) -> np.ndarray:
        """Time from the linked place along the segment to node ``b`` (seconds)."""
        return _partial(1.0 - self.fraction, self.time_ab_s)

    def from_a_s(self) -> np.ndarray:
        """Time from node ``a`` along the segment to the linked place (seconds)."""
        return _partial(self.fraction, self.time_ab_s)

    def from_b_s(self) -> np.ndarray:
        """Time from node ``b`` along the segment to the linked place (seconds)."""
        return _partial(1.0 - self.fraction, self.time_ba_s)


def _partial(share: np.ndarray, full_s: np.ndarray) -> np.ndarray:
    """``share`` of a segment's time; zero when the share is zero, even if not traversable."""
    with np.errstate(invalid="ignore"):  # 0 × inf, masked out below
        return np.where(share <= 0.0, 0.0, share * full_s)


@dataclass(frozen=True)
class Attachment:
    """Points linked to a road graph.

    Attributes
    ----------
    x, y
        The points, in ``crs`` (metres).
    offroad_m
        Distance from each point to its nearest road of the main network (metres).
    offroad_s
        Time to walk it (seconds).
    island
        True where the nearest road overall was not on the main network.
    links
        Every road segment each point is linked to, by point, then segment.
    offsets
        ``links`` of point ``i`` are ``offsets[i]:offsets[i + 1]``.
    crs
        The metric CRS distances were measured in.
    """

    x: np.ndarray
    y: np.ndarray
    offroad_m: np.ndarray
    offroad_s: np.ndarray
    island: np.ndarray
    links: Links
    offsets: np.ndarray
    crs: CRS

    def __len__(self) -> int:
        return len(self.x)

    def take(self, index: np.ndarray | list[int]) -> Attachment:
        """Return the attachments of some of the points, in the order of ``index``.

        Parameters
        ----------
        index
            Positions (or a boolean mask) of the points to keep.

        Returns
        -------
        Attachment
            The subset, with the same CRS; its points are numbered from 0.
        """
        chosen = np.arange(len(self))[np.asarray(index)]
        count = self.offsets[chosen + 1] - self.offsets[chosen]
        first = np.repeat(self.offsets[chosen], count)
        within = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        links = self.links.take(first + within)
        links = Links(
            **{
                **{f.name: getattr(links, f.name) for f in fields(links)},
                "point": np.repeat(np.arange(len(chosen)), count),
            }
        )
        return Attachment(
            x=self.x[chosen],
            y=self.y[chosen],
            offroad_m=self.offroad_m[chosen],
            offroad_s=self.offroad_s[chosen],
            island=self.island[chosen],
            links=links,
            offsets=np.concatenate([[0], np.cumsum(count)]),
            crs=self.crs,
        )

    def leaving(self, *, best: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ways from each point onto the network: (point, node, seconds), sorted by point.

        The time walks to a linked place and travels along its segment to the node, where
        the segment's direction allows.

        Parameters
        ----------
        best
            Keep only the fastest way per (point, node); False keeps every way (cheaper,
            for a minimum taken later anyway).
        """
        links = self.links
        return _ways(links, links.walk_s + links.to_a_s(), links.walk_s + links.to_b_s(), best)

    def arriving(self, *, best: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ways from the network to each point: (point, node, seconds), sorted by point.

        Parameters
        ----------
        best
            Keep only the fastest way per (point, node); False keeps every way.
        """
        links = self.links
        return _ways(links, links.from_a_s() + links.walk_s, links.from_b_s() + links.walk_s, best)


def _ways(
    links: Links, via_a: np.ndarray, via_b: np.ndarray, best: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(point, node, seconds) by both ends of every link, sorted by point; fastest only."""
    if best:
        return _fastest(links.point, links.a, links.b, via_a, via_b)
    point = np.repeat(links.point, 2)
    node = np.column_stack([links.a, links.b]).ravel()
    cost = np.column_stack([via_a, via_b]).ravel()
    ok = np.isfinite(cost)
    return point[ok], node[ok], cost[ok]


def _fastest(
    point: np.ndarray, a: np.ndarray, b: np.ndarray, via_a: np.ndarray, via_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(point, node, seconds) by both ends ``a``, ``b`` of each link; fastest per (point, node)."""
    point = np.concatenate([point, point]).astype(np.int64)
    node = np.concatenate([a, b]).astype(np.int64)
    cost = np.concatenate([via_a, via_b])
    ok = np.isfinite(cost)
    point, node, cost = point[ok], node[ok], cost[ok]
    if len(point) == 0:
        return point, node, cost
    # one integer key per (point, node): a single sort, then the fastest of each run
    key = point * (int(node.max()) + 1) + node
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    fastest = np.minimum.reduceat(cost[order], first)
    return point[order[first]], node[order[first]], fastest


def same_segment(
    origins: Attachment | Links,
    targets: Attachment | Links,
    *,
    by_segment: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trips straight along a shared segment, without passing a node.

    Parameters
    ----------
    origins, targets
        Points attached to the same graph and CRS (or their links).
    by_segment
        ``numpy.argsort(origins.links.segment, kind="stable")`` when already known (a
        lattice tile keeps it, as it meets many targets).

    Returns
    -------
    tuple of numpy.ndarray
        Origin point, target point and seconds (walk, along the segment, walk) for every
        pair of links on the same segment whose direction allows the trip.
    """
    o = origins.links if isinstance(origins, Attachment) else origins
    t = targets.links if isinstance(targets, Attachment) else targets
    order = np.argsort(o.segment, kind="stable") if by_segment is None else by_segment
    o_seg = o.segment[order]
    lo = np.searchsorted(o_seg, t.segment, side="left")
    hi = np.searchsorted(o_seg, t.segment, side="right")
    count = hi - lo
    t_link = np.repeat(np.arange(len(t)), count)
    o_link = order[
        np.repeat(lo, count)
        + np.arange(int(count.sum()))
        - np.repeat(np.cumsum(count) - count, count)
    ]
    gap = t.fraction[t_link] - o.fraction[o_link]
    with np.errstate(invalid="ignore"):  # 0 × inf where the gap is zero
        along = np.where(gap >= 0, gap * o.time_ab_s[o_link], -gap * o.time_ba_s[o_link])
    along = np.where(gap == 0, 0.0, along)
    seconds = o.walk_s[o_link] + along + t.walk_s[t_link]
    ok = np.isfinite(seconds)
    return o.point[o_link][ok], t.point[t_link][ok], seconds[ok]


def attach(
    graph: RoadGraph,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    crs: CRS | None = None,
    check_islands: bool = True,
    max_walk_m: float | None = None,
    nearest_beyond: bool = True,
) -> Attachment:
    """Link points to every road segment of the main network within walking reach.

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
    max_walk_m
        Walking reach (metres): every segment this close is linked. The graph's reach
        when None.
    nearest_beyond
        Link a point with no segment within reach to its nearest segment (facilities,
        sites); False leaves it unlinked (homes, population cells, lattice points), with
        ``offroad_m`` = ``inf``.

    Returns
    -------
    Attachment
        Where each point meets the network, and at what cost.
    """
    lon = np.atleast_1d(np.asarray(lon, dtype=float))
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    crs = crs or utm_crs(graph.lon, graph.lat)
    x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    return attach_xy(
        graph,
        np.atleast_1d(x),
        np.atleast_1d(y),
        crs,
        check_islands=check_islands,
        max_walk_m=max_walk_m,
        nearest_beyond=nearest_beyond,
    )


def attach_xy(
    graph: RoadGraph,
    x: np.ndarray,
    y: np.ndarray,
    crs: CRS,
    *,
    check_islands: bool = True,
    max_walk_m: float | None = None,
    candidates: tuple[np.ndarray, np.ndarray] | None = None,
    nearest_beyond: bool = True,
) -> Attachment:
    """Link points given in a metric CRS; see :func:`attach`.

    Parameters
    ----------
    graph
        A timed road graph.
    x, y
        Points, metres in ``crs``.
    crs
        A metric CRS.
    check_islands, max_walk_m, nearest_beyond
        As for :func:`attach`.
    candidates
        (point, segment) pairs to measure, segments as positions in
        :func:`segment_index`; they must include every pair within reach (a caller that
        knows its points' layout, such as a lattice tile, finds them faster). Found with a
        KD-tree when None.

    Returns
    -------
    Attachment
        Where each point meets the network, and at what cost.
    """
    table = segment_table(graph, crs)
    xy = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    main_index = table.main_index
    tree = segments.segment_index(graph, crs)
    reach_m = graph.max_walk_m if max_walk_m is None else max_walk_m
    if candidates is None:
        candidates = segments.candidates(tree, xy, reach_m)
    point, near, near_d, near_t = segments.measure(tree, xy, *candidates, reach_m)
    # the nearest road: the closest link where there is one, else searched for
    distance = np.full(len(xy), np.inf)
    np.minimum.at(distance, point, near_d)
    alone = ~np.isfinite(distance)  # no road within reach
    if not nearest_beyond:
        alone[:] = False  # left unlinked, offroad_m = inf
    hit, far_d, far_t = segments.nearest(tree, xy[alone])
    distance[alone] = far_d
    island = np.zeros(len(xy), dtype=bool)
    if check_islands and not table.main.all():
        every = segments.all_segment_index(graph, crs)
        any_hit, any_distance, _ = segments.nearest(every, xy)
        island = ~table.main[any_hit] & (any_distance + 1.0 < distance)
    point = np.concatenate([point, np.flatnonzero(alone)])
    near = np.concatenate([near, hit])
    walk_m = np.concatenate([near_d, far_d])
    share = np.concatenate([near_t, far_t])
    # a fixed order however the pairs were found: by point, then segment (one integer key)
    order = np.argsort(point.astype(np.int64) * len(main_index) + near, kind="stable")
    point, chosen = point[order], main_index[near[order]]
    walk_m, share = walk_m[order], share[order]
    speed = graph.profile.offroad_kmh / 3.6
    links = Links(
        point=point,
        segment=chosen,
        a=table.a[chosen],
        b=table.b[chosen],
        fraction=share,
        time_ab_s=table.time_ab_s[chosen],
        time_ba_s=table.time_ba_s[chosen],
        walk_m=walk_m,
        walk_s=walk_m / speed,
    )
    return Attachment(
        x=xy[:, 0],
        y=xy[:, 1],
        offroad_m=distance,
        offroad_s=distance / speed,
        island=island,
        links=links,
        offsets=np.concatenate([[0], np.cumsum(np.bincount(point, minlength=len(xy)))]),
        crs=crs,
    )


def ways_within(
    graph: RoadGraph,
    x: np.ndarray,
    y: np.ndarray,
    crs: CRS,
    *,
    towards: bool,
    candidates: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ways between many points and the network, through every segment within reach.

    The ways :func:`attach_xy` (``nearest_beyond=False``) followed by
    :meth:`Attachment.leaving` (``towards``) or :meth:`Attachment.arriving` give, with
    ``best=True`` — the same sums in the same order — without building the attachment:
    for the many points of a lattice tile or a population grid, whose links are not kept.

    Parameters
    ----------
    graph
        A timed road graph.
    x, y
        Points, metres in ``crs`` (a metric CRS).
    towards
        Ways from the points onto the network (True) or from the network to the points.
    candidates
        (point, segment) pairs as for :func:`attach_xy`; found with a KD-tree when None.

    Returns
    -------
    tuple of numpy.ndarray
        Point, node and seconds of the fastest way per (point, node), sorted by point, then
        node; and per point, True where some segment is within the walking reach.
    """
    table = segment_table(graph, crs)
    tree = segments.segment_index(graph, crs)
    xy = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    if candidates is None:
        candidates = segments.candidates(tree, xy, graph.max_walk_m)
    point, near, walk_m, share = segments.measure(tree, xy, *candidates, graph.max_walk_m)
    linked = np.zeros(len(xy), dtype=bool)
    linked[point] = True
    seg = table.main_index[near]
    walk_s = walk_m / (graph.profile.offroad_kmh / 3.6)
    if towards:  # as Links.walk_s + Links.to_a_s() / to_b_s()
        via_a = walk_s + _partial(share, table.time_ba_s[seg])
        via_b = walk_s + _partial(1.0 - share, table.time_ab_s[seg])
    else:  # as Links.from_a_s() / from_b_s() + Links.walk_s
        via_a = _partial(share, table.time_ab_s[seg]) + walk_s
        via_b = _partial(1.0 - share, table.time_ba_s[seg]) + walk_s
    point, node, seconds = _fastest(point, table.a[seg], table.b[seg], via_a, via_b)
    return point, node, seconds, linked


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
