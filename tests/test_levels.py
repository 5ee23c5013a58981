"""Facility levels: bureau spellings onto the canonical vocabulary."""

import pandas as pd
import pytest

from geohealth.inputs import levels


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
    ],
)
def test_classify_one(text, key):
    assert levels.classify_one(text) == key


def test_overrides_win_and_classify_keeps_missing():
    series = pd.Series(["药店", "村卫生室", None])
    out = levels.classify(series, {"药店": "clinic"})
    assert out.tolist()[:2] == ["clinic", "village_clinic"]
    assert pd.isna(out.iloc[2])


def test_every_level_has_a_group():
    assert {lv.group for lv in levels.LEVELS} == {"primary", "secondary", "tertiary", "emergency"}
    assert levels.group_of("village_clinic") == "primary"
