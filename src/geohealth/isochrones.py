"""Isochrone polygons: the area within a travel time of each facility.

An isochrone is built from what the search actually reached, not from a hull around it:

- every road segment reached within the limit, including the reached *part* of a segment
  whose far end is too far (travel times are linear along a segment);
- around every reached point of road, the ground a person can still walk across in the time
  left, at the profile's ``offroad_kmh`` (the same off-road walk used when attaching homes and
  facilities to the road);
- around the facility itself, the ground within walking time of it.

Along a reached piece of road the walkable radius shrinks linearly with the time spent, so the
union of the walking discs along the piece is the convex hull of its two end discs; the
polygon is the union of these hulls. To keep the union small, each run of segments between
junctions (a :mod:`chain <geohealth.network.chains>`) that is reached end to end is drawn with
the fewest pieces whose hulls, widened by a tolerance, still contain every original piece —
the choice depends only on the road's shape and its times, so it is made once per graph, for
tolerances ``simplify_m × 1, 4, 16, 64``. A run uses the largest tolerance within
``max(simplify_m, 2 % of the walking radius left at its far end)``: where a kilometre of
walking is left, drawing the road to a few metres adds nothing.

Tolerances, all outward (the polygon never misses ground it should hold): discs are drawn as
circumscribed polygons, so the boundary may lie up to ``1/cos(π/vertices) − 1`` (2 % with 16
vertices) of the walking radius beyond the exact line; reached roads are drawn at least
``min_width_m`` wide on each side; simplified runs add up to ``simplify_m`` or that same
relative share of the walking radius, whichever is larger.

Consequences that the tests check: polygons for growing limits are nested; every node
reached within the limit is inside; every place inside can be reached within the limit by
road plus a straight off-road walk (up to the tolerances); and every population cell whose
:func:`geohealth.traveltime.surface` time to the facility is within the limit lies inside
(that time walks to the *nearest* road, one of the ways the polygon allows).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from tqdm.auto import tqdm

from geohealth.errors import ConfigError
from geohealth.network.chains import chains
from geohealth.network.graph import RoadGraph
from geohealth.network.snap import Attachment, Segments, segment_table
from geohealth.traveltime import node_times

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Pieces:
    """Straight pieces of road with the travel time accumulated at each end.

    ``run``: the run a piece belongs to; ``node``: the node a segment piece is entered by
    (−1 for simplified pieces); ``level``: a simplified piece's tolerance level (−1 for
    segment pieces); ``p0``, ``p1``: end points (metres); ``c0``, ``c1``: seconds from the
    run's entry (or, for segment pieces, 0 and the crossing time).
    """

    run: np.ndarray
    node: np.ndarray
    level: np.ndarray
    p0: np.ndarray
    p1: np.ndarray
    c0: np.ndarray
    c1: np.ndarray


@dataclass(frozen=True)
class _Runs:
    """Every chain walked from each of its two ends (a *run*), entered at ``entry``.

    ``total_s``: time to walk the whole run; ``pieces``: its segments, each with the node it
    is entered by; ``simple``: the simplified pieces of runs with finite time (drawn when
    the run is reached end to end); ``chain_of_segment``: chain of each road segment.
    """

    entry: np.ndarray
    total_s: np.ndarray
    pieces: _Pieces
    simple: _Pieces
    chain_of_segment: np.ndarray


def _node_xy(seg: Segments, n_nodes: int) -> np.ndarray:
    xy = np.full((n_nodes, 2), np.nan)
    xy[seg.a] = seg.start
    xy[seg.b] = seg.end
    return xy


def _simplify(xy: np.ndarray, reach_m: np.ndarray, tol: float) -> list[int]:
    """Greedy: the vertices to keep so each dropped vertex's disc fits the kept hull + tol.

    ``reach_m`` is the walking radius up to a constant (−speed × time so far). A dropped
    vertex k between kept i and j is covered when, at its projection q on the straight piece
    i–j, distance(k, q) + reach_k − interpolated reach(q) ≤ tol.
    """
    keep = [0]
    i, last = 0, len(xy) - 1
    while i < last:
        j = i + 1
        while j < last:
            cand = j + 1
            mid = slice(i + 1, cand)
            d = xy[cand] - xy[i]
            length2 = float(d @ d)
            rel = xy[mid] - xy[i]
            q = np.clip(rel @ d / length2, 0.0, 1.0) if length2 > 0 else np.zeros(cand - i - 1)
            off = np.hypot(*(rel - q[:, None] * d).T)
            err = off + reach_m[mid] - (reach_m[i] + q * (reach_m[cand] - reach_m[i]))
            if err.max() > tol:
                break
            j = cand
        keep.append(j)
        i = j
    return keep


def _runs(graph: RoadGraph, crs: CRS, *, towards: bool, tol: float) -> _Runs:
    """Return the graph's runs and their simplified drawings (cached on the graph)."""
    key = f"runs:{crs}:{towards}:{tol}"
    cached = graph._cache.get(key)
    if isinstance(cached, _Runs):
        return cached
    seg = segment_table(graph, crs)
    ch = chains(seg)
    from_a, from_b = _entering(seg, towards=towards)
    xy = _node_xy(seg, graph.n_nodes)
    speed = graph.profile.offroad_kmh / 3.6
    n_chain = len(ch)
    count = np.diff(ch.offsets)
    chain_of = np.repeat(np.arange(n_chain), count)
    # node positions: segment k of chain c runs from nodes[k + c] to nodes[k + c + 1]
    k = np.arange(len(ch.segment))
    near = ch.nodes[k + chain_of]
    far = ch.nodes[k + chain_of + 1]
    s_ = ch.segment
    # run 2c enters at the chain's first node; run 2c + 1 at its last, walking backwards
    along_fwd = np.where(ch.forward, from_a[s_], from_b[s_])
    along_bwd = np.where(ch.forward, from_b[s_], from_a[s_])
    runs_p: list[_Pieces] = []
    entry = np.empty(2 * n_chain, dtype=np.int64)
    total = np.empty(2 * n_chain)
    simple: dict[str, list[np.ndarray]] = {n: [] for n in _FIELDS}
    for direction in (0, 1):
        if direction == 0:
            order = k
            along = along_fwd
            start_node, end_node = near, far
        else:  # reverse the segments within each chain
            order = np.empty_like(k)
            pos = ch.offsets[chain_of] + ch.offsets[chain_of + 1] - 1 - k
            order[pos] = k
            along = along_bwd[order]
            start_node, end_node = far[order], near[order]
        owner = chain_of if direction == 0 else chain_of[order]
        c0, c1 = _cumulative(along, owner, ch.offsets)
        run = 2 * owner + direction
        # pieces drawn one by one need only their own crossing time
        runs_p.append(
            _Pieces(
                run,
                start_node,
                np.full(len(run), -1),
                xy[start_node],
                xy[end_node],
                np.zeros_like(along),
                along,
            )
        )
        first_piece = ch.offsets[:-1]
        last_piece = ch.offsets[1:] - 1
        entry[direction::2] = start_node[first_piece]
        total[direction::2] = c1[last_piece]
        for c in np.flatnonzero(np.isfinite(c1[last_piece])).tolist():
            lo, hi = int(ch.offsets[c]), int(ch.offsets[c + 1])
            pts = np.concatenate([xy[start_node[lo:hi]], xy[end_node[hi - 1 : hi]]])
            times = np.concatenate([c0[lo:hi], c1[hi - 1 : hi]])
            for level in range(_LEVELS):
                keep = _simplify(pts, -speed * times, tol * 4**level)
                simple["run"].append(np.full(len(keep) - 1, 2 * c + direction))
                simple["node"].append(np.full(len(keep) - 1, -1))
                simple["level"].append(np.full(len(keep) - 1, level))
                simple["p0"].append(pts[keep[:-1]])
                simple["p1"].append(pts[keep[1:]])
                simple["c0"].append(times[keep[:-1]])
                simple["c1"].append(times[keep[1:]])
    pieces = _Pieces(*(np.concatenate([getattr(p, n) for p in runs_p]) for n in _FIELDS))
    simple_p = _Pieces(
        *(
            np.concatenate(simple[n]) if simple[n] else np.zeros((0, 2) if n in ("p0", "p1") else 0)
            for n in _FIELDS
        )
    )
    chain_of_segment = np.empty(len(seg.a), dtype=np.int64)
    chain_of_segment[ch.segment] = chain_of
    log.debug(
        "%s: %d chains, %d segment pieces, %d simplified pieces over %d levels",
        graph.mode,
        n_chain,
        len(pieces.run),
        len(simple_p.run),
        _LEVELS,
    )
    result = _Runs(
        entry=entry,
        total_s=total,
        pieces=pieces,
        simple=simple_p,
        chain_of_segment=chain_of_segment,
    )
    graph._cache[key] = result
    return result


