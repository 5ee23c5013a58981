"""OSM extract inventory, on real extracts and on broken files."""

from __future__ import annotations

import osmium
import pytest

from geohealth.errors import InputError, NetworkError
from geohealth.network import extract

from .conftest import real_extract, write_osm

ROAD = [(1, [1, 2], {"highway": "primary"})]


def test_real_extracts():
    andorra = extract.summarise(real_extract("andorra.osm.pbf"))
    assert andorra.ways["primary"] > 0
    assert 1.3 < andorra.bounds[0] < 1.8  # Andorra, not somewhere else
    monaco = extract.summarise(real_extract("monaco.osm.pbf"))
    assert monaco.oneway_ways > 100  # a dense one-way street grid
    assert monaco.total_km == pytest.approx(sum(monaco.km.values()))


def test_extract_without_roads(tmp_path):
    path = tmp_path / "empty.osm.pbf"
    with osmium.SimpleWriter(str(path)) as writer:
        writer.add_node(osmium.osm.mutable.Node(id=1, location=(127.0, 46.0), tags={}))
        writer.add_node(osmium.osm.mutable.Node(id=2, location=(127.1, 46.0), tags={}))
        writer.add_way(osmium.osm.mutable.Way(id=1, nodes=[1, 2], tags={"waterway": "river"}))
    with pytest.raises(NetworkError, match=r"holds no roads"):
        extract.summarise(path)


def test_unreadable_extract(tmp_path):
    path = tmp_path / "broken.osm.pbf"
    path.write_bytes(b"\x00\x00\x00\x0dnot a pbf at all")
    with pytest.raises(InputError, match=r"not a readable OSM file"):
        extract.summarise(path)


def test_extract_under_the_wrong_name(tmp_path):
    pbf = tmp_path / "county.osm.pbf"
    xml = write_osm(tmp_path / "county.osm", {1: (127.0, 46.0), 2: (127.1, 46.0)}, ROAD)
    pbf.write_bytes(xml.read_bytes())
    with pytest.raises(NetworkError, match=r"^county\.osm\.pbf: it is OSM XML, not PBF — rename"):
        extract.summarise(pbf)
    assert extract.summarise(xml).ways == {"primary": 1}


def test_extract_whose_roads_have_no_nodes(tmp_path):
    # ways exported without their nodes: there is nothing to measure (once a bare ValueError)
    path = write_osm(tmp_path / "ways_only.osm", {}, ROAD)
    with pytest.raises(NetworkError, match=r"^ways_only\.osm: its roads \(1 ways\) come without"):
        extract.summarise(path)
