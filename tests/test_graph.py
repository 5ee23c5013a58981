"""Timed graphs: profile rules on hand-built networks, and exact agreement with networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from geohealth.errors import NetworkError
from geohealth.network import graph, osm, profiles

from .conftest import shared_extract, write_osm

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
    g = graph.build(osm.read(shared_extract(extract)), PROFILES[mode])
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
