"""Facility levels: the canonical vocabulary and how bureau spellings map onto it.

The levels follow China's service system: village clinics (村卫生室), township health centres
(乡镇卫生院), community health service centres and stations (社区卫生服务中心/站) and other
clinics form primary care (基层医疗卫生机构); county hospitals are secondary care; rural
regional medical & health centres (农村区域性医疗卫生中心) are upgraded township hospitals at
secondary level that keep serving their township as primary care (so they count in both
groups); regional centres are tertiary; ambulance stations stand apart.

A level column is matched strictly: its text must be a known spelling (:data:`SPELLINGS`,
after folding full-width forms, traditional characters, case and spaces), so a stray
``医院？`` is reported rather than taken for a hospital. Facility names, used when a file has
no level column, are long texts and are read by keywords (:func:`candidates_from_name`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from geohealth.inputs import columns


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

#: How level columns spell each level, beyond the key and the labels above. A level text
#: matches when it equals one of these after folding (NFKC, traditional → simplified, lower
#: case, no spaces, underscores or hyphens); nothing is matched by a keyword inside a longer
#: text, so "医院？" or "某某医院筹建处" are unknown rather than silently a county hospital.
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "village_clinic": (
        "卫生室",
        "村卫生所",
        "村诊所",
        "村医务室",
        "村卫生服务站",
        "标准化村卫生室",
        "village health room",
        "village health clinic",
    ),
    "township_health_centre": (
        "乡卫生院",
        "镇卫生院",
        "卫生院",
        "中心卫生院",
        "乡镇中心卫生院",
        "一般卫生院",
        "街道卫生院",
        "township health center",
        "township hospital",
        "thc",
    ),
    "community_health_centre": (
        "社区卫生中心",
        "community health center",
        "community health service center",
        "community health centre",
        "chc",
    ),
    "community_health_station": ("社区卫生站", "community health service station"),
    "clinic": (
        "个体诊所",
        "综合诊所",
        "中医诊所",
        "中西医结合诊所",
        "民族医诊所",
        "口腔诊所",
        "综合门诊部",
        "中医门诊部",
        "中西医结合门诊部",
        "专科门诊部",
        "医务室",
        "卫生所",
        "outpatient department",
    ),
    "rural_regional_centre": (
        "区域性医疗卫生中心",
        "县域医疗卫生次中心",
        "县域医疗次中心",
        "rural regional center",
        "rural regional medical center",
        "rural regional centre",
    ),
    "county_hospital": (
        "县医院",
        "县人民医院",
        "县中医院",
        "县中医医院",
        "县妇幼保健院",
        "县级综合医院",
        "县级中医医院",
        "人民医院",
        "中心医院",
        "妇幼保健计划生育服务中心",
        "hospital",
        "county hospital",
        "general hospital",
        "secondary hospital",
    ),
    "regional_centre": (
        "区域医疗中心",
        "省级区域医疗中心",
        "国家区域医疗中心",
        "tertiary",
        "tertiary hospital",
        "regional center",
        "regional medical centre",
        "regional medical center",
    ),
    "ambulance_station": (
        "急救中心",
        "急救分站",
        "院前急救站",
        "紧急救援中心",
        "120",
        "120急救站",
        "120急救中心",
        "120急救分站",
        "ambulance",
        "ems",
        "emergency center",
        "emergency centre",
    ),
}

#: Kinds of hospital as the health statistics name them (卫生机构类别), each also written
#: after a hospital grade (二级综合医院, 三级甲等中医医院 …).
_HOSPITAL_KINDS = (
    "医院",
    "综合医院",
    "中医医院",
    "中医院",
    "中西医结合医院",
    "民族医医院",
    "民族医院",
    "专科医院",
    "康复医院",
    "妇幼保健院",
)
#: Hospital grades (等级) and the level they stand for. A grade-1 (一级) hospital is counted
#: as a county hospital, as "any other 医院" always was.
_GRADES = {
    "county_hospital": (
        "一级",
        "一级甲等",
        "一级乙等",
        "二级",
        "二级甲等",
        "二级乙等",
        "二甲",
        "二乙",
    ),
    "regional_centre": ("三级", "三级甲等", "三级乙等", "三甲", "三乙"),
}


def _fold(text: str) -> str:
    """Fold a level text for exact matching: NFKC, simplified, lower case, no spaces."""
    return columns.normalise(text)


def _spellings() -> dict[str, str]:
    table: dict[str, str] = {}

    def add(text: str, key: str) -> None:
        table.setdefault(_fold(text), key)

    for level in LEVELS:
        add(level.key, level.key)
        for label in (level.label_zh, level.label_en, *level.label_zh.split("/")):
            add(label, level.key)
        for label in level.label_en.split(" / "):
            add(label, level.key)
    for key, texts in _SPELLINGS.items():
        for text in texts:
            add(text, key)
    for kind in _HOSPITAL_KINDS:
        add(kind, "county_hospital")
    for key, grades in _GRADES.items():
        for grade in grades:
            add(grade, key)
            for kind in _HOSPITAL_KINDS:
                add(grade + kind, key)
    return table


#: Every recognised level spelling, folded → level key.
SPELLINGS: dict[str, str] = _spellings()

# Keywords for facility NAMES (long texts such as 永安镇前进村卫生室), used only when the file
# has no level column. Each pattern should match the type word a name ends with.
_NAME_RULES: tuple[tuple[str, str], ...] = (
    (
        r"农村区域性医疗卫生中心|区域性医疗卫生中心|县域医疗(卫生)?次中心|rural regional",
        "rural_regional_centre",
    ),
    (r"(120)?急救(指挥)?(中心|分站|站)?|ambulance|\bems\b", "ambulance_station"),
    (r"村卫生(服务站|室|所|站)?|卫生室|村诊所|村医务室|village", "village_clinic"),
    (
        r"社区卫生(服务)?中心|community health (service )?cent(re|er)|\bchc\b",
        "community_health_centre",
    ),
    (r"社区卫生(服务)?站|community health (service )?station", "community_health_station"),
    (r"(乡镇|中心|街道|乡|镇)?卫生院|township health|\bthc\b", "township_health_centre"),
    (
        r"三级(甲等|乙等)?|三甲|三乙|区域医疗中心|tertiary|regional (medical )?cent(re|er)",
        "regional_centre",
    ),
    (r"诊所|门诊部|医务室|卫生所|clinic", "clinic"),
    (r"医院|妇幼保健|hospital|二级|secondary", "county_hospital"),
)
# A level whose keyword is found overrides the ones it refines: a rural regional centre is an
# upgraded township health centre, a 村诊所 is a village clinic, a 三级医院 a regional centre.
_REFINES: dict[str, tuple[str, ...]] = {
    "rural_regional_centre": ("township_health_centre", "county_hospital"),
    "village_clinic": ("clinic",),
    "regional_centre": ("county_hospital",),
}


def _fold_name(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).translate(columns.TRADITIONAL).lower()
    return re.sub(r"\s+", " ", folded.replace("_", " ")).strip()


def _overridden(text: str, overrides: Mapping[str, str] | None) -> str | None:
    if not overrides:
        return None
    if text in overrides:
        return overrides[text]
    folded = {_fold(k): v for k, v in overrides.items()}
    return folded.get(_fold(text))


def classify_one(text: str, overrides: Mapping[str, str] | None = None) -> str | None:
    """Map one level text, as a level column gives it, to a canonical level key.

    The text must be a recognised spelling (a level key, a label, or one of
    :data:`SPELLINGS`) after folding full-width forms, traditional characters, case and
    spaces; a text that merely contains a known word (``医院？``, ``某某医院筹建处``) is not
    recognised. Facility names are classified by :func:`candidates_from_name` instead.

    Parameters
    ----------
    text
        A value of the level column.
    overrides
        Text → level key, from the configuration; checked first (exactly, then folded).

    Returns
    -------
    str or None
        The level key, or None when the text is not a recognised spelling.
    """
    key = _overridden(text, overrides)
    if key is not None:
        return key
    return SPELLINGS.get(_fold(text))


def classify(values: pd.Series, overrides: Mapping[str, str] | None = None) -> pd.Series:
    """Map a level column to canonical level keys (see :func:`classify_one`).

    Parameters
    ----------
    values
        Level texts; missing cells stay missing.
    overrides
        Text → level key, from the configuration.

    Returns
    -------
    pandas.Series
        Level keys, ``NA`` where unrecognised or missing.
    """
    unique = values.dropna().astype(str).unique()
    mapping = {text: classify_one(text, overrides) for text in unique}
    return values.astype(object).map(mapping).astype("string")


def candidates_from_name(name: str) -> tuple[str, ...]:
    """Find the levels a facility name's keywords point to.

    Chinese names end with the kind of facility (永安镇前进村卫生室, 样例县人民医院急救中心):
    when keywords of several levels occur, the level whose keyword ends the name wins, and a
    level overrides those it refines (a 农村区域性医疗卫生中心 is no longer a 卫生院).

    Parameters
    ----------
    name
        A facility name.

    Returns
    -------
    tuple of str
        No key when nothing matches, one key when the name tells its level, several when it
        is ambiguous (城关镇卫生院（县第二人民医院）: township_health_centre, county_hospital).
    """
    folded = _fold_name(name)
    ends: dict[str, int] = {}
    for pattern, key in _NAME_RULES:
        found = [m.end() for m in re.finditer(pattern, folded) if m.end() > m.start()]
        if found and key not in ends:
            ends[key] = max(found)
    for key in list(ends):
        for refined in _REFINES.get(key, ()):
            ends.pop(refined, None)
    if len(ends) > 1:
        last = [key for key, end in ends.items() if end == len(folded)]
        if len(last) == 1:
            return (last[0],)
    return tuple(ends)


def infer_from_names(names: pd.Series, overrides: Mapping[str, str] | None = None) -> pd.Series:
    """Infer level keys from facility names (when a file has no level column).

    Parameters
    ----------
    names
        Facility names; missing cells stay missing.
    overrides
        Name → level key, from the configuration; checked first.

    Returns
    -------
    pandas.Series
        Level keys, ``NA`` where the name tells no level or several
        (see :func:`candidates_from_name`).
    """

    def one(name: str) -> str | None:
        key = _overridden(name, overrides)
        if key is not None:
            return key
        found = candidates_from_name(name)
        return found[0] if len(found) == 1 else None

    unique = names.dropna().astype(str).unique()
    mapping = {name: one(name) for name in unique}
    return names.astype(object).map(mapping).astype("string")


def suggest(text: str) -> str | None:
    """Guess the level an unrecognised text probably means, for a message's example.

    Parameters
    ----------
    text
        A level text that :func:`classify_one` did not recognise (``医院？``).

    Returns
    -------
    str or None
        The level its keywords point to, when they point to exactly one.
    """
    found = candidates_from_name(text)
    return found[0] if len(found) == 1 else None


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
