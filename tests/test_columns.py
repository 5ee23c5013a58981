"""Recognising Chinese and English column names."""

import pytest

from geohealth.errors import MissingColumnError
from geohealth.inputs import columns


@pytest.mark.parametrize(
    ("present", "role", "expected"),
    [
        (["机构名称", "经度", "纬度"], "lon", "经度"),
        (["名称", "Longitude", "Latitude"], "lon", "Longitude"),
        (["name", "LNG", "lat"], "lon", "LNG"),
        (["机构名称", "床位数（张）"], "beds", "床位数（张）"),
        (["机构名称", "机构类别"], "level", "机构类别"),
        (["机构名称", "级别"], "level", "级别"),
        (["乡镇/街道", "机构名称"], "township", "乡镇/街道"),
    ],
)
def test_facility_columns_recognised(present, role, expected):
    assert columns.find(present, role, layer="facilities", source="f.csv") == expected


def test_most_specific_alias_wins():
    # 常住人口 (resident population) is preferred over 户籍人口 (registered)
    present = ["户籍人口", "常住人口(人)", "乡镇名称"]
    assert columns.find(present, "population", layer="boundaries", source="b") == "常住人口(人)"
    assert columns.find(present, "name", layer="boundaries", source="b") == "乡镇名称"


def test_configured_column_must_exist_and_lists_columns():
    with pytest.raises(MissingColumnError) as info:
        columns.find(
            ["名称", "经度", "纬度"],
            "lon",
            layer="facilities",
            configured="lon",
            source="facilities.csv",
        )
    assert str(info.value) == (
        "facilities.csv: column 'lon' not found; columns are: 名称, 经度, 纬度 — set "
        "facilities.lon_column to one of them"
    )


def test_configured_column_matches_loosely():
    assert columns.find(["Lon "], "lon", layer="facilities", configured="lon", source="f") == "Lon "


def test_unrecognised_required_role():
    with pytest.raises(
        KeyError, match=r"no longitude column recognised .* set facilities.lon_column"
    ):
        columns.find(["名称", "x坐标x"], "lon", layer="facilities", source="f.csv")


def test_optional_role_returns_none():
    assert columns.find(["名称"], "beds", layer="facilities", source="f", required=False) is None


@pytest.mark.parametrize(
    ("present", "role", "expected"),
    [
        (["機構名稱", "經度", "緯度"], "name", "機構名稱"),  # traditional, as Big5 files write
        (["機構名稱", "經度", "緯度"], "lat", "緯度"),
        (["名称", "location"], "lonlat", "location"),
        (["名称", "坐标（经度,纬度）"], "lonlat", "坐标（经度,纬度）"),
        (["名称", "经纬度"], "lonlat", "经纬度"),
    ],
)
def test_traditional_and_pair_columns_recognised(present, role, expected):
    assert columns.find(present, role, layer="facilities", source="f.csv") == expected


@pytest.mark.parametrize(
    ("row", "is_header"),
    [
        (["机构名称", "机构类别", "经度", "纬度"], True),
        (["序号", "单位名称", "类型"], True),  # name + level
        (["名称", "location"], True),  # name + AMap pair
        (["X坐标", "Y坐标", None, ""], True),
        (["样例县医疗机构名录", None, None], False),  # a title row
        (["基本信息", "", "位置", ""], False),  # the upper row of a two-row header
        (["永安镇卫生院", "乡镇卫生院", "127.05", "46.05"], False),  # a data row
        (["机构名称", "床位数"], False),  # name alone does not make a header
    ],
)
def test_is_facility_header(row, is_header):
    assert columns.is_facility_header(row) is is_header
