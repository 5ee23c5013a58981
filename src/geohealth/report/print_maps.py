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

import numpy as np
import rasterio.transform
import rasterio.warp
from matplotlib.colors import ListedColormap, to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from geohealth import palettes
from geohealth.coverage import AREA_CODE, CoverageResult
from geohealth.coverage_files import VALUES
from geohealth.errors import ConfigError
from geohealth.inputs.layers import InputLayers
from geohealth.report import labels
from geohealth.report.page import (
    MARKERS,
    draw_facilities,
    finish_page,
    key_capacity,
    new_page,
)

log = logging.getLogger(__name__)


def share_colours() -> list[tuple[float, float, float, float]]:
    """Return one colour per share class, light (low) to dark (high) (:mod:`geohealth.palettes`)."""
    return [to_rgba(c) for c in palettes.SHARE_COLOURS]


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
    fill = [palettes.share_colour(v) for v in share]  # no share: "no residents" grey
    towns.plot(ax=p.ax, color=fill, edgecolor="#333333", linewidth=0.6)
    handles: list = [
        Patch(facecolor=c, edgecolor="#333333", linewidth=0.5, label=label)
        for c, label in zip(palettes.SHARE_COLOURS, palettes.SHARE_LABELS, strict=True)
    ]
    if not np.isfinite(share).all():
        no_people = Patch(
            facecolor=palettes.NO_RESIDENTS,
            edgecolor="#333333",
            label=palettes.NO_RESIDENTS_LABEL,
        )
        handles.append(no_people)
    handles += draw_facilities(p, layers, tuple(MARKERS))
    inside = [geom.representative_point() for geom in towns.geometry]
    keyed = labels.place_labels(
        p,
        [(pt.x, pt.y) for pt in inside],
        [
            f"{name}\n{value:.0%}" if np.isfinite(value) else str(name)
            for name, value in zip(towns["name"], share, strict=True)
        ],
        places=labels.AROUND_AREA,
        within=list(towns.geometry),
        max_keyed=key_capacity(p),
    )
    return finish_page(
        p,
        layers,
        title=f"{target:g}分钟医疗卫生服务圈：乡镇覆盖率（{VALUES['zh'].get(mode, mode)}）",
        handles=handles,
        keyed=keyed,
        legend_title=f"{target:g}分钟内可达基层医疗机构的人口比例\n（{palettes.SHARE_READING}）",
        note=_area_note(result, mode, target),
        sources=sources,
    )


def minute_colours() -> list[tuple[float, float, float, float]]:
    """Return one colour per travel-time class, light (near) to dark (far) (:mod:`palettes`)."""
    return [to_rgba(c) for c in palettes.MINUTE_COLOURS]


def minute_classes(minutes: np.ndarray) -> np.ndarray:
    """Class of each cell's minutes (:func:`geohealth.palettes.minute_class`); 255: no residents.

    Parameters
    ----------
    minutes
        Minutes per cell (NaN: nobody lives there; ``inf``: unreachable, the last class).

    Returns
    -------
    numpy.ndarray
        uint8 classes.
    """
    k = palettes.minute_class(minutes)
    return np.where(k < 0, 255, k).astype(np.uint8)


def minute_label(k: int) -> str:
    """Return the legend label of minute class ``k`` (``"10–15 分钟"``).

    Parameters
    ----------
    k
        Class index (:data:`geohealth.palettes.MINUTE_LABELS`).

    Returns
    -------
    str
        The label with its unit.
    """
    label = palettes.MINUTE_LABELS[k]
    if "或" in label:
        head, tail = label.split(" 或", 1)
        return f"{head} 分钟或{tail}"
    return f"{label} 分钟"


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
    towns = layers.townships.to_crs(metric)
    towns.plot(ax=p.ax, facecolor=palettes.NO_RESIDENTS, edgecolor="none", zorder=0)
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
    towns.plot(ax=p.ax, facecolor="none", edgecolor="#333333", linewidth=0.6, zorder=3)
    handles: list = [
        Patch(facecolor=c, edgecolor="#333333", linewidth=0.5, label=minute_label(k))
        for k, c in enumerate(colours)
    ]
    handles.append(
        Patch(
            facecolor=palettes.NO_RESIDENTS,
            edgecolor="#333333",
            linewidth=0.5,
            label=palettes.NO_RESIDENTS_LABEL,
        )
    )
    handles += draw_facilities(
        p, layers, ("village_clinic", "township_health_centre", "community_health_centre")
    )
    target = layers.settings.analysis.target_min
    return finish_page(
        p,
        layers,
        title=f"到最近基层医疗机构的用时（{VALUES['zh'].get(mode, mode)}）",
        handles=handles,
        legend_title=f"到最近基层医疗机构的用时\n（{palettes.MINUTE_READING}）",
        note=_area_note(result, mode, target),
        sources=sources,
    )
