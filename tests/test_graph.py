"""Timed graphs: profile rules on hand-built networks, and exact agreement with networkx."""

from __future__ import annotations

import re
import warnings

import networkx as nx
import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from geohealth.errors import ConfigError, NetworkError
from geohealth.network import graph, osm, profiles

from .conftest import real_extract, write_osm

PROFILES = profiles.load()
# a row of nodes 0.01° apart at 46°N (~774 m)
NODES = {i: (127.0 + 0.01 * i, 46.0) for i in range(1, 8)}


def build(tmp_path, ways, mode):
    segments = osm.read(write_osm(tmp_path / "t.osm.pbf", NODES, ways), use_cache=False)
    return graph.build(segments, PROFILES[mode])


def edges(g):
    ids = g.segments.node_id
    return {(int(ids[a]), int(ids[b])): t for a, b, t in zip(g.u, g.v, g.time_s, strict=True)}


def test_oneway_for_vehicles_not_for_walking(tmp_path):
    ways = [
        (1, [1, 2], {"highway": "residential", "oneway": "yes"}),
        (2, [2, 3], {"highway": "residential", "oneway": "-1"}),
        (3, [3, 4], {"highway": "residential", "junction": "roundabout"}),
        (4, [4, 5], {"highway": "residential", "oneway": "no"}),
    ]
    drive = edges(build(tmp_path, ways, "drive"))
    assert set(drive) == {(1, 2), (3, 2), (3, 4), (4, 5), (5, 4)}
    walk = edges(build(tmp_path, ways, "walk"))
    assert set(walk) == {(1, 2), (2, 1), (2, 3), (3, 2), (3, 4), (4, 3), (4, 5), (5, 4)}


def test_speeds_and_maxspeed_rules(tmp_path):
    ways = [
        (1, [1, 2], {"highway": "tertiary"}),
        (2, [2, 3], {"highway": "tertiary", "maxspeed": "60"}),
        (3, [3, 4], {"highway": "tertiary", "maxspeed": "20"}),
    ]
    for mode, expected_kmh in [
        ("drive", [40.0, 60 * 0.85, 20 * 0.85]),
        ("two_wheeler", [28.0, 28.0, 20.0]),
        ("walk", [4.5, 4.5, 4.5]),
    ]:
        g = build(tmp_path, ways, mode)
        e = edges(g)
        lengths = g.segments.length_m
        for (a, b), kmh, length in zip(
            [(1, 2), (2, 3), (3, 4)], expected_kmh, lengths, strict=True
        ):
            assert e[(a, b)] == pytest.approx(length / (kmh / 3.6)), (mode, a, b)


def test_access_and_unroutable_classes(tmp_path):
    ways = [
        (1, [1, 2], {"highway": "residential", "motor_vehicle": "no"}),
        (2, [2, 3], {"highway": "footway"}),
        (3, [3, 4], {"highway": "motorway"}),
        (4, [4, 5], {"highway": "construction"}),
        (5, [5, 6], {"highway": "residential", "access": "no", "foot": "yes"}),
        (6, [6, 7], {"highway": "pedestrian", "area": "yes"}),
    ]
    drive = edges(build(tmp_path, ways, "drive"))
    assert set(drive) == {(3, 4)}  # motorway: implied one-way
    walk = edges(build(tmp_path, ways, "walk"))
    assert set(walk) == {(1, 2), (2, 1), (2, 3), (3, 2), (5, 6), (6, 5)}


def test_ferry_duration_wait_and_who_boards(tmp_path):
    ways = [
        (1, [1, 2, 3], {"route": "ferry", "duration": "00:20", "foot": "yes"}),
        (2, [3, 4], {"route": "ferry", "motorcar": "yes"}),
    ]
    walk = build(tmp_path, ways, "walk")
    e = edges(walk)
    wait = PROFILES["walk"].ferry_wait_min
    assert e[(1, 2)] + e[(2, 3)] == pytest.approx((20 + wait) * 60)
    assert e[(1, 2)] == pytest.approx(e[(2, 3)], rel=1e-3)  # equal lengths, equal shares
    drive = edges(build(tmp_path, ways, "drive"))
    assert set(drive) == {(3, 4), (4, 3)}
    length = walk.segments.length_m[-1]
    expected = length / (PROFILES["drive"].ferry_kmh / 3.6) + PROFILES["drive"].ferry_wait_min * 60
    assert drive[(3, 4)] == pytest.approx(expected)


