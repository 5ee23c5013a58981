"""Facilities: formats, coordinate systems, and every validation error."""

from __future__ import annotations

import re

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
    DuplicateIdError,
    EncodingError,
    InputError,
    LevelInferredWarning,
    MissingColumnError,
    OutsideStudyAreaWarning,
)
from geohealth.inputs import boundaries, coords, facilities, region

from .conftest import FACILITY_HEADER, FACILITY_ROWS, square, write_csv
from .test_tables import write_big5, write_titled_csv, write_workbook

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


def test_canonical_columns(facilities_csv):
    points = facilities.load(facilities_csv, coordinate_system="wgs84")
    assert points["facility_id"].tolist() == ["00101", "00102", "00201"]
    assert points["level"].tolist() == [
        "township_health_centre",
        "village_clinic",
        "township_health_centre",
    ]
    assert points["level_text"].tolist()[1] == "村卫生室"
    assert points["beds"].iloc[0] == 40
    assert np.isnan(points["beds"].iloc[1])
    assert points["source_row"].tolist() == [2, 3, 4]
    assert "经度" in points.columns  # the original columns are kept


def test_excel_and_geojson(tmp_path):
    xlsx = tmp_path / "f.xlsx"
    pd.DataFrame(FACILITY_ROWS, columns=FACILITY_HEADER).to_excel(xlsx, index=False)
    assert len(facilities.load(xlsx, coordinate_system="wgs84")) == 3
    geojson = tmp_path / "f.geojson"
    frame = pd.DataFrame(FACILITY_ROWS, columns=FACILITY_HEADER)
    gpd.GeoDataFrame(
        frame.drop(columns=["经度", "纬度"]),
        geometry=shapely.points(frame["经度"], frame["纬度"]),
        crs="EPSG:4326",
    ).to_file(geojson, engine="pyogrio")
    points = facilities.load(geojson)
    assert points.geometry.x.round(6).tolist() == [127.05, 127.02, 127.15]
    # a GeoJSON digitised on AMap: lon/lat are GCJ-02 although the file says WGS 84
    shifted = facilities.load(geojson, coordinate_system="gcj02")
    assert (shifted.geometry.x != points.geometry.x).all()


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
        facilities.check_inside(points, study, buffer_km=20, drop_outside=True)
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
        facilities.check_inside(points, study, buffer_km=20, source="f.csv")
    assert str(info.value) == (
        "f.csv: 1 facilities lie more than 20 km outside the townships (row 4 丙卫生室); "
        "row 4 丙卫生室 would lie inside with longitude and latitude exchanged — exchange the "
        "two values in those rows, or set facilities.drop_outside = true"
    )
    with pytest.warns(DroppedRowsWarning, match=r"\(row 4 丙卫生室 would lie inside with"):
        kept = facilities.check_inside(points, study, buffer_km=20, drop_outside=True)
    assert kept["name"].tolist() == ["甲卫生院", "乙卫生院"]


def test_not_degrees(tmp_path):
    rows = [[*FACILITY_ROWS[0][:3], 500000, 5100000, 1]]
    path = write_csv(tmp_path / "f.csv", FACILITY_HEADER, rows)
    with pytest.raises(CoordinateError, match=r"coordinates are not degrees .*永安镇卫生院"):
        facilities.load(path, coordinate_system="wgs84")


def test_duplicate_ids(tmp_path):
    rows = [FACILITY_ROWS[0], ["00101", *FACILITY_ROWS[1][1:]]]
    path = write_csv(tmp_path / "f.csv", FACILITY_HEADER, rows)
    with pytest.raises(DuplicateIdError, match=r"facility IDs repeat \(00101: row 2 永安镇卫生院"):
        facilities.load(path, coordinate_system="wgs84")


