"""Print maps for plan appendices: A4/A3 pages, PNG at 300 dpi and PDF, Chinese text.

Every map carries a title, a legend, a scale bar, a north arrow and a line with the data
sources, the OpenStreetMap attribution and the date. Maps are drawn in the region's metric
CRS (UTM), so the scale bar is true and north is up (grid north; within a degree of true
north in a county-sized UTM zone). Colour classes are sequential with monotonic lightness
(ColorBrewer YlGnBu), so they stay apart in greyscale print.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import rasterio.transform
import rasterio.warp
import shapely

mpl.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Patch, Rectangle

from geohealth.coverage import AREA_CODE, CoverageResult
from geohealth.coverage_files import VALUES
from geohealth.errors import ConfigError
from geohealth.inputs.layers import InputLayers
from geohealth.outputs import atomic_path
from geohealth.reach import OSM_ATTRIBUTION
from geohealth.report import fonts
from geohealth.webmap.plan_maps import PALETTE

log = logging.getLogger(__name__)

#: Landscape page sizes (millimetres).
PAGES = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}

#: Share-covered classes: lower bounds and labels (the last class is "everyone").
SHARE_BREAKS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95)
SHARE_LABELS = ("< 50%", "50–70%", "70–80%", "80–90%", "90–95%", "≥ 95%")

#: Travel-time classes: upper bounds (minutes) and labels; the last holds the unreachable.
MINUTE_BREAKS = (0, 5, 10, 15, 30, 60)
MINUTE_LABELS = (
    "≤ 5 分钟",
    "5–10 分钟",
    "10–15 分钟",
    "15–30 分钟",
    "30–60 分钟",
    "> 60 分钟或不可达",
)

#: Facility symbols on print maps: level → (marker, size, label).
MARKERS = {
    "village_clinic": (".", 3, "村卫生室"),
    "township_health_centre": ("^", 28, "乡镇卫生院"),
    "community_health_centre": ("s", 22, "社区卫生服务中心"),
    "county_hospital": ("P", 50, "县级医院"),
    "rural_regional_centre": ("*", 80, "农村区域性医疗卫生中心"),
    "ambulance_station": ("X", 36, "急救站"),
}


def share_colours() -> list[tuple[float, float, float, float]]:
    """Return one colour per share class, light (low) to dark (high), monotonic in lightness."""
    cmap = mpl.colormaps["YlGnBu"]
    return [cmap(v) for v in np.linspace(0.12, 0.95, len(SHARE_BREAKS))]


def _share_class(share: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(SHARE_BREAKS, share, side="right") - 1, 0, None)


def _nice_length(width_m: float) -> float:
    """Pick a round scale-bar length near a fifth of the map's width (metres)."""
    target = width_m / 5
    magnitude = 10 ** np.floor(np.log10(target))
    for step in (5, 2, 1):
        if step * magnitude <= target:
            return float(step * magnitude)
    return float(magnitude)


def _scale_bar(ax: plt.Axes, font: FontProperties) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    left, bottom = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    height = 0.012 * (y1 - y0)
    for k in range(4):  # alternating black and white quarters
        ax.add_patch(
            Rectangle(
                (left + k * length / 4, bottom),
                length / 4,
                height,
                facecolor="black" if k % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.6,
                zorder=5,
            )
        )
    for value in (0.0, length / 2, length):
        ax.text(
            left + value,
            bottom + 1.8 * height,
            f"{value / 1000:g}",
            ha="center",
            va="bottom",
            fontproperties=font,
            fontsize=7,
            zorder=5,
        )
    ax.text(
        left + length + 0.01 * (x1 - x0),
        bottom + height / 2,
        "千米",
        va="center",
        fontproperties=font,
        fontsize=7,
        zorder=5,
    )


def _north_arrow(ax: plt.Axes, font: FontProperties) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x, y = x1 - 0.05 * (x1 - x0), y1 - 0.16 * (y1 - y0)
    size = 0.08 * (y1 - y0)
    ax.add_patch(
        FancyArrow(
            x,
            y,
            0,
            size,
            width=size * 0.12,
            head_width=size * 0.35,
            head_length=size * 0.4,
            length_includes_head=True,
            color="black",
            zorder=5,
        )
    )
    ax.text(x, y + size * 1.05, "北", ha="center", va="bottom", fontproperties=font, fontsize=10)


@dataclass
class _Page:
    """A page being drawn: the figure, the map axes, the CJK font and the label size."""

    fig: Figure
    ax: plt.Axes
    font: FontProperties
    size: float
    name: str


