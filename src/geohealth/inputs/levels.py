"""Facility levels: the canonical vocabulary and how bureau spellings map onto it.

The levels follow China's service system: village clinics (村卫生室), township health centres
(乡镇卫生院), community health service centres and stations (社区卫生服务中心/站) and other
clinics form primary care (基层医疗卫生机构); county hospitals are secondary care; rural
regional medical & health centres (农村区域性医疗卫生中心) are upgraded township hospitals at
secondary level that keep serving their township as primary care (so they count in both
groups); regional centres are tertiary; ambulance stations stand apart.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Level:
    """One facility level.

    Attributes
    ----------
    key
        Canonical name used in configuration files and outputs.
    label_zh, label_en
        Display names.
    group
        Care group: ``"primary"``, ``"secondary"``, ``"tertiary"`` or ``"emergency"``.
    also
        Other groups the level serves as well (an upgraded township hospital still gives
        primary care).
    """

    key: str
    label_zh: str
    label_en: str
    group: str
    also: tuple[str, ...] = ()


LEVELS: tuple[Level, ...] = (
    Level("village_clinic", "村卫生室", "village clinic", "primary"),
    Level("township_health_centre", "乡镇卫生院", "township health centre", "primary"),
    Level(
        "community_health_centre", "社区卫生服务中心", "community health service centre", "primary"
    ),
    Level(
        "community_health_station", "社区卫生服务站", "community health service station", "primary"
    ),
    Level("clinic", "诊所/门诊部", "clinic", "primary"),
    Level(
        "rural_regional_centre",
        "农村区域性医疗卫生中心",
        "rural regional medical centre",
        "secondary",
        also=("primary",),
    ),
    Level("county_hospital", "县级医院", "county / secondary hospital", "secondary"),
    Level(
        "regional_centre",
        "区域医疗中心/三级医院",
        "regional centre / tertiary hospital",
        "tertiary",
    ),
    Level("ambulance_station", "急救站", "ambulance station", "emergency"),
)
BY_KEY: dict[str, Level] = {level.key: level for level in LEVELS}

# (pattern on folded text, level key), first match wins. Order matters: "社区卫生服务中心"
# before "卫生院"-style catch-alls, "区域性医疗卫生中心" before "医院".
_RULES: tuple[tuple[str, str], ...] = (
    (r"农村区域性医疗|区域性医疗卫生中心|rural ?regional", "rural_regional_centre"),
    (r"急救|120|ambulance|\bems\b", "ambulance_station"),
    (r"卫生室|村诊所|村卫生|village", "village_clinic"),
    (r"社区卫生服务中心|community health (service )?cent|\bchc\b", "community_health_centre"),
    (r"社区卫生服务站|社区卫生站|community health (service )?station", "community_health_station"),
    (r"卫生院|township health|\bthc\b", "township_health_centre"),
    (r"三级|三甲|三乙|区域医疗中心|tertiary|regional (medical )?cent", "regional_centre"),
    (r"诊所|门诊部|医务室|卫生所|clinic", "clinic"),
    (r"二级|医院|hospital|secondary", "county_hospital"),
)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().replace("_", " ")


def classify_one(text: str, overrides: Mapping[str, str] | None = None) -> str | None:
    """Map one level text (or facility name) to a canonical level key.

    Parameters
    ----------
    text
        A value of the level column, or a facility name when inferring.
    overrides
        Exact text → level key, from the configuration; checked first.

    Returns
    -------
    str or None
        The level key, or None when nothing matches.
    """
    if overrides and text in overrides:
        return overrides[text]
    folded = _fold(text)
    if folded.replace(" ", "_") in BY_KEY:
        return folded.replace(" ", "_")
    for level in LEVELS:
        if folded in (_fold(level.label_zh), _fold(level.label_en)):
            return level.key
    for pattern, key in _RULES:
        if re.search(pattern, folded):
            return key
    return None


def classify(values: pd.Series, overrides: Mapping[str, str] | None = None) -> pd.Series:
    """Map a column of level texts to canonical level keys.

    Parameters
    ----------
    values
        Level texts (or facility names); missing cells stay missing.
    overrides
        Exact text → level key, from the configuration.

    Returns
    -------
    pandas.Series
        Level keys, ``NA`` where unrecognised or missing.
    """
    unique = values.dropna().astype(str).unique()
    mapping = {text: classify_one(text, overrides) for text in unique}
    return values.astype(object).map(mapping).astype("string")


def serves(level_key: str, group: str) -> bool:
    """Say whether a level serves a care group (its own, or one it serves as well).

    Parameters
    ----------
    level_key
        A key of :data:`BY_KEY` (unknown keys serve nothing).
    group
        A care group.

    Returns
    -------
    bool
        True for the level's group and its :attr:`Level.also` groups.
    """
    level = BY_KEY.get(level_key)
    return level is not None and (group == level.group or group in level.also)


def group_of(level_key: str) -> str:
    """Return the care group of a level key.

    Parameters
    ----------
    level_key
        A key of :data:`BY_KEY`.

    Returns
    -------
    str
        ``"primary"``, ``"secondary"``, ``"tertiary"`` or ``"emergency"``.
    """
    return BY_KEY[level_key].group
