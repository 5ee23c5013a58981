"""The print map of a siting plan: chosen sites, their catchments, areas no site serves."""

from __future__ import annotations

import geopandas as gpd
import shapely
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from geohealth.inputs.layers import InputLayers
from geohealth.report.page import finish_page, new_page
from geohealth.webmap.plan_maps import PALETTE


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
    p = new_page(page)
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
    return finish_page(
        p,
        layers,
        title=title,
        handles=handles,
        legend_title="选址及其服务人口",
        note="",
        sources=sources,
    )