def test_parallel_ways_keep_the_fastest(tmp_path):
    ways = [(1, [1, 2], {"highway": "track"}), (2, [1, 2], {"highway": "primary"})]
    g = build(tmp_path, ways, "drive")
    assert len(g.u) == 2
    assert edges(g)[(1, 2)] == pytest.approx(g.segments.length_m[0] / (60 / 3.6))
    multi = g.to_networkx()
    assert multi.number_of_edges() == 2
    data = multi.get_edge_data(1, 2)[0]
    assert data["highway"] == "primary"
    assert data["osmid"] == 2


def test_no_usable_road(tmp_path):
    with pytest.raises(NetworkError, match="no road in the extract is usable for drive"):
        build(tmp_path, [(1, [1, 2], {"highway": "footway"})], "drive")


def test_networkx_export_is_osmnx_shaped(tmp_path):
    g = build(tmp_path, [(1, [1, 2, 3], {"highway": "residential"})], "walk")
    multi = g.to_networkx()
    assert multi.graph["crs"] == "epsg:4326"
    assert multi.nodes[1] == {"x": 127.01, "y": 46.0} or multi.nodes[1]["x"] == pytest.approx(
        127.01
    )
    assert set(multi.get_edge_data(1, 2)[0]) == {"length", "travel_time", "osmid", "highway"}


@pytest.mark.parametrize("extract", ["andorra.osm.pbf", "monaco.osm.pbf"])
@pytest.mark.parametrize("mode", ["walk", "two_wheeler", "drive"])
def test_times_equal_networkx_dijkstra(extract, mode):
    g = graph.build(osm.read(real_extract(extract)), PROFILES[mode])
    multi = g.to_networkx()
    rng = np.random.default_rng(42)
    sources = rng.choice(np.flatnonzero(g.main_component), 4, replace=False)
    ours = dijkstra(g.matrix, indices=sources)
    index = {int(osm_id): i for i, osm_id in enumerate(g.segments.node_id)}
    for row, source in zip(ours, sources, strict=True):
        theirs = nx.single_source_dijkstra_path_length(
            multi, int(g.segments.node_id[source]), weight="travel_time"
        )
        cols = np.array([index[k] for k in theirs])
        np.testing.assert_allclose(
            row[cols], np.array(list(theirs.values())), rtol=1e-12, atol=1e-9
        )
        assert np.isfinite(row).sum() == len(theirs)  # nothing reached that nx does not reach


ACCESS_WAYS = [
    (1, [1, 2], {"highway": "track", "access": "agricultural"}),
    (2, [2, 3], {"highway": "track", "motor_vehicle": "agricultural;forestry"}),
    (3, [3, 4], {"highway": "residential", "access": "destination"}),
    (4, [4, 5], {"highway": "residential", "access": "private"}),
    (5, [5, 6], {"highway": "service", "access": "customers"}),
    (6, [6, 7], {"highway": "track", "vehicle": "Agricultural; destination"}),
]
BOTH_WAYS = {(3, 4), (4, 3), (5, 6), (6, 5), (6, 7), (7, 6)}


@pytest.mark.parametrize("mode", ["drive", "two_wheeler"])
def test_farm_tracks_barred_for_vehicles_destination_allowed(tmp_path, mode):
    assert set(edges(build(tmp_path, ACCESS_WAYS, mode))) == BOTH_WAYS


def test_farm_tracks_walkable_private_not(tmp_path):
    walk = set(edges(build(tmp_path, ACCESS_WAYS, "walk")))
    assert walk == BOTH_WAYS | {(1, 2), (2, 1), (2, 3), (3, 2)}
    ways = [(1, [1, 2], {"highway": "track", "access": "agricultural", "foot": "no"})]
    with pytest.raises(NetworkError, match="every road walk could use is barred by its access"):
        build(tmp_path, ways, "walk")


