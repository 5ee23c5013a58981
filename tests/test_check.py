"""The input check summary: counts, totals that add up, overlap of roads and townships."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import osmium
import pytest

from geohealth import check, config
from geohealth.errors import NetworkError, PopulationMismatchWarning
from geohealth.inputs import layers

from .conftest import FACILITY_HEADER, FACILITY_ROWS, write_csv


def test_sample_summary(sample_layers):
    summary = check.summarise(sample_layers)
    assert sum(summary.facilities_by_level.values()) == len(sample_layers.facilities)
    assert next(iter(summary.facilities_by_level)) == "village_clinic"
    table = summary.townships
    assert len(table) == 20
    assert summary.raster_inside + summary.raster_outside == pytest.approx(
        sample_layers.population.total
    )
    assert table["difference"].to_numpy() == pytest.approx(
        (table["raster"] - table["census"]).to_numpy()
    )
    assert table["facilities"].sum() == len(sample_layers.facilities)
    assert summary.roads is not None
    assert summary.roads.ways["trunk"] > 0
    text = check.format_text(summary)
    assert "Townships   20 from sample_townships.gpkg (CRS EPSG:4490 → EPSG:4326)" in text
    assert "村卫生室" in text
    assert "encoding gbk, coordinates GCJ02 → WGS-84" in text
    assert "© OpenStreetMap contributors, ODbL" in text
    zh = check.format_text(summary, language="zh")
    assert zh.startswith("输入检查 — 样例县")
    assert "乡镇        20 个，来自 sample_townships.gpkg (CRS EPSG:4490 → EPSG:4326)" in zh
    assert "（编码 gbk，坐标 GCJ02 → WGS-84）" in zh
    assert "各乡镇" in zh
    assert "Townships" not in zh
    assert "per township" not in zh.lower()
    # the same numbers and names in both
    assert re.findall(r"\d[\d,]*", zh.split("各乡镇")[1]) == re.findall(
        r"\d[\d,]*", text.split("Per township")[1]
    )
    csv_table = check.township_table(summary)
    assert csv_table["code"].str.len().eq(12).all()


def _settings(tmp_path, townships_file, facility_rows, osm=None):
    facilities_csv = write_csv(tmp_path / "f.csv", FACILITY_HEADER, facility_rows, "gbk")
    return config.Settings(
        boundaries=config.BoundariesSettings(path=townships_file),
        facilities=config.FacilitiesSettings(path=facilities_csv, coordinate_system="wgs84"),
        network=config.NetworkSettings(osm=osm),
    )


def test_township_totals_source_and_outside_facilities(tmp_path, townships_file):
    rows = [*FACILITY_ROWS, ["near", "邻县医院", "二级医院", 127.25, 46.05, 100]]
    settings = _settings(tmp_path, townships_file, rows)
    with pytest.warns(UserWarning, match=r"邻县医院"):
        loaded = layers.load(settings)
    summary = check.summarise(loaded)
    assert summary.facilities_outside["name"].tolist() == ["邻县医院"]
    # township totals spread: grid equals census exactly
    np.testing.assert_allclose(summary.townships["raster"], summary.townships["census"])
    assert summary.roads is None
    assert "outside every township: 1: 邻县医院" in check.format_text(summary)


def test_roads_that_miss_the_region(tmp_path, townships_file):
    osm = tmp_path / "far.osm.pbf"
    with osmium.SimpleWriter(str(osm)) as writer:
        writer.add_node(osmium.osm.mutable.Node(id=1, location=(1.5, 42.5), tags={}))
        writer.add_node(osmium.osm.mutable.Node(id=2, location=(1.6, 42.5), tags={}))
        writer.add_way(osmium.osm.mutable.Way(id=1, nodes=[1, 2], tags={"highway": "primary"}))
    settings = _settings(tmp_path, townships_file, FACILITY_ROWS, osm=osm)
    with pytest.raises(NetworkError, match=r"do not overlap the townships"):
        check.summarise(layers.load(settings))


def test_raster_source_selected_by_config(tmp_path, townships_file):
    settings = _settings(tmp_path, townships_file, FACILITY_ROWS)
    assert layers.population_source(settings) == "townships"
    with_raster = dataclasses.replace(
        settings, population=config.PopulationSettings(raster=tmp_path / "p.tif")
    )
    assert layers.population_source(with_raster) == "raster"


def test_stated_township_checked_against_location(tmp_path, townships_file):
    header = [*FACILITY_HEADER, "所属乡镇"]
    rows = [[*FACILITY_ROWS[0], "永安镇"], [*FACILITY_ROWS[1], "太平乡"], [*FACILITY_ROWS[2], ""]]
    facilities_csv = write_csv(tmp_path / "f.csv", header, rows, "gbk")
    settings = config.Settings(
        boundaries=config.BoundariesSettings(path=townships_file),
        facilities=config.FacilitiesSettings(path=facilities_csv, coordinate_system="wgs84"),
    )
    summary = check.summarise(layers.load(settings))
    assert summary.misplaced.to_dict("records") == [
        {
            "facility_id": "00102",
            "name": "永安镇前进村卫生室",
            "stated": "太平乡",
            "located": "永安镇",
        }
    ]
    assert "says 太平乡, lies in 永安镇" in check.format_text(summary)


def test_population_mismatch_warns(tmp_path, townships_file):
    from .test_population import write_raster

    raster = write_raster(tmp_path / "p.tif", np.full((10, 20), 120.0))  # 12 000 per township
    settings = dataclasses.replace(
        _settings(tmp_path, townships_file, FACILITY_ROWS),
        population=config.PopulationSettings(raster=raster, mismatch_warn_share=0.2),
    )
    with pytest.warns(
        PopulationMismatchWarning, match=r"more than 20% \(population.mismatch_warn_share\): 太平乡"
    ):
        summary = check.summarise(layers.load(settings))
    assert summary.mismatched_townships == ("太平乡",)
    assert "townships differing by more than 20%: 太平乡" in check.format_text(summary)
