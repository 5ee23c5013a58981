"""Facility coordinates: systems converted, pairs split, swaps and strays found, the region."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from geohealth.errors import (
    ConfigError,
    CoordinateError,
    DroppedRowsWarning,
    InputError,
    OutsideStudyAreaWarning,
)
from geohealth.inputs import boundaries, coords, facilities, facility_coords, region

from .conftest import FACILITY_HEADER, FACILITY_ROWS, square, write_csv

GEOD = Geod(ellps="WGS84")


def rows_in(system: str) -> list[list[object]]:
    """FACILITY_ROWS with their WGS-84 coordinates expressed in ``system``."""
    out = []
    for row in FACILITY_ROWS:
        lon, lat = coords.from_wgs84(row[3], row[4], system)
        out.append([*row[:3], round(float(lon), 7), round(float(lat), 7), row[5]])
    return out


@pytest.mark.parametrize("system", ["wgs84", "gcj02", "bd09"])
def test_coordinate_systems_convert_to_wgs84(tmp_path, system):
    path = write_csv(tmp_path / "f.csv", FACILITY_HEADER, rows_in(system), "gbk")
    points = facilities.load(path, coordinate_system=system)
    assert points.crs.to_epsg() == 4326
    for geom, row in zip(points.geometry, FACILITY_ROWS, strict=True):
        error_m = GEOD.inv(geom.x, geom.y, row[3], row[4])[2]
        assert error_m < 0.05  # 7-decimal rounding of the input is ~1 cm
    assert points.attrs["encoding"] == "gbk"


def test_gcj02_read_as_wgs84_is_hundreds_of_metres_off(tmp_path):
    path = write_csv(tmp_path / "f.csv", FACILITY_HEADER, rows_in("gcj02"), "utf-8")
    wrong = facilities.load(path, coordinate_system="wgs84")
    right = facilities.load(path, coordinate_system="gcj02")
    shift = GEOD.inv(wrong.geometry.x, wrong.geometry.y, right.geometry.x, right.geometry.y)[2]
    assert np.all((shift > 200) & (shift < 800))


def test_coordinate_system_must_be_declared(facilities_csv):
    with pytest.raises(ConfigError, match=r"set facilities.coordinate_system to 'wgs84'"):
        facilities.load(facilities_csv)


def test_swapped_lon_lat(tmp_path):
    swapped = [[*r[:3], r[4], r[3], r[5]] for r in FACILITY_ROWS]
    path = write_csv(tmp_path / "f.csv", FACILITY_HEADER, swapped)
    with pytest.raises(CoordinateError) as info:
        facilities.load(path, coordinate_system="gcj02")
    assert str(info.value) == (
        "f.csv: 3 of 3 points fall outside China but inside it with longitude and latitude "
        "exchanged — '经度' and '纬度' look swapped: exchange facilities.lon_column and "
        "facilities.lat_column"
    )
    one = [*FACILITY_ROWS, ["9001", "邻村卫生室", *swapped[0][2:]]]
    path = write_csv(tmp_path / "g.csv", FACILITY_HEADER, one)
    with pytest.raises(CoordinateError) as info:
        facilities.load(path, coordinate_system="gcj02")
    assert str(info.value) == (
        "g.csv: row 5 邻村卫生室 fall outside China but inside it with longitude and latitude "
        "exchanged — exchange the two values in those rows"
    )


def test_points_not_in_china_at_all(tmp_path):
    # European lon/lat: outside China whichever way round
    rows = [[*r[:3], r[3] - 120, r[4], r[5]] for r in FACILITY_ROWS]
    path = write_csv(tmp_path / "f.csv", FACILITY_HEADER, rows)
    with pytest.raises(CoordinateError) as info:
        facilities.load(path, coordinate_system="wgs84")
    assert str(info.value) == (
        "f.csv: 3 of 3 points lie outside China, with or without longitude and latitude "
        "exchanged (row 2 永安镇卫生院 (7.05, 46.05), row 3 永安镇前进村卫生室 (7.02, 46.08), "
        "row 4 太平乡卫生院 (7.15, 46.05)) — check that '经度' and '纬度' hold longitude and "
        "latitude in degrees (facilities.lon_column, facilities.lat_column), and "
        "facilities.coordinate_system"
    )


def test_swap_that_stays_inside_china_found_by_the_region(tmp_path):
    # Townships where latitude > 72°: their coordinates exchanged still fall in China's
    # bounding box (lon 72–138, lat 1–56), so only the study region shows the swap.
    towns = gpd.GeoDataFrame(
        {"名称": ["甲", "乙"], "代码": ["1", "2"], "人口": [10, 10]},
        geometry=[square(45.0, 75.0), square(45.1, 75.0)],
        crs="EPSG:4326",
    )
    study = region.from_townships(towns)
    rows = [[*r[:3], r[3] - 52, r[4] - 1, r[5]] for r in FACILITY_ROWS]  # lon 75.x, lat 45.x
    path = write_csv(tmp_path / "f.csv", FACILITY_HEADER, rows)
    points = facilities.load(path, coordinate_system="wgs84")  # in China's box: no complaint
    with pytest.raises(CoordinateError) as info:
        facility_coords.check_inside(points, study, buffer_km=20, drop_outside=True)
    assert str(info.value) == (
        "f.csv: 3 of 3 facilities lie more than 20 km outside the townships but inside them "
        "with longitude and latitude exchanged — '经度' and '纬度' look swapped: exchange "
        "facilities.lon_column and facilities.lat_column"
    )


def test_single_swapped_row_named_by_the_region(townships_file):
    study = region.from_townships(boundaries.load(townships_file))
    points = gpd.GeoDataFrame(
        {"name": ["甲卫生院", "乙卫生院", "丙卫生室"], "source_row": [2, 3, 4]},
        geometry=shapely.points([127.05, 127.15, 46.08], [46.05, 46.05, 127.02]),
        crs="EPSG:4326",
    )
    with pytest.raises(CoordinateError) as info:
        facility_coords.check_inside(points, study, buffer_km=20, source="f.csv")
    assert str(info.value) == (
        "f.csv: 1 facilities lie more than 20 km outside the townships (row 4 丙卫生室); "
        "row 4 丙卫生室 would lie inside with longitude and latitude exchanged — exchange the "
        "two values in those rows, or set facilities.drop_outside = true"
    )
    with pytest.warns(DroppedRowsWarning, match=r"\(row 4 丙卫生室 would lie inside with"):
        kept = facility_coords.check_inside(points, study, buffer_km=20, drop_outside=True)
    assert kept["name"].tolist() == ["甲卫生院", "乙卫生院"]


def test_not_degrees(tmp_path):
    rows = [[*FACILITY_ROWS[0][:3], 500000, 5100000, 1]]
    path = write_csv(tmp_path / "f.csv", FACILITY_HEADER, rows)
    with pytest.raises(CoordinateError, match=r"coordinates are not degrees .*永安镇卫生院"):
        facilities.load(path, coordinate_system="wgs84")


def test_missing_coordinates_error_or_drop(tmp_path):
    rows = [FACILITY_ROWS[0], [*FACILITY_ROWS[1][:3], "", "", None]]
    path = write_csv(tmp_path / "f.csv", FACILITY_HEADER, rows)
    with pytest.raises(CoordinateError, match=r"no coordinates for row 3 永安镇前进村卫生室"):
        facilities.load(path, coordinate_system="wgs84")
    with pytest.warns(DroppedRowsWarning, match=r"dropped 1 rows without coordinates"):
        points = facilities.load(path, coordinate_system="wgs84", drop_missing_coordinates=True)
    assert points["name"].tolist() == ["永安镇卫生院"]


def amap_rows(pairs: list[str]) -> list[list[object]]:
    return [[r[0], r[1], r[2], pair] for r, pair in zip(FACILITY_ROWS, pairs, strict=True)]


def test_amap_location_column(tmp_path):
    header = ["机构编码", "机构名称", "机构类别", "location"]
    pairs = ["127.05,46.05", "127.02，46.08", " 127.15 , 46.05 "]  # full-width comma too
    path = write_csv(tmp_path / "f.csv", header, amap_rows(pairs))
    points = facilities.load(path, coordinate_system="gcj02")
    expected = facilities.load(
        write_csv(tmp_path / "g.csv", FACILITY_HEADER, FACILITY_ROWS), coordinate_system="gcj02"
    )
    assert points.geometry.geom_equals_exact(expected.geometry, 1e-12).all()
    assert points.attrs["lon_column"] == points.attrs["lat_column"] == "location"
    # 坐标 is the same, and a column named as both lon_column and lat_column is split too
    renamed = write_csv(tmp_path / "h.csv", [*header[:3], "坐标"], amap_rows(pairs))
    assert len(facilities.load(renamed, coordinate_system="gcj02")) == 3
    assert (
        len(
            facilities.load(
                path, coordinate_system="gcj02", lon_column="location", lat_column="location"
            )
        )
        == 3
    )


def test_amap_location_column_bad_rows(tmp_path):
    header = ["机构编码", "机构名称", "机构类别", "经纬度"]
    path = write_csv(tmp_path / "f.csv", header, amap_rows(["127.05,46.05", "127.02", "东经127"]))
    with pytest.raises(InputError) as info:
        facilities.load(path, coordinate_system="gcj02")
    assert str(info.value) == (
        "f.csv: column '经纬度' has values that are not longitude,latitude pairs (row 3: "
        "'127.02', row 4: '东经127') — write them as 116.397128,39.916527 (longitude first), "
        "or give separate longitude and latitude columns"
    )
    flipped = write_csv(
        tmp_path / "g.csv", header, amap_rows(["46.05,127.05", "46.08,127.02", "46.05,127.15"])
    )
    with pytest.raises(CoordinateError) as info:
        facilities.load(flipped, coordinate_system="gcj02")
    assert str(info.value) == (
        "g.csv: 3 of 3 points fall outside China but inside it with longitude and latitude "
        "exchanged — the pairs in '经纬度' look like latitude,longitude — write them longitude "
        "first, as AMap does (116.397128,39.916527)"
    )


def test_outside_study_area(tmp_path, townships_file):
    towns = boundaries.load(townships_file)
    study = region.from_townships(towns)
    rows = [
        *FACILITY_ROWS,
        ["near", "邻县人民医院", "二级医院", 127.25, 46.05, 300],  # ~4 km east
        ["far", "远方医院", "二级医院", 128.5, 46.05, 100],
    ]  # ~100 km east
    path = write_csv(tmp_path / "f.csv", FACILITY_HEADER, rows)
    points = facilities.load(path, coordinate_system="wgs84")
    with pytest.raises(
        CoordinateError, match=r"1 facilities lie more than 20 km outside .*远方医院"
    ):
        facility_coords.check_inside(points, study, buffer_km=20)
    with (
        pytest.warns(OutsideStudyAreaWarning, match=r"邻县人民医院"),
        pytest.warns(DroppedRowsWarning, match=r"远方医院"),
    ):
        kept = facility_coords.check_inside(points, study, buffer_km=20, drop_outside=True)
    assert kept["name"].tolist()[-1] == "邻县人民医院"
    assert kept["inside_region"].tolist() == [True, True, True, False]
    everything_far = points.iloc[[4]]
    with pytest.raises(CoordinateError, match=r"check facilities.coordinate_system"):
        facility_coords.check_inside(everything_far, study, buffer_km=20)


def test_describe_rows_counts_the_rest():
    names = pd.Series([f"机构{i}" for i in range(8)])
    mask = np.array([True] * 7 + [False])
    described = facility_coords.describe_rows(mask, names, np.arange(2, 10))
    assert described == (
        "row 2 机构0, row 3 机构1, row 4 机构2, row 5 机构3, row 6 机构4 and 2 more"
    )