def test_missing_coordinates_error_or_drop(tmp_path):
    rows = [FACILITY_ROWS[0], [*FACILITY_ROWS[1][:3], "", "", None]]
    path = write_csv(tmp_path / "f.csv", FACILITY_HEADER, rows)
    with pytest.raises(CoordinateError, match=r"no coordinates for row 3 永安镇前进村卫生室"):
        facilities.load(path, coordinate_system="wgs84")
    with pytest.warns(DroppedRowsWarning, match=r"dropped 1 rows without coordinates"):
        points = facilities.load(path, coordinate_system="wgs84", drop_missing_coordinates=True)
    assert points["name"].tolist() == ["永安镇卫生院"]


def test_unknown_column_and_blank_name(tmp_path, facilities_csv):
    with pytest.raises(MissingColumnError, match=r"column 'lon' not found; columns are: 机构编码"):
        facilities.load(facilities_csv, coordinate_system="wgs84", lon_column="lon")
    rows = [FACILITY_ROWS[0], ["9", "", "村卫生室", 127.0, 46.0, None]]
    path = write_csv(tmp_path / "g.csv", FACILITY_HEADER, rows)
    with pytest.raises(InputError, match=r"facility name is blank in row"):
        facilities.load(path, coordinate_system="wgs84")


KNOWN = (
    "known levels: village_clinic, township_health_centre, community_health_centre, "
    "community_health_station, clinic, rural_regional_centre, county_hospital, "
    "regional_centre, ambulance_station"
)


def test_unrecognised_levels_and_mapping(tmp_path):
    rows = [FACILITY_ROWS[0], [*FACILITY_ROWS[1][:2], "标准化室", *FACILITY_ROWS[1][3:]]]
    path = write_csv(tmp_path / "f.csv", FACILITY_HEADER, rows)
    with pytest.raises(InputError) as info:
        facilities.load(path, coordinate_system="wgs84")
    assert str(info.value) == (
        "f.csv: 1 row has a level text in '机构类别' that is not a known level: '标准化室' (1) "
        '— map each in [facilities.levels], e.g. "标准化室" = "village_clinic"; ' + KNOWN
    )
    points = facilities.load(
        path, coordinate_system="wgs84", level_map={"标准化室": "village_clinic"}
    )
    assert points["level"].tolist()[1] == "village_clinic"
    with pytest.raises(ConfigError, match=r"unknown level 'vilage'"):
        facilities.load(path, coordinate_system="wgs84", level_map={"标准化室": "vilage"})


def test_level_text_merely_containing_a_known_word_is_not_a_level(tmp_path):
    rows = [
        *FACILITY_ROWS,
        ["9001", "样例县第二人民医院", "医院？", 127.08, 46.06, 80],
        ["9002", "样例县骨科医院", "医院？", 127.09, 46.06, 30],
        ["9003", "城东卫生服务部", "卫生服务部", 127.11, 46.07, None],
    ]
    path = write_csv(tmp_path / "facilities.csv", FACILITY_HEADER, rows, "gbk")
    with pytest.raises(InputError) as info:
        facilities.load(path, coordinate_system="wgs84")
    assert str(info.value) == (
        "facilities.csv: 3 rows have a level text in '机构类别' that is not a known level: "
        "'医院？' (2), '卫生服务部' (1) — map each in [facilities.levels], e.g. "
        '"医院？" = "county_hospital"; ' + KNOWN
    )
    points = facilities.load(
        path,
        coordinate_system="wgs84",
        level_map={"医院？": "county_hospital", "卫生服务部": "community_health_station"},
    )
    assert points["level"].tolist()[3:] == [
        "county_hospital",
        "county_hospital",
        "community_health_station",
    ]


def test_blank_level_text_is_named(tmp_path):
    rows = [FACILITY_ROWS[0], [*FACILITY_ROWS[1][:2], "", *FACILITY_ROWS[1][3:]]]
    path = write_csv(tmp_path / "f.csv", FACILITY_HEADER, rows)
    with pytest.raises(
        InputError,
        match=re.escape("1 row has a level text in '机构类别' that is not a known level: (blank) ")
        + re.escape("(1) — fill in '机构类别'; known levels: village_clinic"),
    ):
        facilities.load(path, coordinate_system="wgs84")


