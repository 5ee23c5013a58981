"""Fixtures: tiny inputs built in code, the committed sample county, real OSM extracts."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from . import shared_runs

# Messages in English whatever the machine's locale or GEOHEALTH_LANG: tests compare the
# English wording (Chinese is asked for explicitly where tested). Subprocesses inherit it.
os.environ["GEOHEALTH_LANG"] = "en"

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


def facility_sites(loaded, proposed: int) -> gpd.GeoDataFrame:
    """Every facility as a chosen site (EPSG:4326): the first ``proposed`` new, the rest kept."""
    import numpy as np

    facilities = loaded.facilities
    return gpd.GeoDataFrame(
        {
            "site_id": facilities["facility_id"].astype(str).to_numpy(),
            "name": facilities["name"].to_numpy(),
            "level": facilities["level"].to_numpy(),
            "chosen": True,
            "fixed": np.arange(len(facilities)) >= proposed,
        },
        geometry=facilities.geometry.to_numpy(),
        crs=facilities.crs,
    ).to_crs(4326)


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


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Keep the parsed-network cache out of the user's home during tests."""
    monkeypatch.setenv("GEOHEALTH_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


#: Where tests keep files for people to look at (screenshots); ignored by git, kept by CI.
ARTIFACTS = ROOT / "tests" / "artifacts"


def _shared_folder(tmp_path_factory) -> Path:
    """The folder every process of this test session shares (xdist workers included)."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared-runs"


def pytest_sessionstart(session: pytest.Session) -> None:
    """On a whole-suite run with workers, start the shared command runs in the background."""
    config = session.config
    whole_suite = not config.args or [Path(a).resolve() for a in config.args] == [ROOT / "tests"]
    if os.environ.get("PYTEST_XDIST_WORKER") or not config.getoption("numprocesses", None):
        return
    if not whole_suite:
        return
    folder = _shared_folder(config._tmp_path_factory)  # type: ignore[attr-defined]
    folder.mkdir(parents=True, exist_ok=True)
    config.stash[_BACKGROUND] = subprocess.Popen(
        [sys.executable, "-m", "tests.shared_runs", str(folder)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    process = session.config.stash.get(_BACKGROUND, None)
    if process is not None and process.poll() is None:
        process.terminate()
        process.wait()


_BACKGROUND = pytest.StashKey[subprocess.Popen]()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """``geohealth demo`` on the sample county, run once: (its coverage folder, its output).

    It runs as an installed copy without ``data/`` would: the sample county is generated
    into ``sample-data/`` (byte-identical to the bundled one: ``test_sample`` checks it),
    then ``check/`` and ``coverage/`` are written beside it under ``--out``.
    """
    out, result = shared_runs.run_once(_shared_folder(tmp_path_factory), "demo")
    assert result.exit_code == 0, result.output
    return out / "coverage", result


@pytest.fixture(scope="session")
def planning_runs(tmp_path_factory):
    """What-if, the regional-centre and the ambulance presets on the sample county, run once.

    Returns name → (output folder, its output) for ``whatif``, ``regional``, ``ambulance``.
    """
    folder = _shared_folder(tmp_path_factory)
    return {
        name: shared_runs.run_once(folder, name) for name in ("whatif", "regional", "ambulance")
    }


@pytest.fixture(scope="session")
def report_run(planning_runs, tmp_path_factory):
    """``geohealth report`` of the three planning runs, drive, A4 and A3: its report folder."""
    for name in shared_runs.PLANS:
        assert planning_runs[name][1].exit_code == 0, planning_runs[name][1].output
    out, result = shared_runs.run_once(_shared_folder(tmp_path_factory), "report")
    assert result.exit_code == 0, result.output
    return out / "report"
