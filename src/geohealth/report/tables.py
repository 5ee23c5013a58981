"""The report folder's tables of siting plans: one workbook sheet per plan, CSV with BOM.

``plans.xlsx`` has a sheet ``效果`` (every plan's indicators before and after) and one sheet
per plan with its sites; headers are Chinese with units, the header row is frozen. Each
plan's sites are also written as ``sites_<name>.csv`` in UTF-8 with BOM (English column names,
as ``geohealth site`` writes them), so Excel opens the Chinese names correctly.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geohealth.coverage_files import VALUES
from geohealth.inputs.levels import BY_KEY
from geohealth.outputs import atomic_path, workbook_writer, write_sheet, write_text
from geohealth.report.plans import LoadedPlan

#: Chinese headers (units in brackets) of the columns siting tables carry.
SITE_HEADERS = {
    "site_id": "站点编码",
    "name": "名称",
    "level": "机构级别",
    "kind": "类型",
    "fixed": "已开放",
    "lon": "经度（WGS84）",
    "lat": "纬度（WGS84）",
    "population_assigned": "服务人口（人）",
    "population": "服务人口（人）",
    "covered": "阈值内人口（人）",
    "share_covered": "覆盖率",
    "mean_min": "平均用时（分钟）",
    "township": "所在乡镇",
    "townships": "服务乡镇",
    "n_townships": "服务乡镇数（个）",
    "facility_id": "机构编码",
    "beds": "床位数（张）",
    "change": "变动",
}

#: Chinese headers of the effects sheet.
EFFECT_HEADERS = ("方案", "出行方式", "时间阈值（分钟）", "指标", "方案前", "方案后", "变化")

KINDS = {"existing": "现有机构", "new": "新建"}


def effects_table(plans: list[LoadedPlan]) -> pd.DataFrame:
    """Every plan's indicators before and after, one row each, Chinese headers.

    Parameters
    ----------
    plans
        The plans.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`EFFECT_HEADERS`; ``变化`` is after − before where both exist.
    """
    rows = []
    for plan in plans:
        r = plan.record
        for e in r.effects:
            change = None if e.before is None or e.after is None else e.after - e.before
            mode = VALUES["zh"].get(r.mode, r.mode)
            rows.append((r.title, mode, r.threshold_min, e.indicator, e.before, e.after, change))
    return pd.DataFrame(rows, columns=list(EFFECT_HEADERS))


def _change(text: object) -> object:
    """Translate a what-if change: added, closed, ``upgraded from <level>``."""
    words = {"added": "新增", "closed": "关闭"}
    if not isinstance(text, str):
        return text
    if text.startswith("upgraded from "):
        level = text.removeprefix("upgraded from ")
        return f"由{BY_KEY[level].label_zh if level in BY_KEY else level}升级"
    return words.get(text, text)


def _for_people(sites: pd.DataFrame) -> pd.DataFrame:
    shown = sites.copy()
    if "level" in shown:
        shown["level"] = shown["level"].map(
            lambda k: BY_KEY[k].label_zh if k in BY_KEY else ("" if pd.isna(k) else k)
        )
    if "kind" in shown:
        shown["kind"] = shown["kind"].map(lambda k: KINDS.get(k, k))
    if "change" in shown:
        shown["change"] = shown["change"].map(_change)
    if "fixed" in shown:
        shown["fixed"] = shown["fixed"].map(lambda v: "是" if bool(v) else "否")
    return shown.rename(columns=SITE_HEADERS)


def _sheet_name(name: str, used: set[str]) -> str:
    """Make an Excel sheet name: at most 31 characters, no brackets, colons or slashes."""
    base = "".join("_" if c in "[]:*?/\\" else c for c in name)[:28] or "plan"
    out, k = base, 2
    while out in used:
        out, k = f"{base[:26]}_{k}", k + 1
    used.add(out)
    return out


def write_plan_tables(folder: Path, plans: list[LoadedPlan]) -> list[Path]:
    """Write ``plans.xlsx`` and ``sites_<name>.csv`` per plan into the report folder.

    Parameters
    ----------
    folder
        The report folder.
    plans
        The plans (none: nothing is written).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    if not plans:
        return []
    written = []
    for plan in plans:
        path = folder / f"sites_{plan.name}.csv"
        written.append(write_text(path, plan.sites.to_csv(index=False), encoding="utf-8-sig"))
    workbook = folder / "plans.xlsx"
    used = {"效果"}
    with atomic_path(workbook) as tmp, workbook_writer(tmp) as xlsx:
        sheets = [("效果", effects_table(plans))]
        sheets += [(_sheet_name(p.name, used), _for_people(p.sites)) for p in plans]
        for sheet, table in sheets:
            write_sheet(xlsx, sheet, table)
    written.append(workbook)
    return written
