"""Service circles checked against an independent networkx computation of the field.

A service circle is the contour ``minutes ≤ T`` of the travel-time field on a lattice, the
field being the coverage tables' model: a place walks to every road within the walking reach
(none: it reaches nothing), travels the network and walks to the facility. The reference
(:func:`tests.reference.reference_graph`) cuts every link of every place into its segment and
runs networkx's Dijkstra; nothing of the engine's arithmetic is shared. The lattice the
polygons were drawn on is read back from the polygons' vertices (every contour vertex lies on
a line between lattice points), so its points can be timed by the reference too.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pytest
import shapely

from geohealth import traveltime
from geohealth.errors import ConfigError
from geohealth.isochrones import isochrones
from geohealth.network import graph, osm, profiles, snap

from .conftest import real_extract, write_osm
from .reference import reference_graph

PROFILES = profiles.load()
LIMITS = [5.0, 10.0, 15.0]
CELL_M = {"drive": 100.0, "walk": 50.0}
#: Random places per polygon's bounding box (fewer for walking: many more links per place).
SAMPLES = {"drive": 120, "walk": 80}
#: Minutes: lattice values are float32 minutes.
EPS = 1e-4


@dataclass
class Case:
    mode: str
    g: graph.RoadGraph
    fac: snap.Attachment
    iso: object
    x0: float  # the lattice's column lines are x0 + i·cell (metres, in fac.crs)
    y0: float  # and its row lines y0 + j·cell
    on_lattice: float  # share of polygon vertices on a lattice line


@pytest.fixture(scope="module")
def segments():
    return osm.read(real_extract("andorra.osm.pbf"))


@pytest.fixture(scope="module")
def walk_graph(segments):
    return graph.build(segments, PROFILES["walk"])


def _road_points(g, rng, n):
    """``n`` random places on roads of the main network, in the middle of the extract."""
    lon_lo, lon_hi = np.percentile(g.lon, [25, 75])
    lat_lo, lat_hi = np.percentile(g.lat, [25, 75])
    mid_lon, mid_lat = (g.lon[g.u] + g.lon[g.v]) / 2, (g.lat[g.u] + g.lat[g.v]) / 2
    ok = (
        g.main_component[g.u]
        & g.main_component[g.v]
        & (mid_lon > lon_lo)
        & (mid_lon < lon_hi)
        & (mid_lat > lat_lo)
        & (mid_lat < lat_hi)
    )
    edge = rng.choice(np.flatnonzero(ok), n, replace=False)
    f = rng.uniform(0.2, 0.8, n)
    lon = g.lon[g.u[edge]] * (1 - f) + g.lon[g.v[edge]] * f
    lat = g.lat[g.u[edge]] * (1 - f) + g.lat[g.v[edge]] * f
    return lon, lat


def _phase(values, cell):
    """The most common offset of ``values`` modulo ``cell`` (the lattice lines' offset)."""
    offset = np.mod(np.round(np.mod(values, cell), 3), cell)
    found, count = np.unique(offset, return_counts=True)
    return float(found[np.argmax(count)])


def _on_line(values, phase, cell):
    r = np.mod(values - phase, cell)
    return np.minimum(r, cell - r) < 1e-3


@pytest.fixture(scope="module", params=["drive", "walk"])
def case(request, segments, walk_graph):
    mode = request.param
    g = walk_graph if mode == "walk" else graph.build(segments, PROFILES[mode])
    lon, lat = _road_points(g, np.random.default_rng(11), 3)
    fac = snap.attach(g, lon, lat)
    assert not fac.island.any()
    iso = isochrones(g, fac, LIMITS, cell_m=CELL_M[mode], progress=False)
    cell = CELL_M[mode]
    xy = shapely.get_coordinates(iso.geometry.to_numpy())
    x0, y0 = _phase(xy[:, 0], cell), _phase(xy[:, 1], cell)
    on = _on_line(xy[:, 0], x0, cell) | _on_line(xy[:, 1], y0, cell)
    return Case(mode, g, fac, iso, x0, y0, float(on.mean()))


def _polygon(iso, facility, limit):
    row = iso[(iso.facility == facility) & (iso.threshold_min == limit)]
    assert len(row) == 1
    return row.geometry.iloc[0]


def _tolerance(g, cell):
    """Minutes a place's time may differ from the lattice points deciding its side.

    A place lies within one lattice diagonal (cell·√2) of them. Moving a place d metres
    changes its off-road walk to a linked road by at most d, and shifts its closest position
    on that road by at most d, travelled at that road's speed (at worst the profile's slowest
    class): at most d / offroad + d / slowest. That bound fails only where the set of roads
    within the walking reach changes between the two places (a road enters or leaves the
    reach): the field jumps there, which must stay rare.
    """
    diagonal = cell * math.sqrt(2)
    offroad = g.profile.offroad_kmh / 3.6
    slowest = min(g.profile.speeds_kmh.values()) / 3.6
    return diagonal * (1 / offroad + 1 / slowest) / 60


@dataclass
class Checked:
    case: Case
    samples: np.ndarray  # (n, 2) metres
    owner: np.ndarray  # the polygon (row of iso) whose box each sample was drawn in
    sample_min: np.ndarray  # (facilities, n) reference minutes
    cornered: np.ndarray  # samples whose lattice square's corners were timed too
    corners: np.ndarray  # (m, 4, 2) metres: their corners
    corner_min: np.ndarray  # (facilities, m, 4) reference minutes at those corners
    tol: float


@pytest.fixture(scope="module")
def checked(case):
    """Random places in every polygon's box, and lattice squares' corners, timed by networkx.

    Corners are timed for the places near their polygon's boundary (the squares the contour
    crosses) and for every fourth place elsewhere.
    """
    g, fac, iso = case.g, case.fac, case.iso
    cell = CELL_M[case.mode]
    tol = _tolerance(g, cell)
    rng = np.random.default_rng(5)
    samples, owner, near = [], [], []
    for k, geometry in enumerate(iso.geometry):
        west, south, east, north = geometry.bounds
        n = SAMPLES[case.mode]
        xy = np.column_stack([rng.uniform(west, east, n), rng.uniform(south, north, n)])
        samples.append(xy)
        owner.append(np.full(n, k))
        near.append(shapely.distance(geometry.boundary, shapely.points(xy)) < cell * 1.5)
    xy, owner = np.concatenate(samples), np.concatenate(owner)
    cornered = np.flatnonzero(np.concatenate(near) | (np.arange(len(xy)) % 4 == 0))
    i = np.floor((xy[cornered, 0] - case.x0) / cell)
    j = np.floor((xy[cornered, 1] - case.y0) / cell)
    corners = np.stack(
        [
            np.column_stack([case.x0 + (i + di) * cell, case.y0 + (j + dj) * cell])
            for di, dj in itertools.product((0, 1), (0, 1))
        ],
        axis=1,
    )
    unique, back = np.unique(corners.reshape(-1, 2), axis=0, return_inverse=True)
    places = np.concatenate([xy, unique])
    # attached as homes and lattice points are: a place with no road within reach is unlinked
    att = snap.attach_xy(
        g, places[:, 0], places[:, 1], fac.crs, check_islands=False, nearest_beyond=False
    )
    reverse = reference_graph(g, {"facility": fac, "home": att}).reverse(copy=False)
    minutes = np.full((len(fac), len(places)), np.inf)
    for k in range(len(fac)):
        seconds = nx.single_source_dijkstra_path_length(
            reverse, ("door", k), cutoff=(LIMITS[-1] + tol) * 60, weight="w"
        )
        minutes[k] = [seconds.get(("home", p), np.inf) / 60 for p in range(len(places))]
    corner_min = minutes[:, len(xy) :][:, back.reshape(-1, 4)]
    return Checked(case, xy, owner, minutes[:, : len(xy)], cornered, corners, corner_min, tol)


def test_polygons_are_valid_nested_and_not_empty(case):
    """One valid, non-empty polygon per facility and limit; limits nest; area_km2 is right."""
    iso, fac = case.iso, case.fac
    assert len(iso) == len(fac) * len(LIMITS)
    assert iso.crs == fac.crs
    assert shapely.is_valid(iso.geometry.to_numpy()).all()
    assert not iso.geometry.is_empty.any()
    np.testing.assert_allclose(iso.area_km2, iso.geometry.area / 1e6, rtol=1e-9)
    for j in range(len(fac)):
        areas = [_polygon(iso, j, t).area for t in LIMITS]
        assert areas[0] > 0.01e6  # at least a hundredth of a km² within 5 minutes
        assert areas == sorted(areas)
        for small, big in itertools.pairwise(LIMITS):
            outside = _polygon(iso, j, small).difference(_polygon(iso, j, big)).area
            assert outside < 1.0, f"{outside:.1f} m² of the {small} min polygon outside {big}"


def test_polygons_are_contours_on_a_lattice(case):
    """Every vertex lies on a line between lattice points ``cell_m`` apart (interpolated)."""
    assert case.on_lattice > 0.999


def test_lattice_points_on_the_right_side(checked):
    """A lattice point timed ≤ T by networkx is in the T polygon (or on it); > T is not inside."""
    case = checked.case
    corners = checked.corners.reshape(-1, 2)
    times = checked.corner_min.reshape(len(case.fac), -1)
    tol = 1e-6  # metres: the polygons are the exact contours
    counts = {"in": 0, "out": 0}
    for j, limit in itertools.product(range(len(case.fac)), LIMITS):
        polygon = _polygon(case.iso, j, limit)
        shapely.prepare(polygon)
        within = times[j] <= limit - EPS
        beyond = times[j] > limit + EPS
        covered = shapely.dwithin(polygon, shapely.points(corners[within]), tol)
        core = shapely.buffer(polygon, -tol)
        inside = shapely.contains_xy(core, corners[beyond, 0], corners[beyond, 1])
        assert covered.all(), (
            f"facility {j}, {limit} min: {(~covered).sum()} lattice points timed within "
            f"are outside, e.g. {corners[within][~covered][:3].tolist()}"
        )
        assert not inside.any(), (
            f"facility {j}, {limit} min: {inside.sum()} lattice points timed beyond are "
            f"inside, e.g. {corners[beyond][inside][:3].tolist()}"
        )
        counts["in"] += int(within.sum())
        counts["out"] += int(beyond.sum())
    assert min(counts.values()) > 500, counts


def test_places_between_lattice_points_follow_their_corners(checked):
    """Inside the T polygon a corner of the place's lattice square is ≤ T; outside, one is > T."""
    case = checked.case
    xy = checked.samples[checked.cornered]
    for j, limit in itertools.product(range(len(case.fac)), LIMITS):
        polygon = _polygon(case.iso, j, limit)
        shapely.prepare(polygon)
        inside = shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])
        outside = ~shapely.intersects_xy(polygon, xy[:, 0], xy[:, 1])
        lowest = checked.corner_min[j].min(axis=1)
        highest = checked.corner_min[j].max(axis=1)
        wrong_in = inside & (lowest > limit + EPS)
        wrong_out = outside & (highest <= limit - EPS)
        assert not wrong_in.any(), f"facility {j}, {limit} min: {xy[wrong_in][:3].tolist()}"
        assert not wrong_out.any(), f"facility {j}, {limit} min: {xy[wrong_out][:3].tolist()}"


