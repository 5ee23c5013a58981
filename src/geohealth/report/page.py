"""A print page: A4/A3 landscape, the map frame every print map shares, saving as PNG and PDF.

A page carries the map axes (in the region's metric CRS), a title, a legend, a scale bar, a
north arrow, an optional note and a foot line with the data sources, the OpenStreetMap
attribution and the date; Chinese text is drawn in :func:`geohealth.report.fonts.cjk_font`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np

mpl.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Rectangle
from matplotlib.transforms import Bbox

from geohealth.config import Settings
from geohealth.errors import ConfigError
from geohealth.inputs.layers import InputLayers
from geohealth.outputs import atomic_path
from geohealth.reach import OSM_ATTRIBUTION
from geohealth.report import fonts

log = logging.getLogger(__name__)

#: Landscape page sizes (millimetres).
PAGES = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}

#: Facility symbols on print maps: level → (marker, size, label).
MARKERS = {
    "village_clinic": (".", 3, "村卫生室"),
    "township_health_centre": ("^", 28, "乡镇卫生院"),
    "community_health_centre": ("s", 22, "社区卫生服务中心"),
    "county_hospital": ("P", 50, "县级医院"),
    "rural_regional_centre": ("*", 80, "农村区域性医疗卫生中心"),
    "ambulance_station": ("X", 36, "急救站"),
}


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
class Page:
    """A page being drawn: the figure, the map axes, the CJK font and the label size."""

    fig: Figure
    ax: plt.Axes
    font: FontProperties
    size: float
    name: str


def new_page(page: str) -> Page:
    """Start a landscape page with its map axes and the CJK font.

    Parameters
    ----------
    page
        ``"A4"`` or ``"A3"``.

    Returns
    -------
    Page
        The page.

    Raises
    ------
    ConfigError
        If the page size is unknown.
    FontError
        If no font can draw Chinese text.
    """
    if page not in PAGES:
        msg = f"unknown page size '{page}' — use {' or '.join(PAGES)}"
        raise ConfigError(msg)
    font = FontProperties(fname=fonts.cjk_font())
    width_mm, height_mm = PAGES[page]
    fig = plt.figure(figsize=(width_mm / 25.4, height_mm / 25.4))
    ax = fig.add_axes((0.03, 0.08, 0.68, 0.80))
    return Page(fig, ax, font, 7 if page == "A4" else 9, page)


def draw_facilities(p: Page, layers: InputLayers, levels: tuple[str, ...]) -> list[Line2D]:
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


#: Where a name may go around its point (offset in points, alignment), in order of preference.
_LABEL_PLACES = (
    ((0, 8), "center", "bottom"),
    ((9, 0), "left", "center"),
    ((0, -8), "center", "top"),
    ((-9, 0), "right", "center"),
    ((9, 8), "left", "bottom"),
    ((-9, 8), "right", "bottom"),
    ((9, -8), "left", "top"),
    ((-9, -8), "right", "top"),
)


def label_points(
    p: Page,
    points: gpd.GeoSeries,
    names: Iterable[object],
    *,
    avoid: gpd.GeoSeries | None = None,
) -> int:
    """Name each point beside it on a white halo, over no other name and no symbol.

    Each name takes the first place around its point (above, right, below, left, then the
    corners) where it overlaps neither a name already placed nor the symbol of any point in
    ``avoid`` (and ``points``); a name with no free place is left off the map — the legend
    and the tables carry it — rather than printed over another.

    Parameters
    ----------
    p
        The page.
    points
        Points in the page's metric CRS.
    names
        One name per point.
    avoid
        Other symbols' points (metric CRS) names must not cover.

    Returns
    -------
    int
        Names left off for want of room.
    """
    p.ax.set_aspect("equal")
    p.ax.apply_aspect()  # the final data → page transform, before anything is measured
    renderer = p.fig.canvas.get_renderer()
    marks = [points] if avoid is None else [points, avoid]
    xy = np.vstack([np.column_stack([m.x.to_numpy(), m.y.to_numpy()]) for m in marks])
    centres = p.ax.transData.transform(xy) if len(xy) else np.zeros((0, 2))
    r = 5.0 * p.fig.dpi / 72.0  # half a symbol, in pixels
    symbols = [Bbox.from_extents(x - r, y - r, x + r, y + r) for x, y in centres]
    taken: list[Bbox] = []
    left_off = 0
    for point, name in zip(points, names, strict=True):
        for offset, ha, va in _LABEL_PLACES:
            note = p.ax.annotate(
                str(name),
                (point.x, point.y),
                xytext=offset,
                textcoords="offset points",
                ha=ha,
                va=va,
                fontproperties=p.font,
                fontsize=p.size,
                zorder=6,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
            )
            box = note.get_window_extent(renderer)
            if not any(box.overlaps(b) for b in taken) and not any(
                box.overlaps(b) for b in symbols
            ):
                taken.append(box)
                break
            note.remove()
        else:
            left_off += 1
    if left_off:
        log.debug("%d names left off the map for want of room", left_off)
    return left_off


def sources_line(settings: Settings) -> str:
    """Name the run's data sources for a map's foot line (file names, as the run read them).

    Parameters
    ----------
    settings
        The run's configuration.

    Returns
    -------
    str
        E.g. ``数据来源：乡镇边界 a.gpkg，医疗机构 b.csv，人口 c.tif，路网 OpenStreetMap``.
    """
    population = settings.population
    if population.raster is not None and population.source != "townships":
        people = f"人口 {population.raster.name}"
    else:
        people = "人口 乡镇统计数"
    return (
        f"数据来源：乡镇边界 {settings.boundaries.path.name}，"
        f"医疗机构 {settings.facilities.path.name}，{people}，路网 OpenStreetMap"
    )


def finish_page(
    p: Page,
    layers: InputLayers,
    *,
    title: str,
    handles: list,
    legend_title: str,
    note: str,
    sources: str,
) -> Figure:
    """Finish a page: scale bar, north arrow, title, legend, a note, the foot line.

    The foot line names ``sources`` (the run's input files when empty), the OpenStreetMap
    attribution and the date.
    """
    p.ax.set_aspect("equal")
    p.ax.set_axis_off()
    _scale_bar(p.ax, p.font)
    _north_arrow(p.ax, p.font)
    region = layers.settings.region.title
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
        part
        for part in (
            sources or sources_line(layers.settings),
            OSM_ATTRIBUTION,
            f"制图日期 {dt.date.today():%Y-%m-%d}",
        )
        if part
    )
    p.fig.text(0.03, 0.025, foot, fontproperties=p.font, fontsize=7, color="#333333")
    return p.fig


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
