"""Recognising columns as Chinese offices and English sources name them.

A column role (longitude, facility name, township population …) is found by, in order:
the name configured for it, an exact match of a known alias, then an alias match after
removing units in brackets (``常住人口（人）`` → ``常住人口``). Matching ignores case, spaces,
full-width/half-width differences and traditional characters (``機構名稱`` is ``机构名称``, as a
Big5 file from Hong Kong or Taiwan software writes it).

:func:`is_facility_header` tells a header row from a title row above it, so tables can find
their header below a merged title (``样例县医疗机构名录``).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence

from geohealth.errors import MissingColumnError

log = logging.getLogger(__name__)

#: Known names per layer and role, most specific first. The first alias that matches wins.
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "facilities": {
        "id": (
            "机构编码",
            "机构代码",
            "机构id",
            "统一社会信用代码",
            "组织机构代码",
            "编码",
            "编号",
            "代码",
            "facility_id",
            "id",
            "code",
        ),
        "name": ("机构名称", "医疗机构名称", "单位名称", "机构名", "名称", "facility_name", "name"),
        "lon": ("经度", "x坐标", "lon", "lng", "long", "longitude", "x"),
        "lat": ("纬度", "y坐标", "lat", "latitude", "y"),
        # one column holding "longitude,latitude" (AMap's ``location``: 116.397128,39.916527);
        # used only when there are no separate longitude and latitude columns
        "lonlat": (
            "经纬度",
            "经纬度坐标",
            "坐标",
            "位置坐标",
            "location",
            "lnglat",
            "lng_lat",
            "lonlat",
            "lon_lat",
            "coordinates",
            "coordinate",
        ),
        "level": (
            "机构类别",
            "机构类型",
            "机构级别",
            "级别",
            "类别",
            "类型",
            "等级",
            "level",
            "facility_type",
            "type",
            "category",
        ),
        "beds": (
            "床位数",
            "编制床位数",
            "实有床位数",
            "开放床位数",
            "床位",
            "编制床位",
            "实有床位",
            "开放床位",
            "beds",
            "bed_count",
            "n_beds",
        ),
        "township": (
            "所属乡镇",
            "所在乡镇",
            "乡镇/街道",
            "乡镇街道",
            "乡镇",
            "街道",
            "township",
            "town",
        ),
    },
    "boundaries": {
        "name": (
            "乡镇名称",
            "乡镇/街道",
            "乡镇街道",
            "名称",
            "乡镇",
            "街道",
            "name",
            "township",
            "town",
        ),
        "code": (
            "统计用区划代码",
            "区划代码",
            "乡镇代码",
            "行政区划代码",
            "代码",
            "编码",
            "code",
            "adcode",
            "township_code",
        ),
        "population": (
            "常住人口",
            "人口",
            "总人口",
            "人口数",
            "户籍人口",
            "population",
            "pop",
            "pop_total",
        ),
    },
}

#: What each role is called in messages.
ROLE_LABELS = {
    "id": "facility ID",
    "name": "name",
    "lon": "longitude",
    "lat": "latitude",
    "lonlat": "longitude,latitude",
    "level": "facility level/type",
    "beds": "beds",
    "township": "township",
    "code": "township code",
    "population": "population",
}

_BRACKETED = re.compile(r"[(\[（【].*?[)\]）】]")

#: Traditional → simplified for the characters of the aliases and level spellings, so a
#: header or level text written in traditional characters (Big5 files) matches.
TRADITIONAL = str.maketrans(
    "機構編碼稱單醫療類別級經緯標數實開屬鄉鎮區劃統計總戶號組織會製衛診門務縣婦專結護復個體綜處農點",
    "机构编码称单医疗类别级经纬标数实开属乡镇区划统计总户号组织会制卫诊门务县妇专结护复个体综处农点",
)

#: Roles that, found together in one row, make it the facility table's header.
FACILITY_HEADER_ROLES: tuple[frozenset[str], ...] = (
    frozenset({"lon", "lat"}),
    frozenset({"name", "level"}),
    frozenset({"name", "lonlat"}),
)


def normalise(name: str) -> str:
    """Fold a column name for matching: NFKC, lower case, no spaces or underscores.

    Parameters
    ----------
    name
        A column name as it appears in a file.

    Returns
    -------
    str
        The folded name.
    """
    folded = unicodedata.normalize("NFKC", str(name)).translate(TRADITIONAL).strip().lower()
    return re.sub(r"[\s_\-]+", "", folded)


def _without_units(name: str) -> str:
    return normalise(_BRACKETED.sub("", unicodedata.normalize("NFKC", str(name))))


def find(
    columns: Sequence[str],
    role: str,
    *,
    layer: str,
    configured: str | None = None,
    source: str,
    required: bool = True,
) -> str | None:
    """Find the column that plays ``role`` in a layer.

    Parameters
    ----------
    columns
        The columns present in the file.
    role
        A key of :data:`ALIASES` for ``layer`` (``"lon"``, ``"name"``, ``"population"`` …).
    layer
        ``"facilities"`` or ``"boundaries"``; also the configuration section named in messages.
    configured
        The column name given in the configuration, if any; it must exist.
    source
        The file name, for messages.
    required
        Raise when nothing is found; otherwise return None.

    Returns
    -------
    str or None
        The column's name as it appears in ``columns``.

    Raises
    ------
    MissingColumnError
        If ``configured`` is absent, or nothing matches a required role.
    """
    present = ", ".join(map(str, columns)) or "(none)"
    key = f"{layer}.{role}_column"
    if configured is not None:
        if configured in columns:
            return configured
        folded = {normalise(c): c for c in columns}
        if normalise(configured) in folded:
            return folded[normalise(configured)]
        msg = (
            f"{source}: column '{configured}' not found; columns are: {present} "
            f"— set {key} to one of them"
        )
        raise MissingColumnError(msg)
    aliases = ALIASES[layer][role]
    exact: dict[str, str] = {}
    unitless: dict[str, str] = {}
    for column in columns:
        exact.setdefault(normalise(column), str(column))
        unitless.setdefault(_without_units(column), str(column))
    # the most specific alias wins, whether or not the column carries a unit in brackets
    for alias in aliases:
        folded = normalise(alias)
        found = exact.get(folded) or unitless.get(folded)
        if found is not None:
            log.debug("%s: %s column is %r", source, ROLE_LABELS[role], found)
            return found
    if not required:
        return None
    looked_for = ", ".join(aliases[:6])
    msg = (
        f"{source}: no {ROLE_LABELS[role]} column recognised (looked for {looked_for} …); "
        f"columns are: {present} — set {key}"
    )
    raise MissingColumnError(msg)


def roles_in(cells: Iterable[object], *, layer: str) -> set[str]:
    """Say which roles of a layer a row of cells names (a header row names several).

    Parameters
    ----------
    cells
        One row of a table, e.g. a candidate header; blank cells are ignored.
    layer
        ``"facilities"`` or ``"boundaries"``.

    Returns
    -------
    set of str
        The roles (keys of :data:`ALIASES` for ``layer``) with a cell matching an alias.
    """
    folded: set[str] = set()
    for cell in cells:
        if cell is None or (isinstance(cell, float) and cell != cell) or not str(cell).strip():
            continue
        folded.add(normalise(str(cell)))
        folded.add(_without_units(str(cell)))
    return {
        role
        for role, aliases in ALIASES[layer].items()
        if any(normalise(alias) in folded for alias in aliases)
    }


def is_facility_header(cells: Sequence[object]) -> bool:
    """Tell whether a row is a facility table's header rather than a title or data row.

    A header names longitude and latitude, or name and level, or name and a combined
    ``location`` column (:data:`FACILITY_HEADER_ROLES`).

    Parameters
    ----------
    cells
        One row of a table.

    Returns
    -------
    bool
        True when the row names the columns of a facility list.
    """
    roles = roles_in(cells, layer="facilities")
    return any(needed <= roles for needed in FACILITY_HEADER_ROLES)
