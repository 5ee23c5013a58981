"""The travel-time field: its lattice, its tiles, and the merged circles against the tables.

The lattice holds every population cell's centre, so the field at a centre is that cell's
time in the coverage tables, and the merged service circle of a care group (a contour of
the field) holds exactly the people the tables count as covered.
"""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from pyproj import CRS, Transformer

from geohealth import along, field, reach, tiles, traveltime
from geohealth.field import TILE
from geohealth.inputs.population import PopulationGrid
from geohealth.isochrones import group_circles, group_field
from geohealth.network import graph, osm, profiles, snap

from .conftest import real_extract

PROFILES = profiles.load()
LIMITS = [5.0, 10.0, 15.0]
WGS84 = CRS.from_epsg(4326)
UTM31 = CRS.from_epsg(32631)  # Andorra's UTM zone


def _centres(transform, rows, cols):
    """Cell centres by the affine transform itself."""
    return transform @ (np.asarray(cols) + 0.5, np.asarray(rows) + 0.5)


@pytest.mark.parametrize(
    ("transform", "crs", "cell_m", "k"),
    [
        # 0.001° at 42.6°N: 81.9 m wide, 110.6 m tall → the taller side decides
        (Affine(0.001, 0, 1.45, 0, -0.001, 42.62), WGS84, 50.0, 3),
        (Affine(0.001, 0, 1.45, 0, -0.001, 42.62), WGS84, 120.0, 1),
        (Affine(0.001, 0, 1.45, 0, -0.001, 42.62), WGS84, math.inf, 1),
        (Affine(100, 0, 380_000, 0, -100, 4_720_000), UTM31, 50.0, 2),
        (Affine(100, 0, 380_000, 0, -100, 4_720_000), UTM31, 100.0, 1),
        (Affine(100, 0, 380_000, 0, -100, 4_720_000), UTM31, 30.0, 4),
        (Affine(100, 0, 380_000, 0, -100, 4_720_000), UTM31, 33.4, 3),
        (Affine(60, 0, 380_000, 0, -100, 4_720_000), UTM31, 50.0, 2),  # not square
    ],
)
def test_lattice_holds_the_cell_centres(transform, crs, cell_m, k):
    """k = ceil(cell size / cell_m); lattice point (r·k, c·k) is cell (r, c)'s centre, exactly."""
    shape = (37, 45)
    lattice = field.lattice(transform, shape, crs, cell_m)
    assert lattice.k == k
    assert lattice.shape == (shape[0] * k, shape[1] * k)
    rows, cols = np.indices(shape).reshape(2, -1)
    x, y = lattice.xy(rows * k, cols * k)
    cx, cy = _centres(transform, rows, cols)
    np.testing.assert_array_equal(x, cx)
    np.testing.assert_array_equal(y, cy)
    # the points between are evenly spaced, cell / k apart
    sub = np.arange(k)
    x, y = lattice.xy(np.full(k, 5 * k) + sub, np.full(k, 7 * k) + sub)
    ex, ey = transform @ (7.5 + sub / k, 5.5 + sub / k)
    np.testing.assert_allclose(x, ex, rtol=0, atol=1e-9 * abs(transform.c) + 1e-12)
    np.testing.assert_allclose(y, ey, rtol=0, atol=1e-9 * abs(transform.f) + 1e-12)


def test_lattice_spacing_is_at_most_cell_m():
    """Geographic cells are refined until the points are ≤ cell_m apart in metres, no finer."""
    transform = Affine(0.00083333, 0, 1.4, 0, -0.00083333, 42.7)  # WorldPop's 3 arc-seconds
    to_m = Transformer.from_crs(WGS84, UTM31, always_xy=True)
    x, y = to_m.transform(*(transform @ (np.array([0, 1, 0]), np.array([0, 0, 1]))))
    width, height = math.dist((x[0], y[0]), (x[1], y[1])), math.dist((x[0], y[0]), (x[2], y[2]))
    for cell_m, k in ((20.0, 5), (50.0, 2), (75.0, 2), (100.0, 1)):
        lattice = field.lattice(transform, (100, 100), WGS84, cell_m)
        assert lattice.k == k
        assert max(width, height) / k <= cell_m
        assert k == 1 or max(width, height) / (k - 1) > cell_m


@pytest.fixture(scope="module")
def segments():
    return osm.read(real_extract("andorra.osm.pbf"))


@pytest.fixture(scope="module")
def graphs(segments):
    return {mode: graph.build(segments, PROFILES[mode]) for mode in ("drive", "walk")}


