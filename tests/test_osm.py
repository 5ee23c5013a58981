"""Reading OSM extracts into segments: PBF and XML, cache, tags, broken files."""

from __future__ import annotations

import numpy as np
import pytest

from geohealth.errors import InputError, NetworkError
from geohealth.network import osm

from .conftest import shared_extract, write_osm

NODES = {1: (127.0, 46.0), 2: (127.01, 46.0), 3: (127.02, 46.0), 4: (127.02, 46.01)}
WAYS = [
    (10, [1, 2, 3], {"highway": "tertiary", "maxspeed": "40"}),
    (11, [3, 4], {"highway": "residential", "oneway": "yes"}),
    (12, [4, 99], {"highway": "track"}),  # node 99 is outside the extract
    (13, [1, 4], {"waterway": "river"}),
]


@pytest.mark.parametrize("suffix", [".osm.pbf", ".osm"])
def test_pbf_and_xml(tmp_path, suffix):
    segments = osm.read(write_osm(tmp_path / f"t{suffix}", NODES, WAYS), use_cache=False)
    assert segments.node_id.tolist() == [1, 2, 3, 4, 99]
    assert len(segments.u) == 3  # 1-2, 2-3, 3-4; the track's half-missing segment is dropped
    assert segments.way_id.tolist() == [10, 11, 12]
    assert segments.tags["maxspeed"].tolist() == ["40", "", ""]
    # 0.01° of longitude at 46°N is about 773 m
    assert segments.length_m[0] == pytest.approx(774.5, abs=1.0)


def test_cache_is_keyed_by_content(tmp_path):
    path = write_osm(tmp_path / "t.osm.pbf", NODES, WAYS)
    first = osm.read(path)
    cached = list(osm.cache_dir().glob("osm-*.npz"))
    assert cached
    again = osm.read(path)
    np.testing.assert_array_equal(first.length_m, again.length_m)
    assert again.tags["highway"].tolist() == first.tags["highway"].tolist()
    write_osm(path, NODES, WAYS[:1])  # same name, new content
    assert len(osm.read(path).way_id) == 1


def test_empty_and_broken_extracts(tmp_path):
    with pytest.raises(NetworkError, match="holds no roads"):
        osm.read(write_osm(tmp_path / "e.osm.pbf", NODES, [WAYS[3]]), use_cache=False)
    broken = tmp_path / "b.osm.pbf"
    broken.write_bytes(b"\x00\x00\x00\x0dgarbage")
    with pytest.raises(InputError, match="not a readable OSM file"):
        osm.read(broken, use_cache=False)


def test_real_extract():
    segments = osm.read(shared_extract("andorra.osm.pbf"))
    assert segments.n_nodes > 10_000
    assert (segments.length_m >= 0).all()
    assert set(segments.tags["highway"]) >= {"primary", "secondary", "residential"}


def test_tag_parsers():
    assert osm.parse_maxspeed(np.array(["60", "30 mph", "", "none", "50;70"])).round(2).tolist()[
        :2
    ] == [60.0, 48.28]
    assert np.isnan(osm.parse_maxspeed(np.array(["none"]))[0])
    assert osm.parse_duration_min(np.array(["00:25", "1:02:30", "45", ""]))[:3].tolist() == [
        25.0,
        62.5,
        45.0,
    ]