def _cumulative(
    along: np.ndarray, owner: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Time accumulated before and after each piece within its chain (``inf`` once blocked)."""
    blocked = ~np.isfinite(along)
    cum = np.cumsum(np.where(blocked, 0.0, along))
    cum_blocked = np.cumsum(blocked)
    base = np.concatenate([[0.0], cum])[offsets[:-1]][owner]
    base_blocked = np.concatenate([[0], cum_blocked])[offsets[:-1]][owner]
    after = cum - base
    before = after - np.where(blocked, 0.0, along)
    n_after = cum_blocked - base_blocked
    n_before = n_after - blocked
    return np.where(n_before > 0, np.inf, before), np.where(n_after > 0, np.inf, after)


_FIELDS = ("run", "node", "level", "p0", "p1", "c0", "c1")
_LEVELS = 4  # simplification levels: simplify_m × 4**k


def _entering(seg: Segments, *, towards: bool) -> tuple[np.ndarray, np.ndarray]:
    """Time to cross each segment when entering it from ``a`` and from ``b``.

    Towards a facility, a place on the segment reached "via a" travels from the place to a,
    i.e. the segment's b → a direction; from a facility it is the a → b direction.
    """
    if towards:
        return seg.time_ba_s, seg.time_ab_s
    return seg.time_ab_s, seg.time_ba_s


def _reached(
    pieces: _Pieces, start_s: np.ndarray, limit_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the reached part of each piece: end points, the times there, which pieces.

    ``start_s``: time at each piece's start.
    """
    t0 = start_s
    ok = t0 <= limit_s
    t0 = t0[ok]
    span = pieces.c1[ok] - pieces.c0[ok]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(span > 0, (limit_s - t0) / span, 1.0)
    share = np.clip(np.nan_to_num(share, nan=0.0), 0.0, 1.0)
    p0 = pieces.p0[ok]
    p1 = p0 + share[:, None] * (pieces.p1[ok] - p0)
    with np.errstate(invalid="ignore"):
        t1 = np.where(share > 0, t0 + share * span, t0)
    return p0, p1, t0, t1, ok


def _hulls(
    p0: np.ndarray, p1: np.ndarray, r0: np.ndarray, r1: np.ndarray, vertices: int
) -> np.ndarray:
    """Convex hulls of two circumscribed regular polygons per piece, built directly.

    Both discs are drawn as the same regular polygon (vertex ``j`` at angle θ_j), scaled.
    Vertex ``j`` of one polygon is on the hull iff, somewhere in its normal cone
    (θ_j ± π/k), its support beats the other polygon's; the support difference there is the
    sinusoid ``V·u(θ)`` with ``V = (c0 − c1) + (R0 − R1)·u(θ_j)``, so its extremes over the
    cone are known in closed form. Ten times faster than ``shapely.convex_hull`` on points.
    """
    k = vertices
    theta = 2 * np.pi * np.arange(k) / k
    half = np.pi / k
    unit = np.column_stack([np.cos(theta), np.sin(theta)])  # (k, 2)
    big0 = (r0 / np.cos(half))[:, None]
    big1 = (r1 / np.cos(half))[:, None]
    v0 = p0[:, None, :] + big0[:, :, None] * unit[None]  # (n, k, 2)
    v1 = p1[:, None, :] + big1[:, :, None] * unit[None]
    phasor = (p0 - p1)[:, None, :] + (big0 - big1)[:, :, None] * unit[None]  # (n, k, 2)
    lo = np.column_stack([np.cos(theta - half), np.sin(theta - half)])
    hi = np.column_stack([np.cos(theta + half), np.sin(theta + half)])
    g_lo = (phasor * lo[None]).sum(axis=2)
    g_hi = (phasor * hi[None]).sum(axis=2)
    size = np.hypot(phasor[..., 0], phasor[..., 1])
    # the phasor's own direction (peak) or its opposite (trough) inside the cone?
    offset = np.arctan2(phasor[..., 1], phasor[..., 0]) - theta[None]
    offset = (offset + np.pi) % (2 * np.pi) - np.pi
    peak_in = np.abs(offset) <= half
    trough_in = np.abs(np.pi - np.abs(offset)) <= half
    g_max = np.where(peak_in, size, np.maximum(g_lo, g_hi))
    g_min = np.where(trough_in, -size, np.minimum(g_lo, g_hi))
    keep0 = g_max >= 0
    keep1 = g_min <= 0
    first0 = g_lo >= 0  # polygon 0 wins at the start of the cone: its vertex comes first
    slots = np.stack(
        [np.where(first0[..., None], v0, v1), np.where(first0[..., None], v1, v0)], axis=2
    )  # (n, k, 2 slots, 2)
    keep = np.stack([np.where(first0, keep0, keep1), np.where(first0, keep1, keep0)], axis=2)
    owner = np.broadcast_to(np.arange(len(p0))[:, None, None], keep.shape)
    return shapely.polygons(shapely.linearrings(slots[keep], indices=owner[keep]))


def isochrones(
    graph: RoadGraph,
    facilities: Attachment,
    thresholds_min: Sequence[float],
    *,
    towards: bool = True,
    walk_off_road: bool = True,
    min_width_m: float = 5.0,
    simplify_m: float = 5.0,
    vertices: int = 16,
    workers: int | None = None,
    progress: bool = True,
) -> gpd.GeoDataFrame:
    """Isochrone polygons per facility and time limit.

    Parameters
    ----------
    graph
        A timed road graph.
    facilities
        Facilities attached to ``graph`` (the polygons use the attachment's metric CRS).
    thresholds_min
        Time limits (minutes), e.g. ``[5, 10, 15, 30]``.
    towards
        Time to reach the facility (True, as residents travel) or to travel from it.
    walk_off_road
        Add the ground walkable off-road in the time left (True); False draws the reached
        road network alone, ``min_width_m`` wide on each side (a service area along roads).
    min_width_m
        Half-width drawn around reached roads where no walking time is left (metres).
    simplify_m
        Outward tolerance for drawing runs of road reached end to end (metres).
    vertices
        Vertices of each walking disc.
    workers
        Threads drawing polygons (one per CPU core when None).
    progress
        Show a progress bar.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per facility (``facility``: position in ``facilities``) and threshold
        (``threshold_min``), with ``area_km2``; in the attachment's metric CRS. A facility
        that reaches no road within a limit gets the walking disc around it.

    Raises
    ------
    ConfigError
        If a threshold is not positive.
    """
    limits = sorted({float(t) for t in thresholds_min})
    if not limits or limits[0] <= 0:
        msg = f"isochrone thresholds must be > 0 minutes, got {list(thresholds_min)}"
        raise ConfigError(msg)
    seg = segment_table(graph, facilities.crs)
    s = facilities.segment
    drawing = _Drawing(
        seg=seg,
        runs=_runs(graph, facilities.crs, towards=towards, tol=simplify_m),
        entering=_entering(seg, towards=towards),
        speed=graph.profile.offroad_kmh / 3.6 if walk_off_road else 0.0,
        facilities=facilities,
        attach_at=seg.start[s] + facilities.fraction[:, None] * (seg.end[s] - seg.start[s]),
        limits_s=tuple(60.0 * t for t in limits),
        min_width_m=min_width_m,
        simplify_m=simplify_m,
        vertices=vertices,
    )
    rows: list[dict[str, object]] = []
    bar = tqdm(total=len(facilities), desc=f"isochrones ({graph.mode})", disable=_quiet(progress))
    # the geometry work releases the GIL: one thread per core
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        for first, dist in node_times(graph, facilities, limit_min=limits[-1], towards=towards):
            jobs = [(first + k, node_s) for k, node_s in enumerate(dist)]
            for i, polygons in zip(
                (j[0] for j in jobs), pool.map(lambda job: drawing.draw(*job), jobs), strict=True
            ):
                for limit, polygon in zip(limits, polygons, strict=True):
                    rows.append(
                        {
                            "facility": i,
                            "threshold_min": limit,
                            "area_km2": shapely.area(polygon) / 1e6,
                            "geometry": polygon,
                        }
                    )
                bar.update(1)
    bar.close()
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=facilities.crs)