def test_real_level_spellings_load(tmp_path):
    spellings = {
        "综合医院": "county_hospital",
        "中医医院": "county_hospital",
        "妇幼保健院": "county_hospital",
        "专科医院": "county_hospital",
        "二级甲等医院": "county_hospital",
        "三级甲等医院": "regional_centre",
        "中心卫生院": "township_health_centre",
        "社区卫生服务站": "community_health_station",
        "门诊部": "clinic",
        "120急救站": "ambulance_station",
        "农村区域性医疗卫生中心": "rural_regional_centre",
    }
    rows = [
        [f"{i:05d}", f"机构{i}", text, 127.01 + i / 100, 46.05, None]
        for i, text in enumerate(spellings)
    ]
    path = write_csv(tmp_path / "f.csv", FACILITY_HEADER, rows, "gbk")
    points = facilities.load(path, coordinate_system="wgs84")
    assert points["level"].tolist() == list(spellings.values())


def test_names_that_tell_no_level_or_two(tmp_path):
    header = ["机构名称", "经度", "纬度"]
    rows = [
        ["永安镇卫生院前进村卫生室", 127.02, 46.08],
        ["城关镇卫生院（县第二人民医院）", 127.05, 46.05],
        ["样例县健康服务中心", 127.15, 46.05],
    ]
    path = write_csv(tmp_path / "facilities.csv", header, rows)
    with pytest.warns(LevelInferredWarning), pytest.raises(InputError) as info:
        facilities.load(path, coordinate_system="wgs84")
    assert str(info.value) == (
        "facilities.csv: no level column, and 1 facility name tells no level: "
        "'样例县健康服务中心' (row 4); 1 name fits more than one level: "
        "'城关镇卫生院（县第二人民医院）' (row 3: township_health_centre or county_hospital) "
        "— add a level column (机构类别) or set facilities.level_column, or map each name in "
        '[facilities.levels], e.g. "城关镇卫生院（县第二人民医院）" = '
        '"township_health_centre"; ' + KNOWN
    )
    overrides = {
        "城关镇卫生院（县第二人民医院）": "township_health_centre",
        "样例县健康服务中心": "clinic",
    }
    with pytest.warns(LevelInferredWarning):
        points = facilities.load(path, coordinate_system="wgs84", level_map=overrides)
    assert points["level"].tolist() == ["village_clinic", "township_health_centre", "clinic"]


def test_hospital_only_list_loads_with_a_warning(tmp_path, caplog):
    rows = [
        ["1", "样例县人民医院", "二级综合医院", 127.05, 46.05, 520],
        ["2", "样例县急救中心", "急救中心", 127.06, 46.05, None],
    ]
    path = write_csv(tmp_path / "hospitals.csv", FACILITY_HEADER, rows)
    with caplog.at_level("WARNING", logger="geohealth.inputs.facilities"):
        points = facilities.load(path, coordinate_system="wgs84")
    assert len(points) == 2
    warned = [r for r in caplog.records if r.levelname == "WARNING"]
    assert [r.getMessage() for r in warned] == [
        "hospitals.csv: no primary-care facility in the list (village clinic, township health "
        "centre, community health centre/station, clinic) — primary-care coverage will be zero"
    ]
    caplog.clear()
    with caplog.at_level("WARNING", logger="geohealth.inputs.facilities"):
        facilities.load(
            write_csv(tmp_path / "f.csv", FACILITY_HEADER, FACILITY_ROWS), coordinate_system="wgs84"
        )
    assert "primary-care" not in caplog.text