def _new_page(page: str) -> _Page:
    if page not in PAGES:
        msg = f"unknown page size '{page}' — use {' or '.join(PAGES)}"
        raise ConfigError(msg)
    font = FontProperties(fname=str(fonts.cjk_font()))
    width_mm, height_mm = PAGES[page]
    fig = plt.figure(figsize=(width_mm / 25.4, height_mm / 25.4))
    ax = fig.add_axes((0.03, 0.08, 0.68, 0.80))
    return _Page(fig, ax, font, 7 if page == "A4" else 9, page)


def _facilities(p: _Page, layers: InputLayers, levels: tuple[str, ...]) -> list[Line2D]:
    """Draw facilities of some levels in black symbols; their legend entries."""
    facilities = layers.facilities.to_crs(layers.region.metric_crs)
    handles = []
    for level, (marker, size, label) in MARKERS.items():
        these = facilities[facilities["level"] == level]
        if these.empty or level not in levels:
            continue
        p.ax.scatter(
            these.geometry.x,
            these.geometry.y,
            marker=marker,
            s=size,
            c="black",
            edgecolors="white",
            linewidths=0.3,
            zorder=4,
        )
        handles.append(
            Line2D([], [], marker=marker, linestyle="", color="black", markersize=6, label=label)
        )
    return handles


def _frame(
    p: _Page,
    layers: InputLayers,
    *,
    title: str,
    handles: list,
    legend_title: str,
    note: str,
    sources: str,
) -> Figure:
    """Finish a page: scale bar, north arrow, title, legend, a note, the foot line."""
    p.ax.set_aspect("equal")
    p.ax.set_axis_off()
    _scale_bar(p.ax, p.font)
    _north_arrow(p.ax, p.font)
    region = layers.settings.region.name
    p.fig.text(
        0.03,
        0.95,
        f"{region} {title}",
        fontproperties=p.font,
        fontsize=16 if p.name == "A4" else 20,
        va="top",
    )
    legend = p.fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.73, 0.88),
        frameon=True,
        prop=p.font,
        fontsize=p.size + 1,
        title=legend_title,
        title_fontproperties=p.font,
    )
    legend.get_frame().set_edgecolor("#999999")
    if note:
        p.fig.text(0.73, 0.30, note, fontproperties=p.font, fontsize=p.size + 2, va="top")
    foot = "；".join(
        part for part in (sources, OSM_ATTRIBUTION, f"制图日期 {dt.date.today():%Y-%m-%d}") if part
    )
    p.fig.text(0.03, 0.025, foot, fontproperties=p.font, fontsize=7, color="#333333")
    return p.fig


def _area_note(result: CoverageResult, mode: str, target: float) -> str:
    table = result.townships
    area = table[
        (table["code"] == AREA_CODE)
        & (table["group"] == "primary")
        & (table["mode"] == mode)
        & (table["threshold_min"] == target)
    ]
    if area.empty:
        return ""
    row = area.iloc[0]
    return (
        f"全域：{row['covered']:,.0f} / {row['population']:,.0f} 人\n"
        f"{target:g}分钟覆盖率 {row['share_covered']:.1%}"
    )


def coverage_figure(
    result: CoverageResult,
    layers: InputLayers,
    mode: str,
    *,
    page: str = "A4",
    sources: str = "",
) -> Figure:
    """Build the township coverage map of one mode at the run's target time.

    Parameters
    ----------
    result
        A coverage run.
    layers
        The run's inputs.
    mode
        Travel mode shown.
    page
        ``"A4"`` or ``"A3"`` (landscape).
    sources
        Data-source text for the foot line (the OSM attribution is always added).

    Returns
    -------
    matplotlib.figure.Figure
        The page.

    Raises
    ------
    ConfigError
        If the page size or the mode is unknown.
    FontError
        If no font can draw Chinese text.
    """
    target = layers.settings.analysis.target_min
    table = result.townships
    rows = table[
        (table["group"] == "primary") & (table["mode"] == mode) & (table["threshold_min"] == target)
    ].set_index("code")
    if rows.empty:
        msg = f"no primary-care coverage for mode '{mode}' in this run"
        raise ConfigError(msg)
    p = _new_page(page)
    towns = layers.townships.to_crs(layers.region.metric_crs).copy()
    share = towns["code"].astype(str).map(rows["share_covered"]).astype(float).to_numpy()
    colours = share_colours()
    classes = _share_class(np.nan_to_num(share, nan=0.0))
    fill = [
        colours[c] if np.isfinite(v) else "#dddddd" for c, v in zip(classes, share, strict=True)
    ]
    towns.plot(ax=p.ax, color=fill, edgecolor="#333333", linewidth=0.6)
    handles: list = [
        Patch(facecolor=c, edgecolor="#333333", linewidth=0.5, label=label)
        for c, label in zip(colours, SHARE_LABELS, strict=True)
    ]
    handles += _facilities(p, layers, tuple(MARKERS))
    for geom, name, value in zip(towns.geometry, towns["name"], share, strict=True):
        point = geom.representative_point()
        text = f"{name}\n{value:.0%}" if np.isfinite(value) else str(name)
        p.ax.text(
            point.x,
            point.y,
            text,
            ha="center",
            va="center",
            fontproperties=p.font,
            fontsize=p.size,
            zorder=6,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
        )
    return _frame(
        p,
        layers,
        title=f"{target:g}分钟医疗卫生服务圈：乡镇覆盖率（{VALUES['zh'].get(mode, mode)}）",
        handles=handles,
        legend_title=f"{target:g}分钟内可达基层医疗机构的人口比例",
        note=_area_note(result, mode, target),
        sources=sources,
    )


