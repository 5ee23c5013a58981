"""Files a siting run writes: tables (CSV, UTF-8 with BOM), ``assignment.gpkg`` and the map.

Every file is written atomically (a failed run leaves none half-written).
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geohealth import coverage_files, webmap
from geohealth.inputs.layers import InputLayers
from geohealth.outputs import write_text
from geohealth.report import page, plan_map
from geohealth.report.fonts import FontError
from geohealth.siting.plan import Plan, assignment_layers, site_table
from geohealth.siting.regional import RegionalPlan
from geohealth.webmap import plan_maps

log = logging.getLogger(__name__)


def write_csv(path: Path, table: pd.DataFrame) -> Path:
    """Write a table as CSV in UTF-8 with BOM (Excel opens Chinese text correctly).

    Missing and unreachable values (NaN, ``inf`` minutes) are empty cells, so a spreadsheet
    reads the column as numbers.

    Parameters
    ----------
    path
        File to write.
    table
        The table.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    numbers = table.select_dtypes(include="number").columns
    clean = table.copy()
    clean[numbers] = clean[numbers].replace([np.inf, -np.inf], np.nan)
    write_text(path, clean.to_csv(index=False), encoding="utf-8-sig")
    return path


def write_plan(
    out: Path,
    solved: Plan,
    layers: InputLayers,
    *,
    threshold_min: float,
    title: str,
    table: pd.DataFrame | None = None,
) -> list[Path]:
    """Write ``sites.csv``, ``assignment.gpkg`` and ``site_map.html`` of a solved plan.

    Parameters
    ----------
    out
        Output folder.
    solved
        The plan.
    layers
        The run's inputs.
    threshold_min
        Coverage time reported per site.
    title
        The map's headline.
    table
        The plan's :func:`~geohealth.siting.plan.site_table`, when the caller has it already.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    if table is None:
        table = site_table(solved, threshold_min, layers)
    frames = assignment_layers(solved, layers)
    details = table.set_index("site_id")[["population_assigned", "covered", "mean_min"]].rename(
        columns={
            "population_assigned": "服务人口（人）",
            "covered": f"{threshold_min:g}分钟内（人）",
            "mean_min": "平均用时（分钟）",
        }
    )
    details = details.map(lambda v: f"{v:,.1f}" if isinstance(v, float) else v)
    fmap = plan_maps.siting_map(
        layers,
        frames["sites"],
        frames["catchments"],
        frames["unassigned"],
        title=title,
        subtitle=f"{len(table)} 个选址",
        details=details,
    )
    return [
        write_csv(out / "sites.csv", table),
        coverage_files.write_geopackage(out / "assignment.gpkg", frames),
        webmap.write_map(out / "site_map.html", fmap),
        *_print(out, layers, frames, title),
    ]


def _print(
    out: Path, layers: InputLayers, frames: dict[str, gpd.GeoDataFrame], title: str
) -> list[Path]:
    """``site_map.png`` (300 dpi) and ``site_map.pdf`` (A4), when a CJK font is available."""
    try:
        fig = plan_map.siting_figure(
            layers,
            frames["sites"],
            frames["catchments"],
            frames["unassigned"],
            title=title.removeprefix(f"{layers.settings.region.title} · "),
        )
    except FontError as exc:
        log.warning("print map skipped: %s", exc)
        return []
    return page.save_figure(fig, out / "site_map")


def regional_layers(result: RegionalPlan, layers: InputLayers) -> dict[str, gpd.GeoDataFrame]:
    """GeoPackage layers of a regional-centre plan.

    Parameters
    ----------
    result
        The plan.
    layers
        The run's inputs.

    Returns
    -------
    dict
        ``sites`` (candidates, ``chosen``), ``catchments`` (the townships of each centre,
        merged) and ``unassigned`` (townships without a centre, with the reason).
    """
    towns = layers.townships[["code", "geometry"]].to_crs(4326).copy()
    towns["code"] = towns["code"].astype(str)
    table = result.townships.drop(columns="name").merge(towns, on="code")
    frame = gpd.GeoDataFrame(table, geometry="geometry", crs=4326)
    assigned = frame[frame["centre_id"].notna()]
    catch = assigned.dissolve(
        by="centre_id", aggfunc={"population": "sum", "covered": "sum"}
    ).reset_index()
    catch = catch.rename(columns={"centre_id": "site_id"})
    unassigned = frame[frame["centre_id"].isna()].merge(
        result.townships[["code", "name"]], on="code"
    )
    unassigned = unassigned[["code", "name", "population", "note", "geometry"]]
    return {"sites": result.sites, "catchments": catch, "unassigned": unassigned}


def write_regional(
    out: Path, result: RegionalPlan, layers: InputLayers, referral: pd.DataFrame
) -> list[Path]:
    """Write the files of a regional-centre plan.

    ``sites.csv`` (the centres), ``townships.csv`` (each township's centre and coverage),
    ``referral.csv`` (township health centre → secondary care before and after),
    ``assignment.gpkg`` and ``site_map.html``.

    Parameters
    ----------
    out
        Output folder.
    result
        The plan.
    layers
        The run's inputs.
    referral
        From :func:`geohealth.referral.referral_table`.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    frames = regional_layers(result, layers)
    rule = result.rule
    details = result.centres.set_index("site_id")[["townships", "population", "covered"]]
    details = details.rename(
        columns={
            "townships": "服务乡镇",
            "population": "服务人口（人）",
            "covered": f"{rule.threshold_min:g}分钟内（人）",
        }
    ).map(lambda v: f"{v:,.0f}" if isinstance(v, float) else v)
    fmap = plan_maps.siting_map(
        layers,
        frames["sites"],
        frames["catchments"],
        frames["unassigned"],
        title=f"{layers.settings.region.title} · 农村区域性医疗卫生中心选址",
        subtitle=f"{len(result.centres)} 个中心，每个 {rule.min_townships}–{rule.max_townships} "
        f"个乡镇、{rule.min_population / 1e4:g}–{rule.max_population / 1e4:g} 万人",
        details=details,
    )
    return [
        write_csv(out / "sites.csv", result.centres),
        write_csv(out / "townships.csv", result.townships),
        write_csv(out / "referral.csv", referral),
        coverage_files.write_geopackage(out / "assignment.gpkg", frames),
        webmap.write_map(out / "site_map.html", fmap),
        *_print(out, layers, frames, "农村区域性医疗卫生中心选址"),
    ]
