"""Facilities: formats, coordinate systems, and every validation error."""

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
    DuplicateIdError,
    InputError,
    LevelInferredWarning,
    MissingColumnError,
    OutsideStudyAreaWarning,
)
from geohealth.inputs import boundaries, coords, facilities, region

from .conftest import FACILITY_HEADER, FACILITY_ROWS, write_csv

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
    with pytest.raises(
        CoordinateError,
        match=(
            "3 of 3 points fall outside China but inside it with longitude and latitude "
            "exchanged — '经度' and '纬度' look swapped"
        ),
    ):
        facilities.load(path, coordinate_system="gcj02")


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


def test_unrecognised_levels_and_mapping(tmp_path):
    rows = [FACILITY_ROWS[0], [*FACILITY_ROWS[1][:2], "标准化室", *FACILITY_ROWS[1][3:]]]
    path = write_csv(tmp_path / "f.csv", FACILITY_HEADER, rows)
    with pytest.raises(
        InputError,
        match=r"not recognised .*'标准化室' ×1 — map them in "
        r"\[facilities.levels\]",
    ):
        facilities.load(path, coordinate_system="wgs84")
    points = facilities.load(
        path, coordinate_system="wgs84", level_map={"标准化室": "village_clinic"}
    )
    assert points["level"].tolist()[1] == "village_clinic"
    with pytest.raises(ConfigError, match=r"unknown level 'vilage'"):
        facilities.load(path, coordinate_system="wgs84", level_map={"标准化室": "vilage"})


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
