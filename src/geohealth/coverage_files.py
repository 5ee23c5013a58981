"""The files a coverage run writes: tables (CSV, XLSX), a GeoPackage and GeoTIFFs.

The CSV files keep the English column names of the output contract (scripts read them);
the workbook is for people, with Chinese (or English) headers that carry their units, a frozen
header row and translated modes, groups and levels. Every file is written atomically.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geohealth import catchments
from geohealth.coverage import AREA_CODE, CoverageResult
from geohealth.inputs.layers import InputLayers
from geohealth.inputs.levels import BY_KEY
from geohealth.inputs.population import PopulationGrid
from geohealth.isochrones import _simplified_parts
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
        "share_covered": "覆盖率（%）",
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
        "share_covered": "Share covered (%)",
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


#: The notes sheet, by language: (item, note) rows after the region's.
NOTES: dict[str, tuple[tuple[str, str], ...]] = {
    "zh": (
        ("人口", "常住人口，单位：人；用时为经道路到同类最近机构的分钟数。"),
        ("阈值外人口", "含无法到达任何机构的人口（其用时为空）。"),
        ("覆盖率", "阈值内人口占常住人口的百分比。"),
        (
            "E2SFCA",
            "Luo & Qi（2009）增强型两步移动搜索法：可达范围内每千人床位数（按距离衰减加权）。",
        ),
        ("CSV 文件", "townships.csv、facilities.csv 保留全部精度与英文列名，供程序读取。"),
        ("道路数据", OSM_ATTRIBUTION),
    ),
    "en": (
        (
            "Population",
            "Residents, persons; times: minutes by road to the nearest facility of the group.",
        ),
        (
            "Uncovered",
            "Includes people who cannot reach any facility (their time is blank).",
        ),
        ("Share covered", "People within the threshold as a percentage of the population."),
        ("E2SFCA", "Luo & Qi (2009) enhanced two-step floating catchment: beds per 1 000."),
        (
            "CSV files",
            "townships.csv and facilities.csv keep full precision and the English column "
            "names, for programs.",
        ),
        ("Road data", OSM_ATTRIBUTION),
    ),
}

#: Headers of the notes sheet and the label of its region row, by language.
NOTE_HEADERS = {"zh": ("项目", "说明", "地区"), "en": ("Item", "Note", "Region")}


def _for_people(table: pd.DataFrame, language: str) -> pd.DataFrame:
    """Translate a table's mode, group and level values (its columns keep their names)."""
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
    if {"population", "covered", "uncovered"} <= set(out.columns):
        # whole persons as the cells show them, so covered + uncovered = population on the sheet
        out["population"] = out["population"].round()
        out["covered"] = out["covered"].round()
        out["uncovered"] = out["population"] - out["covered"]
    return out