def minute_colours() -> list[tuple[float, float, float, float]]:
    """Return one colour per travel-time class, light (near) to dark (far)."""
    cmap = mpl.colormaps["YlOrRd"]
    return [cmap(v) for v in np.linspace(0.08, 0.98, len(MINUTE_LABELS))]


def minute_classes(minutes: np.ndarray) -> np.ndarray:
    """Class of each cell's minutes (see :data:`MINUTE_BREAKS`); 255 where there is no data.

    Parameters
    ----------
    minutes
        Minutes per cell (NaN: no data; ``inf``: unreachable, drawn in the last class).

    Returns
    -------
    numpy.ndarray
        uint8 classes.
    """
    out = np.searchsorted(np.asarray(MINUTE_BREAKS[1:]), np.nan_to_num(minutes, nan=0.0))
    out = np.minimum(out, len(MINUTE_LABELS) - 1).astype(np.uint8)
    out[np.isnan(minutes)] = 255
    return out


def traveltime_figure(
    result: CoverageResult,
    layers: InputLayers,
    mode: str,
    *,
    page: str = "A4",
    sources: str = "",
) -> Figure:
    """Build the map of minutes to the nearest primary-care facility, cell by cell.

    The classes' edges at 5, 10, 15 and 30 minutes are the service circles.

    Parameters
    ----------
    result
        A coverage run with primary care for ``mode``.
    layers
        The run's inputs.
    mode
        Travel mode shown.
    page
        ``"A4"`` or ``"A3"`` (landscape).
    sources
        Data-source text for the foot line.

    Returns
    -------
    matplotlib.figure.Figure
        The page.

    Raises
    ------
    ConfigError
        If the page size or the mode is unknown.
    """
    if ("primary", mode) not in result.groups:
        msg = f"no primary-care travel times for mode '{mode}' in this run"
        raise ConfigError(msg)
    grid = layers.population
    classes = minute_classes(result.groups[("primary", mode)].minutes)
    metric = layers.region.metric_crs
    rows, cols = classes.shape
    with warnings.catch_warnings():  # rasterio's Affine `*` (a PendingDeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        transform, width, height = rasterio.warp.calculate_default_transform(
            grid.crs,
            metric,
            cols,
            rows,
            *rasterio.transform.array_bounds(rows, cols, grid.transform),
        )
        warped = np.full((height, width), 255, dtype=np.uint8)
        rasterio.warp.reproject(
            classes,
            warped,
            src_transform=grid.transform,
            src_crs=grid.crs,
            dst_transform=transform,
            dst_crs=metric,
            src_nodata=255,
            dst_nodata=255,
            resampling=rasterio.warp.Resampling.nearest,
        )
    p = _new_page(page)
    colours = minute_colours()
    cmap = ListedColormap(colours)
    shown = np.ma.masked_equal(warped, 255)
    left, top = transform.c, transform.f
    extent = (left, left + width * transform.a, top + height * transform.e, top)
    p.ax.imshow(
        shown,
        cmap=cmap,
        vmin=-0.5,
        vmax=len(colours) - 0.5,
        extent=extent,
        interpolation="nearest",
        zorder=1,
    )
    towns = layers.townships.to_crs(metric)
    towns.plot(ax=p.ax, facecolor="none", edgecolor="#333333", linewidth=0.6, zorder=3)
    handles: list = [
        Patch(facecolor=c, edgecolor="#333333", linewidth=0.5, label=label)
        for c, label in zip(colours, MINUTE_LABELS, strict=True)
    ]
    handles += _facilities(
        p, layers, ("village_clinic", "township_health_centre", "community_health_centre")
    )
    target = layers.settings.analysis.target_min
    return _frame(
        p,
        layers,
        title=f"到最近基层医疗机构的用时（{VALUES['zh'].get(mode, mode)}）",
        handles=handles,
        legend_title="到最近基层医疗机构的用时",
        note=_area_note(result, mode, target),
        sources=sources,
    )


