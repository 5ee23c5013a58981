"""The files a coverage run writes: tables (CSV, XLSX), a GeoPackage and GeoTIFFs.

The CSV files keep the English column names of the output contract (scripts read them);
the workbook is for people, with Chinese (or English) headers that carry their units, a frozen
header row and translated modes, groups and levels. Every file is written atomically.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geohealth import catchments
from geohealth.coverage import AREA_CODE, CoverageResult
from geohealth.inputs.layers import InputLayers
from geohealth.inputs.levels import BY_KEY
from geohealth.outputs import atomic_path, workbook_writer, write_geotiff, write_sheet, write_text
from geohealth.reach import OSM_ATTRIBUTION

#: Header of each output column in the workbook, by language (units in brackets).
HEADERS: dict[str, dict[str, str]] = {
    "zh": {
        "code": "区划代码",
        "name": "名称",
        "mode": "出行方式",
        "threshold_min": "时间阈值（分钟）",
        "group": "服务类别",
        "population": "常住人口（人）",
        "covered": "阈值内人口（人）",
        "uncovered": "阈值外人口（人）",
        "share_covered": "覆盖率",
        "mean_min": "平均用时（分钟）",
        "median_min": "用时中位数（分钟）",
        "p95_min": "95%分位用时（分钟）",
        "beds_per_1000": "每千人床位数（张）",
        "e2sfca_beds_per_1000": "可达床位指数E2SFCA（张/千人）",
        "facility_id": "机构编码",
        "level": "机构级别",
        "beds": "床位数（张）",
        "catchment_population": "服务人口（人，就近）",
        "population_within": "阈值内可达人口（人）",
        "beds_per_1000_catchment": "每千服务人口床位数（张）",
    },
    "en": {
        "code": "Code",
        "name": "Name",
        "mode": "Mode",
        "threshold_min": "Threshold (min)",
        "group": "Care group",
        "population": "Population (persons)",
        "covered": "Covered (persons)",
        "uncovered": "Uncovered (persons)",
        "share_covered": "Share covered",
        "mean_min": "Mean time (min)",
        "median_min": "Median time (min)",
        "p95_min": "95th percentile time (min)",
        "beds_per_1000": "Beds per 1 000 residents",
        "e2sfca_beds_per_1000": "E2SFCA beds per 1 000 within reach",
        "facility_id": "Facility ID",
        "level": "Level",
        "beds": "Beds",
        "catchment_population": "Catchment population (nearest, persons)",
        "population_within": "Population within threshold (persons)",
        "beds_per_1000_catchment": "Beds per 1 000 of catchment",
    },
}

#: Display names of modes and care groups, by language.
VALUES: dict[str, dict[str, str]] = {
    "zh": {
        "walk": "步行",
        "two_wheeler": "电动车/摩托车",
        "drive": "驾车",
        "primary": "基层医疗",
        "secondary": "二级医疗",
        "tertiary": "三级医疗",
        "emergency": "院前急救",
        AREA_CODE: "全域",
    },
    "en": {"two_wheeler": "two-wheeler", AREA_CODE: "whole area"},
}

SHEETS = {"zh": ("乡镇覆盖", "机构服务", "说明"), "en": ("Townships", "Facilities", "About")}


def _for_people(table: pd.DataFrame, language: str) -> pd.DataFrame:
    """Translate a table's headers and its mode, group and level values."""
    values = VALUES[language]
    out = table.copy()
    for column in ("mode", "group"):
        if column in out:
            out[column] = out[column].map(lambda v: values.get(v, v))
    if "code" in out:
        out["code"] = out["code"].map(lambda v: values.get(v, v))
    if "level" in out:
        label = "label_zh" if language == "zh" else "label_en"
        out["level"] = out["level"].map(lambda k: getattr(BY_KEY[k], label) if k in BY_KEY else k)
    return out.rename(columns=HEADERS[language])