def test_big5_list_is_named_then_loads_when_declared(tmp_path):
    path = write_big5(tmp_path)
    with pytest.raises(EncodingError) as info:
        facilities.load(path, coordinate_system="wgs84")
    assert str(info.value) == (
        "facilities.csv: the text is in none of UTF-8, GBK/GB18030 but reads as Big5 "
        "(traditional Chinese: '機構編碼', '機構名稱', '機構類別') — save it as UTF-8 "
        "(Excel: 另存为 → CSV UTF-8), or set facilities.encoding = 'big5'"
    )
    points = facilities.load(path, coordinate_system="wgs84", encoding="big5")
    assert points.attrs["encoding"] == "big5"
    assert points["name"].tolist()[0] == "永安鎮衛生院"
    # traditional level texts are the same spellings
    assert points["level"].tolist() == [
        "township_health_centre",
        "village_clinic",
        "township_health_centre",
    ]
    with pytest.raises(EncodingError, match=r"^facilities.csv: not valid gbk text \(byte 0xa6"):
        facilities.load(path, coordinate_system="wgs84", encoding="gbk")
    with pytest.raises(EncodingError, match=r"^facilities.csv: read as gb18030 the text comes"):
        facilities.load(path, coordinate_system="wgs84", encoding="gb18030")


def test_title_rows_above_the_header(tmp_path):
    path = write_titled_csv(tmp_path / "facilities.csv")
    with pytest.raises(CoordinateError) as info:
        facilities.load(path, coordinate_system="wgs84")
    # the real line of the row without longitude (line 6: title, blank, header, row, blank)
    assert str(info.value).startswith("facilities.csv: no coordinates for row 6 永安镇前进村卫生室")
    with pytest.warns(DroppedRowsWarning, match=r"row 6 永安镇前进村卫生室"):
        points = facilities.load(path, coordinate_system="wgs84", drop_missing_coordinates=True)
    assert points["source_row"].tolist() == [4]
    assert points["level"].tolist() == ["township_health_centre"]
    with pytest.warns(DroppedRowsWarning, match=r"row 6 "):
        given = facilities.load(
            path, coordinate_system="wgs84", header_row=3, drop_missing_coordinates=True
        )
    assert given["name"].tolist() == ["永安镇卫生院"]
    with pytest.raises(
        MissingColumnError, match=r"no name column recognised .* columns are: 样例县"
    ):
        facilities.load(path, coordinate_system="wgs84", header_row=1)


def test_excel_list_on_a_later_sheet_under_a_title(tmp_path):
    path = write_workbook(tmp_path / "facilities.xlsx")
    points = facilities.load(path, coordinate_system="wgs84")
    assert points["facility_id"].tolist() == ["00101", "00102"]
    assert points["source_row"].tolist() == [4, 5]  # sheet rows, as Excel shows them
    assert points["beds"].tolist()[0] == 40
    bare = write_workbook(tmp_path / "bare.xlsx", with_list=False)
    with pytest.raises(InputError, match=r"sheets are: 说明, 名录 — set facilities.sheet"):
        facilities.load(bare, coordinate_system="wgs84")


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


def test_levels_inferred_from_names(tmp_path):
    header = ["机构编码", "机构名称", "经度", "纬度"]
    rows = [[r[0], r[1], r[3], r[4]] for r in FACILITY_ROWS]
    path = write_csv(tmp_path / "f.csv", header, rows)
    with pytest.warns(LevelInferredWarning):
        points = facilities.load(path, coordinate_system="wgs84")
    assert points["level"].tolist()[1] == "village_clinic"


def test_ids_made_when_absent(tmp_path):
    header = ["机构名称", "机构类别", "经度", "纬度"]
    rows = [[r[1], r[2], r[3], r[4]] for r in FACILITY_ROWS]
    path = write_csv(tmp_path / "f.csv", header, rows)
    points = facilities.load(path, coordinate_system="wgs84")
    assert points["facility_id"].tolist() == ["F0001", "F0002", "F0003"]


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
        facilities.check_inside(points, study, buffer_km=20)
    with (
        pytest.warns(OutsideStudyAreaWarning, match=r"邻县人民医院"),
        pytest.warns(DroppedRowsWarning, match=r"远方医院"),
    ):
        kept = facilities.check_inside(points, study, buffer_km=20, drop_outside=True)
    assert kept["name"].tolist()[-1] == "邻县人民医院"
    assert kept["inside_region"].tolist() == [True, True, True, False]
    everything_far = points.iloc[[4]]
    with pytest.raises(CoordinateError, match=r"check facilities.coordinate_system"):
        facilities.check_inside(everything_far, study, buffer_km=20)