def siting_figure(
    layers: InputLayers,
    sites: gpd.GeoDataFrame,
    catchments: gpd.GeoDataFrame,
    unassigned: gpd.GeoDataFrame | None,
    *,
    title: str,
    page: str = "A4",
    sources: str = "",
) -> Figure:
    """Build the print map of a siting plan: chosen sites, their catchments, unassigned areas.

    Catchments are coloured by site and labelled with the site's name (so they stay apart in
    greyscale print); areas no site serves are hatched.

    Parameters
    ----------
    layers
        The run's inputs.
    sites
        Candidates (EPSG:4326) with ``site_id``, ``name``, ``chosen``.
    catchments
        One polygon per chosen site with ``site_id`` and ``population``.
    unassigned
        Areas with people no site serves, or None.
    title
        Headline (after the region name).
    page
        ``"A4"`` or ``"A3"``.
    sources
        Data-source text for the foot line.

    Returns
    -------
    matplotlib.figure.Figure
        The page.
    """
    p = _new_page(page)
    metric = layers.region.metric_crs
    chosen = sites[sites["chosen"]].to_crs(metric).reset_index(drop=True)
    colour = {sid: PALETTE[k % len(PALETTE)] for k, sid in enumerate(chosen["site_id"])}
    catch = catchments.to_crs(metric)
    catch["geometry"] = catch.geometry.simplify(25.0)
    catch.plot(
        ax=p.ax,
        color=[colour.get(s, "#dddddd") for s in catch["site_id"]],
        alpha=0.55,
        edgecolor="white",
        linewidth=0.3,
    )
    handles: list = []
    if unassigned is not None and len(unassigned):
        # one simplified shape: thousands of hatched cells take a minute to draw
        merged = shapely.union_all(unassigned.to_crs(metric).geometry.to_numpy()).simplify(25.0)
        gpd.GeoSeries([merged], crs=metric).plot(
            ax=p.ax, facecolor="#bbbbbb", edgecolor="#555555", hatch="////", linewidth=0.2
        )
        handles.append(
            Patch(facecolor="#bbbbbb", edgecolor="#555555", hatch="////", label="未分配/未覆盖区域")
        )
    layers.townships.to_crs(metric).plot(
        ax=p.ax, facecolor="none", edgecolor="#333333", linewidth=0.6
    )
    p.ax.scatter(
        chosen.geometry.x,
        chosen.geometry.y,
        marker="*",
        s=140,
        c=[colour[s] for s in chosen["site_id"]],
        edgecolors="black",
        linewidths=0.8,
        zorder=5,
    )
    for point, name in zip(chosen.geometry, chosen["name"], strict=True):
        p.ax.annotate(
            str(name),
            (point.x, point.y),
            xytext=(0, 7),
            textcoords="offset points",
            ha="center",
            fontproperties=p.font,
            fontsize=p.size,
            zorder=6,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
        )
    people = dict(zip(catch["site_id"], catch["population"], strict=True))
    handles = [
        Line2D(
            [],
            [],
            marker="*",
            linestyle="",
            markerfacecolor=colour[s],
            markeredgecolor="black",
            markersize=10,
            label=f"{n}（{people.get(s, 0):,.0f} 人）",
        )
        for s, n in zip(chosen["site_id"], chosen["name"], strict=True)
    ] + handles
    return _frame(
        p,
        layers,
        title=title,
        handles=handles,
        legend_title="选址及其服务人口",
        note="",
        sources=sources,
    )


def save_figure(fig: Figure, stem: Path, *, dpi: int = 300) -> list[Path]:
    """Write a page as ``<stem>.png`` (``dpi``) and ``<stem>.pdf``, each atomically.

    Parameters
    ----------
    fig
        The page.
    stem
        Path without suffix.
    dpi
        PNG resolution.

    Returns
    -------
    list of pathlib.Path
        The PNG and the PDF.
    """
    written = []
    for suffix in (".png", ".pdf"):
        path = stem.with_suffix(suffix)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format=suffix[1:])
        written.append(path)
    plt.close(fig)
    return written
