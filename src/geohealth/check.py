"""The input check: what a planner should see before trusting any map made from the inputs.

:func:`summarise` loads nothing itself; it reads loaded layers and returns a
:class:`CheckSummary`; :func:`format_text` renders it as the report ``geohealth check``
prints, and :func:`township_table` gives the per-township comparison as a table.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geohealth.inputs import levels, population_check
from geohealth.inputs.layers import InputLayers
from geohealth.network import extract, profiles, terrain


@dataclass(frozen=True)
class CheckSummary:
    """Facts about a run's inputs.

    Attributes
    ----------
    layers
        The loaded layers.
    facilities_by_level
        Facility count per level key, in the vocabulary's order.
    facilities_outside
        Facilities outside every township (kept within the tolerated buffer).
    townships
        Per township: ``code``, ``name``, ``census`` (persons from the boundaries file),
        ``raster`` (persons summed from the population grid), ``difference`` (raster −
        census), ``facilities`` (count inside).
    raster_inside, raster_outside
        Grid persons inside the townships and outside all of them.
    misplaced
        Facilities whose stated township (所属乡镇) is not the township their coordinates
        fall in: ``facility_id``, ``name``, ``stated``, ``located``.
    mismatched_townships
        Names of townships whose grid and census totals differ by more than
        ``population.mismatch_warn_share``.
    roads
        Road inventory of the OSM extract, or None when no extract is configured.
    """

    layers: InputLayers
    facilities_by_level: dict[str, int]
    facilities_outside: pd.DataFrame
    townships: pd.DataFrame
    raster_inside: float
    raster_outside: float
    roads: extract.ExtractSummary | None
    misplaced: pd.DataFrame
    mismatched_townships: tuple[str, ...]

    @property
    def census_total(self) -> float:
        """Sum of township census totals (persons; NaN if the file has none)."""
        return float(self.townships["census"].sum(min_count=1))


def summarise(layers: InputLayers) -> CheckSummary:
    """Summarise loaded inputs.

    Parameters
    ----------
    layers
        As returned by :func:`geohealth.inputs.layers.load`.

    Returns
    -------
    CheckSummary
        Counts, totals and comparisons.

    Raises
    ------
    NetworkError
        If the configured OSM extract has no roads or does not overlap the townships.

    Warns
    -----
    PopulationMismatchWarning
        Only for layers built in code without a population check (loading checks once).
    """
    townships = layers.townships
    points = layers.facilities
    counts = points["level"].value_counts()
    by_level = {lv.key: int(counts.get(lv.key, 0)) for lv in levels.LEVELS if counts.get(lv.key, 0)}
    checked = layers.population_check or population_check.check_against(
        layers.population,
        townships,
        source="population",
        mismatch_warn_share=layers.settings.population.mismatch_warn_share,
    )
    per_township, outside = checked.per_township, checked.outside
    joined = gpd.sjoin(
        points[["facility_id", "name", "township", "geometry"]],
        townships[["code", "name", "geometry"]].rename(columns={"name": "located"}),
        predicate="within",
        how="inner",
    )
    facility_counts = joined["code"].value_counts()
    table = pd.DataFrame(
        {
            "code": townships["code"].to_numpy(),
            "name": townships["name"].to_numpy(),
            "census": townships["population"].to_numpy(dtype=float),
            "raster": per_township.to_numpy(),
        }
    )
    table["difference"] = table["raster"] - table["census"]
    table["facilities"] = [int(facility_counts.get(c, 0)) for c in table["code"]]
    stated = joined["township"].astype("string")
    differs = (stated.notna() & (stated != joined["located"].astype("string"))).fillna(False)
    misplaced = (
        joined.loc[differs.to_numpy(), ["facility_id", "name", "township", "located"]]
        .rename(columns={"township": "stated"})
        .reset_index(drop=True)
    )
    mismatched = checked.mismatched
    network = layers.settings.network
    # what later commands read: the profiles file must time every mode the run asks for
    profiles.load(network.profiles, modes=layers.settings.analysis.modes)
    if network.dem is not None:
        terrain.load_dem(network.dem)  # the elevations walking and two-wheelers are timed on
    roads = None
    osm = network.osm
    if osm is not None:
        roads = extract.summarise(osm)
        extract.check_overlap(roads.path.name, roads.bounds, layers.region.bounds)
    return CheckSummary(
        layers=layers,
        facilities_by_level=by_level,
        facilities_outside=points.loc[
            ~points["inside_region"], ["facility_id", "name", "level"]
        ].reset_index(drop=True),
        townships=table,
        raster_inside=float(per_township.sum()),
        raster_outside=outside,
        roads=roads,
        misplaced=misplaced,
        mismatched_townships=mismatched,
    )


def township_table(summary: CheckSummary) -> pd.DataFrame:
    """Return the per-township comparison with readable column names.

    Parameters
    ----------
    summary
        A check summary.

    Returns
    -------
    pandas.DataFrame
        Columns ``code``, ``name``, ``census_persons``, ``raster_persons``,
        ``difference_persons``, ``difference_pct``, ``facilities``.
    """
    t = summary.townships
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * t["difference"] / t["census"]
    return pd.DataFrame(
        {
            "code": t["code"],
            "name": t["name"],
            "census_persons": t["census"].round(0),
            "raster_persons": t["raster"].round(0),
            "difference_persons": t["difference"].round(0),
            "difference_pct": pct.round(1),
            "facilities": t["facilities"],
        }
    )


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, *, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _persons(value: float) -> str:
    return "—" if not np.isfinite(value) else f"{value:,.0f}"


def format_text(summary: CheckSummary, *, language: str = "en") -> str:
    """Render a check summary as the plain-text report a planner reads.

    Parameters
    ----------
    summary
        A check summary.
    language
        ``"en"`` or ``"zh"`` (``output.language``): the report's words; names, file names and
        numbers are the same in both.

    Returns
    -------
    str
        Several lines of text (no trailing newline).
    """

    def t(en: str, zh: str) -> str:
        return zh if language == "zh" else en

    layers = summary.layers
    s = layers.settings
    region = layers.region
    west, south, east, north = region.bounds
    lines = [
        t("Input check — ", "输入检查 — ")
        + s.region.title
        + (f" ({s.source})" if s.source else ""),
        "",
        t("Townships   ", "乡镇        ")
        + t(f"{len(layers.townships)} from ", f"{len(layers.townships)} 个，来自 ")
        + f"{s.boundaries.path.name} "
        f"(CRS {layers.townships.attrs.get('source_crs', 'EPSG:4326')} → EPSG:4326)",
        "            "
        + t(
            f"area {region.area_km2:,.0f} km² (measured in {region.metric_crs.name})",
            f"面积 {region.area_km2:,.0f} km²（在 {region.metric_crs.name} 中量算）",
        ),
        "            "
        + t("extent ", "范围 ")
        + f"{west:.3f}–{east:.3f}°E, {south:.3f}–{north:.3f}°N",
        t("Facilities  ", "医疗机构    ")
        + t(f"{len(layers.facilities)} from ", f"{len(layers.facilities)} 个，来自 ")
        + s.facilities.path.name
        + t(" (encoding ", "（编码 ")
        + f"{layers.facilities.attrs.get('encoding', '?')}"
        + t(", coordinates ", "，坐标 ")
        + f"{layers.facilities.attrs.get('coordinate_system', '?').upper()} → WGS-84"
        + t(")", "）"),
    ]
    for key, n in summary.facilities_by_level.items():
        level = levels.BY_KEY[key]
        lines.append(f"            {n:5d}  {_pad(level.label_zh, 24)}{level.label_en}")
    outside = summary.facilities_outside
    lines.append(
        "            "
        + t("outside every township: ", "不在任何乡镇内：")
        + str(len(outside))
        + (
            t(": ", "：") + t(", ", "、").join(outside["name"].astype(str).head(8))
            if len(outside)
            else ""
        )
    )
    misplaced = summary.misplaced
    lines.append(
        "            "
        + t("stated township (所属乡镇) differs from location: ", "所属乡镇与位置不符：")
        + str(len(misplaced))
        + (
            t(": ", "：")
            + t(", ", "、").join(
                t(
                    f"{r.name} (says {r.stated}, lies in {r.located})",
                    f"{r.name}（填写 {r.stated}，位于 {r.located}）",
                )
                for r in misplaced.head(5).itertuples()
            )
            if len(misplaced)
            else ""
        )
    )
    grid = layers.population
    census = summary.census_total
    diff = summary.raster_inside - census
    pct = f" ({100 * diff / census:+.1f} %)" if np.isfinite(census) and census else ""
    lines += [
        t("Population  source: ", "人口        来源：")
        + f"{grid.source}, {grid.shape[0]}×{grid.shape[1]} "
        + t("cells, ", "个格网，")
        + f"{grid.nodata_cells:,} "
        + t("nodata", "个无数据"),
        "            "
        + t("grid total inside townships ", "格网人口：乡镇内 ")
        + _persons(summary.raster_inside)
        + t(", outside ", "，乡镇外 ")
        + _persons(summary.raster_outside),
        "            "
        + t("township totals (census)    ", "乡镇统计人口合计            ")
        + _persons(census),
        "            "
        + t("difference grid − census     ", "差值（格网 − 统计）          ")
        + f"{_persons(diff)}{pct}",
    ]
    if summary.mismatched_townships:
        share = s.population.mismatch_warn_share
        lines.append(
            "            "
            + t(
                f"townships differing by more than {share:.0%}: ",
                f"相差超过 {share:.0%} 的乡镇：",
            )
            + t(", ", "、").join(summary.mismatched_townships)
        )
    if summary.roads is not None:
        r = summary.roads
        classes = ", ".join(f"{c} {r.km[c]:,.0f}" for c in r.ways)
        lines += [
            t("Roads       ", "路网        ")
            + f"{r.path.name}: "
            + t(
                f"{sum(r.ways.values()):,} ways, {r.total_km:,.0f} km (km by class: {classes})",
                f"{sum(r.ways.values()):,} 条道路，{r.total_km:,.0f} km（按等级 km：{classes}）",
            ),
            "            "
            + t(
                f"one-way ways {r.oneway_ways}, ferry routes {r.ferry_routes}; "
                "road data © OpenStreetMap contributors, ODbL (or the file's own licence)",
                f"单行道 {r.oneway_ways} 条，轮渡航线 {r.ferry_routes} 条；"
                "路网数据 © OpenStreetMap contributors, ODbL（或文件自身的许可）",
            ),
        ]
    else:
        lines.append(
            t("Roads       none configured ([network] osm)", "路网        未配置（[network] osm）")
        )
    lines += ["", t("Per township", "各乡镇")]
    table = township_table(summary)
    header = (
        ["code", "name", "census", "grid", "diff %", "facilities"]
        if language != "zh"
        else ["代码", "名称", "统计人口", "格网人口", "差值 %", "机构数"]
    )
    rows = [
        [
            str(r.code),
            str(r.name),
            _persons(r.census_persons),
            _persons(r.raster_persons),
            "—" if not np.isfinite(r.difference_pct) else f"{r.difference_pct:+.1f}",
            str(r.facilities),
        ]
        for r in table.itertuples()
    ]
    widths = [max(_width(x) for x in col) for col in zip(header, *rows, strict=True)]
    for row in [header, *rows]:
        cells = [_pad(c, w, right=i >= 2) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  " + "  ".join(cells))
    return "\n".join(lines)