def _drive_barred(tmp_path, values: str):
    """The default profiles with [drive] access_barred set to ``values`` (TOML text)."""
    text = profiles.DEFAULT_PROFILES.read_text(encoding="utf-8")
    head, drive = text.split("[drive]\n")
    pattern = r"^access_barred = \[.*?\]"
    drive, count = re.subn(pattern, f"access_barred = {values}", drive, flags=re.M | re.S)
    assert count == 1
    path = tmp_path / "my_profiles.toml"
    path.write_text(f"{head}[drive]\n{drive}", encoding="utf-8")
    return path


def test_access_rule_comes_from_the_profiles_file(tmp_path):
    pbf = write_osm(tmp_path / "t.osm.pbf", NODES, ACCESS_WAYS)
    default = graph.from_osm(pbf, "drive", use_cache=False)
    assert set(edges(default)) == BOTH_WAYS
    lenient = graph.from_osm(pbf, "drive", profiles_path=_drive_barred(tmp_path, '["no"]'))
    # the private road and the farm tracks are drivable when only "no" bars a way
    assert set(edges(lenient)) == BOTH_WAYS | {(1, 2), (2, 1), (2, 3), (3, 2), (4, 5), (5, 4)}
    strict = graph.from_osm(
        pbf, "drive", profiles_path=_drive_barred(tmp_path, '["no", "private", "destination"]')
    )
    # "agricultural; destination" is barred only when both values are
    assert set(edges(strict)) == {(1, 2), (2, 1), (2, 3), (3, 2), (5, 6), (6, 5), (6, 7), (7, 6)}


def test_from_osm_mode_missing_from_profiles(tmp_path):
    pbf = write_osm(tmp_path / "t.osm.pbf", NODES, [(1, [1, 2], {"highway": "residential"})])
    text = profiles.DEFAULT_PROFILES.read_text(encoding="utf-8")
    mine = tmp_path / "walk_only.toml"
    mine.write_text(text[: text.index("[two_wheeler]")], encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^walk_only\.toml: no \[drive\] section, but the mode"):
        graph.from_osm(pbf, "drive", profiles_path=mine)


def test_real_farm_tracks_are_walked_not_driven():
    segments = osm.read(real_extract("andorra.osm.pbf"))
    farm = np.flatnonzero(segments.tags["vehicle"] == "agricultural")
    assert len(farm) >= 1  # tracks tagged vehicle=agricultural in Andorra
    for mode in ("drive", "two_wheeler"):
        assert not np.isin(graph.build(segments, PROFILES[mode]).way, farm).any(), mode
    assert np.isin(graph.build(segments, PROFILES["walk"]).way, farm).any()


def test_real_extract_builds_every_mode_without_warnings():
    # pyosmium, numpy and pandas warnings must not reach the user (with a file path in them)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        segments = osm.read(real_extract("monaco.osm.pbf"), use_cache=False)
        for mode in profiles.MODES:
            g = graph.build(segments, PROFILES[mode])
            assert g.main_component.any()


@pytest.mark.parametrize("index_type", [np.int32, np.int64])
def test_virtual_sources_keep_the_graph_index_type_and_its_times(index_type):
    """Virtual nodes join the CSR in the graph's index type (no scan, no copy by scipy)."""
    from scipy.sparse import csr_matrix

    from geohealth.network.search import _with_sources

    rng = np.random.default_rng(3)
    n = 60
    u, v = rng.integers(0, n, 300), rng.integers(0, n, 300)
    base = csr_matrix((rng.uniform(1, 9, 300), (u, v)), shape=(n, n))
    base.sum_duplicates()
    base.indices, base.indptr = base.indices.astype(index_type), base.indptr.astype(index_type)
    point = np.array([0, 0, 1])
    node = np.array([5, 17, 40], dtype=np.int64)
    cost = np.array([2.0, 1.0, 3.0])
    matrix, virtual = _with_sources(base, point, node, cost, 2)
    if index_type is np.int32:  # (scipy itself makes small int64 indices int32)
        assert matrix.indices.dtype == matrix.indptr.dtype == np.int32
    got = dijkstra(matrix, indices=virtual)[:, :n]
    to_nodes = dijkstra(base)
    expected = np.array([np.minimum(2.0 + to_nodes[5], 1.0 + to_nodes[17]), 3.0 + to_nodes[40]])
    np.testing.assert_allclose(got, expected)