def test_places_inside_are_within_the_limit(checked):
    """Inside the T polygon a place takes ≤ T + tol by networkx, outside > T − tol; few misses."""
    case, xy, tol = checked.case, checked.samples, checked.tol
    inside_n = outside_n = misses = 0
    for j, limit in itertools.product(range(len(case.fac)), LIMITS):
        mine = case.iso.facility.to_numpy()[checked.owner] == j
        polygon = _polygon(case.iso, j, limit)
        inside = shapely.contains_xy(polygon, xy[mine, 0], xy[mine, 1])
        outside = ~shapely.intersects_xy(polygon, xy[mine, 0], xy[mine, 1])
        minutes = checked.sample_min[j, mine]
        misses += int((inside & (minutes > limit + tol)).sum())
        misses += int((outside & (minutes <= limit - tol)).sum())
        inside_n += int(inside.sum())
        outside_n += int(outside.sum())
    total = inside_n + outside_n
    assert inside_n > 0.2 * total, (inside_n, outside_n)
    assert outside_n > 0.2 * total, (inside_n, outside_n)
    assert misses <= 0.01 * total, f"{misses} of {total} places off by more than {tol:.2f} min"


def test_walking_circles_are_not_discs(walk_graph):
    """Off the roads a place walks to its own roads, never straight to the facility.

    Far from any road (the nearest, ``D`` ∈ (1.1, 1.24) km away, has no other within reach),
    a facility ``F`` stands 250 m from that road on the line to it: its roads lie within
    reach, and every trip ends with its 250 m (3.75 min) walk. So ``F``'s own spot takes
    7.5 min; a place ``q`` 150 m beyond ``F`` (2.25 min straight) lies 400 m from any road:
    beyond the reach, or ≥ 9.75 min; and ``p``, ``D − 250`` < 1 km from ``F`` (< 15 min
    straight), lies > 1.1 km from any road. A 5-minute place lies within 1.25 min (83 m) of
    a road; the polygon, within a lattice diagonal (71 m) of such lattice points: ≥ 96 m
    from ``F``, and a fraction of the 5-minute walking disc around it.
    """
    g = walk_graph
    speed = g.profile.offroad_kmh / 3.6  # m/s
    rng = np.random.default_rng(0)
    lon_lo, lon_hi = np.percentile(g.lon, [5, 95])
    lat_lo, lat_hi = np.percentile(g.lat, [5, 95])
    probe = snap.attach(
        g, rng.uniform(lon_lo, lon_hi, 2000), rng.uniform(lat_lo, lat_hi, 2000), check_islands=False
    )
    remote = np.flatnonzero((probe.offroad_m > 1100) & (probe.offroad_m < 1240))
    assert len(remote) >= 2
    p_at = remote[0]
    px, py = probe.x[p_at], probe.y[p_at]
    links = probe.links.take(slice(probe.offsets[p_at], probe.offsets[p_at + 1]))
    assert len(links) == 1  # no road within reach: its nearest alone
    seg = snap.segment_table(g, probe.crs)
    s = links.segment[0]
    road = seg.start[s] + links.fraction[0] * (seg.end[s] - seg.start[s])
    away = (np.array([px, py]) - road) / probe.offroad_m[p_at]
    f_xy = road + 250.0 * away
    q_xy = road + 400.0 * away
    fac = snap.attach_xy(g, f_xy[:1], f_xy[1:], probe.crs)
    assert fac.offroad_m[0] == pytest.approx(250.0, abs=0.01)
    iso = isochrones(g, fac, LIMITS, cell_m=CELL_M["walk"], progress=False)
    five, fifteen = _polygon(iso, 0, 5.0), _polygon(iso, 0, 15.0)
    assert not five.is_empty  # it reaches its roads
    assert math.dist(f_xy, (px, py)) / speed < 15 * 60
    assert not shapely.intersects_xy(fifteen, px, py)
    assert shapely.distance(shapely.Point(q_xy), five) > 0
    assert shapely.distance(shapely.Point(f_xy), five) > 90.0
    disc = math.pi * (5 * 60 * speed) ** 2
    assert five.area < 0.25 * disc
    # a facility with no road within 1.1 km reaches nothing within 15 minutes: no polygons
    lonely = snap.attach_xy(g, probe.x[remote[1:2]], probe.y[remote[1:2]], probe.crs)
    assert lonely.offroad_s[0] > 15 * 60
    empty = isochrones(g, lonely, LIMITS, cell_m=CELL_M["walk"], progress=False)
    assert len(empty) == len(LIMITS)
    assert empty.geometry.is_empty.all()
    assert (empty.area_km2 == 0).all()