def notes_table(language: str, region: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """Make the notes sheet in the table language: the region, units, methods, data sources.

    Parameters
    ----------
    language
        ``"zh"`` or ``"en"``.
    region
        The region as the plan names it (``region.title``).

    Returns
    -------
    tuple
        The table (columns ``item``, ``note``) and its headers.
    """
    item, note, region_label = NOTE_HEADERS[language]
    rows = [(region_label, region), *NOTES[language]]
    return pd.DataFrame(rows, columns=["item", "note"]), {"item": item, "note": note}


def write_tables(
    out_dir: Path, result: CoverageResult, *, language: str = "zh", region: str = ""
) -> list[Path]:
    """Write ``townships.csv``, ``facilities.csv`` and ``coverage.xlsx``.

    The CSV files keep full precision and the English contract names (for programs); the
    workbook is for people: translated headers with units, codes as text, persons as whole
    numbers, shares as percentages, minutes with one decimal
    (:mod:`geohealth.workbook_formats`), and a notes sheet in the same language.

    Parameters
    ----------
    out_dir
        Output folder.
    result
        A coverage run.
    language
        ``"zh"`` or ``"en"``: the workbook's headers, labels and notes.
    region
        The region as the plan names it (``region.title``), on the notes sheet.

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
    notes, note_headers = notes_table(language, region)
    sheets = SHEETS[language]
    with atomic_path(workbook) as tmp, workbook_writer(tmp) as xlsx:
        for sheet, table in zip(sheets, (result.townships, result.facilities), strict=False):
            write_sheet(xlsx, sheet, _for_people(table, language), headers=HEADERS[language])
        write_sheet(xlsx, sheets[2], notes, headers=note_headers)
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


#: Largest move of a service circle's outline in ``coverage.gpkg`` (metres): a display copy;
#: the tables count the exact contours, and ``traveltime_<mode>.tif`` keeps every cell.
CIRCLE_DISPLAY_M = 15.0


def outline_tolerance_m(grid: PopulationGrid) -> float:
    """Return how far the outlines of merged population cells may move: half a cell's diagonal.

    Catchments and uncovered areas are unions of population cells, so their outlines are
    staircases of cell edges; moving them by up to half a cell's diagonal turns a staircase
    into its slope and keeps each area on its own cells (the tables count the cells).

    Parameters
    ----------
    grid
        The population grid.

    Returns
    -------
    float
        Metres, whole (for cells of 3″ at 46° N, 64 m × 93 m: 55 m).
    """
    area = np.asarray(grid.cell_area_km2(), dtype=float)
    # cells of a north-up grid differ by row only: the median of one column, not a full copy
    column = area[:, 0] if area.ndim == 2 else area.ravel()
    side_m = np.sqrt(float(np.nanmedian(column)) * 1e6)
    return float(round(side_m * np.sqrt(2.0) / 2.0))


def geopackage_layers(result: CoverageResult, layers: InputLayers) -> dict[str, gpd.GeoDataFrame]:
    """Build the GeoPackage's layers, by name.

    ``townships_<group>_<mode>`` (polygons, coverage per threshold side by side),
    ``facilities`` (points), ``catchments_<group>_<mode>``, ``uncovered_<mode>`` (where
    people live beyond ``analysis.target_min`` of primary care, one area per township with
    its people per band of time), ``circles_<group>_<mode>`` (the group's merged service
    circle per threshold, with the people inside — the ``covered`` of the whole area) and,
    when the run drew them, ``isochrones_primary_<mode>`` (one service circle per
    primary-care facility and threshold), all EPSG:4326.

    Catchments, uncovered areas and circles are display copies: their outlines are
    simplified (topology kept: neighbours still meet edge to edge, circles still nest) with
    the tolerance in their ``simplified_m`` column and layer description — circles moved by at
    most :data:`CIRCLE_DISPLAY_M`, merged cells by GEOS's coverage simplification at
    :func:`outline_tolerance_m` (:func:`display_tiles`); their
    people, areas and counts are the exact ones of the tables, and the exact surfaces are
    ``traveltime_<mode>.tif``. Each frame's ``attrs["description"]`` says so.

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
    metric = layers.region.metric_crs
    cells_m = outline_tolerance_m(layers.population)
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
        catchment = catchments.catchment_polygons(layers.population, cells.nearest, facilities)
        out[f"catchments_{group}_{mode}"] = _described(
            display_tiles(catchment, cells_m, metric),
            f"Catchments of {group} care by {mode}: the populated cells each facility is "
            f"nearest to. {_SIMPLIFIED.format(m=cells_m)}",
        )
        if group == "primary":  # the service-circle target is a primary-care target
            bands = catchments.uncovered_areas(
                layers.population, cells.minutes, target, layers.townships, zones
            )
            out[f"uncovered_{mode}"] = _described(
                display_tiles(uncovered_by_township(bands), cells_m, metric),
                f"Where people live beyond {target:g} min of primary care by {mode}, one "
                f"area per township; population_* columns split its people by band of "
                f"time. {_SIMPLIFIED.format(m=cells_m)}",
            )
    area = result.townships[result.townships["code"] == AREA_CODE]
    for (group, mode), cells in result.groups.items():
        rows = area[(area["group"] == group) & (area["mode"] == mode)]
        covered = rows.set_index("threshold_min")["covered"]
        circles = cells.circles.copy()
        circles.insert(4, "population", circles["threshold_min"].map(covered).to_numpy())
        out[f"circles_{group}_{mode}"] = _described(
            display_nested(circles, CIRCLE_DISPLAY_M, metric),
            f"Service circles of {group} care by {mode}, one per threshold; population: the "
            f"whole area's covered. {_SIMPLIFIED.format(m=CIRCLE_DISPLAY_M)}",
        )
    for mode, frame in result.isochrones.items():
        out[f"isochrones_primary_{mode}"] = _described(
            display_nested(frame, CIRCLE_DISPLAY_M, metric, by="facility_id"),
            f"Each primary-care facility's service circle by {mode}, one per threshold. "
            f"{_SIMPLIFIED.format(m=CIRCLE_DISPLAY_M)}",
        )
    return out


#: The sentence every display copy's layer description ends with.
_SIMPLIFIED = (
    "Display copy: outlines simplified with a tolerance of {m:g} m (column simplified_m), "
    "topology kept; populations, areas and counts are the exact values of the tables. Full detail: "
    "traveltime_<mode>.tif (minutes to primary care per population cell)."
)


def _described(frame: gpd.GeoDataFrame, description: str) -> gpd.GeoDataFrame:
    frame.attrs["description"] = description
    return frame


def uncovered_by_township(bands: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Dissolve uncovered areas by band into one area per township, people per band kept.

    Parameters
    ----------
    bands
        :func:`geohealth.catchments.uncovered_areas`: areas by township and band of time.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per township (code ``""``: cells outside every township): ``code, name,
        population, cells`` and one ``population_<band>`` column per band
        (``population_15_30min``, ``population_30_60min``, ``population_over_60min``,
        ``population_no_care`` for a 15-minute target), in the frame's CRS.
    """
    frame = pd.DataFrame(bands.drop(columns="geometry"))
    frame["key"] = [
        "population_no_care"
        if text == "no care reachable"
        else f"population_over_{lo:g}min"
        if not np.isfinite(hi)
        else f"population_{lo:g}_{hi:g}min"
        for text, lo, hi in zip(frame["band"], frame["from_min"], frame["to_min"], strict=True)
    ]
    order = list(dict.fromkeys(frame.sort_values(["from_min", "to_min"])["key"]))
    if "population_no_care" in order:  # last, after the longest times
        order = [k for k in order if k != "population_no_care"] + ["population_no_care"]
    by_band = frame.pivot_table(
        index="code", columns="key", values="population", aggfunc="sum", fill_value=0.0
    )
    codes = list(dict.fromkeys(frame["code"]))
    table = frame.groupby("code", sort=False).agg(
        name=("name", "first"), population=("population", "sum"), cells=("cells", "sum")
    )
    table = table.loc[codes].join(by_band.reindex(columns=order, fill_value=0.0))
    geoms = [
        shapely.union_all(bands.geometry.to_numpy()[(frame["code"] == c).to_numpy()]) for c in codes
    ]
    return gpd.GeoDataFrame(table.reset_index(), geometry=geoms, crs=bands.crs)


def display_tiles(frame: gpd.GeoDataFrame, tolerance_m: float, metric: object) -> gpd.GeoDataFrame:
    """Simplify areas that do not overlap as one coverage: neighbours still meet, no gaps.

    The outlines are noded and cut into faces (each face lies inside one area, or in a gap
    between them), so the faces form an exact polygonal coverage; GEOS's coverage
    simplification (Visvalingam–Whyatt, removing bends whose triangle is smaller than about
    ``tolerance_m``²) simplifies each shared edge once and keeps the coverage valid, in time
    linear in the vertices; the faces are then joined again by the area they lie in. An
    area made of no face keeps its exact outline.

    Parameters
    ----------
    frame
        Areas that touch at most along edges (catchments, uncovered areas), any CRS.
    tolerance_m
        The simplification's tolerance (metres): the square root of the largest triangle a
        removed vertex may make with its neighbours.

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows and columns, plus ``simplified_m``; geometries as multipolygons, in the
        frame's CRS.
    """
    out = frame.copy()
    out["simplified_m"] = tolerance_m
    if len(frame) == 0 or tolerance_m <= 0:
        return out
    exact = frame.to_crs(metric).geometry.to_numpy()
    noded = shapely.union_all(shapely.boundary(exact))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    made = np.array(exact, dtype=object)
    if len(faces):
        parts, part_of = shapely.get_parts(exact, return_index=True)
        # a face is a piece of the exact areas: a point inside it lies in exactly one, or none
        face, part = shapely.STRtree(parts).query(shapely.point_on_surface(faces), "within")
        owner = part_of[part]
        simple = shapely.coverage_simplify(faces, tolerance_m)
        order = np.argsort(owner, kind="stable")
        face, owner = face[order], owner[order]
        starts = np.flatnonzero(np.r_[True, np.diff(owner) != 0, True])
        for a, b in itertools.pairwise(starts):
            made[owner[a]] = shapely.coverage_union_all(simple[face[a:b]])
    made = _multi(made)
    out["geometry"] = gpd.GeoSeries(made, index=frame.index, crs=metric).to_crs(frame.crs)
    return out


def display_nested(
    frame: gpd.GeoDataFrame, tolerance_m: float, metric: object, *, by: str | None = None
) -> gpd.GeoDataFrame:
    """Simplify service circles, keeping each inside the next larger (of the same ``by``).

    Every ring is simplified as a line (Douglas–Peucker, at most ``tolerance_m``); a part
    whose simplified rings would cross keeps its exact outline; a circle that then reaches
    out of the next larger one is cut back to it.

    Parameters
    ----------
    frame
        Circles with ``threshold_min`` (each inside the next larger), any CRS.
    tolerance_m
        Largest move of an outline (metres).
    metric
        A metric CRS to simplify in.
    by
        A column whose rows nest separately (``facility_id``); None: all rows nest.

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows and columns, plus ``simplified_m``; in the frame's CRS.
    """
    out = frame.copy()
    out["simplified_m"] = tolerance_m
    if len(frame) == 0 or tolerance_m <= 0:
        return out
    exact = frame.to_crs(metric).geometry.to_numpy()
    parts, whose = shapely.get_parts(exact, return_index=True)
    made = np.array(exact, dtype=object)
    if len(parts):
        taken = np.unique(whose)
        made[taken] = shapely.multipolygons(
            _simplified_parts(parts, tolerance_m), indices=np.searchsorted(taken, whose)
        )
    invalid = ~shapely.is_valid(made)
    made[invalid] = shapely.simplify(exact[invalid], tolerance_m, preserve_topology=True)
    keys = frame[by].to_numpy() if by else np.zeros(len(frame))
    limits = frame["threshold_min"].to_numpy(dtype=float)
    _, key = np.unique(keys.astype(str), return_inverse=True)
    order = np.lexsort((limits, key))  # each key's rows together, smallest limit first
    starts = np.flatnonzero(np.r_[True, np.diff(key[order]) != 0, True])
    for a, b in itertools.pairwise(starts):
        rows = order[a:b]
        for small, big in zip(rows[-2::-1], rows[:0:-1], strict=True):
            if not shapely.covers(made[big], made[small]):
                made[small] = _polygonal(shapely.intersection(made[small], made[big]))
    made = _multi(made)
    out["geometry"] = gpd.GeoSeries(made, index=frame.index, crs=metric).to_crs(frame.crs)
    return out


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """Keep the polygons of an intersection (dropping the lines and points it may hold)."""
    parts = shapely.get_parts(shapely.get_parts(geometry))  # members, then their parts
    return shapely.multipolygons(parts[shapely.get_type_id(parts) == 3])


def _multi(geoms: np.ndarray) -> np.ndarray:
    """Every polygon as a multipolygon: one geometry type per layer."""
    single = shapely.get_type_id(geoms) == 3
    out = np.array(geoms, dtype=object)
    out[single] = [shapely.MultiPolygon([g]) for g in geoms[single]]
    return out


def write_geopackage(path: Path, frames: dict[str, gpd.GeoDataFrame]) -> Path:
    """Write layers into one GeoPackage, atomically, each with its spatial index.

    A frame's ``attrs["description"]`` becomes its layer's description (shown by QGIS).

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
            options = {"SPATIAL_INDEX": "YES"}
            if frame.attrs.get("description"):
                options["DESCRIPTION"] = str(frame.attrs["description"])
            frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio", layer_options=options)
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
