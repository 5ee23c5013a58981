"""Travel times cross-checked against an independent networkx computation.

The reference graph splits every segment at every attachment point into real nodes, adds the
off-road walks as real edges, and runs networkx's Dijkstra: no virtual-node arithmetic shared
with the code under test.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from geohealth import traveltime
from geohealth.network import graph, osm, profiles, snap

from .conftest import real_extract, write_osm
from .reference import reference_graph

PROFILES = profiles.load()


@pytest.fixture(
    scope="module",
    params=[("andorra.osm.pbf", "drive"), ("andorra.osm.pbf", "walk"), ("monaco.osm.pbf", "drive")],
)
def case(request):
    extract, mode = request.param
    g = graph.build(osm.read(real_extract(extract)), PROFILES[mode])
    rng = np.random.default_rng(7)
    west, east = np.percentile(g.lon, [5, 95])
    south, north = np.percentile(g.lat, [5, 95])
    fac = snap.attach(g, rng.uniform(west, east, 25), rng.uniform(south, north, 25))
    homes = snap.attach(g, rng.uniform(west, east, 300), rng.uniform(south, north, 300))
    ref = reference_graph(g, {"facility": fac, "home": homes})
    doors = [("door", i) for i in range(len(fac))]
    reverse = ref.reverse(copy=False)
    ref_times = nx.multi_source_dijkstra_path_length(reverse, doors, weight="w")
    return g, fac, homes, ref, ref_times


def test_nearest_facility_for_every_node(case):
    g, fac, _, _, ref_times = case
    ours = traveltime.nearest_facility(g, fac)
    for node in range(g.n_nodes):
        expected = ref_times.get(node, np.inf) / 60.0
        assert ours.node_min[node] == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_nearest_facility_for_points(case):
    g, fac, homes, _, ref_times = case
    minutes, which = traveltime.point_times(traveltime.nearest_facility(g, fac), homes, fac)
    expected = np.array([ref_times.get(("home", i), np.inf) for i in range(len(homes))]) / 60
    np.testing.assert_allclose(minutes, expected, rtol=1e-9, atol=1e-9)
    assert ((which >= 0) == np.isfinite(minutes)).all()


def test_needed_ways_give_the_same_times(case):
    """Dropping the ways another way beats by one edge changes no time (networkx reference)."""
    g, fac, homes, _, ref_times = case
    ways = traveltime.needed_ways(g, homes)
    assert len(ways[0]) < len(homes.leaving(best=True)[0])
    nearest = traveltime.nearest_facility(g, fac)
    minutes, which = traveltime.point_times(nearest, homes, fac, ways=ways)
    expected = np.array([ref_times.get(("home", i), np.inf) for i in range(len(homes))]) / 60
    np.testing.assert_allclose(minutes, expected, rtol=1e-9, atol=1e-9)
    assert ((which >= 0) == np.isfinite(minutes)).all()
    every = traveltime.pair_times(g, homes, fac, limit_min=15.0)
    needed = traveltime.pair_times(g, homes, fac, limit_min=15.0, ways=ways)
    got, want = (np.full((len(homes), len(fac)), np.inf) for _ in range(2))
    got[needed.origin, needed.facility] = needed.minutes
    want[every.origin, every.facility] = every.minutes
    np.testing.assert_array_equal(got, want)


def test_reachable_sets_and_matrix(case):
    g, fac, _, ref, _ = case
    limit = 10.0
    sets = traveltime.reachable(g, fac, limit_min=limit).toarray()
    reverse = ref.reverse(copy=False)
    for j in range(0, len(fac), 6):
        times = nx.single_source_dijkstra_path_length(
            reverse, ("door", j), cutoff=limit * 60, weight="w"
        )
        expected = {n: t / 60 for n, t in times.items() if isinstance(n, int | np.integer)}
        got = {int(n): sets[j, n] for n in np.flatnonzero(sets[j] > 0)}
        for n, t in expected.items():
            if t > 0:
                assert got[n] == pytest.approx(t, rel=1e-9)
        assert set(got) <= set(expected)
    matrix = traveltime.facility_matrix(g, fac, fac)
    for i in range(0, len(fac), 5):
        from_i = nx.single_source_dijkstra_path_length(ref, ("start", i), weight="w")
        for j in range(len(fac)):
            expected = from_i.get(("door", j), np.inf) / 60
            assert matrix[i, j] == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_snapping_to_edges_not_nodes(tmp_path):
    nodes = {1: (127.0, 46.0), 2: (127.02, 46.0)}  # one 1.5 km road
    g = graph.build(
        osm.read(
            write_osm(tmp_path / "r.osm.pbf", nodes, [(1, [1, 2], {"highway": "residential"})]),
            use_cache=False,
        ),
        PROFILES["walk"],
    )
    att = snap.attach(g, np.array([127.01]), np.array([46.001]))
    assert len(att.links) == 1
    assert att.links.fraction[0] == pytest.approx(0.5, abs=1e-3)
    assert att.offroad_m[0] == pytest.approx(111.2, abs=1.0)  # 0.001° of latitude
    assert att.offroad_s[0] == pytest.approx(att.offroad_m[0] / (4.0 / 3.6))


def test_island_points_attach_to_the_main_network(tmp_path):
    nodes = {
        1: (127.0, 46.0),
        2: (127.02, 46.0),
        3: (127.0, 46.05),
        4: (127.02, 46.05),
        5: (127.04, 46.0),
    }
    ways = [
        (1, [1, 2, 5], {"highway": "residential"}),
        (2, [3, 4], {"highway": "residential"}),
    ]  # an unconnected road 5.5 km north
    g = graph.build(
        osm.read(write_osm(tmp_path / "i.osm.pbf", nodes, ways), use_cache=False), PROFILES["walk"]
    )
    att = snap.attach(g, np.array([127.01]), np.array([46.049]))
    assert att.island[0]
    assert set(g.segments.node_id[[att.links.a[0], att.links.b[0]]]) <= {1, 2, 5}
    assert att.offroad_m[0] > 5000


def test_one_way_street_directions(tmp_path):
    nodes = {1: (127.0, 46.0), 2: (127.01, 46.0), 3: (127.02, 46.0), 4: (127.01, 46.01)}
    ways = [
        (1, [1, 2, 3], {"highway": "residential", "oneway": "yes"}),
        (2, [3, 4, 1], {"highway": "residential"}),
    ]  # the way back, around a block
    g = graph.build(
        osm.read(write_osm(tmp_path / "o.osm.pbf", nodes, ways), use_cache=False), PROFILES["drive"]
    )
    at_2 = snap.attach(g, np.array([127.01]), np.array([46.0]))
    at_3 = snap.attach(g, np.array([127.02]), np.array([46.0]))
    there = traveltime.facility_matrix(g, at_2, at_3)[0, 0]  # with the one-way
    back = traveltime.facility_matrix(g, at_3, at_2)[0, 0]  # around the block
    assert there == pytest.approx(g.segments.length_m[1] / (20 / 3.6) / 60, rel=1e-6)
    assert back > 2 * there
    walk = graph.build(g.segments, PROFILES["walk"])
    w2, w3 = snap.attach(walk, [127.01], [46.0]), snap.attach(walk, [127.02], [46.0])
    assert traveltime.facility_matrix(walk, w2, w3)[0, 0] == pytest.approx(
        traveltime.facility_matrix(walk, w3, w2)[0, 0]
    )


def test_facility_warnings_name_the_facility(tmp_path):
    import geopandas as gpd
    import shapely

    from geohealth.errors import FarFromRoadWarning, NetworkIslandWarning

    nodes = {
        1: (127.0, 46.0),
        2: (127.02, 46.0),
        3: (127.0, 46.05),
        4: (127.02, 46.05),
        5: (127.04, 46.0),
    }
    ways = [(1, [1, 2, 5], {"highway": "residential"}), (2, [3, 4], {"highway": "residential"})]
    g = graph.build(
        osm.read(write_osm(tmp_path / "i.osm.pbf", nodes, ways), use_cache=False), PROFILES["drive"]
    )
    facilities = gpd.GeoDataFrame(
        {"name": ["岛上卫生室", "山里卫生室", "路边卫生院"]},
        geometry=shapely.points([127.01, 127.04, 127.01], [46.0501, 46.025, 46.0005]),
        crs=4326,
    )
    with (
        pytest.warns(
            NetworkIslandWarning, match=r"1 facility sits on roads not connected .*岛上卫生室"
        ),
        pytest.warns(
            FarFromRoadWarning, match=r"more than 1,000 m from any usable road: 山里卫生室"
        ),
    ):
        att = snap.attach_facilities(g, facilities, max_snap_m=1000)
    assert att.island.tolist() == [True, False, False]


@pytest.mark.parametrize("extract", ["monaco.osm.pbf", "andorra.osm.pbf"])
def test_nearest_segment_equals_rtree(extract):
    import shapely
    from pyproj import Transformer

    g = graph.build(osm.read(real_extract(extract)), PROFILES["walk"])
    rng = np.random.default_rng(3)
    lon = rng.uniform(g.lon.min(), g.lon.max(), 5000)
    lat = rng.uniform(g.lat.min(), g.lat.max(), 5000)
    crs = snap.utm_crs(g.lon, g.lat)
    att = snap.attach(g, lon, lat, crs=crs)
    to_m = Transformer.from_crs(4326, crs, always_xy=True)
    x, y = to_m.transform(g.lon, g.lat)
    main = g.main_component
    edge_main = main[g.u] & main[g.v]
    lines = shapely.linestrings(
        np.stack([np.column_stack([x[g.u], y[g.u]]), np.column_stack([x[g.v], y[g.v]])], axis=1)
    )[edge_main]
    px, py = to_m.transform(lon, lat)
    _, expected = shapely.STRtree(lines).query_nearest(
        shapely.points(px, py), return_distance=True, all_matches=False
    )
    np.testing.assert_allclose(att.offroad_m, expected, rtol=0, atol=1e-6)
    # every linked place really is as far away as its walk says
    links = att.links
    ax = x[links.a] + links.fraction * (x[links.b] - x[links.a])
    ay = y[links.a] + links.fraction * (y[links.b] - y[links.a])
    walked = np.hypot(ax - px[links.point], ay - py[links.point])
    np.testing.assert_allclose(walked, links.walk_m, atol=1e-6)
    nearest = np.full(len(att), np.inf)
    np.minimum.at(nearest, links.point, links.walk_m)
    np.testing.assert_allclose(nearest, expected, atol=1e-6)


def test_surface_is_aligned_and_matches_reference(case):
    import rasterio.transform
    from affine import Affine
    from pyproj import CRS

    from geohealth.inputs.population import PopulationGrid

    g, fac, _, _, _ = case
    west, south = np.percentile(g.lon, 20), np.percentile(g.lat, 20)
    values = np.ones((12, 15))
    values[0, 0] = np.nan
    grid = PopulationGrid(
        values=values,
        transform=Affine(0.002, 0, west, 0, -0.002, south + 0.024),
        crs=CRS.from_epsg(4326),
        source="test",
    )
    minutes = traveltime.surface(g, grid, fac)
    assert minutes.shape == grid.shape
    assert np.isnan(minutes[0, 0])
    rows, cols = np.nonzero(np.isfinite(values))
    x, y = rasterio.transform.xy(grid.transform, rows, cols, offset="center")
    cells = snap.attach(g, np.asarray(x), np.asarray(y), check_islands=False, nearest_beyond=False)
    assert (np.diff(cells.offsets) > 1).any()  # cells with several roads within reach
    ref = reference_graph(g, {"facility": fac, "home": cells})
    times = nx.multi_source_dijkstra_path_length(
        ref.reverse(copy=False), [("door", i) for i in range(len(fac))], weight="w"
    )
    expected = np.array([times.get(("home", i), np.inf) for i in range(len(cells))]) / 60
    np.testing.assert_allclose(minutes[rows, cols], expected, rtol=1e-9, atol=1e-9)
    # the grid's pairs (pruned ways, trips along the facilities' segments found from those
    # segments) are the attached cells' pairs
    p_rows, p_cols, pairs = traveltime.cell_pair_times(g, grid, fac, limit_min=60.0)
    np.testing.assert_array_equal(p_rows, rows)
    np.testing.assert_array_equal(p_cols, cols)
    every = traveltime.pair_times(g, cells, fac, limit_min=60.0)
    got, want = (np.full((len(cells), len(fac)), np.inf) for _ in range(2))
    got[pairs.origin, pairs.facility] = pairs.minutes
    want[every.origin, every.facility] = every.minutes
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert np.isfinite(want).sum() > 20


def test_pair_times_match_reference_and_nearest(case):
    g, fac, homes, _, _ = case
    # homes next to facilities share their segment: the straight-along case
    nearest = [  # each facility's nearest road
        fac.offsets[i] + int(np.argmin(fac.links.walk_m[fac.offsets[i] : fac.offsets[i + 1]]))
        for i in range(len(fac))
    ]
    links = fac.links.take(np.asarray(nearest))
    beside = snap.attach(
        g,
        g.lon[links.a] * 0.7 + g.lon[links.b] * 0.3,
        g.lat[links.a] * 0.7 + g.lat[links.b] * 0.3,
        check_islands=False,
    )
    assert np.isin(beside.links.segment, fac.links.segment).any()
    limit = 12.0
    for origins in (homes, beside):
        pairs = traveltime.pair_times(g, origins, fac, limit_min=limit)
        got = np.full((len(origins), len(fac)), np.inf)
        got[pairs.origin, pairs.facility] = pairs.minutes
        assert len(set(zip(pairs.origin.tolist(), pairs.facility.tolist(), strict=True))) == len(
            pairs
        )
        ref = reference_graph(g, {"facility": fac, "home": origins}).reverse(copy=False)
        for j in range(len(fac)):
            times = nx.single_source_dijkstra_path_length(
                ref, ("door", j), cutoff=limit * 60, weight="w"
            )
            expected = np.array([times.get(("home", i), np.inf) for i in range(len(origins))])
            expected = np.where(expected <= limit * 60, expected / 60, np.inf)
            # pair times are stored as float32 minutes (7 significant digits)
            np.testing.assert_allclose(got[:, j], expected, rtol=1e-6, atol=1e-6)
        # the nearest of the pairs is the nearest facility
        nearest, _ = traveltime.point_times(traveltime.nearest_facility(g, fac), origins, fac)
        within = np.where(nearest <= limit, nearest, np.inf)
        np.testing.assert_allclose(got.min(axis=1), within, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    ("extract", "mode"), [("andorra.osm.pbf", "walk"), ("monaco.osm.pbf", "drive")]
)
def test_links_are_every_segment_within_reach(extract, mode):
    """Each point's links are exactly the segments within the reach, measured by brute force.

    The reference measures every main-network segment with shapely (no KD-tree, no
    sampling); a point with no segment that close is linked to its nearest one alone, or
    to none when ``nearest_beyond`` is off.
    """
    from .reference import brute_force_links

    g = graph.build(osm.read(real_extract(extract)), PROFILES[mode])
    rng = np.random.default_rng(5)
    west, east = np.percentile(g.lon, [2, 98])
    south, north = np.percentile(g.lat, [2, 98])
    lon, lat = rng.uniform(west, east, 60), rng.uniform(south, north, 60)
    att = snap.attach(g, lon, lat, check_islands=False)
    homes = snap.attach(g, lon, lat, check_islands=False, nearest_beyond=False)
    expected = brute_force_links(g, lon, lat, g.max_walk_m)
    links = att.links
    for i, want in enumerate(expected):
        mine = np.flatnonzero(links.point == i)
        got = {(int(links.a[k]), int(links.b[k])): float(links.walk_m[k]) for k in mine}
        beyond = min(want.values()) > g.max_walk_m
        assert (homes.offsets[i + 1] == homes.offsets[i]) == beyond
        if beyond:  # the nearest road alone (of equally near ones, any)
            assert len(got) == 1
            assert next(iter(got.values())) == pytest.approx(min(want.values()), abs=1e-6)
            continue
        assert set(got) == set(want), i
        for key, metres in want.items():
            assert got[key] == pytest.approx(metres, abs=1e-6)
    assert (np.diff(att.offsets) > 1).sum() > 5  # many points see several roads
    assert (np.diff(homes.offsets) == 0).sum() > 0  # and some see none within the reach


@pytest.mark.parametrize("towards", [True, False])
def test_ways_within_are_the_attachments_fastest_ways(towards):
    """``snap.ways_within`` gives exactly what attaching then ``leaving``/``arriving`` give."""
    g = graph.build(osm.read(real_extract("andorra.osm.pbf")), PROFILES["drive"])
    rng = np.random.default_rng(11)
    west, east = np.percentile(g.lon, [5, 95])
    south, north = np.percentile(g.lat, [5, 95])
    lon, lat = rng.uniform(west, east, 400), rng.uniform(south, north, 400)
    homes = snap.attach(g, lon, lat, check_islands=False, nearest_beyond=False)
    want = homes.leaving(best=True) if towards else homes.arriving(best=True)
    point, node, seconds, linked = snap.ways_within(g, homes.x, homes.y, homes.crs, towards=towards)
    for got, expected in zip((point, node, seconds), want, strict=True):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(linked, np.diff(homes.offsets) > 0)
    assert linked.sum() > 50
    assert (~linked).sum() > 0
