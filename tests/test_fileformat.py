"""The file-type check run before pyosmium: what a file's first bytes say it is."""

from __future__ import annotations

import bz2
import gzip
import io
import re
import zipfile

import pytest

from geohealth.errors import NetworkError
from geohealth.network import fileformat

from .conftest import write_osm

NODES = {1: (127.0, 46.0), 2: (127.01, 46.0), 3: (127.02, 46.0), 4: (127.02, 46.01)}
WAYS = [
    (10, [1, 2, 3], {"highway": "tertiary", "maxspeed": "40"}),
    (11, [3, 4], {"highway": "residential", "oneway": "yes"}),
]
#: (file name, start of the one-line message) for files that are not what their names say;
#: written by :func:`misnamed` (also used by test_osm.py to check ``osm.read`` runs the check).
MISNAMED = [
    ("roads.osm.pbf", "roads.osm.pbf: it is OSM XML, not PBF — rename it to roads.osm"),
    (
        "roads.osm",
        "roads.osm: it is a PBF extract, not OSM XML — rename it to roads.osm.pbf",
    ),
    (
        "empty.osm.pbf",
        "empty.osm.pbf: the file is empty (0 bytes) — the download or copy did not "
        "finish; download the extract again",
    ),
    (
        "page.osm.pbf",
        "page.osm.pbf: it is an HTML page titled '404 Not Found', not an OSM extract — "
        "the download failed; download the extract again",
    ),
    (
        "gzipped.osm.pbf",
        "gzipped.osm.pbf: it is a gzip-compressed PBF extract — unpack it (gunzip or "
        "7-Zip) and give the .osm.pbf inside",
    ),
    (
        "gzipped.osm",
        "gzipped.osm: it is gzip-compressed OSM XML — rename it to gzipped.osm.gz",
    ),
    (
        "bzipped.osm.pbf",
        "bzipped.osm.pbf: it is bzip2-compressed OSM XML — rename it to bzipped.osm.bz2",
    ),
    (
        "zipped.osm.pbf",
        "zipped.osm.pbf: it is a ZIP archive, not an OSM extract — unpack it and give "
        "the .osm.pbf inside",
    ),
    ("lfs.osm.pbf", "lfs.osm.pbf: it is a Git LFS pointer, not the extract — fetch"),
    ("overpass.osm", "overpass.osm: it is JSON text, not an OSM extract — download"),
    (
        "roads",
        "roads: it is a PBF extract, but its name does not say so — rename it to roads.osm.pbf",
    ),
    (
        "error.osm.pbf",
        "error.osm.pbf: it is XML with root <Error>, not OpenStreetMap data — download",
    ),
    (
        "gzipped_page.osm.gz",
        "gzipped_page.osm.gz: it is gzip-compressed (inside: an HTML page titled '404 "
        "Not Found'), not an OSM extract — download the extract again",
    ),
]


def misnamed(tmp_path, name):
    """Files whose bytes are not what their names say, written as users get them."""
    xml = write_osm(tmp_path / "src.osm", NODES, WAYS).read_bytes()
    pbf = write_osm(tmp_path / "src.osm.pbf", NODES, WAYS).read_bytes()
    html = (
        b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
        b"<body><h1>Not Found</h1></body></html>\n"
    )
    contents = {
        "roads.osm.pbf": xml,
        "roads.osm": pbf,
        "empty.osm.pbf": b"",
        "page.osm.pbf": html,
        "gzipped.osm.pbf": gzip.compress(pbf),
        "gzipped.osm": gzip.compress(xml),
        "bzipped.osm.pbf": bz2.compress(xml),
        "zipped.osm.pbf": _zip(pbf),
        "lfs.osm.pbf": b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 9\n",
        "overpass.osm": b'{\n  "version": 0.6,\n  "elements": []\n}\n',
        "roads": pbf,
        "error.osm.pbf": b'<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>',
        "gzipped_page.osm.gz": gzip.compress(html),
    }
    path = tmp_path / name
    path.write_bytes(contents[name])
    return path


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("roads.osm.pbf", data)
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "expected"), MISNAMED)
def test_file_not_what_its_name_says(tmp_path, name, expected):
    path = misnamed(tmp_path, name)
    with pytest.raises(NetworkError, match=f"^{re.escape(expected)}") as caught:
        fileformat.check(path)
    assert "\n" not in str(caught.value)


def test_readable_files_and_upper_case_names_are_recognised(tmp_path):
    xml = write_osm(tmp_path / "src.osm", NODES, WAYS).read_bytes()
    pbf = write_osm(tmp_path / "src.osm.pbf", NODES, WAYS).read_bytes()
    files = {
        "roads.osm.gz": (gzip.compress(xml), "osm.gz"),
        "roads.osm.bz2": (bz2.compress(xml), "osm.bz2"),
        "ROADS.OSM.PBF": (pbf, "pbf"),  # as Windows tools and some portals write them
        "Roads.OSM": (xml, "osm"),
    }
    for name, (data, fmt) in files.items():
        (tmp_path / name).write_bytes(data)
        assert fileformat.check(tmp_path / name) == (fmt, True), name


def test_unrecognised_bytes_are_left_to_pyosmium(tmp_path):
    broken = tmp_path / "b.osm.pbf"
    broken.write_bytes(b"\x00\x00\x00\x0dgarbage")
    assert fileformat.check(broken) == ("pbf", False)
