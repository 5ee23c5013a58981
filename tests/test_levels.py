"""Facility levels: bureau spellings onto the canonical vocabulary."""

import pandas as pd
import pytest

from geohealth.inputs import levels

from .conftest import SAMPLE_DIR


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("村卫生室", "village_clinic"),
        ("卫生室", "village_clinic"),
        ("乡镇卫生院", "township_health_centre"),
        ("中心卫生院", "township_health_centre"),
        ("社区卫生服务中心", "community_health_centre"),
        ("社区卫生服务站", "community_health_station"),
        ("二级综合医院", "county_hospital"),
        ("县人民医院", "county_hospital"),
        ("三级甲等医院", "regional_centre"),
        ("急救中心", "ambulance_station"),
        ("120急救站", "ambulance_station"),
        ("农村区域性医疗卫生中心", "rural_regional_centre"),
        ("个体诊所", "clinic"),
        ("Village Clinic", "village_clinic"),
        ("THC", "township_health_centre"),
        ("county_hospital", "county_hospital"),
        ("hospital", "county_hospital"),
        ("药店", None),
        # the README's table: every spelling it lists
        ("诊所", "clinic"),
        ("门诊部", "clinic"),
        ("医务室", "clinic"),
        ("卫生所", "clinic"),
        ("县级医院", "county_hospital"),
        ("二级医院", "county_hospital"),
        ("三级医院", "regional_centre"),
        ("区域医疗中心", "regional_centre"),
        ("急救站", "ambulance_station"),
        ("120", "ambulance_station"),
        # real hospital kinds and grades (卫生机构类别, 医院等级)
        ("综合医院", "county_hospital"),
        ("中医医院", "county_hospital"),
        ("妇幼保健院", "county_hospital"),
        ("专科医院", "county_hospital"),
        ("县中医院", "county_hospital"),
        ("二级甲等中医医院", "county_hospital"),
        ("三甲", "regional_centre"),
        ("三级甲等综合医院", "regional_centre"),
        ("县域医疗卫生次中心", "rural_regional_centre"),
        # folding: full-width, spaces, case, traditional characters
        ("  乡镇 卫生院 ", "township_health_centre"),
        ("ＴＨＣ", "township_health_centre"),
        ("Community Health Service Center", "community_health_centre"),
        ("鄉鎮衛生院", "township_health_centre"),
        ("村衛生室", "village_clinic"),
        # containing a known word is not enough
        ("医院？", None),
        ("某某医院筹建处?", None),
        ("卫生院筹", None),
        ("乡镇卫生院（）", None),
        ("样例县人民医院", None),  # a hospital's name, not a level
    ],
)
def test_classify_one(text, key):
    assert levels.classify_one(text) == key


def test_sample_county_level_texts_all_known():
    table = pd.read_csv(SAMPLE_DIR / "facilities" / "sample_facilities.csv", encoding="gbk")
    keys = levels.classify(table["机构类别"])
    assert keys.notna().all()
    assert set(keys) == {
        "county_hospital",
        "ambulance_station",
        "community_health_centre",
        "township_health_centre",
        "village_clinic",
    }


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("永安镇前进村卫生室", ("village_clinic",)),
        ("样例县中医医院", ("county_hospital",)),
        # the kind a name ends with wins
        ("永安镇卫生院前进村卫生室", ("village_clinic",)),
        ("样例县人民医院急救中心", ("ambulance_station",)),
        # a level overrides the ones it refines
        ("兴隆镇中心卫生院（农村区域性医疗卫生中心）", ("rural_regional_centre",)),
        ("前进村诊所", ("village_clinic",)),
        ("样例县第三人民医院（三级）", ("regional_centre",)),
        # two levels, neither ending the name: ambiguous
        ("城关镇卫生院（县第二人民医院）", ("township_health_centre", "county_hospital")),
        ("样例县健康服务中心", ()),
    ],
)
def test_candidates_from_name(name, found):
    assert levels.candidates_from_name(name) == found


def test_infer_from_names_leaves_ambiguous_missing():
    names = pd.Series(
        ["永安镇前进村卫生室", "城关镇卫生院（县第二人民医院）", "样例县健康服务中心"]
    )
    out = levels.infer_from_names(names)
    assert out.iloc[0] == "village_clinic"
    assert out.iloc[1:].isna().all()
    mapped = levels.infer_from_names(names, {"城关镇卫生院（县第二人民医院）": "county_hospital"})
    assert mapped.iloc[1] == "county_hospital"


def test_suggest_points_to_the_keyword():
    assert levels.suggest("医院？") == "county_hospital"
    assert levels.suggest("卫生服务部") is None


def test_overrides_win_and_classify_keeps_missing():
    series = pd.Series(["药店", "村卫生室", None, "医院？", "ＸＸ站 "])
    out = levels.classify(series, {"药店": "clinic", "医院？": "county_hospital", "xx站": "clinic"})
    assert out.tolist()[:2] == ["clinic", "village_clinic"]
    assert pd.isna(out.iloc[2])
    assert out.iloc[3] == "county_hospital"
    assert out.iloc[4] == "clinic"  # overrides match after folding too


def test_every_level_has_a_group():
    assert {lv.group for lv in levels.LEVELS} == {"primary", "secondary", "tertiary", "emergency"}
    assert levels.group_of("village_clinic") == "primary"
