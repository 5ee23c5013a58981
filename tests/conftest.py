"""Fixtures: tiny inputs built in code, the committed sample county, real OSM extracts."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "data"
SAMPLE_CONFIG = SAMPLE_DIR / "sample_county.toml"
#: Real OSM extracts committed with the tests (ODbL; see tests/data/README.md).
TEST_DATA = ROOT / "tests" / "data"


def square(lon: float, lat: float, size: float = 0.1) -> shapely.Polygon:
    """A lon/lat square with its south-west corner at (lon, lat)."""
    return shapely.box(lon, lat, lon + size, lat + size)


@pytest.fixture
def townships_gdf() -> gpd.GeoDataFrame:
    """Two adjacent townships near 127°E 46°N, Chinese columns, CGCS2000."""
    return gpd.GeoDataFrame(
        {
            "名称": ["永安镇", "太平乡"],
            "代码": ["010101100000", "010101200000"],  # leading zero on purpose
            "人口": [12000, 8000],
        },
        geometry=[square(127.0, 46.0), square(127.1, 46.0)],
        crs="EPSG:4490",
    )


@pytest.fixture
def townships_file(tmp_path: Path, townships_gdf: gpd.GeoDataFrame) -> Path:
    path = tmp_path / "townships.gpkg"
    townships_gdf.to_file(path, layer="townships", engine="pyogrio")
    return path


def write_csv(
    path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8"
) -> Path:
    """Write a small CSV in the given encoding."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


FACILITY_HEADER = ["机构编码", "机构名称", "机构类别", "经度", "纬度", "床位数"]
FACILITY_ROWS = [
    ["00101", "永安镇卫生院", "乡镇卫生院", 127.05, 46.05, 40],
    ["00102", "永安镇前进村卫生室", "村卫生室", 127.02, 46.08, None],
    ["00201", "太平乡卫生院", "乡镇卫生院", 127.15, 46.05, 20],
]


@pytest.fixture
def facilities_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "facilities.csv", FACILITY_HEADER, FACILITY_ROWS, "gbk")


@pytest.fixture(scope="session")
def sample_layers():
    """The committed sample county, loaded once."""
    from geohealth import config
    from geohealth.inputs import layers

    return layers.load(config.load(SAMPLE_CONFIG))


def engine_minutes(loaded, facilities, mode: str = "drive"):
    """Minutes per population cell to the nearest of ``facilities`` alone (the engine's surface)."""
    from geohealth import reach, traveltime

    sub = dataclasses.replace(loaded, facilities=facilities.reset_index(drop=True))
    net = reach.networks(sub, modes=(mode,))[mode]
    return traveltime.surface(net.graph, loaded.population, net.attached)


def overlay_names(page: str) -> list[str]:
    """Names of the overlay layers in a folium page's layer control (JSON-unescaped)."""
    block = re.search(r"overlays\s*:\s*\{(.*?)\}", page, re.S).group(1)
    return [json.loads(f'"{m}"') for m in re.findall(r'"((?:[^"\\]|\\.)*)"\s*:', block)]


def real_extract(name: str) -> Path:
    """A real OSM extract committed in tests/data (Andorra, Monaco; ODbL)."""
    path = TEST_DATA / name
    if not path.is_file():
        pytest.fail(f"real OSM extract missing: {path} (see tests/data/README.md)")
    return path


def write_osm(
    path: Path,
    nodes: dict[int, tuple[float, float]],
    ways: list[tuple[int, list[int], dict[str, str]]],
) -> Path:
    """Write a tiny OSM file (.osm.pbf or .osm XML, by suffix) with pyosmium."""
    import osmium

    if path.exists():
        path.unlink()
    with osmium.SimpleWriter(str(path)) as writer:
        for node_id, (lon, lat) in sorted(nodes.items()):
            writer.add_node(
                osmium.osm.mutable.Node(id=node_id, location=(lon, lat), tags={}, version=1)
            )
        for way_id, refs, tags in ways:
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=refs, tags=tags, version=1))
    return path


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group tests for pytest-xdist: a module stays on one worker, and so does every test of a
    shared command run (``demo_run``, ``planning_runs``), so those run once, not per worker."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        group = next((name for name in ("demo_run", "planning_runs") if name in used), None)
        item.add_marker(pytest.mark.xdist_group(group or item.path.name))


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Keep the parsed-network cache out of the user's home during tests."""
    monkeypatch.setenv("GEOHEALTH_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


#: Where tests keep files for people to look at (screenshots); ignored by git, kept by CI.
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """``geohealth demo`` on the sample county, run once: (its coverage folder, click result).

    The demo writes ``check/`` and ``coverage/`` under its ``--out`` folder.
    """
    from click.testing import CliRunner

    from geohealth.cli import main

    out = tmp_path_factory.mktemp("demo") / "maps"
    result = CliRunner().invoke(main, ["-q", "demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "coverage", result


@pytest.fixture(scope="session")
def planning_runs(tmp_path_factory):
    """What-if, the regional-centre and the ambulance presets on the sample county, run once.

    Returns name → (output folder, click result) for ``whatif``, ``regional``, ``ambulance``.
    """
    from click.testing import CliRunner

    from geohealth.cli import main

    root = tmp_path_factory.mktemp("plans")
    config = str(SAMPLE_CONFIG)
    commands = {
        "whatif": [
            *("whatif", config, "--mode", "drive"),
            *("--upgrade", "239901104001=rural_regional_centre"),
        ],
        "regional": [
            *("site", config, "--preset", "regional-centre"),
            *("--min-population", "30000", "--max-population", "70000"),
        ],
        "ambulance": ["site", config, "--preset", "ambulance"],
    }
    runner = CliRunner()
    return {
        name: (root / name, runner.invoke(main, ["-q", *args, "--out", str(root / name)]))
        for name, args in commands.items()
    }