def _town(g):
    """The densest part of the extract: the median of the road nodes (lon, lat)."""
    return float(np.median(g.lon)), float(np.median(g.lat))


def _facilities(g, n=3, seed=3):
    """``n`` places on roads of the main network within ~1.5 km of the town centre."""
    rng = np.random.default_rng(seed)
    lon0, lat0 = _town(g)
    mid_lon, mid_lat = (g.lon[g.u] + g.lon[g.v]) / 2, (g.lat[g.u] + g.lat[g.v]) / 2
    ok = (
        g.main_component[g.u]
        & g.main_component[g.v]
        & (np.abs(mid_lon - lon0) < 0.018)
        & (np.abs(mid_lat - lat0) < 0.013)
    )
    edge = rng.choice(np.flatnonzero(ok), n, replace=False)
    f = rng.uniform(0.2, 0.8, n)
    lon = g.lon[g.u[edge]] * (1 - f) + g.lon[g.v[edge]] * f
    lat = g.lat[g.u[edge]] * (1 - f) + g.lat[g.v[edge]] * f
    return snap.attach(g, lon, lat)


def _grid(g, crs, seed=0):
    """Random people on ~100 m cells over ~5 × 5 km around the town; some empty, some nodata."""
    lon0, lat0 = _town(g)
    if crs.is_geographic:
        transform, shape = Affine(0.0012, 0, lon0 - 0.03, 0, -0.0009, lat0 + 0.0225), (50, 50)
    else:
        x0, y0 = Transformer.from_crs(WGS84, crs, always_xy=True).transform(lon0, lat0)
        transform, shape = Affine(100.0, 0, x0 - 2_450, 0, -100.0, y0 + 2_550), (51, 49)
    rng = np.random.default_rng(seed)
    values = rng.integers(1, 60, shape).astype(float)
    values[rng.random(shape) < 0.3] = 0.0
    values[rng.random(shape) < 0.05] = np.nan
    return PopulationGrid(values=values, transform=transform, crs=crs, source="test")