@dataclass(frozen=True)
class _Drawing:
    """Everything needed to draw one facility's polygons (shared by worker threads)."""

    seg: Segments
    runs: _Runs
    entering: tuple[np.ndarray, np.ndarray]
    speed: float
    facilities: Attachment
    attach_at: np.ndarray
    limits_s: tuple[float, ...]
    min_width_m: float
    simplify_m: float
    vertices: int

    @property
    def relative(self) -> float:
        """Relative outward error of a walking disc drawn as a circumscribed polygon."""
        return 1.0 / np.cos(np.pi / self.vertices) - 1.0

    def draw(self, i: int, node_s: np.ndarray) -> list[shapely.Geometry]:
        """Polygons of facility ``i`` for every limit, from its node times (seconds)."""
        fac, seg, runs = self.facilities, self.seg, self.runs
        from_a, from_b = self.entering
        s = int(fac.segment[i])
        # the facility's own segment, from the attachment point to either end; towards a,
        # the traveller moves as if entering from b, and vice versa
        with np.errstate(invalid="ignore"):  # 0 × inf at a segment's end
            own_along = np.array([fac.fraction[i] * from_b[s], (1 - fac.fraction[i]) * from_a[s]])
        own = _Pieces(
            run=np.zeros(2, dtype=np.int64),
            node=np.full(2, -1),
            level=np.full(2, -1),
            p0=np.stack([self.attach_at[i], self.attach_at[i]]),
            p1=np.stack([seg.start[s], seg.end[s]]),
            c0=np.zeros(2),
            c1=np.nan_to_num(own_along, nan=0.0),
        )
        centre = np.array([[fac.x[i], fac.y[i]]])
        entry_s = node_s[runs.entry]
        own_chain = runs.chain_of_segment[s]
        polygons: list[shapely.Geometry] = []
        for limit_s in self.limits_s:
            whole = entry_s + runs.total_s <= limit_s
            # the facility's chain is entered mid-way: drawn segment by segment
            whole[2 * own_chain : 2 * own_chain + 2] = False
            # a run keeps at least its end's walking radius throughout: allow the disc
            # drawing's relative error of that radius (and never less than simplify_m)
            with np.errstate(invalid="ignore"):  # −inf × 0 for unreached runs, road-only
                end_m = (limit_s - entry_s - runs.total_s) * self.speed + self.min_width_m
            allowed = np.maximum(self.simplify_m, self.relative * np.nan_to_num(end_m))
            level = np.clip(
                np.floor(np.log(allowed / self.simplify_m) / np.log(4)).astype(int),
                0,
                _LEVELS - 1,
            )
            simple = _mask(
                runs.simple, whole[runs.simple.run] & (runs.simple.level == level[runs.simple.run])
            )
            partial = _mask(runs.pieces, ~whole[runs.pieces.run])
            parts = [
                _reached(simple, entry_s[simple.run] + simple.c0, limit_s),
                _reached(partial, node_s[partial.node], limit_s),
                _reached(own, np.full(2, fac.offroad_s[i]), limit_s),
            ]
            extra = np.concatenate(
                [
                    self.min_width_m + self.simplify_m * 4.0 ** simple.level[parts[0][4]],
                    np.full(len(parts[1][0]) + len(parts[2][0]), self.min_width_m),
                    [0.0 if self.speed > 0 else self.min_width_m],
                ]
            )
            p0 = np.concatenate([p[0] for p in parts] + [centre])
            p1 = np.concatenate([p[1] for p in parts] + [centre])
            t0 = np.concatenate([p[2] for p in parts] + [[0.0]])
            t1 = np.concatenate([p[3] for p in parts] + [[0.0]])
            r0 = (limit_s - t0) * self.speed + extra
            r1 = (limit_s - t1) * self.speed + extra
            polygon = shapely.union_all(_hulls(p0, p1, r0, r1, self.vertices))
            if polygons:  # nested by construction; the union makes it exact in floats
                polygon = shapely.union(polygon, polygons[-1])
            polygons.append(polygon)
        return polygons


def _mask(pieces: _Pieces, keep: np.ndarray) -> _Pieces:
    return _Pieces(*(getattr(pieces, n)[keep] for n in _FIELDS))


def _quiet(progress: bool) -> bool | None:
    """Return tqdm's ``disable``: True when asked or with -q, None (auto) otherwise."""
    return None if progress and log.isEnabledFor(logging.INFO) else True