def test_tiny_limits_give_tiny_or_empty_polygons(case):
    """A limit no lattice point meets gives an empty polygon without error."""
    tiny = isochrones(case.g, case.fac, [0.001, 0.002], cell_m=CELL_M[case.mode], progress=False)
    assert len(tiny) == 2 * len(case.fac)
    assert shapely.is_valid(tiny.geometry.to_numpy()).all()
    assert (tiny.area_km2 < 1e-3).all()


@pytest.mark.parametrize("limits", [[0, 5], [-1.0], [5, -5], []])
def test_limits_must_be_positive(walk_graph, limits):
    """Thresholds must be positive minutes."""
    g = walk_graph
    fac = snap.attach(g, g.lon[g.u[:1]], g.lat[g.u[:1]])
    with pytest.raises(ConfigError, match="thresholds must be > 0"):
        isochrones(g, fac, limits, progress=False)


@pytest.mark.parametrize("towards", [True, False])
def test_one_way_street_direction(tmp_path, towards):
    """On a one-way street, the field runs with the traffic: to the facility, or from it.

    A 1.5 km one-way street 1 → 2 (20 km/h: 270 s), the way back round a 3.8 km block; the
    facility stands at node 1. A place 50 m south of the street's middle (45 s walk):

    * from the facility (``towards=False``): along the street to the middle, 135 + 45 s;
    * to the facility (``towards=True``): along the street to 2 and round the block, 14 min.

    The engine's own facility-to-place times say the same.
    """
    nodes = {1: (127.0, 46.0), 2: (127.02, 46.0), 3: (127.02, 46.01), 4: (127.0, 46.01)}
    ways = [
        (1, [1, 2], {"highway": "residential", "oneway": "yes"}),
        (2, [2, 3, 4, 1], {"highway": "residential"}),
    ]
    g = graph.build(
        osm.read(write_osm(tmp_path / "o.osm.pbf", nodes, ways), use_cache=False),
        PROFILES["drive"],
    )
    fac = snap.attach(g, [127.0], [46.0])
    place_lon, place_lat = 127.01, 46.0 - 50 / 111_200
    place = snap.attach(g, [place_lon], [place_lat], crs=fac.crs)
    here = shapely.Point(place.x[0], place.y[0])
    to_facility = traveltime.facility_matrix(g, place, fac)[0, 0]
    from_facility = traveltime.facility_matrix(g, fac, place)[0, 0]
    assert from_facility == pytest.approx(3.0, abs=0.1)
    assert to_facility > 14
    iso = isochrones(g, fac, [4.0], cell_m=25.0, towards=towards, progress=False)
    polygon = iso.geometry.iloc[0]
    if towards:
        assert not polygon.intersects(here.buffer(30))
    else:
        assert polygon.contains(here.buffer(30)), (
            f"{from_facility:.2f} min from the facility, yet outside its 4-minute polygon"
        )


