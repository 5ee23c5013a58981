"""The report folder's tables of siting plans: one workbook sheet per plan, CSV with BOM.

``plans.xlsx`` has a sheet ``效果`` (every plan's indicators before and after, each with its own
mode and care group) and one sheet per plan with its sites; headers are Chinese with units,
codes are text, persons whole numbers, minutes one decimal; the header row is frozen and
filterable (:func:`geohealth.outputs.write_sheet`). Each
plan's sites are also written as ``sites_<name>.csv`` in UTF-8 with BOM (English column names,
as ``geohealth site`` writes them), so Excel opens the Chinese names correctly.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geohealth import workbook_formats
from geohealth.coverage_files import VALUES
from geohealth.inputs.levels import BY_KEY
from geohealth.outputs import atomic_path, workbook_writer, write_sheet, write_text
from geohealth.report.plans import LoadedPlan
from geohealth.siting.record import PlanRecord

#: Chinese headers (units in brackets) of the columns siting tables carry.
SITE_HEADERS = {
    "site_id": "站点编码",
    "name": "名称",
    "level": "机构级别",
    "kind": "类型",
    "fixed": "已开放",
    "township_code": "所在乡镇代码",
    "lon": "经度（WGS84）",
    "lat": "纬度（WGS84）",
    "lon_gcj02": "经度（GCJ-02）",
    "lat_gcj02": "纬度（GCJ-02）",
    "lon_bd09": "经度（BD-09）",
    "lat_bd09": "纬度（BD-09）",
    "population_assigned": "服务人口（人）",
    "population": "服务人口（人）",
    "covered": "阈值内人口（人）",
    "share_covered": "覆盖率（%）",
    "mean_min": "平均用时（分钟）",
    "township": "所在乡镇",
    "townships": "服务乡镇",
    "n_townships": "服务乡镇数（个）",
    "facility_id": "机构编码",
    "centre_id": "所属中心编码",
    "beds": "床位数（张）",
    "change": "变动",
}

#: The effects sheet's columns (contract names, which choose the number formats) and headers.
EFFECT_COLUMNS = {
    "plan": "方案",
    "mode": "出行方式",
    "group": "服务类别",
    "threshold_min": "时间阈值（分钟）",
    "indicator": "指标",
    "before": "方案前",
    "after": "方案后",
    "change": "变化",
}
#: Chinese headers of the effects sheet.
EFFECT_HEADERS = tuple(EFFECT_COLUMNS.values())

#: The care group a plan of a kind serves, when its record names none.
KIND_GROUPS = {"ambulance": "emergency", "regional-centre": "secondary"}

KINDS = {"existing": "现有机构", "new": "新建"}


def _plan_group(record: PlanRecord) -> str:
    """Return a plan's care group: its record's, its kind's, or the one its sites' levels share."""
    if record.group:
        return record.group
    if record.kind in KIND_GROUPS:
        return KIND_GROUPS[record.kind]
    groups = {BY_KEY[s["level"]].group for s in record.site_list if s.get("level") in BY_KEY}
    return groups.pop() if len(groups) == 1 else ""


def effect_rows(plans: list[LoadedPlan]) -> pd.DataFrame:
    """Every plan's indicators before and after, one row each, by contract name.

    Each row carries the mode and care group its indicator measures: a what-if's walking
    indicator says walk, the referral time says drive and secondary care, whatever mode the
    plan is drawn for.

    Parameters
    ----------
    plans
        The plans.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`EFFECT_COLUMNS`' keys (mode and group as keys such as ``walk``);
        ``change`` is after − before where both exist.
    """
    rows = []
    for plan in plans:
        r = plan.record
        for e in r.effects:
            change = None if e.before is None or e.after is None else e.after - e.before
            mode = e.mode or r.mode
            group = e.group or _plan_group(r)
            rows.append(
                (r.title, mode, group, r.threshold_min, e.indicator, e.before, e.after, change)
            )
    return pd.DataFrame(rows, columns=list(EFFECT_COLUMNS))


def effects_table(plans: list[LoadedPlan]) -> pd.DataFrame:
    """Every plan's indicators before and after, one row each, Chinese headers and labels.

    Parameters
    ----------
    plans
        The plans.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`EFFECT_HEADERS`; ``变化`` is after − before where both exist; each
        row's 出行方式 and 服务类别 are its own indicator's.
    """
    return _effects_for_people(effect_rows(plans)).rename(columns=EFFECT_COLUMNS)


def _effects_for_people(rows: pd.DataFrame) -> pd.DataFrame:
    """Translate the effects' modes and groups; the change is after − before as shown.

    Each number is rounded as its cell shows it, so the change is taken between the rounded
    values: 31.3 → 24.0 shows −7.3, never −7.2.
    """
    zh = VALUES["zh"]
    out = rows.copy()
    for column in ("mode", "group"):
        out[column] = out[column].map(lambda v: zh.get(v, v) if v else "")
    formats = _effect_formats(rows)["change"]
    for column in ("before", "after"):
        out[column] = [
            None if v is None or pd.isna(v) else workbook_formats.stored(float(v), fmt)
            for v, fmt in zip(out[column], formats, strict=True)
        ]
    shown = out["before"].notna() & out["after"].notna()
    out["change"] = (out["after"] - out["before"]).where(shown)
    return out


def _effect_formats(rows: pd.DataFrame) -> dict[str, list[str]]:
    """Per row of the effects sheet: minutes get one decimal, everything else is persons."""
    minutes = [str(i).endswith("（分钟）") for i in rows["indicator"]]
    each = [workbook_formats.MINUTES if m else workbook_formats.PERSONS for m in minutes]
    return {"before": each, "after": each, "change": each}


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
    return shown


def _sheet_name(name: str, used: set[str]) -> str:
    """Make an Excel sheet name: at most 31 characters, no brackets, colons or slashes.

    Excel compares sheet names without case, so ``used`` holds them lower-cased.
    """
    base = "".join("_" if c in "[]:*?/\\" else c for c in name)[:28] or "plan"
    out, k = base, 2
    while out.lower() in used:
        out, k = f"{base[:26]}_{k}", k + 1
    used.add(out.lower())
    return out


def plan_notes(plans: list[LoadedPlan], region: str) -> pd.DataFrame:
    """Make the notes sheet of ``plans.xlsx``: the region, each plan's sheet and the columns.

    Parameters
    ----------
    plans
        The plans, in sheet order.
    region
        The region as the plan names it (``region.title``).

    Returns
    -------
    pandas.DataFrame
        Columns 项目, 说明.
    """
    rows = [("地区", region)]
    rows += [(f"方案：{plan.name}", plan.record.title) for plan in plans]
    rows += [
        ("效果", "每个方案的指标：方案前、方案后与变化；每行注明其出行方式、服务类别与时间阈值"),
        ("选址表", "每个方案一张：所选（或变动的）机构，其所在乡镇、坐标与服务人口"),
        ("数值", "人数为整数，比例为百分数，分钟保留一位小数；完整精度见各方案文件夹的 CSV"),
    ]
    return pd.DataFrame(rows, columns=["项目", "说明"])


def write_plan_tables(folder: Path, plans: list[LoadedPlan], *, region: str = "") -> list[Path]:
    """Write ``plans.xlsx`` and ``sites_<name>.csv`` per plan into the report folder.

    Parameters
    ----------
    folder
        The report folder.
    plans
        The plans (none: nothing is written).
    region
        The region as the plan names it (``region.title``), for the notes sheet 说明.

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
    used = {"效果", "说明"}
    effects = effect_rows(plans)
    with atomic_path(workbook) as tmp, workbook_writer(tmp) as xlsx:
        write_sheet(
            xlsx,
            "效果",
            _effects_for_people(effects),
            headers=EFFECT_COLUMNS,
            cell_formats=_effect_formats(effects),
        )
        for plan in plans:
            sheet = _sheet_name(plan.name, used)
            write_sheet(xlsx, sheet, _for_people(plan.sites), headers=SITE_HEADERS)
        write_sheet(xlsx, "说明", plan_notes(plans, region))
    written.append(workbook)
    return written
