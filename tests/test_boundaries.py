"""Township boundaries: formats, CRS, codes as text, geometry repair and errors."""

from __future__ import annotations

import logging
import re
import warnings

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

from geohealth.errors import (
    ConfigError,
    CoordinateError,
    DuplicateIdError,
    GeometryRepairWarning,
    InputError,
    InputFileNotFoundError,
    MissingColumnError,
    NoCrsError,
    OverlappingTownshipsWarning,
)
from geohealth.inputs import boundaries, coords, facilities, population, region

from .conftest import square, write_csv


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


# --- web-map coordinates (GCJ-02 / BD-09) -------------------------------------------------


def _shifted(frame, convert):
    def move(xy):
        lon, lat = convert(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return frame.set_geometry(shapely.transform(frame.geometry.to_numpy(), move))


@pytest.mark.parametrize(
    ("system", "convert"), [("gcj02", coords.wgs84_to_gcj02), ("bd09", coords.wgs84_to_bd09)]
)
def test_web_map_outlines_converted_to_wgs84(tmp_path, townships_gdf, system, convert):
    truth = townships_gdf.set_crs("EPSG:4326", allow_override=True)
    path = tmp_path / "web.geojson"
    _shifted(truth, convert).to_file(path, engine="pyogrio")
    as_read = boundaries.load(path)
    offset_m = as_read.to_crs("EPSG:32652").distance(truth.to_crs("EPSG:32652")).min()
    assert offset_m == 0  # squares shifted by ~0.5 km still intersect; check the vertices:
    assert not np.allclose(
        shapely.get_coordinates(as_read.geometry.to_numpy()),
        shapely.get_coordinates(truth.geometry.to_numpy()),
        atol=1e-3,
    )
    towns = boundaries.load(path, coordinate_system=system)
    np.testing.assert_allclose(
        shapely.get_coordinates(towns.geometry.to_numpy()),
        shapely.get_coordinates(truth.geometry.to_numpy()),
        atol=1e-8,
    )
    assert towns.attrs["coordinate_system"] == system


def test_web_map_system_refused_for_projected_file(tmp_path, townships_gdf):
    path = tmp_path / "utm.gpkg"
    townships_gdf.to_crs("EPSG:32652").to_file(path, engine="pyogrio")
    with pytest.raises(
        ConfigError,
        match=r"^utm\.gpkg: boundaries\.coordinate_system = 'gcj02' applies to lon/lat files, "
        r"but this one is in EPSG:32652 \(metres\) — remove boundaries\.coordinate_system$",
    ):
        boundaries.load(path, coordinate_system="gcj02")


def _grid_townships(n: int = 4, size: float = 0.02) -> gpd.GeoDataFrame:
    """n×n townships of `size` degrees (about 1.6 × 2.2 km) near 127°E 46°N, WGS 84."""
    cells = [(i, j) for j in range(n) for i in range(n)]
    return gpd.GeoDataFrame(
        {
            "名称": [f"第{k + 1}街道" for k in range(len(cells))],
            "代码": [f"2399010{k + 1:02d}000" for k in range(len(cells))],
        },
        geometry=[square(127.0 + i * size, 46.0 + j * size, size) for i, j in cells],
        crs="EPSG:4326",
    )


def _facilities_csv(tmp_path, towns, *, system="wgs84", n=120):
    """Random facilities inside the townships, with their stated township (所属乡镇)."""
    rng = np.random.default_rng(7)
    rows = []
    for k in range(n):
        town = towns.iloc[k % len(towns)]
        west, south, east, north = town.geometry.bounds
        lon = rng.uniform(west + 1e-4, east - 1e-4)
        lat = rng.uniform(south + 1e-4, north - 1e-4)
        lon, lat = coords.from_wgs84(lon, lat, system)
        rows.append([f"F{k:03d}", f"第{k}卫生室", "村卫生室", town["名称"], float(lon), float(lat)])
    header = ["机构编码", "机构名称", "机构类别", "所属乡镇", "经度", "纬度"]
    return write_csv(tmp_path / "clinics.csv", header, rows, "utf-8")


def test_gcj02_offset_hint_names_the_key(tmp_path):
    truth = _grid_townships()
    path = tmp_path / "towns.gpkg"
    _shifted(truth, coords.wgs84_to_gcj02).to_file(path, engine="pyogrio")  # from a web map
    clinics = facilities.load(_facilities_csv(tmp_path, truth), coordinate_system="wgs84")

    as_read = boundaries.load(path)
    hint = region.gcj02_offset_hint(as_read, clinics, source="clinics.csv")
    assert hint is not None
    assert re.fullmatch(
        r"clinics\.csv: \d+ of 120 facilities lie outside their township as loaded but only "
        r"[0-2] would if the townships were GCJ-02 rather than WGS-84 \(a shift of ~\d{3} m\) "
        r"— the townships look like GCJ-02 \(exported from a web map\): set "
        r"boundaries\.coordinate_system = 'gcj02'",
        hint,
    ), hint
    assert int(hint.split(": ")[1].split(" of ")[0]) >= 10

    fixed = boundaries.load(path, coordinate_system="gcj02")
    assert region.gcj02_offset_hint(fixed, clinics, source="clinics.csv") is None


def test_gcj02_offset_hint_for_undeclared_facilities(tmp_path):
    truth = _grid_townships()
    path = tmp_path / "towns.gpkg"
    truth.to_file(path, engine="pyogrio")
    towns = boundaries.load(path)
    csv = _facilities_csv(tmp_path, truth, system="gcj02")  # AMap export declared as GPS
    wrong = facilities.load(csv, coordinate_system="wgs84")
    hint = region.gcj02_offset_hint(towns, wrong, source="clinics.csv")
    assert hint is not None
    assert hint.endswith(
        "the facilities look like GCJ-02 (exported from a web map): set "
        "facilities.coordinate_system = 'gcj02'"
    )
    right = facilities.load(csv, coordinate_system="gcj02")
    assert region.gcj02_offset_hint(towns, right, source="clinics.csv") is None


def test_gcj02_offset_hint_quiet_on_the_sample_county(sample_layers):
    assert (
        region.gcj02_offset_hint(
            sample_layers.townships, sample_layers.facilities, source="sample_facilities.csv"
        )
        is None
    )


# --- projected files without a CRS -----------------------------------------------------------


def _without_prj(tmp_path, townships_gdf, crs: str):
    path = tmp_path / "towns.shp"
    townships_gdf.to_crs(crs).to_file(path, engine="pyogrio", encoding="utf-8")
    path.with_suffix(".prj").unlink()
    return path


def test_gauss_kruger_without_prj_suggests_the_zone(tmp_path, townships_gdf):
    path = _without_prj(tmp_path, townships_gdf, "EPSG:4530")  # CGCS2000 3° zone 42
    with pytest.raises(
        NoCrsError,
        match=r"^towns\.shp: the file has no CRS \(a Shapefile without its \.prj\?\) and its "
        r"coordinates are metres \(x 42,5\d\d,\d{3}–42,5\d\d,\d{3}, y .*\); x starts with 42, a "
        r"3-degree Gauss–Krüger zone: add boundaries\.crs = 'EPSG:4530'",
    ) as caught:
        boundaries.load(path)
    key = re.search(r"boundaries\.crs = '([^']+)'", str(caught.value)).group(1)
    towns = boundaries.load(path, crs=key)  # the advice works
    np.testing.assert_allclose(towns.total_bounds, [127.0, 46.0, 127.2, 46.1], atol=1e-7)
    assert towns.attrs["source_crs"] == "EPSG:4530"


def test_degrees_declared_for_metres_and_wrong_zone(tmp_path, townships_gdf):
    path = _without_prj(tmp_path, townships_gdf, "EPSG:4530")
    with pytest.raises(
        CoordinateError,
        match=r"^towns\.shp: boundaries\.crs = 'EPSG:4490' is in degrees but the coordinates "
        r"are metres .* add boundaries\.crs = 'EPSG:4530'",
    ):
        boundaries.load(path, crs="EPSG:4490")
    with pytest.raises(
        CoordinateError,
        match=r"^towns\.shp: boundaries\.crs = 'EPSG:4526' is Gauss–Krüger zone 38 but the x "
        r"values \(42,5.*\) do not start with 38: the zone is wrong — x starts with 42, .* add "
        r"boundaries\.crs = 'EPSG:4530'",
    ):
        boundaries.load(path, crs="EPSG:4526")


def test_zone_numbered_metres_declared_as_utm(tmp_path, townships_gdf):
    path = _without_prj(tmp_path, townships_gdf, "EPSG:4530")
    with pytest.raises(
        CoordinateError,
        match=r"^towns\.shp: with boundaries\.crs = 'EPSG:32651' the coordinates \(x 42,5.*\) "
        r"fall off the map: the CRS is wrong — .* add boundaries\.crs = 'EPSG:4530'",
    ):
        boundaries.load(path, crs="EPSG:32651")


def test_metres_far_outside_the_area_of_use(tmp_path, townships_gdf):
    # UTM metres declared in a CRS picked from the wrong country (France's Lambert-93)
    path = _without_prj(tmp_path, townships_gdf, "EPSG:32652")
    with pytest.raises(
        CoordinateError,
        match=r"^towns\.shp: with boundaries\.crs = 'EPSG:2154' the layer lands at "
        r"-?\d+\.\d\d°E, \d+\.\d\d°N, outside where that CRS is used \(-9\.9–10\.4°E, "
        r"41\.\d–51\.6°N\): the CRS is wrong — x has no zone number",
    ):
        boundaries.load(path, crs="EPSG:2154")


def test_metres_declared_for_degrees(tmp_path, townships_gdf):
    path = tmp_path / "t.shp"
    townships_gdf.to_file(path, engine="pyogrio", encoding="utf-8")
    path.with_suffix(".prj").unlink()
    with pytest.raises(
        CoordinateError,
        match=r"^t\.shp: boundaries\.crs = 'EPSG:32652' is projected \(metres\) but the "
        r"coordinates are lon/lat degrees .* set boundaries\.crs = 'EPSG:4490'",
    ):
        boundaries.load(path, crs="EPSG:32652")


def test_utm_without_prj_lists_candidates_and_accepts_utm(tmp_path, townships_gdf):
    path = _without_prj(tmp_path, townships_gdf, "EPSG:32652")
    with pytest.raises(
        NoCrsError,
        match=r"x has no zone number in front, .* boundaries\.crs = 'EPSG:4534' … 'EPSG:4554' "
        r".* 'EPSG:32643' … 'EPSG:32653'",
    ):
        boundaries.load(path)
    towns = boundaries.load(path, crs="EPSG:32652")
    np.testing.assert_allclose(towns.total_bounds, [127.0, 46.0, 127.2, 46.1], atol=1e-7)


def test_wrong_file_crs_replaced_by_declared(tmp_path, townships_gdf):
    path = tmp_path / "t.gpkg"
    townships_gdf.to_crs("EPSG:4530").set_crs("EPSG:4326", allow_override=True).to_file(
        path, engine="pyogrio"
    )
    with pytest.raises(CoordinateError, match=r"add boundaries\.crs = 'EPSG:4530'"):
        boundaries.load(path)
    towns = boundaries.load(path, crs="EPSG:4530")
    np.testing.assert_allclose(towns.total_bounds, [127.0, 46.0, 127.2, 46.1], atol=1e-7)


# --- GeoPackages with several layers -----------------------------------------------------------


def test_several_layers_one_with_polygons(tmp_path, townships_gdf, caplog):
    path = tmp_path / "county.gpkg"
    villages = townships_gdf.set_geometry(
        shapely.points([127.05, 127.15], [46.05, 46.05]), crs="EPSG:4490"
    )
    villages.to_file(path, layer="villages", engine="pyogrio")
    townships_gdf.to_file(path, layer="townships", engine="pyogrio")
    with caplog.at_level(logging.INFO, logger="geohealth.inputs.boundaries"):
        towns = boundaries.load(path)
    assert len(towns) == 2
    assert "using 'townships', the only one with polygons" in caplog.text


def test_several_polygon_layers_need_a_name(tmp_path, townships_gdf):
    path = tmp_path / "county.gpkg"
    townships_gdf.to_file(path, layer="townships", engine="pyogrio")
    townships_gdf.iloc[[0]].to_file(path, layer="villages", engine="pyogrio")
    with pytest.raises(
        InputError,
        match=r"^county\.gpkg: 2 layers and boundaries\.layer is not set \(2 hold polygons\): "
        r"townships \(Polygon, 2 features\), villages \(Polygon, 1 features\) — set "
        r"boundaries\.layer = 'townships'",
    ):
        boundaries.load(path)
    assert len(boundaries.load(path, layer="villages")) == 1


# --- overlapping townships ------------------------------------------------------------------


def test_overlap_counted_once_in_the_smaller_township(tmp_path):
    town = shapely.box(127.00, 46.00, 127.10, 46.10)  # 城关镇
    subdistrict = shapely.box(127.06, 46.02, 127.12, 46.06)  # 城西街道, digitised over both
    neighbour = shapely.box(127.10, 46.00, 127.20, 46.10)  # 太平乡
    layer = gpd.GeoDataFrame(
        {
            "名称": ["城关镇", "城西街道", "太平乡"],
            "代码": ["239901100000", "239901001000", "239901200000"],
        },
        geometry=[town, subdistrict, neighbour],
        crs="EPSG:4326",
    )
    path = tmp_path / "townships.gpkg"
    layer.to_file(path, engine="pyogrio")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        towns = boundaries.load(path)
    messages = [str(w.message) for w in caught if w.category is OverlappingTownshipsWarning]
    assert len(messages) == 2
    assert re.fullmatch(
        r"townships\.gpkg: 城关镇 \(239901100000\) and 城西街道 \(239901001000\) overlap by "
        r"\d+\.\d\d km² \(67% of 城西街道\) — counted once, in 城西街道 \(the smaller\); fix the "
        r"boundaries if that is wrong",
        messages[0],
    ), messages[0]
    assert messages[1].startswith("townships.gpkg: 太平乡 (239901200000) and 城西街道")
    geoms = towns.geometry.to_numpy()
    assert shapely.equals(geoms[1], subdistrict)  # the smaller keeps all of itself

    # a raster of people: each cell is counted once, and the overlap goes to 城西街道
    rng = np.random.default_rng(3)
    values = rng.uniform(0, 10, (10, 20))
    raster = tmp_path / "people.tif"
    with rasterio.open(
        raster,
        "w",
        driver="GTiff",
        width=20,
        height=10,
        count=1,
        dtype="float64",
        crs="EPSG:4326",
        transform=Affine(0.01, 0, 127.0, 0, -0.01, 46.1),
    ) as dst:
        dst.write(values, 1)
    grid = population.load_raster(raster)
    cols, rows = np.meshgrid(np.arange(20), np.arange(10))
    x, y = 127.0 + 0.01 * (cols + 0.5), 46.1 - 0.01 * (rows + 0.5)
    by_geometry = np.array([values[shapely.contains_xy(g, x, y)].sum() for g in geoms])
    in_union = values[shapely.contains_xy(shapely.union_all([town, neighbour]), x, y)].sum()
    assert by_geometry.sum() == pytest.approx(in_union)  # no cell counted twice
    assert by_geometry[1] == pytest.approx(values[shapely.contains_xy(subdistrict, x, y)].sum())
    per_township, _ = population.zonal_totals(grid, towns)
    np.testing.assert_allclose(per_township.to_numpy(), by_geometry)
    assert per_township.sum() == pytest.approx(in_union)


def test_sliver_overlap_cut_silently(tmp_path, townships_gdf):
    # the eastern square reaches 0.5 m into the western one: digitising noise
    slivered = [square(127.0, 46.0), shapely.box(127.1 - 6e-6, 46.0, 127.2, 46.1)]
    path = tmp_path / "t.gpkg"
    townships_gdf.set_geometry(slivered, crs="EPSG:4490").to_file(path, engine="pyogrio")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        towns = boundaries.load(path)
    a, b = towns.geometry.to_numpy()
    assert shapely.area(shapely.intersection(a, b)) == 0
    assert towns.attrs["overlaps"] == []


def test_township_inside_smaller_ones_is_an_error(tmp_path):
    layer = gpd.GeoDataFrame(
        {"名称": ["大镇", "西街道", "东街道"], "代码": ["1", "2", "3"]},
        geometry=[
            shapely.box(127.0, 46.0, 127.1, 46.1),
            shapely.box(127.0, 46.0, 127.06, 46.1),
            shapely.box(127.05, 46.0, 127.1, 46.1),
        ],
        crs="EPSG:4326",
    )
    path = tmp_path / "t.gpkg"
    layer.to_file(path, engine="pyogrio")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OverlappingTownshipsWarning)
        with pytest.raises(
            InputError, match=r"^t\.gpkg: 大镇 \(1\) lie\(s\) entirely inside smaller townships"
        ):
            boundaries.load(path)