@pytest.mark.parametrize(
    "cells",
    [
        {(2, 2): 10.0, (3, 3): 10.0, (2, 3): 15.0},  # two squares meeting at a corner at T
        {(2, 2): 15.0, (1, 1): 15.0, (2, 3): 10.0},  # a point at T beside a smaller time
    ],
)
def test_contours_at_points_exactly_on_the_limit_are_polygons(cells):
    """Points whose time equals a limit make outlines meet at a point: still (multi)polygons."""
    from affine import Affine
    from pyproj import CRS

    from geohealth.field import Lattice
    from geohealth.isochrones import contours
    from geohealth.webmap.coverage_map import screen_geometry

    utm = CRS.from_epsg(32651)
    grid = Lattice(Affine(100.0, 0, 500_000.0, 0, -100.0, 5_000_000.0), 1, (5, 5), utm)
    minutes = np.full((5, 5), np.inf, dtype=np.float32)
    for (r, c), t in cells.items():
        minutes[r, c] = t
    drawn = contours(minutes, (0, 0), grid, [10.0, 15.0])
    for geometry in drawn:
        assert geometry.geom_type == "MultiPolygon"
        assert geometry.is_valid
        assert screen_geometry(geometry, utm).geom_type == "MultiPolygon"
    assert not drawn[1].is_empty
    assert drawn[0].difference(drawn[1].buffer(1e-6)).is_empty  # nested


