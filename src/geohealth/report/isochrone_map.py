"""The isochrone print map: the service circles of primary care as nested time bands.

Each band is primary care's merged service circle at one time limit (the contour of the
nearest-facility field, :func:`geohealth.isochrones.group_circles`, the same model as the
coverage tables), less the circle at the limit below (so "10–15 min" is the ground reached in
15 minutes but not in 10).
Bands take the travel-time classes' colours (:mod:`geohealth.palettes`, as the travel-time page
and the web maps): light (shortest) to dark (longest) with monotonic lightness, and the ground
beyond the longest limit stays white, so the page reads in greyscale print.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from geohealth import palettes
from geohealth.coverage import AREA_CODE, CoverageResult
from geohealth.coverage_files import VALUES
from geohealth.errors import ConfigError
from geohealth.inputs.layers import InputLayers
from geohealth.report.page import draw_facilities, finish_page, new_page

#: Tolerance for simplifying the merged circles before drawing (metres).
SIMPLIFY_M = 15.0


def band_colours(limits: Sequence[float]) -> list[tuple[float, float, float, float]]:
    """Return the colour of each band: the travel-time class its limit ends (one palette).

    The bands take :func:`geohealth.palettes.limit_colours`, as the web maps' service circles
    do: the travel-time page's class colours for the default limits, light (shortest time) to
    dark (longest), monotonic in lightness; never two bands alike.

    Parameters
    ----------
    limits
        The bands' upper limits (minutes), ascending.

    Returns
    -------
    list of tuple
        RGBA colours.
    """
    return [to_rgba(c) for c in palettes.limit_colours(limits)]


def isochrone_bands(result: CoverageResult, layers: InputLayers, mode: str) -> gpd.GeoDataFrame:
    """Service-circle bands of one mode: ground first reached within each time limit.

    Parameters
    ----------
    result
        A coverage run.
    layers
        The run's inputs.
    mode
        Travel mode.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per time limit (ascending): ``threshold_min``, ``lower_min`` (the limit below,
        0 for the first), ``circle_km2`` (area of the whole circle), ``band_km2``; bands are
        disjoint; in the region's metric CRS.

    Raises
    ------
    ConfigError
        If the run has no service circles for ``mode``.
    """
    found = result.groups.get(("primary", mode))
    if found is None or found.circles.empty:
        msg = f"no service circles for mode '{mode}' in this run — run coverage for that mode"
        raise ConfigError(msg)
    metric = layers.region.metric_crs
    projected = found.circles.to_crs(metric).sort_values("threshold_min")
    rows = []
    inner = shapely.Polygon()
    for limit, circle in zip(projected["threshold_min"], projected.geometry, strict=True):
        band = shapely.difference(circle, inner)
        rows.append(
            {
                "threshold_min": float(limit),
                "lower_min": float(rows[-1]["threshold_min"]) if rows else 0.0,
                "circle_km2": shapely.area(circle) / 1e6,
                "band_km2": shapely.area(band) / 1e6,
                "geometry": band,
            }
        )
        inner = circle
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=metric)


def _note(result: CoverageResult, mode: str, bands: gpd.GeoDataFrame) -> str:
    table = result.townships
    area = table[
        (table["code"] == AREA_CODE) & (table["group"] == "primary") & (table["mode"] == mode)
    ].set_index("threshold_min")
    lines = []
    for row in bands.itertuples():
        share = area["share_covered"].get(row.threshold_min, np.nan)
        people = f"，人口 {share:.1%}" if pd.notna(share) else ""
        lines.append(f"{row.threshold_min:g}分钟圈：{row.circle_km2:,.0f} km²{people}")
    return "\n".join(lines)


def isochrone_figure(
    result: CoverageResult,
    layers: InputLayers,
    mode: str,
    *,
    page: str = "A4",
    sources: str = "",
) -> Figure:
    """Build the print map of primary care's service circles (isochrones) for one mode.

    Parameters
    ----------
    result
        A coverage run with isochrones.
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
        If the page size is unknown or the run has no isochrones for ``mode``.
    """
    bands = isochrone_bands(result, layers, mode)
    p = new_page(page)
    colours = band_colours(bands["threshold_min"].tolist())
    shown = bands.copy()
    shown["geometry"] = shown.geometry.simplify(SIMPLIFY_M)
    # longest first, so every shorter band lies on top
    for k in reversed(range(len(shown))):
        shown.iloc[[k]].plot(ax=p.ax, color=colours[k], edgecolor="none", linewidth=0)
    towns = layers.townships.to_crs(layers.region.metric_crs)
    towns.plot(ax=p.ax, facecolor="none", edgecolor="#333333", linewidth=0.6, zorder=3)
    handles: list = [
        Patch(
            facecolor=c,
            edgecolor="#333333",
            linewidth=0.5,
            label=f"≤ {row.threshold_min:g} 分钟"
            if row.lower_min == 0
            else f"{row.lower_min:g}–{row.threshold_min:g} 分钟",
        )
        for c, row in zip(colours, bands.itertuples(), strict=True)
    ]
    handles.append(
        Patch(
            facecolor="white",
            edgecolor="#333333",
            linewidth=0.5,
            label=f"> {bands['threshold_min'].iloc[-1]:g} 分钟",
        )
    )
    handles += draw_facilities(
        p, layers, ("village_clinic", "township_health_centre", "community_health_centre")
    )
    return finish_page(
        p,
        layers,
        title=f"基层医疗卫生服务圈（等时圈，{VALUES['zh'].get(mode, mode)}）",
        handles=handles,
        legend_title=f"到最近基层医疗机构的用时\n（{palettes.MINUTE_READING}）",
        note=_note(result, mode, bands),
        sources=sources,
    )
