"""OSM extract inventory, on real extracts and on broken files."""

from __future__ import annotations

import osmium
import pytest

from geohealth.errors import InputError, NetworkError
from geohealth.network import extract

from .conftest import shared_extract


def test_real_extracts():
    andorra = extract.summarise(shared_extract("andorra.osm.pbf"))
    assert andorra.ways["primary"] > 0
    assert 1.3 < andorra.bounds[0] < 1.8  # Andorra, not somewhere else
    monaco = extract.summarise(shared_extract("monaco.osm.pbf"))
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