def test_tile_times_are_the_point_times(graphs):
    """A tile's times, with the trips along a facility's segments, are its points' as homes.

    The tile keeps only the ways onto the network no other way beats (so far fewer than
    the homes' ways), and the straight trips along a shared segment come from
    :meth:`TileCache.direct`: together they give the homes' times exactly (float32).
    """
    g = graphs["drive"]
    fac = _facilities(g)
    nearest = traveltime.nearest_facility(g, fac)
    grid = _grid(g, WGS84)
    lattice = field.lattice(grid.transform, grid.shape, grid.crs, 50.0)
    assert lattice.k == 2
    cache = tiles.tile_cache(g, lattice, fac.crs)
    assert tiles.tile_cache(g, lattice, fac.crs) is cache
    # the tile holding the first facility, and the last (cut short) tile
    lon, lat = Transformer.from_crs(fac.crs, WGS84, always_xy=True).transform(fac.x[0], fac.y[0])
    col, row = ~grid.transform @ (lon, lat)
    ti, tj = int((row - 0.5) * lattice.k) // TILE, int((col - 0.5) * lattice.k) // TILE
    last = (lattice.tiles[0] - 1, lattice.tiles[1] - 1)
    assert lattice.shape[0] % TILE  # the last tiles are cut short
    assert lattice.shape[1] % TILE
    d_row, d_col, _, d_s = cache.direct(fac)
    buffer = cache.node_buffer()
    buffer[:] = (nearest.node_min * 60.0).astype(np.float32)
    shared = reached = dropped = 0
    try:
        for i, j in [(ti, tj), last]:
            tile = cache.tile(i, j)
            assert cache.tile(i, j) is tile
            assert (tile.row0, tile.col0) == (i * TILE, j * TILE)
            assert tile.rows == min(TILE, lattice.shape[0] - tile.row0)
            assert tile.cols == min(TILE, lattice.shape[1] - tile.col0)
            r, c = np.divmod(np.arange(tile.rows * tile.cols), tile.cols)
            x, y = lattice.xy(r + tile.row0, c + tile.col0)
            mx, my = Transformer.from_crs(grid.crs, fac.crs, always_xy=True).transform(x, y)
            homes = snap.attach_xy(g, mx, my, fac.crs, check_islands=False, nearest_beyond=False)
            dropped += len(homes.leaving(best=True)[0]) - len(tile.edge_s)
            seconds = tile.times(buffer).astype(float)
            inside = (d_row // TILE == i) & (d_col // TILE == j)
            np.minimum.at(
                seconds, (d_row[inside] - tile.row0, d_col[inside] - tile.col0), d_s[inside]
            )
            minutes, _ = traveltime.point_times(nearest, homes, fac)
            assert seconds.shape == (tile.rows, tile.cols)
            expected = (minutes * 60.0).reshape(tile.rows, tile.cols)
            np.testing.assert_array_equal(np.isfinite(seconds), np.isfinite(expected))
            finite = np.isfinite(expected)
            reached += int(finite.sum())
            np.testing.assert_allclose(seconds[finite], expected[finite], rtol=1e-6, atol=1e-2)
            shared += int(inside.sum())
    finally:
        buffer[:] = np.inf
    assert reached > 300
    assert dropped > 1000  # the ways other ways beat are not kept
    assert shared > 0  # some points go straight along a facility's segment


def test_tiles_filled_together_are_the_tiles_one_by_one(graphs):
    """:meth:`TileCache.fill` joins many tiles' ways in one pass: the same times, placed."""
    g = graphs["drive"]
    fac = _facilities(g)
    nearest = traveltime.nearest_facility(g, fac)
    grid = _grid(g, WGS84)
    lattice = field.lattice(grid.transform, grid.shape, grid.crs, 50.0)
    cache = tiles.tile_cache(g, lattice, fac.crs)
    n_ti, n_tj = lattice.tiles
    chosen = np.array([(i, j) for i in range(n_ti) for j in range(n_tj) if (i + j) % 3 != 1])
    assert (n_ti - 1, n_tj - 1) in set(map(tuple, chosen.tolist()))  # a cut-short tile
    empty = [tuple(t) for t in chosen.tolist() if len(cache.tile(*t).edge_s) == 0]
    assert empty  # tiles with no road within reach are skipped, their points left alone
    buffer = cache.node_buffer()
    buffer[:] = (nearest.node_min * 60.0).astype(np.float32)
    try:
        origin = (TILE, 0)  # a block that starts at the second row of tiles
        chosen = chosen[chosen[:, 0] >= 1]
        block = np.full((lattice.shape[0] - TILE, lattice.shape[1]), -1.0, dtype=np.float32)
        cache.fill(chosen, buffer, block, origin)
        expected = np.full_like(block, -1.0)
        for i, j in chosen.tolist():
            tile = cache.tile(i, j)
            one = tile.times(buffer)
            part = expected[
                tile.row0 - TILE : tile.row0 - TILE + tile.rows, tile.col0 : tile.col0 + tile.cols
            ]
            linked = np.zeros(tile.rows * tile.cols, dtype=bool)
            linked[tile.edge_point] = True
            part[linked.reshape(one.shape)] = one[linked.reshape(one.shape)]
    finally:
        buffer[:] = np.inf
    np.testing.assert_array_equal(block, expected)
    assert np.isfinite(block).sum() > 1000
    assert (block == -1.0).sum() > 1000  # points of other tiles, and points with no way


def test_direct_trips_are_the_homes_trips_along_shared_segments(graphs):
    """``TileCache.direct`` finds every lattice point's straight trip to a facility."""
    g = graphs["walk"]
    fac = _facilities(g)
    grid = _grid(g, UTM31)
    lattice = field.lattice(grid.transform, grid.shape, grid.crs, 100.0)
    cache = tiles.tile_cache(g, lattice, fac.crs)
    row, col, place, seconds = cache.direct(fac)
    n_cols = lattice.shape[1]
    found = np.full((lattice.shape[0] * n_cols, len(fac)), np.inf)
    np.minimum.at(found, (row * n_cols + col, place), seconds)
    r, c = np.divmod(np.arange(lattice.shape[0] * n_cols), n_cols)
    x, y = lattice.xy(r, c)
    homes = snap.attach_xy(g, x, y, fac.crs, check_islands=False, nearest_beyond=False)
    point, want_place, want_s = snap.same_segment(homes, fac)
    expected = np.full_like(found, np.inf)
    np.minimum.at(expected, (point, want_place), want_s)
    assert np.isfinite(expected).sum() > 20
    np.testing.assert_array_equal(np.isfinite(found), np.isfinite(expected))
    ok = np.isfinite(expected)
    np.testing.assert_allclose(found[ok], expected[ok], rtol=1e-9)


@pytest.mark.parametrize(
    ("mode", "crs", "cell_m", "k"),
    [
        ("drive", WGS84, math.inf, 1),
        ("drive", UTM31, math.inf, 1),
        ("walk", UTM31, 50.0, 2),
        ("walk", WGS84, 40.0, 3),
    ],
)
def test_merged_circles_hold_the_covered_people(graphs, mode, crs, cell_m, k):
    """A cell's centre is in the group's T circle exactly when the tables count it covered."""
    g = graphs[mode]
    fac = _facilities(g)
    nearest = traveltime.nearest_facility(g, fac)
    grid = _grid(g, crs)
    minutes, _ = traveltime.nearest_cells(g, grid, fac, nearest=nearest)
    lattice = field.lattice(grid.transform, grid.shape, grid.crs, cell_m)
    assert lattice.k == k
    circles = group_circles(g, fac, nearest, lattice, LIMITS)
    assert len(circles) == len(LIMITS)
    assert all(shapely.is_valid(c) for c in circles)
    people = np.nan_to_num(grid.values, nan=0.0)
    rows, cols = np.nonzero(people > 0)
    x, y = _centres(grid.transform, rows, cols)
    for limit, circle in zip(LIMITS, circles, strict=True):
        shapely.prepare(circle)
        in_circle = shapely.intersects_xy(circle, x, y)  # a centre on the boundary is in
        covered = minutes[rows, cols] <= limit
        wrong = in_circle != covered
        assert 0 < covered.sum() < len(covered), f"{limit} min: nothing to tell apart"
        assert not wrong.any(), (
            f"{mode} {limit} min: {wrong.sum()} cells ({people[rows, cols][wrong].sum():.0f} "
            f"people) disagree, minutes {minutes[rows, cols][wrong][:5].tolist()}, in circle "
            f"{in_circle[wrong][:5].tolist()}"
        )
        assert people[rows, cols][in_circle].sum() == pytest.approx(
            people[rows, cols][covered].sum()
        )


def test_group_field_is_the_cells_minutes(graphs):
    """The group's field at every cell centre within reach is the cell's minutes (float32)."""
    g = graphs["walk"]
    fac = _facilities(g)
    nearest = traveltime.nearest_facility(g, fac)
    grid = _grid(g, UTM31)
    minutes, _ = traveltime.nearest_cells(g, grid, fac, nearest=nearest)
    lattice = field.lattice(grid.transform, grid.shape, grid.crs, 50.0)
    block, (r0, c0) = group_field(g, fac, nearest, lattice, LIMITS[-1])
    rows, cols = np.nonzero(np.nan_to_num(grid.values, nan=0.0) > 0)
    lr, lc = rows * lattice.k - r0, cols * lattice.k - c0
    inside = (lr >= 0) & (lr < block.shape[0]) & (lc >= 0) & (lc < block.shape[1])
    mine = np.full(len(rows), np.inf)
    mine[inside] = block[lr[inside], lc[inside]]
    theirs = minutes[rows, cols]
    within = theirs <= LIMITS[-1]
    assert within.sum() > 100
    np.testing.assert_allclose(mine[within], theirs[within], rtol=1e-6)
    assert (mine[~within] > LIMITS[-1]).all()


def _walking_run(g):
    """A walking network with facilities, their nearest times on a WGS 84 grid, and inputs."""
    fac = _facilities(g)
    nearest = traveltime.nearest_facility(g, fac)
    grid = _grid(g, WGS84)
    minutes, _ = traveltime.nearest_cells(g, grid, fac, nearest=nearest)
    layers = SimpleNamespace(
        population=grid, settings=SimpleNamespace(analysis=SimpleNamespace(walk_circle_m=50.0))
    )
    points = gpd.GeoDataFrame(geometry=shapely.points(np.zeros(len(fac)), np.zeros(len(fac))))
    net = reach.ModeNetwork(graph=g, facilities=points, attached=fac)
    return net, nearest, grid, minutes, layers


def test_circle_layer_holds_the_covered_people(graphs):
    """reach.circle_layer (EPSG:4326, the run's lattice) agrees with the cells' minutes too."""
    net, nearest, grid, minutes, layers = _walking_run(graphs["walk"])
    frame = reach.circle_layer(
        net, nearest, (15.0, 5.0, 10.0), layers, group="primary", simplify=0.0
    )
    assert frame.crs.to_epsg() == 4326
    assert frame.threshold_min.tolist() == LIMITS
    rows, cols = np.nonzero(np.nan_to_num(grid.values, nan=0.0) > 0)
    x, y = _centres(grid.transform, rows, cols)
    for limit, circle in zip(frame.threshold_min, frame.geometry, strict=True):
        wrong = shapely.intersects_xy(circle, x, y) != (minutes[rows, cols] <= limit)
        assert not wrong.any(), f"{limit} min: {wrong.sum()} cells disagree"


def test_direct_trips_in_chunks_are_the_same(graphs, monkeypatch):
    """Measured a few pairs at a time (a province's facilities), the trips do not change."""
    g = graphs["drive"]
    fac = _facilities(g)
    grid = _grid(g, WGS84)
    lattice = field.lattice(grid.transform, grid.shape, grid.crs, math.inf)
    whole = tiles.TileCache(g, lattice, fac.crs, towards=True).direct(fac)
    monkeypatch.setattr(along, "_PAIRS", 97)
    chunked = tiles.TileCache(g, lattice, fac.crs, towards=True).direct(fac)
    assert len(whole[0]) > 20
    for a, b in zip(whole, chunked, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("mode", "towards"), [("drive", True), ("drive", False), ("walk", True)])
def test_links_beaten_by_nodes_change_no_time(graphs, mode, towards, monkeypatch):
    """Leaving out the facility links no straight trip can use changes no lattice time."""
    from geohealth import isochrones as iso

    g = graphs[mode]
    fac = _facilities(g, n=4)
    lattice = field.lattice(_grid(g, UTM31).transform, (51, 49), UTM31, 50.0)
    cache = tiles.tile_cache(g, lattice, fac.crs, towards=towards)
    searches = list(traveltime.bounded_searches(g, fac, limit_min=10.0, towards=towards))
    kept, fields = 0, {}
    for pruned in (True, False):
        if not pruned:  # every link measured
            monkeypatch.setattr(along, "beaten_by_nodes", lambda places, *_, **__: places)
        for found, k in ((f, k) for f in searches for k in range(len(f.facility))):
            j = int(found.facility[k])
            hit = np.flatnonzero(found.seconds[k] <= 600.0)
            one = fac.take([j])
            fields[pruned, j] = iso._field(cache, found.nodes[hit], found.seconds[k][hit], one)
            if pruned:
                buffer = np.full(g.n_nodes, np.inf)
                buffer[found.nodes[hit]] = found.seconds[k][hit]
                kept += len(along.beaten_by_nodes(one, buffer, towards=towards).links)
    # driving, most are beaten (a real saving); walking, the road is hardly faster than
    # the walk to it, so most stay
    assert kept < len(fac.links) / 2 if mode == "drive" else kept < len(fac.links)
    for j in range(len(fac)):
        (a, at), (b, bt) = fields[True, j], fields[False, j]
        assert at == bt
        np.testing.assert_array_equal(a, b)


def test_written_circles_are_simplified_nested_and_hold_the_people(graphs):
    """The default circles: far fewer vertices, still valid and nested, and the cells on the
    wrong side (times within a hair of the limit) hold fewer people than one cell."""
    net, nearest, grid, minutes, layers = _walking_run(graphs["walk"])
    exact, simple = (
        reach.circle_layer(net, nearest, LIMITS, layers, group="primary", simplify=s)
        for s in (0.0, reach.CIRCLE_SIMPLIFY)
    )
    vertices = [shapely.get_num_coordinates(f.geometry.to_numpy()).sum() for f in (exact, simple)]
    assert vertices[1] < 0.8 * vertices[0]
    assert shapely.is_valid(simple.geometry.to_numpy()).all()
    polygons = simple.geometry.to_list()
    for small, big in itertools.pairwise(polygons):
        assert big.covers(small)
    rows, cols = np.nonzero(np.nan_to_num(grid.values, nan=0.0) > 0)
    x, y = _centres(grid.transform, rows, cols)
    people = grid.values[rows, cols]
    for limit, circle in zip(simple.threshold_min, polygons, strict=True):
        wrong = shapely.intersects_xy(circle, x, y) != (minutes[rows, cols] <= limit)
        assert people[wrong].sum() <= people.max(), f"{limit} min: {wrong.sum()} cells"


def test_simplified_circles_that_would_not_nest_stay_exact():
    """When simplifying would push a smaller polygon out of the larger one, both stay exact."""
    from geohealth.isochrones import generalised

    # the larger polygon bulges down 0.09 at x = 5; the smaller one reaches into the bulge
    big = shapely.Polygon([(0, 0), (4, 0), (5, -0.09), (6, 0), (10, 0), (10, 10), (0, 10)])
    small = shapely.box(4.9, -0.04, 5.1, 5)
    assert big.covers(small)
    assert generalised([small, big], 0.1) == [small, big]
    # nothing to lose by simplifying a nested pair with room to spare
    roomy = generalised([shapely.box(1, 1, 2, 2), big], 0.1)
    assert shapely.get_num_coordinates(roomy[1]) < shapely.get_num_coordinates(big)


def test_simplified_circles_keep_their_holes_and_stay_valid():
    """Where plain Douglas–Peucker would break a polygon, it is simplified keeping topology."""
    from geohealth.isochrones import generalised

    # a low step in the outline, cut off by a diagonal, would leave the hole beside it
    # half outside (GEOS then repairs it into a notch); a hole smaller than the tolerance
    # would vanish
    shell = [(0, 0), (100, 0), (100, 2), (200, 2), (200, 50), (0, 50)]
    stepped = shapely.Polygon(shell, [[(40, 0.1), (60, 0.1), (60, 10), (40, 10)]])
    tiny = shapely.Polygon(shell, [[(30, 30), (30.05, 30), (30.05, 30.05), (30, 30.05)]])
    assert not shapely.simplify(stepped, 1.5, preserve_topology=False).interiors
    assert not shapely.simplify(tiny, 1.5, preserve_topology=False).interiors
    for polygon in (stepped, tiny):
        (simple,) = generalised([polygon], 1.5)
        assert simple.is_valid
        assert len(simple.interiors) == 1
        assert shapely.hausdorff_distance(simple, polygon) <= 1.5
    # a part smaller than the tolerance (a lattice point just inside the limit) stays
    speck = shapely.box(300, 0, 300.05, 0.05)
    (simple,) = generalised([shapely.MultiPolygon([shapely.Polygon(shell), speck])], 1.5)
    assert simple.geom_type == "MultiPolygon"
    assert simple.geoms[1].equals(speck)


def test_simplified_circles_never_lose_a_lobe_and_keep_empty_ones():
    """GEOS repairs a polygon whose simplified outline crosses itself by dropping a lobe;
    ours simplifies rings as lines and keeps such a part exact. A limit nothing reaches
    (an empty contour, always the first) stays empty."""
    from geohealth.isochrones import generalised

    star = shapely.from_wkt(
        "POLYGON ((2.31 -9.15, 0.09 -0.68, -1.92 -7.15, -2 -3.95, -1.81 -1.1, -7.35 -3.2, "
        "-0.61 -0.01, -4.37 4.34, -1.09 3.72, -0.39 2.13, 2.31 -9.15))"
    )
    for tolerance in (0.5, 1.0, 2.0):
        plain = shapely.simplify(star, tolerance, preserve_topology=False)
        assert shapely.hausdorff_distance(star, plain) > 2 * tolerance
        empty, simple, outer = generalised(
            [shapely.MultiPolygon(), shapely.MultiPolygon([star]), star.buffer(1.0)], tolerance
        )
        assert empty.is_empty
        assert empty.geom_type == "MultiPolygon"
        assert simple.geom_type == "MultiPolygon"
        assert simple.is_valid
        assert shapely.hausdorff_distance(simple, star) <= tolerance
        assert outer.geom_type == "Polygon"
        assert outer.covers(simple)


def test_contours_in_strips_are_the_whole_contours(graphs, monkeypatch, caplog):
    """A lattice contoured a few rows at a time and joined is the contour of the whole."""
    import logging

    from geohealth import isochrones as iso

    caplog.set_level(logging.DEBUG, logger="geohealth.isochrones")

    g = graphs["walk"]
    fac = _facilities(g)
    nearest = traveltime.nearest_facility(g, fac)
    lattice = field.lattice(_grid(g, UTM31).transform, (51, 49), UTM31, 50.0)
    block, origin = group_field(g, fac, nearest, lattice, LIMITS[-1])
    whole = iso.contours(block, origin, lattice, LIMITS)
    for rows in (3, 4, 7, 11):  # strips of a few rows: many seams, pieces touching on them
        monkeypatch.setattr(iso, "_STRIP_POINTS", rows * (block.shape[1] + 2))
        joined = iso.contours(block, origin, lattice, LIMITS)
        for a, b in zip(whole, joined, strict=True):
            assert b.geom_type == "MultiPolygon"
            assert b.is_valid
            assert a.area > 1e5
            assert shapely.symmetric_difference(a, b).area < 1e-6 * a.area
            assert len(b.geoms) == len(a.geoms)
    assert "overlay union" not in caplog.text  # joined edge to edge, as they should be
