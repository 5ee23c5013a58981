"""Township boundaries: formats, CRS, codes as text, geometry repair and errors."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geohealth.errors import (
    ConfigError,
    CoordinateError,
    DuplicateIdError,
    GeometryRepairWarning,
    InputError,
    InputFileNotFoundError,
    MissingColumnError,
    NoCrsError,
)
from geohealth.inputs import boundaries

from .conftest import square


def test_gpkg_with_chinese_columns(townships_file):
    towns = boundaries.load(townships_file)
    assert towns.crs.to_epsg() == 4326
    assert towns["code"].tolist() == ["010101100000", "010101200000"]
    assert towns["name"].tolist() == ["永安镇", "太平乡"]
    assert towns["population"].tolist() == [12000.0, 8000.0]
    assert towns.attrs["source_crs"] == "EPSG:4490"


@pytest.mark.parametrize("suffix", [".geojson", ".shp"])
def test_other_formats(tmp_path, townships_gdf, suffix):
    path = tmp_path / f"towns{suffix}"
    townships_gdf.rename(columns={"名称": "name", "代码": "code", "人口": "pop"}).to_file(
        path, engine="pyogrio", encoding="utf-8"
    )
    towns = boundaries.load(path)
    assert towns["code"].tolist() == ["010101100000", "010101200000"]
    assert towns["population"].sum() == 20000


def test_configured_columns_and_projected_source(tmp_path, townships_gdf):
    path = tmp_path / "t.gpkg"
    townships_gdf.rename(columns={"名称": "TOWN", "代码": "ID", "人口": "P2020"}).to_crs(
        "EPSG:32652"
    ).to_file(path, engine="pyogrio")
    towns = boundaries.load(path, name_column="TOWN", code_column="ID", population_column="P2020")
    assert towns.crs.to_epsg() == 4326
    np.testing.assert_allclose(towns.total_bounds, [127.0, 46.0, 127.2, 46.1], atol=1e-6)


def test_numeric_codes_become_text(tmp_path, townships_gdf, caplog):
    path = tmp_path / "t.gpkg"
    frame = townships_gdf.assign(代码=[230101100000, 230101200000])
    frame.to_file(path, engine="pyogrio")
    towns = boundaries.load(path)
    assert towns["code"].tolist() == ["230101100000", "230101200000"]
    assert "stored as numbers" in caplog.text


def test_missing_crs_and_declared_crs(tmp_path, townships_gdf):
    path = tmp_path / "t.shp"
    townships_gdf.to_file(path, engine="pyogrio", encoding="utf-8")
    path.with_suffix(".prj").unlink()
    with pytest.raises(NoCrsError, match=r"has no CRS .* set boundaries.crs"):
        boundaries.load(path)
    towns = boundaries.load(path, crs="EPSG:4490")
    assert towns.crs.to_epsg() == 4326
    with pytest.raises(ConfigError, match=r"not a CRS pyproj knows"):
        boundaries.load(path, crs="EPSG:99999999")


def test_declared_crs_conflicting_with_file(townships_file):
    with pytest.raises(ConfigError, match=r"remove boundaries.crs"):
        boundaries.load(townships_file, crs="EPSG:32652")


def test_metres_declared_as_degrees(tmp_path, townships_gdf):
    path = tmp_path / "t.gpkg"
    townships_gdf.to_crs("EPSG:32652").set_crs("EPSG:4326", allow_override=True).to_file(
        path, engine="pyogrio"
    )
    with pytest.raises(CoordinateError, match=r"look like metres"):
        boundaries.load(path)


def test_invalid_geometry_repaired_with_warning(tmp_path, townships_gdf):
    bowtie = shapely.Polygon([(127.0, 46.0), (127.1, 46.1), (127.1, 46.0), (127.0, 46.1)])
    path = tmp_path / "t.gpkg"
    townships_gdf.set_geometry([bowtie, square(127.1, 46.0)], crs="EPSG:4490").to_file(
        path, engine="pyogrio"
    )
    with pytest.warns(GeometryRepairWarning, match=r"repaired 1 invalid geometry .*永安镇"):
        towns = boundaries.load(path)
    assert towns.is_valid.all()
    assert set(towns.geom_type) <= {"Polygon", "MultiPolygon"}
    assert towns.geometry.iloc[0].area > 0


def test_empty_geometry_is_an_error(tmp_path, townships_gdf):
    path = tmp_path / "t.gpkg"
    townships_gdf.set_geometry([shapely.Polygon(), square(127.1, 46.0)], crs="EPSG:4490").to_file(
        path, engine="pyogrio"
    )
    with pytest.raises(InputError, match=r"empty geometry: 永安镇 \(010101100000\)"):
        boundaries.load(path)


def test_duplicate_codes(tmp_path, townships_gdf):
    path = tmp_path / "t.gpkg"
    townships_gdf.assign(代码=["1", "1"]).to_file(path, engine="pyogrio")
    with pytest.raises(DuplicateIdError, match=r"township codes repeat"):
        boundaries.load(path)


def test_unknown_column_lists_columns(townships_file):
    with pytest.raises(
        MissingColumnError, match=r"column 'NAME' not found; columns are: 名称, 代码, 人口"
    ):
        boundaries.load(townships_file, name_column="NAME")


def test_missing_file_points_and_layers(tmp_path, townships_gdf, townships_file):
    with pytest.raises(InputFileNotFoundError, match=r"boundaries.path"):
        boundaries.load(tmp_path / "missing.gpkg")
    with pytest.raises(InputError, match=r"layer 'towns' not found; layers are: townships"):
        boundaries.load(townships_file, layer="towns")
    points = tmp_path / "p.gpkg"
    townships_gdf.set_geometry(
        shapely.points([127.05, 127.15], [46.05, 46.05]), crs="EPSG:4490"
    ).to_file(points, engine="pyogrio")
    with pytest.raises(InputError, match=r"must be polygons"):
        boundaries.load(points)
    garbage = tmp_path / "g.geojson"
    garbage.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"not a readable vector file"):
        boundaries.load(garbage)


def test_blank_name_and_negative_population(tmp_path, townships_gdf):
    path = tmp_path / "t.gpkg"
    townships_gdf.assign(名称=["永安镇", ""]).to_file(path, engine="pyogrio")
    with pytest.raises(InputError, match=r"township name is blank in feature"):
        boundaries.load(path)
    townships_gdf.assign(人口=[100, -5]).to_file(path, engine="pyogrio")
    with pytest.raises(InputError, match=r"negative population"):
        boundaries.load(path)


def test_codes_made_when_absent(tmp_path, townships_gdf):
    path = tmp_path / "t.gpkg"
    townships_gdf.drop(columns=["代码"]).to_file(path, engine="pyogrio")
    assert boundaries.load(path)["code"].tolist() == ["001", "002"]


def test_keeps_other_columns(tmp_path, townships_gdf):
    path = tmp_path / "t.gpkg"
    gpd.GeoDataFrame(townships_gdf.assign(类型=["镇", "乡"])).to_file(path, engine="pyogrio")
    assert boundaries.load(path)["类型"].tolist() == ["镇", "乡"]


def test_bad_population_names_the_feature(tmp_path, townships_gdf):
    path = tmp_path / "t.gpkg"
    townships_gdf.assign(人口=["12000", "八千"]).to_file(path, engine="pyogrio")
    with pytest.raises(InputError, match=r"not numbers \(feature 2: '八千'\)"):
        boundaries.load(path)
