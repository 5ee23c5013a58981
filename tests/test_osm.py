"""Reading OSM extracts into segments: PBF and XML, cache, tags, broken files."""

from __future__ import annotations

import bz2
import gzip
import logging
import re
import warnings

import numpy as np
import osmium
import pytest

from geohealth.errors import GeohealthWarning, InputError, NetworkError
from geohealth.network import osm

from .conftest import real_extract, write_osm
from .test_fileformat import MISNAMED, misnamed

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
    segments = osm.read(real_extract("andorra.osm.pbf"))
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


@pytest.mark.parametrize(("name", "expected"), MISNAMED)
@pytest.mark.parametrize("use_cache", [False, True])
def test_file_not_what_its_name_says(tmp_path, name, expected, use_cache):
    path = misnamed(tmp_path, name)
    with pytest.raises(NetworkError, match=f"^{re.escape(expected)}") as caught:
        osm.read(path, use_cache=use_cache)
    assert "\n" not in str(caught.value)


def test_compressed_xml_and_upper_case_names_are_read(tmp_path):
    xml = write_osm(tmp_path / "src.osm", NODES, WAYS).read_bytes()
    pbf = write_osm(tmp_path / "src.osm.pbf", NODES, WAYS).read_bytes()
    files = {
        "roads.osm.gz": gzip.compress(xml),
        "roads.osm.bz2": bz2.compress(xml),
        "ROADS.OSM.PBF": pbf,  # as Windows tools and some portals write them
        "Roads.OSM": xml,
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        assert osm.read(tmp_path / name, use_cache=False).way_id.tolist() == [10, 11, 12], name


def test_damaged_extract(tmp_path):
    data = real_extract("andorra.osm.pbf").read_bytes()
    cut = tmp_path / "andorra.osm.pbf"
    cut.write_bytes(data[: len(data) // 2])  # an interrupted download
    with pytest.raises(InputError, match=r"^andorra\.osm\.pbf: the extract is damaged or cut"):
        osm.read(cut, use_cache=False)


def test_roads_without_their_nodes(tmp_path):
    # an Overpass export of ways without "(._;>;); out;": no node has coordinates
    path = write_osm(tmp_path / "ways.osm", {}, WAYS[:2])
    with pytest.raises(
        NetworkError, match=r"^ways\.osm: its roads \(2 ways\) come without their nodes"
    ):
        osm.read(path, use_cache=False)


def test_absurd_tag_values_are_unreadable_not_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy overflow once leaked as a RuntimeWarning
        durations = osm.parse_duration_min(
            np.array(["9" * 308 + ":00", "-00:10", "inf", "1:2:3:4", "0:30", "1.5"])
        )
        speeds = osm.parse_maxspeed(np.array(["9" * 400, "9" * 308 + " mph", "-30", "50"]))
    assert np.isnan(durations[:4]).all()
    assert durations[4:].tolist() == [30.0, 1.5]
    assert np.isnan(speeds[[0, 2]]).all()
    assert speeds[3] == 50.0


def test_reader_warnings_are_logged_not_shown(tmp_path, monkeypatch, caplog):
    class NoisyProcessor(osmium.FileProcessor):
        def __iter__(self):
            warnings.warn("old pyosmium call", DeprecationWarning, stacklevel=1)
            warnings.warn("ours", GeohealthWarning, stacklevel=1)
            yield from super().__iter__()

    monkeypatch.setattr(osmium, "FileProcessor", NoisyProcessor)
    path = write_osm(tmp_path / "t.osm.pbf", NODES, WAYS)
    caplog.set_level(logging.DEBUG, logger="geohealth.network.osm")
    with pytest.warns(GeohealthWarning, match="ours"):  # geohealth's own are passed on
        segments = osm.read(path, use_cache=False)
    assert len(segments.way_id) == 3
    assert "DeprecationWarning: old pyosmium call" in caplog.text
