"""Files a county bureau really hands over, broken in the ways they break, through the CLI.

Every case starts from a tiny valid county built in code (two townships, three facilities, a
population raster and a road grid), breaks one thing, and runs ``geohealth check`` and
``geohealth coverage``. A broken input must end with exit status 2, exactly one line on
stderr that names the file (or key) and says how to fix it, no traceback, and no output folder
left behind. Repairs made on purpose must say so in one warning line and still finish.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from click.testing import CliRunner

from geohealth.cli import main

from .conftest import FACILITY_HEADER, write_csv, write_osm

#: Tiny county: two 0.1° townships side by side at 127.0–127.2 °E, 46.0–46.1 °N.
WEST, SOUTH, CELL = 127.0, 46.0, 0.01
TOWNS = {"永安镇": ("010101100000", 10000), "太平乡": ("010101200000", 10000)}
FACILITIES = [
    ["00101", "永安镇卫生院", "乡镇卫生院", 127.05, 46.05, 40],
    ["00102", "永安镇前进村卫生室", "村卫生室", 127.02, 46.08, None],
    ["00201", "太平乡卫生院", "乡镇卫生院", 127.15, 46.05, 20],
]
CONFIG = """[region]
name = "tiny"
[boundaries]
path = "townships.gpkg"
[facilities]
path = "facilities.csv"
coordinate_system = "wgs84"
[population]
raster = "population.tif"
[network]
osm = "roads.osm.pbf"
cache = false
[analysis]
modes = ["drive"]
thresholds_min = [15]
"""


def write_population(
    path: Path,
    values: np.ndarray,
    *,
    crs: str | None = "EPSG:4326",
    corner: tuple[float, float] = (WEST, SOUTH + 0.1),
) -> None:
    """Persons per 0.01° cell, north-west corner at ``corner`` (127.0 °E, 46.1 °N)."""
    profile = {
        "driver": "GTiff",
        "width": values.shape[1],
        "height": values.shape[0],
        "count": 1,
        "dtype": "float32",
        "transform": Affine(CELL, 0.0, corner[0], 0.0, -CELL, corner[1]),
        "nodata": -99999.0,
    }
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values.astype(np.float32), 1)


def write_roads(path: Path) -> None:
    """A 0.005° grid of residential streets over both townships."""
    xs = np.round(np.arange(WEST, WEST + 0.2001, 0.005), 5)
    ys = np.round(np.arange(SOUTH, SOUTH + 0.1001, 0.005), 5)
    nodes = {
        1 + i * len(ys) + j: (float(x), float(y))
        for i, x in enumerate(xs)
        for j, y in enumerate(ys)
    }
    tags = {"highway": "residential"}
    ways = [(1 + i, [1 + i * len(ys) + j for j in range(len(ys))], tags) for i in range(len(xs))]
    ways += [
        (1000 + j, [1 + i * len(ys) + j for i in range(len(xs))], tags) for j in range(len(ys))
    ]
    write_osm(path, nodes, ways)


def townships_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "乡镇名称": list(TOWNS),
            "统计用区划代码": [code for code, _ in TOWNS.values()],
            "常住人口": [people for _, people in TOWNS.values()],
        },
        geometry=[
            shapely.box(WEST + 0.1 * k, SOUTH, WEST + 0.1 * (k + 1), SOUTH + 0.1) for k in range(2)
        ],
        crs="EPSG:4490",
    )


@pytest.fixture(scope="module")
def tiny_county(tmp_path_factory) -> Path:
    """The valid tiny county (built once; each case copies it)."""
    folder = tmp_path_factory.mktemp("tiny")
    townships_frame().to_file(folder / "townships.gpkg", layer="townships", engine="pyogrio")
    write_csv(folder / "facilities.csv", FACILITY_HEADER, FACILITIES, "gbk")
    write_population(folder / "population.tif", np.full((10, 20), 100.0))
    write_roads(folder / "roads.osm.pbf")
    (folder / "run.toml").write_text(CONFIG, encoding="utf-8")
    return folder


@dataclass(frozen=True)
class Broken:
    """One broken input: how to break the county, what the one line must say."""

    name: str
    breaks: Callable[[Path], None]
    says: tuple[str, ...]


def set_config(folder: Path, old: str, new: str) -> None:
    config = folder / "run.toml"
    text = config.read_text(encoding="utf-8")
    assert old in text, old
    config.write_text(text.replace(old, new), encoding="utf-8")


def zero_population(folder: Path) -> None:
    write_population(folder / "population.tif", np.zeros((10, 20)))


def population_elsewhere(folder: Path) -> None:
    """A raster of the right size but 30° away (a wrong corner in the export)."""
    write_population(folder / "population.tif", np.full((10, 20), 100.0), corner=(97.0, 36.1))


def huge_threshold(folder: Path) -> None:
    set_config(folder, "thresholds_min = [15]", "thresholds_min = [15, 1000000]")


def windows_path_escape(folder: Path) -> None:
    set_config(folder, 'path = "townships.gpkg"', 'path = "D:\\data\\townships.gpkg"')


def windows_path_tab(folder: Path) -> None:
    set_config(folder, 'path = "townships.gpkg"', 'path = ".\\townships.gpkg"')


def truncated_raster(folder: Path) -> None:
    raster = folder / "population.tif"
    data = raster.read_bytes()
    raster.write_bytes(data[: len(data) // 2])


def xml_in_pbf(folder: Path) -> None:
    xml = folder / "roads.osm"
    nodes = {1: (127.01, 46.01), 2: (127.19, 46.09)}
    write_osm(xml, nodes, [(1, [1, 2], {"highway": "residential"})])
    shutil.move(xml, folder / "roads.osm.pbf")


def missing_profile_mode(folder: Path) -> None:
    (folder / "profiles.toml").write_text(
        "[walk]\noffroad_kmh = 4.0\nrespect_oneway = false\nmaxspeed = 'ignore'\n"
        "maxspeed_factor = 1.0\naccess_keys = ['foot', 'access']\nferry_kmh = 10.0\n"
        "ferry_wait_min = 10.0\nferry_keys = ['foot']\nferry_default = true\n"
        "[walk.speeds_kmh]\nresidential = 4.5\n",
        encoding="utf-8",
    )
    set_config(folder, "cache = false", 'cache = false\nprofiles = "profiles.toml"')


def missing_dem(folder: Path) -> None:
    set_config(folder, "cache = false", 'cache = false\ndem = "dem.tif"')


def level_with_question_mark(folder: Path) -> None:
    rows = [*FACILITIES, ["00301", "某某医院", "医院？", 127.12, 46.02, 100]]
    write_csv(folder / "facilities.csv", FACILITY_HEADER, rows, "gbk")


def big5_facilities(folder: Path) -> None:
    """A Taiwanese-style export: traditional characters in Big5."""
    header = ["機構編碼", "機構名稱", "機構類別", "經度", "緯度", "床位數"]
    traditional = str.maketrans({"乡": "鄉", "镇": "鎮", "卫": "衛", "进": "進", "院": "院"})
    rows = [
        [str(v).translate(traditional) if v is not None else None for v in row]
        for row in FACILITIES
    ]
    write_csv(folder / "facilities.csv", header, rows, "big5")


def swapped_columns(folder: Path) -> None:
    header = ["机构编码", "机构名称", "机构类别", "经度", "纬度", "床位数"]
    rows = [[c, n, lv, y, x, b] for c, n, lv, x, y, b in FACILITIES]
    write_csv(folder / "facilities.csv", header, rows, "gbk")


def several_layers(folder: Path) -> None:
    frame = townships_frame()
    frame.to_file(folder / "townships.gpkg", layer="towns_2020", engine="pyogrio")
    frame.to_file(folder / "townships.gpkg", layer="towns_2024", engine="pyogrio")
    # the file now holds three polygon layers; the configuration names none


def projected_without_crs(folder: Path) -> None:
    frame = townships_frame().to_crs("EPSG:4530")  # CGCS2000 3° Gauss–Krüger zone 42
    (folder / "townships.gpkg").unlink()
    frame.to_file(folder / "townships.shp", engine="pyogrio")
    (folder / "townships.prj").unlink()
    set_config(folder, 'path = "townships.gpkg"', 'path = "townships.shp"')


def user_files_in_output(folder: Path) -> None:
    (folder / "out").mkdir()
    (folder / "out" / "notes.docx").write_bytes(b"the planner's own notes")


BROKEN = [
    Broken("zero population", zero_population, ("population.tif", "no people")),
    Broken("raster elsewhere", population_elsewhere, ("population.tif", "overlap")),
    Broken("truncated raster", truncated_raster, ("population.tif",)),
    Broken("huge threshold", huge_threshold, ("analysis.thresholds_min", "at most 240")),
    Broken("windows path, escape", windows_path_escape, ("run.toml", "forward slashes")),
    Broken("windows path, tab", windows_path_tab, ("boundaries.path", "forward slashes")),
    Broken("xml in pbf", xml_in_pbf, ("roads.osm.pbf", ".osm")),
    Broken("dem missing", missing_dem, ("dem.tif", "network.dem")),
    Broken("profiles lack a mode", missing_profile_mode, ("profiles.toml", "drive")),
    Broken(
        "level with ？",
        level_with_question_mark,
        ("facilities.csv", "医院？", "[facilities.levels]"),
    ),
    Broken("big5 text", big5_facilities, ("facilities.csv", "big5")),
    Broken("lon/lat swapped", swapped_columns, ("facilities.csv", "swapped")),
    Broken("several layers", several_layers, ("townships.gpkg", "boundaries.layer")),
    Broken("projected, .prj lost", projected_without_crs, ("townships.shp", "boundaries.crs")),
]


def run(folder: Path, *args: str):
    return CliRunner().invoke(main, ["-q", *args])


@pytest.mark.parametrize("case", BROKEN, ids=[b.name for b in BROKEN])
@pytest.mark.parametrize("command", ["check", "coverage"])
def test_broken_input_gives_one_line_and_no_files(tiny_county, tmp_path, case, command):
    folder = tmp_path / "county"
    shutil.copytree(tiny_county, folder)
    case.breaks(folder)
    out = tmp_path / "maps" / "out"
    result = run(folder, command, str(folder / "run.toml"), "--out", str(out))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    for words in case.says:
        assert words.lower() in lines[0].lower(), (words, lines[0])
    assert "Traceback" not in result.output
    assert not (tmp_path / "maps").exists()  # nothing written, not even the folder


def census_off_by_a_fifth(folder: Path) -> None:
    frame = townships_frame()
    frame["常住人口"] = [12000, 8000]  # the raster holds 10 000 in each
    frame.to_file(folder / "townships.gpkg", layer="townships", engine="pyogrio")


def overlapping_townships(folder: Path) -> None:
    frame = townships_frame()
    frame.loc[1, "geometry"] = shapely.box(WEST + 0.08, SOUTH, WEST + 0.2, SOUTH + 0.1)
    frame.to_file(folder / "townships.gpkg", layer="townships", engine="pyogrio")


REPAIRED = [
    Broken("census off by a fifth", census_off_by_a_fifth, ("population.tif", "census", "太平乡")),
    Broken("townships overlap", overlapping_townships, ("永安镇", "太平乡", "counted once")),
]


@pytest.mark.parametrize("case", REPAIRED, ids=[b.name for b in REPAIRED])
def test_repaired_input_says_so_in_one_warning_and_finishes(tiny_county, tmp_path, case):
    folder = tmp_path / "county"
    shutil.copytree(tiny_county, folder)
    case.breaks(folder)
    out = tmp_path / "out"
    result = run(folder, "coverage", str(folder / "run.toml"), "--out", str(out))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("warning: ")
    for words in case.says:
        assert words in lines[0], (words, lines[0])
    assert ".py" not in lines[0]  # no source file or line of ours
    assert (out / "townships.csv").is_file()


def test_the_tiny_county_is_valid(tiny_county, tmp_path):
    """The cases break a county that itself runs clean: no warning, every file written."""
    folder = tmp_path / "county"
    shutil.copytree(tiny_county, folder)
    out = tmp_path / "out"
    result = run(folder, "coverage", str(folder / "run.toml"), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == ""
    assert {"townships.csv", "coverage_map.html", "run.json"} <= {p.name for p in out.iterdir()}


def test_output_folder_with_the_users_files_is_refused(tiny_county, tmp_path):
    folder = tmp_path / "county"
    shutil.copytree(tiny_county, folder)
    user_files_in_output(folder)
    result = run(folder, "coverage", str(folder / "run.toml"), "--out", str(folder / "out"))
    assert result.exit_code == 2
    assert "already holds files geohealth did not write" in result.stderr
    assert [p.name for p in (folder / "out").iterdir()] == ["notes.docx"]


def test_commands_never_replace_each_others_folders(tiny_county, tmp_path):
    folder = tmp_path / "county"
    shutil.copytree(tiny_county, folder)
    config = str(folder / "run.toml")
    out = folder / "maps"
    assert run(folder, "check", config, "--out", str(out / "a")).exit_code == 0
    result = run(folder, "coverage", config, "--out", str(out / "a"))
    assert result.exit_code == 2
    assert "holds the output of 'geohealth check'" in result.stderr
    assert sorted(p.name for p in (out / "a").iterdir()) == [
        "check.txt",
        "check_townships.csv",
        "run.json",
    ]
    # rerunning a command replaces its own folder whole
    (out / "a" / "stale.txt").write_text("from an older run")
    assert run(folder, "check", config, "--out", str(out / "a")).exit_code == 0
    assert not (out / "a" / "stale.txt").exists()


def test_output_folder_holding_an_input_is_refused(tiny_county, tmp_path):
    folder = tmp_path / "county"
    shutil.copytree(tiny_county, folder)
    result = run(folder, "check", str(folder / "run.toml"), "--out", str(folder))
    assert result.exit_code == 2
    assert "holds the input" in result.stderr
    assert (folder / "townships.gpkg").is_file()


def test_each_command_has_its_own_default_folder(tiny_county, tmp_path, monkeypatch):
    folder = tmp_path / "county"
    shutil.copytree(tiny_county, folder)
    monkeypatch.chdir(tmp_path)
    config = str(folder / "run.toml")
    assert run(folder, "coverage", config).exit_code == 0
    assert run(folder, "isochrones", config).exit_code == 0
    site = ["site", config, "--problem", "mclp", "--p", "1", "--level", "township_health_centre"]
    assert run(folder, *site).exit_code == 0
    whatif = ["whatif", config, "--close", "00102", "--mode", "drive"]
    assert run(folder, *whatif).exit_code == 0
    region = tmp_path / "maps" / "tiny"
    assert sorted(p.name for p in region.iterdir()) == [
        "coverage",
        "isochrones-primary",
        "site-mclp",
        "whatif-close-1",
    ]
    assert (region / "coverage" / "townships.csv").is_file()
    assert (region / "site-mclp" / "sites.csv").is_file()
    assert not list(region.glob(".*"))  # no staging folder left behind