@pytest.mark.parametrize("seed", range(6))
def test_contours_of_fields_full_of_ties_are_valid_and_exact(seed):
    """Whole minutes, many of them exactly on a limit, saddles everywhere: valid polygons.

    contourpy's polygons are taken as they come (no repair), so every lattice point must
    still be on the right side of every outline, and every outline a valid polygon.
    """
    from affine import Affine
    from pyproj import CRS

    from geohealth.field import Lattice
    from geohealth.isochrones import contours

    rng = np.random.default_rng(seed)
    utm = CRS.from_epsg(32651)
    shape = (40, 50)
    grid = Lattice(Affine(100.0, 0, 500_000.0, 0, -100.0, 5_000_000.0), 2, shape, utm)
    minutes = rng.choice([4.0, 5.0, 6.0, 9.0, 10.0, 11.0, 15.0, 16.0], size=shape)
    minutes[rng.random(shape) < 0.2] = np.inf
    minutes = minutes.astype(np.float32)
    origin = (3, 7)
    drawn = contours(minutes, origin, grid, [5.0, 10.0, 15.0])
    rows, cols = np.indices(shape)
    x, y = grid.xy(rows.ravel() + origin[0], cols.ravel() + origin[1])
    points = shapely.points(x, y)
    for limit, geometry in zip([5.0, 10.0, 15.0], drawn, strict=True):
        assert geometry.geom_type == "MultiPolygon"
        assert geometry.is_valid, shapely.is_valid_reason(geometry)
        inside = shapely.contains(geometry, points)
        np.testing.assert_array_equal(inside, minutes.ravel() <= limit)
    for small, big in itertools.pairwise(drawn):
        assert small.difference(big.buffer(1e-6)).is_empty  # nested
