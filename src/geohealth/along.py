"""Trips straight along a facility's own road segment, without passing a node.

A home linked to the same segment as a facility may go straight along it. Only the
facilities' own segments can carry such a trip, so only the lattice points within the walking
reach of those segments are measured — each (point, segment) pair exactly as
:func:`geohealth.network.snap.attach_xy` measures it (closest place on the segment, walked at
the off-road speed) and timed as :func:`geohealth.network.snap.same_segment` times it — a
million pairs at a time: work and memory in proportion to the facilities, not the region.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from geohealth.network import segments, snap
from geohealth.network.snap import Attachment

if TYPE_CHECKING:
    from geohealth.tiles import TileCache

#: (link, lattice point) pairs measured at a time.
_PAIRS = 1_000_000

#: Lattice row, column, place and seconds of each trip.
Trips = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def measure(cache: TileCache, places: Attachment) -> Trips:
    """Measure the trips along the places' segments from the lattice points near them.

    :meth:`geohealth.tiles.TileCache.direct` calls it (and remembers the last answer).

    Parameters
    ----------
    cache
        The lattice's tile cache on the graph (its lattice, direction and CRSs).
    places
        Places attached to the graph, in ``cache.metric`` (facilities).

    Returns
    -------
    Trips
        Lattice row, column, place and seconds of every trip (from the point to the place
        when ``cache.towards``); a point may appear more than once.
    """
    links = places.links
    empty = np.zeros(0, dtype=np.int64)
    if len(links) == 0:
        return empty, empty, empty, np.zeros(0)
    table = snap.segment_table(cache.graph, cache.metric)
    seg = links.segment
    n_rows, n_cols = cache.lattice.shape
    ar, ac = cache.lattice_index(table.start[seg, 0], table.start[seg, 1])
    br, bc = cache.lattice_index(table.end[seg, 0], table.end[seg, 1])
    pad = cache.graph.max_walk_m / cache.step_m * 1.05 + 1.0
    r_lo = np.clip(np.floor(np.minimum(ar, br) - pad), 0, n_rows).astype(np.int64)
    r_hi = np.clip(np.ceil(np.maximum(ar, br) + pad), -1, n_rows - 1).astype(np.int64)
    c_lo = np.clip(np.floor(np.minimum(ac, bc) - pad), 0, n_cols).astype(np.int64)
    c_hi = np.clip(np.ceil(np.maximum(ac, bc) + pad), -1, n_cols - 1).astype(np.int64)
    width = np.maximum(c_hi - c_lo + 1, 0)
    count = np.maximum(r_hi - r_lo + 1, 0) * width
    # in chunks of about a million (link, lattice point) pairs: bounded memory however
    # many places (a province's facilities)
    bounds = np.searchsorted(np.cumsum(count), np.arange(1, 1 + count.sum() // _PAIRS) * _PAIRS)
    found = [
        _chunk(cache, places, table, part, r_lo, c_lo, width, count)
        for part in np.split(np.arange(len(links)), np.unique(bounds))
        if len(part)
    ]
    row, col, place, seconds = (np.concatenate(c) for c in zip(*found, strict=True))
    return row, col, place, seconds


def beaten_by_nodes(places: Attachment, node_s: np.ndarray, *, towards: bool) -> Attachment:
    """Drop the places' links no trip along them can use faster than through a node.

    A trip straight along a place's segment walks at least the place's own way onto it
    (``walk_s``). The same point can always leave that segment by one of its ends instead:
    at most the whole segment's time towards that end, then the network time from there
    (``node_s``). When the place's walk alone is slower than that bound at one end, every
    trip along the link is strictly slower than a way through a node, so leaving the link
    out changes no time on the field (a minimum over both).

    Parameters
    ----------
    places
        Places attached to the graph (facilities).
    node_s
        Seconds from every graph node to the places (``towards``) or from them (``inf``:
        not reached); for a group of places, the time to (from) the nearest will do.
    towards
        Times from the points to the places (True) or from the places to the points.

    Returns
    -------
    Attachment
        The places with only the links a straight trip may still use (``offsets`` and the
        points' other fields unchanged; :func:`measure` reads only the links).
    """
    links = places.links
    if len(links) == 0:
        return places
    if towards:  # point → along the segment → node → network → place
        via_a = links.time_ba_s + node_s[links.a]
        via_b = links.time_ab_s + node_s[links.b]
    else:  # place → network → node → along the segment → point
        via_a = node_s[links.a] + links.time_ab_s
        via_b = node_s[links.b] + links.time_ba_s
    keep = links.walk_s <= np.minimum(via_a, via_b)
    return dataclasses.replace(places, links=links.take(keep))


def _chunk(
    cache: TileCache,
    places: Attachment,
    table: snap.Segments,
    part: np.ndarray,
    r_lo: np.ndarray,
    c_lo: np.ndarray,
    width: np.ndarray,
    count: np.ndarray,
) -> Trips:
    """Trips along the segments of some of the places' links (``part``)."""
    links = places.links
    n_cols = cache.lattice.shape[1]
    link = np.repeat(part, count[part])  # one (link, lattice point) per pair
    n = count[part]
    offset = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)  # within each link
    w = np.maximum(width[link], 1)
    cell = (r_lo[link] + offset // w) * n_cols + c_lo[link] + offset % w
    if cache.in_metric:
        mx, my = cache.lattice.xy(cell // n_cols, cell % n_cols)
    else:  # each point transformed once
        cells, at = np.unique(cell, return_inverse=True)
        x, y = cache.lattice.xy(cells // n_cols, cells % n_cols)
        mx, my = (v[at.ravel()] for v in cache.to_metric(x, y))
    s = links.segment[link]
    walk_m, share = segments.project(
        mx, my, table.start[s, 0], table.start[s, 1], table.end[s, 0], table.end[s, 1]
    )
    near = walk_m <= cache.graph.max_walk_m
    link, s, cell, share = link[near], s[near], cell[near], share[near]
    walk_s = walk_m[near] / (cache.graph.profile.offroad_kmh / 3.6)
    # towards: from the point along the segment to the place; else the other way
    gap = links.fraction[link] - share if cache.towards else share - links.fraction[link]
    with np.errstate(invalid="ignore"):  # 0 × inf where the gap is zero
        along = np.where(gap >= 0, gap * table.time_ab_s[s], -gap * table.time_ba_s[s])
    along = np.where(gap == 0, 0.0, along)
    seconds = (  # summed in same_segment's order: origin's walk, along, target's walk
        walk_s + along + links.walk_s[link]
        if cache.towards
        else links.walk_s[link] + along + walk_s
    )
    ok = np.isfinite(seconds)
    point = cell[ok]
    return point // n_cols, point % n_cols, links.point[link[ok]], seconds[ok]
