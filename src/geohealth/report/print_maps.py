"""Print maps of coverage: township shares and the travel-time surface (A4/A3, Chinese text).

Every map carries a title, a legend, a scale bar, a north arrow and a line with the data
sources, the OpenStreetMap attribution and the date. Maps are drawn in the region's metric
CRS (UTM), so the scale bar is true and north is up (grid north; within a degree of true
north in a county-sized UTM zone). Colour classes are sequential with monotonic lightness
(ColorBrewer YlGnBu), so they stay apart in greyscale print.
"""

from __future__ import annotations

import logging
import warnings

import matplotlib as mpl
import numpy as np
import rasterio.transform
import rasterio.warp
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from geohealth.coverage import AREA_CODE, CoverageResult
from geohealth.coverage_files import VALUES
from geohealth.errors import ConfigError
from geohealth.inputs.layers import InputLayers
from geohealth.report.page import MARKERS, draw_facilities, finish_page, new_page

log = logging.getLogger(__name__)


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


def share_colours() -> list[tuple[float, float, float, float]]:
    """Return one colour per share class, light (low) to dark (high), monotonic in lightness."""
    cmap = mpl.colormaps["YlGnBu"]
    return [cmap(v) for v in np.linspace(0.12, 0.95, len(SHARE_BREAKS))]


def _share_class(share: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(SHARE_BREAKS, share, side="right") - 1, 0, None)


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
    p = new_page(page)
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
    handles += draw_facilities(p, layers, tuple(MARKERS))
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
    return finish_page(
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
    p = new_page(page)
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
    handles += draw_facilities(
        p, layers, ("village_clinic", "township_health_centre", "community_health_centre")
    )
    target = layers.settings.analysis.target_min
    return finish_page(
        p,
        layers,
        title=f"到最近基层医疗机构的用时（{VALUES['zh'].get(mode, mode)}）",
        handles=handles,
        legend_title="到最近基层医疗机构的用时",
        note=_area_note(result, mode, target),
        sources=sources,
    )
