"""Service circles (isochrones): level sets of the travel-time field.

A service circle is not drawn around roads; it is the set of places whose travel time, by the
same model as the coverage tables (:mod:`geohealth.field`), is within the limit:

1. one bounded search per facility over its own window
   (:func:`geohealth.traveltime.bounded_searches`);
2. the facility's travel-time field on the lattice around what it reached: every lattice point
   takes its best link to the roads (every segment within the walking reach; none beyond);
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

import itertools
import logging
from collections.abc import Sequence

import contourpy
import geopandas as gpd
import numpy as np
import shapely
from tqdm.auto import tqdm

from geohealth import along, field
from geohealth.errors import ConfigError
from geohealth.field import TILE, Lattice
from geohealth.network import windows
from geohealth.network.graph import RoadGraph
from geohealth.network.snap import Attachment
from geohealth.tiles import TileCache, tile_cache
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
    if grid is None:
        index = windows.node_index(graph, metric)
        margin = index.speed_max_mps * limits[-1] * 60.0 + 2 * graph.max_walk_m
        grid = field.lattice_around(facilities.x, facilities.y, metric, margin, cell_m)
    cache = tile_cache(graph, grid, metric, towards=towards)
    facility: list[int] = []
    shapes: list[shapely.Geometry] = []
    bar = tqdm(
        total=len(facilities), desc=f"service circles ({graph.mode})", disable=_quiet(progress)
    )
    for found in bounded_searches(graph, facilities, limit_min=limits[-1], towards=towards):
        for k, j in enumerate(found.facility.tolist()):
            seconds = found.seconds[k]
            hit = np.flatnonzero(seconds <= limits[-1] * 60.0)
            reached = found.nodes[hit]
            minutes, origin = _field(cache, reached, seconds[hit], facilities.take([j]))
            shapes.extend(contours(minutes, origin, grid, limits))
            facility.extend([j] * len(limits))
            bar.update(1)
    bar.close()
    order = np.argsort(np.asarray(facility, dtype=np.int64), kind="stable")
    geometry = np.empty(len(shapes), dtype=object)
    geometry[:] = shapes
    geometry = geometry[order]
    if cache.in_metric:
        area = shapely.area(geometry)
    else:
        area = gpd.GeoSeries(geometry, crs=grid.crs).to_crs(metric).area.to_numpy()
    frame = gpd.GeoDataFrame(
        {
            "facility": np.asarray(facility, dtype=np.int64)[order],
            "threshold_min": np.tile(np.asarray(limits, dtype=float), len(facilities)),
            "area_km2": area / 1e6,
            "geometry": gpd.array.from_shapely(geometry, crs=grid.crs),
        },
        geometry="geometry",
    )
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
    cache: TileCache, nodes: np.ndarray, node_s: np.ndarray, facilities: Attachment
) -> tuple[np.ndarray, tuple[int, int]]:
    """Minutes on the lattice block around what a search reached, and the block's first (row, col).

    ``nodes`` and ``node_s``: the reached nodes and their seconds (to or from
    ``facilities``). The block covers the tiles within the walking reach of the segments at
    those nodes, and of the facilities' own segments, where trips straight along a shared
    segment count too; lattice points outside those tiles are ``inf``. The block is cropped
    to the reached points.
    """
    buffer = cache.node_buffer()
    buffer[nodes] = node_s
    try:
        # only the facilities' links a straight trip can still use faster than any node
        useful = along.beaten_by_nodes(facilities, buffer, towards=cache.towards)
        row, col, _, direct_s = cache.direct(useful)
        tiles = _union(
            cache.tiles_along(nodes, cache.graph.max_walk_m),
            np.column_stack([row // TILE, col // TILE]),
        )
        if len(tiles) == 0:
            return np.full((1, 1), np.inf, dtype=np.float32), (0, 0)
        t0, t1 = tiles[:, 0].min(), tiles[:, 0].max()
        s0, s1 = tiles[:, 1].min(), tiles[:, 1].max()
        n_rows, n_cols = cache.lattice.shape
        r0, c0 = int(t0 * TILE), int(s0 * TILE)
        block = np.full(
            (min(n_rows, (t1 + 1) * TILE) - r0, min(n_cols, (s1 + 1) * TILE) - c0),
            np.inf,
            dtype=np.float32,
        )
        cache.fill(tiles, buffer, block, (r0, c0))
    finally:
        buffer[nodes] = np.inf
    np.minimum.at(block, (row - r0, col - c0), direct_s.astype(np.float32))
    # cropped to the reached points (contours() frames them with unreached ones): whole
    # tiles hold much that nothing reaches, and contouring costs by the point
    reached = np.isfinite(block)
    rows, cols = np.flatnonzero(reached.any(axis=1)), np.flatnonzero(reached.any(axis=0))
    if len(rows) == 0:
        return np.full((1, 1), np.inf, dtype=np.float32), (r0, c0)
    top, left = int(rows[0]), int(cols[0])
    minutes = block[top : rows[-1] + 1, left : cols[-1] + 1]
    minutes /= np.float32(60.0)  # in place: the block may be a province's lattice
    return minutes, (r0 + top, c0 + left)


def contours(
    minutes: np.ndarray,
    origin: tuple[int, int],
    grid: Lattice,
    limits: Sequence[float],
) -> list[shapely.Geometry]:
    """Contour ``minutes ≤ T`` on a block of the lattice: one filled geometry per limit.

    A large block (a province's walking lattice) is contoured in strips of rows that share
    their boundary row, and each limit's pieces are joined along those rows
    (:func:`shapely.coverage_union_all`: the pieces meet edge to edge, with the same
    vertices), so memory stays bounded: contourpy holds float64 x, y and z grids of what it
    contours, 24 bytes a point.

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
    # points nothing reaches within the limits: one minute past the largest (as Valhalla
    # does), so an outline passes between a reached point and an unreached one, closer to
    # the reached one the nearer its time is to the limit
    cap = limits[-1] + 1.0
    # framed by a row and a column of unreached points on every side, so every outline
    # closes between a reached point and an unreached one
    n_rows = minutes.shape[0] + 2
    height = max(3, _STRIP_POINTS // (minutes.shape[1] + 2))
    pieces: list[list[np.ndarray]] = [[] for _ in limits]
    for top in range(0, n_rows - 1, height - 1):  # strips share their boundary row
        z = _framed_rows(minutes, cap, top, min(top + height, n_rows))
        _off_the_levels(z, limits)
        generator = _generator(z)
        for k, limit in enumerate(limits):
            pieces[k].append(_filled(generator, limit, grid, (origin[0] - 1 + top, origin[1] - 1)))
    out: list[shapely.Geometry] = []
    for parts in pieces:
        parts = [p for p in parts if len(p)]
        if len(parts) <= 1:
            out.append(shapely.multipolygons(parts[0]) if parts else shapely.MultiPolygon())
            continue
        out.append(_joined(np.concatenate(parts)))
    return out


#: Lattice points contoured at a time (with the frame): ~100 MB of contourpy's grids.
_STRIP_POINTS = 4_000_000


def _framed_rows(minutes: np.ndarray, cap: float, top: int, bottom: int) -> np.ndarray:
    """Rows ``top:bottom`` of the block framed by ``cap`` on every side, float64, capped."""
    n_rows = minutes.shape[0] + 2
    z = np.full((bottom - top, minutes.shape[1] + 2), cap)
    first, last = max(top, 1), min(bottom, n_rows - 1)  # the block's rows in this strip
    if last > first:
        z[first - top : last - top, 1:-1] = minutes[first - 1 : last - 1]
    np.fmin(z, cap, out=z)  # inf and NaN (none expected) become the cap
    return z


#: How far below a limit a time that (almost) equals it is moved before contouring (minutes).
_OFF_LEVEL_MIN = 1e-6


def _off_the_levels(z: np.ndarray, limits: Sequence[float]) -> None:
    """Move times within ``_OFF_LEVEL_MIN`` of a limit just below it, in place.

    A lattice point exactly at a level is where marching squares lets outlines meet at a
    point (an invalid polygon). Just below the level the point stays inside the circle, as
    a time ≤ T should, and every outline crosses each lattice edge strictly between its
    points, so contourpy's polygons are valid as they come and need no repair.
    """
    for limit in limits:
        near = np.abs(z - limit) < _OFF_LEVEL_MIN
        if near.any():
            z[near] = limit - _OFF_LEVEL_MIN


def _generator(z: np.ndarray) -> contourpy.SerialContourGenerator:
    """Return contourpy's serial generator of ``z`` in lattice steps (x: column, y: row).

    Made directly rather than through :func:`contourpy.contour_generator`, whose checks
    (a masked copy of z, among others) cost as much as the construction itself on a
    circle's few thousand points; ``z`` is finite by construction, so nothing is masked.
    Contoured in lattice steps (cheaper than with coordinates), then placed: a lattice
    point's coordinates are affine in its (row, col), whatever the grid's rotation.
    """
    x, y = np.meshgrid(
        np.arange(z.shape[1], dtype=np.float64), np.arange(z.shape[0], dtype=np.float64)
    )
    return contourpy.SerialContourGenerator(
        x,
        y,
        z,
        None,
        corner_mask=True,
        line_type=contourpy.LineType.SeparateCode,
        fill_type=contourpy.FillType.ChunkCombinedOffsetOffset,
        quad_as_tri=False,
        z_interp=contourpy.ZInterp.Linear,
        x_chunk_size=0,
        y_chunk_size=0,
    )


def _filled(
    generator: contourpy.ContourGenerator, limit: float, grid: Lattice, origin: tuple[int, int]
) -> np.ndarray:
    """Return the polygons of ``z ≤ limit`` from a strip's generator, on the lattice.

    ``origin``: lattice (row, col) of the strip's first point. ``z`` has no point on the
    level (:func:`_off_the_levels`), so the polygons are valid.
    """
    (points,), (rings,), (outers,) = generator.filled(-1.0, float(limit))
    if points is None:
        return np.empty(0, dtype=object)
    t, k = grid.transform, grid.k
    c = (points[:, 0] + origin[1]) / k + 0.5
    r = (points[:, 1] + origin[0]) / k + 0.5
    points = np.column_stack([t.a * c + t.b * r + t.c, t.d * c + t.e * r + t.f])
    return shapely.from_ragged_array(
        shapely.GeometryType.POLYGON, points, (rings.astype(np.int64), outers.astype(np.int64))
    )


def _joined(parts: np.ndarray) -> shapely.Geometry:
    """Join the strips' polygons of one limit along their shared rows into a MultiPolygon.

    They meet edge to edge with the same vertices, so a coverage union joins them (made
    valid where pieces touch at a single point of a shared row); should it not keep their
    area, a full overlay union does.
    """
    joined = shapely.coverage_union_all(parts)
    area = float(shapely.area(parts).sum())
    if abs(joined.area - area) > 1e-9 * max(area, 1e-300):
        log.debug("contour strips did not meet edge to edge: joined by an overlay union")
        joined = shapely.union_all(parts)
    elif not shapely.is_valid(joined):
        joined = shapely.make_valid(joined, method="structure", keep_collapsed=False)
    polygons = shapely.get_parts(joined)
    return shapely.multipolygons(polygons[shapely.get_type_id(polygons) == 3])


def generalised(polygons: Sequence[shapely.Geometry], tolerance: float) -> list[shapely.Geometry]:
    """Simplify nested contours by at most ``tolerance``, keeping them valid and nested.

    Douglas–Peucker (GEOS), each outline moved by at most ``tolerance`` (CRS units): a
    contour on a lattice has a vertex on every lattice edge it crosses, and most of them lie
    on a line with their neighbours. Every ring is simplified on its own as a line, so GEOS
    repairs nothing behind our back (a polygon repaired after its outline came to cross
    itself can lose a whole lobe); a ring that would collapse stays exact, and so does a
    part whose simplified rings cross. A polygon whose simplified parts then overlap is
    simplified again whole with topology kept (several times slower). Should any simplified
    polygon no longer lie inside the next larger one, the exact contours are returned.

    Parameters
    ----------
    polygons
        Contours of one field, ascending limits (each inside the next): polygons or
        multipolygons, possibly empty.
    tolerance
        Largest move of an outline (CRS units); 0 returns the polygons unchanged.

    Returns
    -------
    list of shapely geometries
        The simplified polygons, in the same order and of the same types.
    """
    exact = np.asarray(polygons, dtype=object)
    parts, owner = shapely.get_parts(exact, return_index=True)
    if tolerance <= 0 or len(parts) == 0:
        return list(polygons)
    simple = exact.copy()
    whole = np.unique(owner)  # geometries with any part (empty ones stay as they are)
    joined = shapely.multipolygons(
        _simplified_parts(parts, tolerance), indices=np.searchsorted(whole, owner)
    )
    multi = shapely.get_type_id(exact[whole]) == shapely.GeometryType.MULTIPOLYGON
    simple[whole] = np.where(multi, joined, shapely.get_geometry(joined, 0))
    overlapping = ~shapely.is_valid(simple)
    if overlapping.any():
        simple[overlapping] = shapely.simplify(
            exact[overlapping], tolerance, preserve_topology=True
        )
    shapely.prepare(simple)
    if all(
        small.is_empty or shapely.covers(big, small) for small, big in itertools.pairwise(simple)
    ):
        return list(simple)
    log.debug("simplified service circles no longer nest: kept exact")
    return list(polygons)


def _simplified_parts(parts: np.ndarray, tolerance: float) -> np.ndarray:
    """Polygons with every ring simplified as a line; exact where that breaks a polygon."""
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    # as open lines with fixed ends (a ring's own simplification may move its start point,
    # by up to 1.4 tolerances at the vertices), and lines are not repaired
    exact = shapely.linestrings(coords, indices=ring_of)
    lines = shapely.simplify(exact, tolerance, preserve_topology=False)
    collapsed = shapely.get_num_coordinates(lines) < 4  # a closed ring needs 4: kept exact
    lines[collapsed] = exact[collapsed]
    size = shapely.get_num_coordinates(lines)
    part_rings = np.bincount(ring_part, minlength=len(parts))
    made = shapely.from_ragged_array(
        shapely.GeometryType.POLYGON,
        shapely.get_coordinates(lines),
        (np.concatenate([[0], np.cumsum(size)]), np.concatenate([[0], np.cumsum(part_rings)])),
    )
    broken = ~shapely.is_valid(made)  # simplified rings that cross themselves or each other
    made[broken] = parts[broken]
    return made


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
    cache = tile_cache(graph, grid, metric)
    node_s = nearest.node_min * 60.0
    hit = np.flatnonzero(node_s <= limit_min * 60.0)
    return _field(cache, hit, node_s[hit], facilities)


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
