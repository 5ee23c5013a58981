"""Coverage arithmetic per township, against brute force and on the sample county."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from pyproj import CRS

from geohealth import config, coverage, reach, traveltime
from geohealth.errors import InputError
from geohealth.inputs import layers, population
from geohealth.inputs.population import PopulationGrid

from .conftest import SAMPLE_CONFIG


def _two_townships():
    """A (west half) and B (east half) of a 4 × 4 grid of 0.01° cells, and C elsewhere."""
    grid_transform = Affine(0.01, 0, 120.0, 0, -0.01, 30.04)
    townships = gpd.GeoDataFrame(
        {"code": ["A", "B", "C"], "name": ["甲镇", "乙乡", "丙村"]},
        geometry=[
            shapely.box(120.0, 30.0, 120.02, 30.04),
            shapely.box(120.02, 30.0, 120.04, 30.04),
            shapely.box(121.0, 31.0, 121.01, 31.01),  # no cell: nobody lives there
        ],
        crs=4326,
    )
    return townships, grid_transform


def _brute(values, minutes, cols, limit):
    """Covered, total and sorted per-person times for the cells in ``cols``."""
    people, times = [], []
    for r in range(values.shape[0]):
        for c in cols:
            if np.isfinite(values[r, c]):
                people.append(values[r, c])
                times.append(minutes[r, c])
    people, times = np.array(people), np.array(times)
    covered = people[times <= limit].sum()
    finite = np.isfinite(times)
    each = np.sort(np.repeat(times[finite], people[finite].astype(int)))
    return covered, people.sum(), each


@pytest.mark.parametrize("seed", range(5))
def test_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    townships, transform = _two_townships()
    values = rng.integers(0, 50, (4, 4)).astype(float)
    values[rng.random((4, 4)) < 0.15] = np.nan
    minutes = rng.uniform(0, 40, (4, 4)).round(1)
    minutes[rng.random((4, 4)) < 0.2] = np.inf
    grid = PopulationGrid(values=values, transform=transform, crs=CRS.from_epsg(4326), source="t")
    table = coverage.township_coverage(
        townships, grid, minutes, [0, 15, 30], mode="walk", group="primary", area_name="县"
    )
    assert list(table.columns) == list(coverage.COLUMNS)
    assert len(table) == 3 * 4
    np.testing.assert_allclose(table["covered"] + table["uncovered"], table["population"])
    for limit in (0, 15, 30):
        rows = table[table["threshold_min"] == limit].set_index("code")
        for code, cols in (("A", [0, 1]), ("B", [2, 3]), (coverage.AREA_CODE, [0, 1, 2, 3])):
            covered, total, each = _brute(values, minutes, cols, limit)
            assert rows.loc[code, "covered"] == pytest.approx(covered)
            assert rows.loc[code, "population"] == pytest.approx(total)
            if each.size:
                assert rows.loc[code, "mean_min"] == pytest.approx(each.mean())
                assert rows.loc[code, "median_min"] == each[int(np.ceil(0.5 * each.size)) - 1]
                assert rows.loc[code, "p95_min"] == each[int(np.ceil(0.95 * each.size)) - 1]
            else:
                assert np.isnan(rows.loc[code, "median_min"])
        assert rows.loc["C", "population"] == 0
        assert np.isnan(rows.loc["C", "share_covered"])
        assert rows.loc[coverage.AREA_CODE, "name"] == "县"
        assert rows.loc[coverage.AREA_CODE, "covered"] == pytest.approx(
            rows.loc[["A", "B", "C"], "covered"].sum()
        )


def test_unreachable_township_and_threshold_zero():
    townships, transform = _two_townships()
    values = np.full((4, 4), 10.0)
    minutes = np.full((4, 4), 5.0)
    minutes[:, 2:] = np.inf  # nobody in B can reach a facility
    minutes[0, 0] = 0.0  # someone lives at the door
    grid = PopulationGrid(values=values, transform=transform, crs=CRS.from_epsg(4326), source="t")
    table = coverage.township_coverage(
        townships, grid, minutes, [0, 15], mode="drive", group="primary"
    ).set_index(["threshold_min", "code"])
    b = table.loc[(15.0, "B")]
    assert b["covered"] == 0
    assert b["uncovered"] == 80
    assert np.isnan(b["mean_min"])  # missing, not a sentinel number
    assert table.loc[(0.0, "A"), "covered"] == 10
    assert table.loc[(15.0, "A"), "share_covered"] == 1.0
    with pytest.raises(InputError, match="not aligned"):
        coverage.township_coverage(townships, grid, minutes[:2], [15], mode="m", group="g")
    with pytest.raises(InputError, match="≥ 0 minutes"):
        coverage.township_coverage(townships, grid, minutes, [-1], mode="m", group="g")


def test_sample_county_totals_add_up():
    loaded = layers.load(config.load(SAMPLE_CONFIG))
    net = reach.networks(loaded, group="primary", modes=("walk",))["walk"]
    minutes = traveltime.surface(net.graph, loaded.population, net.attached)
    table = coverage.township_coverage(
        loaded.townships, loaded.population, minutes, [15], mode="walk", group="primary"
    )
    per_township, _ = population.zonal_totals(loaded.population, loaded.townships)
    rows = table.set_index("code")
    np.testing.assert_allclose(rows.loc[per_township.index, "population"], per_township)
    assert rows.loc[coverage.AREA_CODE, "population"] == pytest.approx(per_township.sum())
    np.testing.assert_allclose(table["covered"] + table["uncovered"], table["population"])
    assert 0.3 < rows.loc[coverage.AREA_CODE, "share_covered"] < 0.9  # walking: partial


def test_coverage_outputs_keep_their_contract(demo_run):
    import pandas as pd
    import pyogrio

    from geohealth.catchments import FACILITY_COLUMNS

    out, result = demo_run
    assert "≤15 min to primary care" in result.stdout
    raw = (out / "townships.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(out / "townships.csv", encoding="utf-8-sig", dtype={"code": str})
    assert list(table.columns) == [*coverage.COLUMNS, "beds_per_1000", "e2sfca_beds_per_1000"]
    assert set(table["group"]) == {"primary", "secondary", "emergency"}
    assert set(table["mode"]) == {"walk", "two_wheeler", "drive"}
    np.testing.assert_allclose(table["covered"] + table["uncovered"], table["population"])
    thresholds = config.load(SAMPLE_CONFIG).analysis.thresholds_min
    assert len(table) == 3 * 3 * len(thresholds) * 21  # 20 townships + the whole area
    assert "永安镇" in set(table["name"])
    area = table[table["code"] == coverage.AREA_CODE]
    assert (area["beds_per_1000"] > 0).all()
    # unreachable people are missing, never a sentinel
    assert not (table[["mean_min", "median_min", "p95_min"]] < 0).any().any()

    facilities = pd.read_csv(
        out / "facilities.csv", encoding="utf-8-sig", dtype={"facility_id": str}
    )
    assert list(facilities.columns) == list(FACILITY_COLUMNS)
    for (group, mode, _), rows in facilities.groupby(["group", "mode", "threshold_min"]):
        town = area[(area["group"] == group) & (area["mode"] == mode)]
        reached = (
            town["population"].iloc[0]
            - town[town["threshold_min"] == max(thresholds)]["uncovered"].iloc[0]
        )
        # catchments share out everyone who reaches a facility at all (≥ those within 30 min)
        assert rows["catchment_population"].sum() >= reached - 1e-6

    sheets = pd.read_excel(out / "coverage.xlsx", sheet_name=None)
    assert list(sheets) == ["乡镇覆盖", "机构服务", "说明"]
    assert "常住人口（人）" in sheets["乡镇覆盖"].columns
    assert "服务人口（人，就近）" in sheets["机构服务"].columns
    assert set(sheets["乡镇覆盖"]["出行方式"]) == {"步行", "电动车/摩托车", "驾车"}
    from openpyxl import load_workbook

    assert load_workbook(out / "coverage.xlsx")["乡镇覆盖"].freeze_panes == "A2"

    layers_found = {name for name, _ in pyogrio.list_layers(out / "coverage.gpkg")}
    for mode in ("walk", "two_wheeler", "drive"):
        assert {
            f"townships_primary_{mode}",
            f"catchments_primary_{mode}",
            f"uncovered_{mode}",
            f"circles_primary_{mode}",
            f"circles_secondary_{mode}",
        } <= layers_found
    assert "facilities" in layers_found
    assert not any(name.startswith("isochrones_") for name in layers_found)  # `isochrones`
    for name in layers_found:
        info = pyogrio.read_info(out / "coverage.gpkg", layer=name)
        assert info["crs"] == "EPSG:4326", name
    towns = pyogrio.read_dataframe(out / "coverage.gpkg", layer="townships_primary_walk")
    assert {"share_covered_15min", "uncovered_15min", "e2sfca_beds_per_1000"} <= set(towns.columns)
    assert towns.is_valid.all()


def test_people_beyond_every_road_are_one_warning_line_per_count():
    """Modes leaving the same people beyond reach share one line; a few people only log."""
    import warnings
    from types import SimpleNamespace

    from geohealth.errors import BeyondReachWarning

    loaded = SimpleNamespace(
        population=SimpleNamespace(total=10_000.0),
        settings=SimpleNamespace(network=SimpleNamespace(max_walk_m=300.0)),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        coverage._warn_beyond_reach(loaded, {"walk": 900.0, "two_wheeler": 900.0, "drive": 20.0})
    lines = [str(w.message) for w in caught if issubclass(w.category, BeyondReachWarning)]
    assert len(lines) == 1
    assert lines[0].startswith("walk, two_wheeler: 900 people (9.0%) live farther than 300 m")
    assert "\n" not in lines[0]


def test_freed_memory_goes_back_to_the_system():
    """After a large array is freed, give_back leaves the process no larger (Linux: smaller)."""
    import sys

    from geohealth import memory

    def resident_mb() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 1e6

    if not sys.platform.startswith("linux"):
        memory.give_back()  # a no-op elsewhere
        return
    chunks = [np.ones(10_000) for _ in range(8_000)]  # 640 MB in 80 kB heap blocks
    del chunks[::2]
    before = resident_mb()
    memory.give_back()
    assert resident_mb() < before - 100
    del chunks