def write_tables(
    out_dir: Path, result: CoverageResult, *, language: str = "zh", region: str = ""
) -> list[Path]:
    """Write ``townships.csv``, ``facilities.csv`` and ``coverage.xlsx``.

    Parameters
    ----------
    out_dir
        Output folder.
    result
        A coverage run.
    language
        ``"zh"`` or ``"en"``: the workbook's headers and labels.
    region
        Region name for the workbook's notes sheet.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    towns = out_dir / "townships.csv"
    facilities = out_dir / "facilities.csv"
    workbook = out_dir / "coverage.xlsx"
    # BOM: Excel reads the Chinese names right
    write_text(towns, result.townships.to_csv(index=False), encoding="utf-8-sig")
    write_text(facilities, result.facilities.to_csv(index=False), encoding="utf-8-sig")
    notes = pd.DataFrame(
        {
            "": [
                region,
                "Population: persons; times: minutes by road to the nearest facility of the group.",
                "Uncovered includes people who cannot reach any facility (their time is blank).",
                "E2SFCA: Luo & Qi (2009) enhanced two-step floating catchment, beds per 1 000.",
                OSM_ATTRIBUTION,
            ]
        }
    )
    sheets = SHEETS[language]
    with atomic_path(workbook) as tmp, workbook_writer(tmp) as xlsx:
        for sheet, table in zip(sheets, (result.townships, result.facilities), strict=False):
            write_sheet(xlsx, sheet, _for_people(table, language))
        notes.to_excel(xlsx, sheet_name=sheets[2], index=False, header=False)
    return [towns, facilities, workbook]


def _wide_townships(table: pd.DataFrame, group: str, mode: str) -> pd.DataFrame:
    """One row per township: the population and per-threshold coverage side by side."""
    part = table[(table["group"] == group) & (table["mode"] == mode)]
    base = part.drop_duplicates("code").set_index("code")
    out = base[["name", "population", "mean_min", "median_min", "p95_min"]].copy()
    for column in ("beds_per_1000", "e2sfca_beds_per_1000"):
        out[column] = base[column]
    for limit, rows in part.groupby("threshold_min"):
        rows = rows.set_index("code")
        for column in ("covered", "uncovered", "share_covered"):
            out[f"{column}_{limit:g}min"] = rows[column]
    return out


def geopackage_layers(result: CoverageResult, layers: InputLayers) -> dict[str, gpd.GeoDataFrame]:
    """Build the GeoPackage's layers, by name.

    ``townships_<group>_<mode>`` (polygons, coverage per threshold side by side),
    ``facilities`` (points), ``catchments_<group>_<mode>``, ``uncovered_<mode>`` (where
    people live beyond ``analysis.target_min`` of primary care, merged by township and time
    band), ``circles_<group>_<mode>`` (the group's merged service circle per threshold, with
    the people inside — the ``covered`` of the whole area) and, when the run drew them,
    ``isochrones_primary_<mode>`` (one service circle per primary-care facility and
    threshold), all EPSG:4326.

    Parameters
    ----------
    result
        A coverage run.
    layers
        The run's inputs.

    Returns
    -------
    dict
        Layer name → frame.
    """
    target = layers.settings.analysis.target_min
    zones = layers.township_index()
    polygons = layers.townships[["code", "geometry"]].set_index(layers.townships["code"])
    out: dict[str, gpd.GeoDataFrame] = {}
    for group, mode in result.groups:
        wide = _wide_townships(result.townships, group, mode)
        wide = wide.drop(index=AREA_CODE).reset_index()
        merged = polygons.drop(columns="code").join(wide.set_index("code"), how="inner")
        out[f"townships_{group}_{mode}"] = gpd.GeoDataFrame(
            merged.reset_index(names="code"), geometry="geometry", crs=layers.townships.crs
        ).to_crs(4326)
    points = layers.facilities.drop(columns=["inside_region"], errors="ignore").copy()
    points["group"] = points["level"].map(lambda k: BY_KEY[k].group if k in BY_KEY else None)
    facility_rows = result.facilities[result.facilities["threshold_min"] == target]
    for mode in dict.fromkeys(m for _, m in result.groups):
        rows = facility_rows[facility_rows["mode"] == mode].set_index("facility_id")
        for column in ("catchment_population", "population_within", "beds_per_1000_catchment"):
            points[f"{column}_{mode}"] = points["facility_id"].map(rows[column])
    out["facilities"] = points.to_crs(4326)
    for (group, mode), cells in result.groups.items():
        facilities = cells.network.facilities
        out[f"catchments_{group}_{mode}"] = catchments.catchment_polygons(
            layers.population, cells.nearest, facilities
        )
        if group == "primary":  # the service-circle target is a primary-care target
            out[f"uncovered_{mode}"] = catchments.uncovered_areas(
                layers.population, cells.minutes, target, layers.townships, zones
            )
    area = result.townships[result.townships["code"] == AREA_CODE]
    for (group, mode), cells in result.groups.items():
        rows = area[(area["group"] == group) & (area["mode"] == mode)]
        covered = rows.set_index("threshold_min")["covered"]
        circles = cells.circles.copy()
        circles.insert(4, "population", circles["threshold_min"].map(covered).to_numpy())
        out[f"circles_{group}_{mode}"] = circles
    for mode, frame in result.isochrones.items():
        out[f"isochrones_primary_{mode}"] = frame
    return out


def write_geopackage(path: Path, frames: dict[str, gpd.GeoDataFrame]) -> Path:
    """Write layers into one GeoPackage, atomically.

    Parameters
    ----------
    path
        ``.gpkg`` file (replaced whole).
    frames
        Layer name → frame.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    with atomic_path(path) as tmp:
        for name, frame in frames.items():
            frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    return path


def write_rasters(out_dir: Path, result: CoverageResult, layers: InputLayers) -> list[Path]:
    """Write ``traveltime_<mode>.tif`` (primary care) and ``access_<mode>.tif`` (E2SFCA).

    Both are aligned with the population grid, NaN where nobody lives (or, for travel
    times, no facility is reachable). ``access_<mode>.tif`` has one band per care group with
    beds, named in the band descriptions.

    Parameters
    ----------
    out_dir
        Output folder.
    result
        A coverage run.
    layers
        The run's inputs.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    grid = layers.population
    written = []
    modes = dict.fromkeys(m for _, m in result.groups)
    for mode in modes:
        primary = result.groups.get(("primary", mode))
        if primary is not None:
            minutes = np.where(np.isfinite(primary.minutes), primary.minutes, np.nan)
            written.append(
                write_geotiff(
                    out_dir / f"traveltime_{mode}.tif",
                    minutes.astype(np.float32),
                    transform=grid.transform,
                    crs=grid.crs,
                    nodata=np.nan,
                    tags={"units": "minutes", "mode": mode, "attribution": OSM_ATTRIBUTION},
                )
            )
        bands = {
            g: r.access
            for (g, m), r in result.groups.items()
            if m == mode and np.isfinite(r.cell_access).any()
        }
        if bands:
            written.append(
                write_geotiff(
                    out_dir / f"access_{mode}.tif",
                    np.stack(list(bands.values())).astype(np.float32),
                    transform=grid.transform,
                    crs=grid.crs,
                    nodata=np.nan,
                    tags={
                        "units": "beds per 1 000 residents (E2SFCA)",
                        "attribution": OSM_ATTRIBUTION,
                    },
                    band_names=[f"{g} care, {mode}" for g in bands],
                )
            )
    return written
