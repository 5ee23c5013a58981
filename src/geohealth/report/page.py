"""A print page: A4/A3 landscape, the map frame every print map shares, saving as PNG and PDF.

A page carries the map axes (in the region's metric CRS), a title, a legend, a scale bar, a
north arrow, an optional note and a foot line with the data sources, the OpenStreetMap
attribution and the date; Chinese text is drawn in :func:`geohealth.report.fonts.cjk_font`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np

mpl.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Rectangle

from geohealth.config import Settings
from geohealth.errors import ConfigError
from geohealth.inputs.layers import InputLayers
from geohealth.outputs import atomic_path
from geohealth.reach import OSM_ATTRIBUTION
from geohealth.report import fonts, labels
from geohealth.report.truetype import truetype_text

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
            gid=labels.SYMBOL,
        )
        handles.append(
            Line2D([], [], marker=marker, linestyle="", color="black", markersize=6, label=label)
        )
    return handles


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
    keyed: Sequence[labels.Keyed] = (),
) -> Figure:
    """Finish a page: scale bar, north arrow, title, legend, a note, the key, the foot line.

    The title starts with ``region.title``; the key lists the labels shown as numbers
    (:func:`geohealth.report.labels.place_labels`); the foot line names ``sources`` (the run's
    input files when empty), the OpenStreetMap attribution and the date.
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
    _draw_key(p, labels.key_lines(keyed))
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


#: The key of numbered labels: top and bottom of its area (figure fractions), its columns.
KEY_TOP, KEY_BOTTOM, KEY_COLUMNS, KEY_COLUMN_WIDTH = 0.20, 0.06, 2, 0.13


def _key_lines_per_column(p: Page) -> int:
    line = 1.3 * p.size / 72.0 / p.fig.get_size_inches()[1]  # one line, figure fraction
    return max(int((KEY_TOP - KEY_BOTTOM) / line) - 1, 1)  # less the heading


def key_capacity(p: Page) -> int:
    """Return how many numbered labels the page's key holds (the last line may count the rest).

    Parameters
    ----------
    p
        The page.

    Returns
    -------
    int
        Numbers that fit in :data:`KEY_COLUMNS` columns below the note, above the foot line.
    """
    return _key_lines_per_column(p) * KEY_COLUMNS - 1


def _draw_key(p: Page, lines: list[str]) -> None:
    """Draw the key under the note, column by column, inside the page."""
    if not lines:
        return
    per = _key_lines_per_column(p)
    p.fig.text(0.73, KEY_TOP, "图中编号：", fontproperties=p.font, fontsize=p.size, va="bottom")
    for c in range(0, len(lines), per):
        p.fig.text(
            0.73 + (c // per) * KEY_COLUMN_WIDTH,
            KEY_TOP,
            "\n".join(lines[c : c + per]),
            fontproperties=p.font,
            fontsize=p.size,
            va="top",
            linespacing=1.15,
            gid=labels.KEY,
        )


def save_figure(fig: Figure, stem: Path, *, dpi: int = 300) -> list[Path]:
    """Write a page as ``<stem>.png`` (``dpi``) and ``<stem>.pdf``, each atomically.

    Chinese text is embedded in the PDF as a CID TrueType subset (Type 42), never Type 3
    (:func:`geohealth.report.truetype.truetype_text`).

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
    with truetype_text(fig), mpl.rc_context({"pdf.fonttype": 42}):
        for suffix in (".png", ".pdf"):
            path = stem.with_suffix(suffix)
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp:
                fig.savefig(tmp, dpi=dpi, format=suffix[1:])
            written.append(path)
    plt.close(fig)
    return written
