"""Facility lists: formats, header rows and sheets, IDs, names and levels."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geohealth.errors import (
    ConfigError,
    CoordinateError,
    DroppedRowsWarning,
    DuplicateIdError,
    EncodingError,
    InputError,
    LevelInferredWarning,
    MissingColumnError,
)
from geohealth.inputs import facilities

from .conftest import FACILITY_HEADER, FACILITY_ROWS, write_csv
from .test_encodings import write_big5
from .test_tables import write_titled_csv, write_workbook


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


def test_duplicate_ids(tmp_path):
    rows = [FACILITY_ROWS[0], ["00101", *FACILITY_ROWS[1][1:]]]
    path = write_csv(tmp_path / "f.csv", FACILITY_HEADER, rows)
    with pytest.raises(DuplicateIdError, match=r"facility IDs repeat \(00101: row 2 永安镇卫生院"):
        facilities.load(path, coordinate_system="wgs84")


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
