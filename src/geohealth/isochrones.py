"""Service circles (isochrones): level sets of the travel-time field.

A service circle is not drawn around roads; it is the set of places whose travel time, by the
same model as the coverage tables (:mod:`geohealth.field`), is within the limit:

1. one bounded search per facility over its own window
   (:func:`geohealth.traveltime.bounded_searches`);
2. the facility's travel-time field on the lattice around what it reached: every lattice point
   takes its best link to the roads (every segment within the walking reach, or the nearest);
3. filled contours of that field at each limit, by contourpy (compiled marching squares), as
   polygons with holes.

Consequences, checked by the tests: every lattice point inside a T-minute polygon has a field
time ≤ T, and every lattice point with a time ≤ T is inside (the contour passes between
lattice points, interpolating linearly); polygons for growing limits are nested (one field,
contoured at growing levels); off-road walking is bounded by the walking reach, as in the
coverage tables — a place with no road within the reach is outside every circle, as a home
there is not covered. The merged circle of a care group (:func:`group_circles`) is the same
contour of the group's nearest-facility field, so the people inside it are the covered people
of the township table.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import contourpy
import geopandas as gpd
import numpy as np
import shapely
from tqdm.auto import tqdm

from geohealth import field
from geohealth.errors import ConfigError
from geohealth.field import TILE, Lattice, TileCache
from geohealth.network import windows
from geohealth.network.graph import RoadGraph
from geohealth.network.snap import Attachment
from geohealth.traveltime import NearestFacility, bounded_searches

log = logging.getLogger(__name__)

#: Lattice spacing (metres) used when no population grid is given.
DEFAULT_CELL_M = 50.0


def _limits(thresholds_min: Sequence[float]) -> list[float]:
    limits = sorted({float(t) for t in thresholds_min})
    if not limits or limits[0] <= 0:
        msg = f"isochrone thresholds must be > 0 minutes, got {list(thresholds_min)}"
        raise ConfigError(msg)
    return limits


def isochrones(
    graph: RoadGraph,
    facilities: Attachment,
    thresholds_min: Sequence[float],
    *,
    grid: Lattice | None = None,
    cell_m: float = DEFAULT_CELL_M,
    towards: bool = True,
    progress: bool = True,
) -> gpd.GeoDataFrame:
    """Service-circle polygons per facility and time limit.

    Parameters
    ----------
    graph
        A timed road graph.
    facilities
        Facilities attached to ``graph``.
    thresholds_min
        Time limits (minutes), e.g. ``[5, 10, 15, 30]``.
    grid
        The lattice the field is computed on (from the population grid,
        :func:`geohealth.field.lattice`); a lattice of ``cell_m`` around the facilities in
        their metric CRS when None.
    cell_m
        Lattice spacing when ``grid`` is None (metres).
    towards
        Time to reach the facility (True, as residents travel) or to travel from it.
    progress
        Show a progress bar.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per facility (``facility``: position in ``facilities``) and threshold
        (``threshold_min``), with ``area_km2``; in the lattice's CRS. A facility that reaches
        nothing within a limit gets an empty polygon.

    Raises
    ------
    ConfigError
        If a threshold is not positive.
    """
    limits = _limits(thresholds_min)
    metric = facilities.crs
    index = windows.node_index(graph, metric)
    if grid is None:
        margin = index.speed_max_mps * limits[-1] * 60.0 + 2 * graph.max_walk_m
        grid = field.lattice_around(facilities.x, facilities.y, metric, margin, cell_m)
    cache = field.tile_cache(graph, grid, metric, towards=towards)
    rows: list[dict[str, object]] = []
    bar = tqdm(
        total=len(facilities), desc=f"service circles ({graph.mode})", disable=_quiet(progress)
    )
    for found in bounded_searches(graph, facilities, limit_min=limits[-1], towards=towards):
        for k, j in enumerate(found.facility.tolist()):
            seconds = found.seconds[k]
            hit = np.flatnonzero(seconds <= limits[-1] * 60.0)
            reached = found.nodes[hit]
            own = facilities.take([j])
            direct = cache.tiles_near(own.x, own.y, graph.max_walk_m + own.links.walk_m.max())
            tiles = _union(cache.tiles_along(reached, graph.max_walk_m), direct)
            minutes, origin = _field(cache, tiles, found.nodes[hit], seconds[hit], own, direct)
            drawn = contours(minutes, origin, grid, limits)
            for limit, polygon in zip(limits, drawn, strict=True):
                rows.append({"facility": j, "threshold_min": limit, "geometry": polygon})
            bar.update(1)
    bar.close()
    frame = gpd.GeoDataFrame(
        rows, columns=["facility", "threshold_min", "geometry"], geometry="geometry", crs=grid.crs
    )
    frame = frame.sort_values(["facility", "threshold_min"], kind="stable").reset_index(drop=True)
    frame.insert(2, "area_km2", frame.to_crs(metric).area.to_numpy() / 1e6)
    return frame


def _union(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Tiles (ti, tj) in either list, once each."""
    both = np.concatenate([first, second])
    if len(both) == 0:
        return both
    wide = int(both[:, 1].max()) + 1
    key = np.unique(both[:, 0] * wide + both[:, 1])
    return np.column_stack([key // wide, key % wide])


def _field(
    cache: TileCache,
    tiles: np.ndarray,
    nodes: np.ndarray,
    node_s: np.ndarray,
    facilities: Attachment,
    direct: np.ndarray,
) -> tuple[np.ndarray, tuple[int, int]]:
    """Minutes on the lattice block covering ``tiles``, and the block's first (row, col).

    ``nodes`` (ascending) and ``node_s``: the reached nodes and their seconds; lattice points
    outside the tiles are ``inf``. In the ``direct`` tiles (near the facilities), trips
    straight along a segment shared with a facility count too.
    """
    near = {(int(a), int(b)) for a, b in direct}
    if len(tiles) == 0:
        return np.full((1, 1), np.inf), (0, 0)
    t0, t1 = tiles[:, 0].min(), tiles[:, 0].max()
    s0, s1 = tiles[:, 1].min(), tiles[:, 1].max()
    n_rows, n_cols = cache.lattice.shape
    r0, c0 = int(t0 * TILE), int(s0 * TILE)
    block = np.full(
        (min(n_rows, (t1 + 1) * TILE) - r0, min(n_cols, (s1 + 1) * TILE) - c0),
        np.inf,
        dtype=np.float32,
    )
    for ti, tj in tiles.tolist():
        tile = cache.tile(ti, tj)
        at = np.searchsorted(nodes, tile.nodes)
        at = np.minimum(at, max(len(nodes) - 1, 0))
        known = (nodes[at] == tile.nodes) if len(nodes) else np.zeros(len(tile.nodes), bool)
        direct_here = (ti, tj) in near
        if not known.any() and not direct_here:
            continue  # nothing reached leads here
        times = np.where(known, node_s[at] if len(nodes) else np.inf, np.inf)
        seconds = tile.times(times, facilities if direct_here else None)
        block[
            tile.row0 - r0 : tile.row0 - r0 + tile.rows, tile.col0 - c0 : tile.col0 - c0 + tile.cols
        ] = seconds / 60.0
    return block, (r0, c0)


def contours(
    minutes: np.ndarray,
    origin: tuple[int, int],
    grid: Lattice,
    limits: Sequence[float],
) -> list[shapely.Geometry]:
    """Contour ``minutes ≤ T`` on a block of the lattice: one filled geometry per limit.

    Parameters
    ----------
    minutes
        The field on a block of lattice points (``inf``: not reached).
    origin
        Lattice (row, col) of the block's first point.
    grid
        The lattice.
    limits
        Time limits (minutes), ascending.

    Returns
    -------
    list of shapely geometries
        (Multi)polygons with holes, in the lattice's CRS; empty where nothing is within.
    """
    # points outside every limit: a value a little past the largest, so the contour lies
    # between a reached point and an unreached one rather than on the reached one
    cap = limits[-1] * 1.25 + 1.0
    rows, cols = max(2, minutes.shape[0]), max(2, minutes.shape[1])  # contourpy needs 2 × 2
    z = np.full((rows, cols), cap)
    z[: minutes.shape[0], : minutes.shape[1]] = np.minimum(
        np.nan_to_num(minutes, nan=cap, posinf=cap), cap
    )
    r = np.arange(rows) + origin[0]
    c = np.arange(cols) + origin[1]
    if grid.transform.b == 0 and grid.transform.d == 0:  # north-up: 1-D coordinates suffice
        x, _ = grid.xy(np.zeros(cols), c)
        _, y = grid.xy(r, np.zeros(rows))
    else:
        cc, rr = np.meshgrid(c, r)
        x, y = grid.xy(rr, cc)
    generator = contourpy.contour_generator(
        x, y, z, fill_type=contourpy.FillType.ChunkCombinedOffsetOffset, chunk_size=0
    )
    out: list[shapely.Geometry] = []
    for limit in limits:
        (points,), (rings,), (outers,) = generator.filled(-1.0, float(limit))
        if points is None:
            out.append(shapely.MultiPolygon())
            continue
        polygons = shapely.from_ragged_array(
            shapely.GeometryType.POLYGON, points, (rings.astype(np.int64), outers.astype(np.int64))
        )
        geometry = shapely.MultiPolygon(list(shapely.get_parts(polygons)))
        if not geometry.is_valid:
            geometry = shapely.make_valid(geometry)
        out.append(geometry)
    return out


def group_field(
    graph: RoadGraph,
    facilities: Attachment,
    nearest: NearestFacility,
    grid: Lattice,
    limit_min: float,
) -> tuple[np.ndarray, tuple[int, int]]:
    """Minutes to the nearest facility of a group on the lattice, wherever within reach.

    Parameters
    ----------
    graph
        A timed road graph.
    facilities
        The group's facilities, attached to ``graph``.
    nearest
        :func:`geohealth.traveltime.nearest_facility` for them.
    grid
        The lattice.
    limit_min
        Largest time of interest (minutes): lattice points farther than any node within it
        can be are not computed (``inf``).

    Returns
    -------
    tuple
        Minutes (float32) on a block of the lattice, and the block's first (row, col).
    """
    metric = facilities.crs
    cache = field.tile_cache(graph, grid, metric)
    node_s = nearest.node_min * 60.0
    hit = np.flatnonzero(node_s <= limit_min * 60.0)
    walk = float(facilities.links.walk_m.max(initial=0.0))
    direct = cache.tiles_near(facilities.x, facilities.y, graph.max_walk_m + walk)
    tiles = _union(cache.tiles_along(hit, graph.max_walk_m), direct)
    return _field(cache, tiles, hit, node_s[hit], facilities, direct)


def group_circles(
    graph: RoadGraph,
    facilities: Attachment,
    nearest: NearestFacility,
    grid: Lattice,
    thresholds_min: Sequence[float],
) -> list[shapely.Geometry]:
    """Draw the merged service circles of a care group: its nearest-facility field's contours.

    Parameters
    ----------
    graph
        A timed road graph.
    facilities
        The group's facilities, attached to ``graph``.
    nearest
        :func:`geohealth.traveltime.nearest_facility` for them.
    grid
        The lattice (from the population grid, so its points include every cell centre).
    thresholds_min
        Time limits (minutes).

    Returns
    -------
    list of shapely geometries
        One (multi)polygon per limit, ascending, in the lattice's CRS.
    """
    limits = _limits(thresholds_min)
    minutes, origin = group_field(graph, facilities, nearest, grid, limits[-1])
    return contours(minutes, origin, grid, limits)


def _quiet(progress: bool) -> bool | None:
    """Return tqdm's ``disable``: True when asked or with -q, None (auto) otherwise."""
    return None if progress and log.isEnabledFor(logging.INFO) else True
