"""Place names for the generated sample county (fictional, in the style of north-east China)."""

from __future__ import annotations

import numpy as np

COUNTY_NAME = "样例县"
#: A county code that no real county has (prefecture 99 does not exist in Heilongjiang, 23).
COUNTY_CODE = "239901"

SUBDISTRICTS = ("城东街道", "城西街道")
TOWNS = (
    "永安镇",
    "兴隆镇",
    "太平镇",
    "红星镇",
    "长发镇",
    "新华镇",
    "富民镇",
    "丰收镇",
    "胜利镇",
    "建设镇",
    "双河镇",
    "民乐镇",
)
XIANG = ("东升乡", "向阳乡", "金山乡", "宝山乡", "青山乡", "德胜乡")

_FIRST = "东西南北前后新兴永长福胜丰富太平安和红德宝金双三五靠山河林榆柳杨王李张刘赵"
_SECOND = "兴安和平胜丰发富利民乐合山河林岗泉源阳升光明华泰"
_SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_HAMLET_SUFFIX = ("家屯", "家窝棚", "家店", "家沟", "家岗")


def township_codes() -> list[tuple[str, str, str]]:
    """Return (name, 12-digit code, kind) for the sample county's 20 townships.

    Returns
    -------
    list of tuple
        Subdistricts (街道, codes 001–), towns (镇, 100–) and townships (乡, 200–), following
        the national statistical division code scheme.
    """
    rows = [(n, f"{COUNTY_CODE}{i + 1:03d}000", "街道") for i, n in enumerate(SUBDISTRICTS)]
    rows += [(n, f"{COUNTY_CODE}{100 + i:03d}000", "镇") for i, n in enumerate(TOWNS)]
    rows += [(n, f"{COUNTY_CODE}{200 + i:03d}000", "乡") for i, n in enumerate(XIANG)]
    return rows


def village_names(count: int, rng: np.random.Generator) -> list[str]:
    """Draw distinct administrative-village names (``…村``).

    Parameters
    ----------
    count
        How many.
    rng
        Random generator (seeded by the caller).

    Returns
    -------
    list of str
        Distinct names.
    """
    pool = [a + b + "村" for a in _FIRST for b in _SECOND if a != b]
    order = rng.permutation(len(pool))[:count]
    return [pool[i] for i in order]


def hamlet_names(count: int, rng: np.random.Generator) -> list[str]:
    """Draw distinct natural-hamlet names (``王家屯``, ``李家窝棚`` …).

    Parameters
    ----------
    count
        How many.
    rng
        Random generator (seeded by the caller).

    Returns
    -------
    list of str
        Distinct names.
    """
    pool = [s + suffix for s in _SURNAMES for suffix in _HAMLET_SUFFIX]
    order = rng.permutation(len(pool))[:count]
    return [pool[i] for i in order]
