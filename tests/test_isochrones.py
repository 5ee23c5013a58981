"""Isochrone polygons checked against an independent networkx computation.

The reference graph (networkx, every facility cut into its segment) gives each node's time
to the facility. Independently of the polygon code, every road edge is sampled every few
metres with its travel time; a place is reachable within T if some sample has
time + straight walk ≤ T.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

from geohealth import traveltime
from geohealth.errors import ConfigError
from geohealth.isochrones import isochrones
from geohealth.network import graph, osm, profiles, snap

from .conftest import real_extract, write_osm
from .reference import reference_graph

PROFILES = profiles.load()
LIMITS = [5.0, 10.0, 15.0]
MIN_WIDTH, SIMPLIFY, VERTICES = 5.0, 5.0, 16
STEP_M = 4.0


@pytest.fixture(scope="module", params=[("andorra.osm.pbf", "drive"), ("andorra.osm.pbf", "walk")])
def case(request):
    extract, mode = request.param
    g = graph.build(osm.read(real_extract(extract)), PROFILES[mode])
    rng = np.random.default_rng(11)
    west, east = np.percentile(g.lon, [30, 70])
    south, north = np.percentile(g.lat, [30, 70])
    fac = snap.attach(g, rng.uniform(west, east, 3), rng.uniform(south, north, 3))
    iso = isochrones(
        g,
        fac,
        LIMITS,
        min_width_m=MIN_WIDTH,
        simplify_m=SIMPLIFY,
        vertices=VERTICES,
        progress=False,
    )
    ref = reference_graph(g, {"facility": fac})
    reverse = ref.reverse(copy=False)
    times = [
        nx.single_source_dijkstra_path_length(reverse, ("door", j), weight="w")
        for j in range(len(fac))
    ]
    to_m = Transformer.from_crs(4326, fac.crs, always_xy=True)
    nx_, ny_ = to_m.transform(g.lon, g.lat)
    xy = {n: (nx_[n], ny_[n]) for n in range(g.n_nodes)}
    seg = snap.segment_table(g, fac.crs)
    for i in range(len(fac)):
        s = fac.segment[i]
        at = seg.start[s] + fac.fraction[i] * (seg.end[s] - seg.start[s])
        xy[("cut", ("facility", i))] = tuple(at)
        xy[("door", i)] = (fac.x[i], fac.y[i])
    return g, fac, iso, ref, times, xy


def _polygon(iso, facility, limit):
    row = iso[(iso.facility == facility) & (iso.threshold_min == limit)]
    assert len(row) == 1
    return row.geometry.iloc[0]


def _samples(ref, times, xy):
    """Points every STEP_M along every reference edge with their time to the facility."""
    pts, secs = [], []
    for u, v, data in ref.edges(data=True):
        if v not in times or u not in xy or v not in xy:
            continue
        (x0, y0), (x1, y1) = xy[u], xy[v]
        n = max(1, int(np.ceil(np.hypot(x1 - x0, y1 - y0) / STEP_M)))
        f = np.linspace(0.0, 1.0, n + 1)
        pts.append(np.column_stack([x0 + f * (x1 - x0), y0 + f * (y1 - y0)]))
        secs.append(times[v] + (1.0 - f) * data["w"])  # walk along u → v, then on from v
    return np.concatenate(pts), np.concatenate(secs)


def test_polygons_are_nested_and_valid(case):
    _, fac, iso, *_ = case
    assert len(iso) == len(fac) * len(LIMITS)
    assert shapely.is_valid(iso.geometry.to_numpy()).all()
    for j in range(len(fac)):
        areas = [_polygon(iso, j, t).area for t in LIMITS]
        assert areas == sorted(areas)
        for small, big in itertools.pairwise(LIMITS):
            assert _polygon(iso, j, big).covers(_polygon(iso, j, small))


def test_every_reached_node_is_inside(case):
    g, fac, iso, _, times, xy = case
    nodes = np.arange(g.n_nodes)
    x = np.array([xy[n][0] for n in nodes])
    y = np.array([xy[n][1] for n in nodes])
    for j in range(len(fac)):
        secs = np.array([times[j].get(n, np.inf) for n in nodes])
        for limit in LIMITS:
            reached = secs <= limit * 60
            assert reached.sum() > 0
            inside = shapely.contains_xy(_polygon(iso, j, limit), x[reached], y[reached])
            assert inside.all(), f"{(~inside).sum()} reached nodes outside the {limit} min polygon"


def test_nothing_inside_takes_longer_than_the_limit(case):
    g, fac, iso, ref, times, xy = case
    walk = g.profile.offroad_kmh / 3.6
    grow = 1.0 / np.cos(np.pi / VERTICES)
    nodes = np.arange(g.n_nodes)
    x = np.array([xy[n][0] for n in nodes])
    y = np.array([xy[n][1] for n in nodes])
    for j in range(len(fac)):
        pts, secs = _samples(ref, times[j], xy)
        tree = cKDTree(pts)
        node_secs = np.array([times[j].get(n, np.inf) for n in nodes])
        for limit in LIMITS:
            limit_s = limit * 60
            inside = shapely.contains_xy(_polygon(iso, j, limit), x, y)
            late = np.flatnonzero(inside & (node_secs > limit_s))
            slack = MIN_WIDTH + SIMPLIFY + STEP_M
            reach = grow * ((2 * grow - 1) * walk * limit_s + slack)
            for n, near in zip(
                late, tree.query_ball_point(np.column_stack([x, y])[late], reach), strict=True
            ):
                near = np.asarray(near)
                assert near.size, f"node {n} inside the {limit} min polygon, far from any road"
                d = np.hypot(pts[near, 0] - x[n], pts[near, 1] - y[n])
                # reachable by road to a sample, then a straight walk, within the tolerances
                # (disc drawing and run simplification: each ≤ (grow − 1) of the radius)
                walked = np.maximum(d / grow - slack, 0.0) / (2 * grow - 1)
                best = np.min(secs[near] + walked / walk)
                assert best <= limit_s + 1e-6, (n, best, limit_s)


def test_cells_within_the_limit_on_the_surface_are_inside(case):
    from affine import Affine
    from pyproj import CRS

    from geohealth.inputs.population import PopulationGrid

    g, fac, iso, *_ = case
    west, south = np.percentile(g.lon, 35), np.percentile(g.lat, 35)
    grid = PopulationGrid(
        values=np.ones((40, 40)),
        transform=Affine(0.001, 0, west, 0, -0.001, south + 0.04),
        crs=CRS.from_epsg(4326),
        source="test",
    )
    import rasterio.transform

    rows, cols = np.nonzero(np.ones(grid.shape, dtype=bool))
    lon, lat = rasterio.transform.xy(grid.transform, rows, cols, offset="center")
    x, y = Transformer.from_crs(4326, fac.crs, always_xy=True).transform(lon, lat)
    checked = 0
    for j in range(len(fac)):
        one = snap.Attachment(
            **{
                k: (getattr(fac, k)[j : j + 1] if k != "crs" else fac.crs)
                for k in fac.__dataclass_fields__
            }
        )
        minutes = traveltime.surface(g, grid, one)[rows, cols]
        for limit in LIMITS:
            within = minutes <= limit
            polygon = _polygon(iso, j, limit)
            checked += int(within.sum())
            assert shapely.contains_xy(polygon, x[within], y[within]).all()
            # (the converse does not hold: a cell may be inside because it can walk to a
            # reached road, while the surface walks it to its nearest road, which may be slow)
    assert checked > 100


def test_straight_road_by_hand(tmp_path):
    """A 4.6 km county road, facility at its west end, 5 min by two-wheeler (28 km/h)."""
    nodes = {1: (129.0, 46.0), 2: (129.03, 46.0), 3: (129.06, 46.0)}  # on a UTM meridian
    road = [(1, [1, 2, 3], {"highway": "tertiary"})]
    g = graph.build(
        osm.read(write_osm(tmp_path / "r.osm.pbf", nodes, road)), PROFILES["two_wheeler"]
    )
    fac = snap.attach(g, np.array([129.0]), np.array([46.0]))
    polygon = isochrones(g, fac, [5], progress=False).geometry.iloc[0]
    x0, y0 = fac.x[0], fac.y[0]
    ends = snap.segment_table(g, fac.crs).end
    east = ends[:, 0].max() - x0
    ex, ey = (ends[ends[:, 0].argmax()] - (x0, y0)) / east  # along the road (≈ east)
    along_m = 28 / 3.6 * 300  # 2 333 m along the road
    walk = 4.0 / 3.6
    assert east > along_m + 100  # the road goes on beyond the limit

    def inside(dx: float, dy: float) -> bool:
        return bool(polygon.contains(shapely.Point(x0 + dx * ex - dy * ey, y0 + dx * ey + dy * ex)))

    assert inside(along_m - 10, 0)
    assert not inside(along_m + 10, 0)
    # 2 km along, 43 s are left: 48 m of walking (+5 m road half-width, +2 % disc drawing)
    left_m = (300 - 2000 / (28 / 3.6)) * walk
    assert inside(2000, left_m)
    assert inside(2000, -left_m)
    assert not inside(2000, (left_m + 5) * 1.021 + 1)
    # from the door, 5 min of walking: 333 m in any direction
    assert inside(-300 * walk + 1, 0)
    assert not inside(-(300 * walk + 5) * 1.021 - 1, 0)


def test_thresholds_must_be_positive(tmp_path):
    nodes = {1: (127.0, 46.0), 2: (127.01, 46.0)}
    g = graph.build(
        osm.read(write_osm(tmp_path / "r.osm.pbf", nodes, [(1, [1, 2], {"highway": "track"})])),
        PROFILES["walk"],
    )
    fac = snap.attach(g, np.array([127.005]), np.array([46.0]))
    with pytest.raises(ConfigError, match="> 0 minutes"):
        isochrones(g, fac, [0, 15], progress=False)


def test_road_only_polygons_hold_no_late_node_beyond_the_drawn_width(case):
    g, fac, _, ref, times, xy = case
    roads_only = isochrones(
        g,
        fac,
        LIMITS,
        walk_off_road=False,
        min_width_m=MIN_WIDTH,
        simplify_m=SIMPLIFY,
        progress=False,
    )
    nodes = np.arange(g.n_nodes)
    x = np.array([xy[n][0] for n in nodes])
    y = np.array([xy[n][1] for n in nodes])
    width = (MIN_WIDTH + SIMPLIFY) / np.cos(np.pi / VERTICES) + STEP_M
    for j in range(len(fac)):
        pts, secs = _samples(ref, times[j], xy)
        node_secs = np.array([times[j].get(n, np.inf) for n in nodes])
        for limit in LIMITS:
            polygon = _polygon(roads_only, j, limit)
            # within the drawing tolerance, roads alone lie inside the walking polygon
            assert _polygon(_iso_of(case), j, limit).buffer(SIMPLIFY + 0.5).covers(polygon)
            reached = node_secs <= limit * 60
            assert shapely.contains_xy(polygon, x[reached], y[reached]).all()
            late = shapely.contains_xy(polygon, x, y) & ~reached
            if late.any():  # only where a road passes within the drawn width (no junction)
                tree = cKDTree(pts[secs <= limit * 60])
                d, _ = tree.query(np.column_stack([x[late], y[late]]))
                assert d.max() <= width


def _iso_of(case):
    return case[2]
