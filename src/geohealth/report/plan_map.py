"""The print map of a siting plan: chosen sites, their catchments, areas no site serves."""

from __future__ import annotations

import geopandas as gpd
import shapely
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from geohealth import palettes
from geohealth.inputs.layers import InputLayers
from geohealth.report import labels
from geohealth.report.page import finish_page, key_capacity, new_page
from geohealth.webmap.plan_maps import FEW_KEPT, KEPT_COLOUR, LEGEND_SITES, site_roles, site_styles


def _dashes(style: palettes.SiteStyle | None) -> object:
    """Return matplotlib's line style for a site's outline (its SVG dashes, or solid)."""
    if style is None or not style.dash:
        return "solid"
    return (0, tuple(float(v) for v in style.dash.split(",")))


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

    Proposed sites (new, or existing ones the plan chooses) are stars coloured with their
    catchments and named; existing sites kept open (``fixed``) are small grey dots, named
    only when few; the legend names at most ``LEGEND_SITES`` sites and counts the rest. Areas
    no site serves are hatched.

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
    chosen, proposed, kept, colour = site_roles(sites.to_crs(metric))
    styles = site_styles(proposed, kept)  # beyond 20 sites, colours repeat with other outlines
    catch = catchments.to_crs(metric)
    catch["geometry"] = catch.geometry.simplify(25.0)
    catch.plot(
        ax=p.ax,
        color=[colour.get(s, "#dddddd") for s in catch["site_id"]],
        alpha=0.55,
        edgecolor=[styles[s].edge if s in styles else "white" for s in catch["site_id"]],
        linewidth=0.4,
    )
    if len(catch):
        p.ax.collections[-1].set_linestyle([_dashes(styles.get(s)) for s in catch["site_id"]])
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
    if len(kept):  # existing sites kept open: small, named only when few
        p.ax.scatter(
            kept.geometry.x,
            kept.geometry.y,
            marker="o",
            s=10,
            c=KEPT_COLOUR,
            edgecolors="#404040",
            linewidths=0.4,
            zorder=4,
            gid=labels.SYMBOL,
        )
    stars = p.ax.scatter(
        proposed.geometry.x,
        proposed.geometry.y,
        marker="*",
        s=140,
        c=[colour[s] for s in proposed["site_id"]],
        edgecolors=[styles[s].edge for s in proposed["site_id"]],
        linewidths=0.8,
        zorder=5,
        gid=labels.SYMBOL,
    )
    stars.set_linestyle([_dashes(styles[s]) for s in proposed["site_id"]])
    named = proposed if len(kept) > FEW_KEPT else chosen
    keyed = labels.place_labels(
        p,
        list(zip(named.geometry.x, named.geometry.y, strict=True)),
        list(named["name"]),
        max_keyed=key_capacity(p),
    )
    people = dict(zip(catch["site_id"], catch["population"], strict=True))
    shown = proposed.iloc[:LEGEND_SITES]
    entries = [
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
        for s, n in zip(shown["site_id"], shown["name"], strict=True)
    ]

    def served(frame: gpd.GeoDataFrame) -> str:
        return f"{sum(people.get(s, 0) for s in frame['site_id']):,.0f} 人"

    if len(proposed) > len(shown):
        rest = proposed.iloc[len(shown) :]
        entries.append(
            Line2D(
                [],
                [],
                linestyle="",
                label=f"另 {len(rest)} 个选址（{served(rest)}，见 sites.csv）",
            )
        )
    if len(kept):
        entries.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markerfacecolor=KEPT_COLOUR,
                markeredgecolor="#404040",
                markersize=5,
                label=f"现有机构（保留）{len(kept)} 个（{served(kept)}）",
            )
        )
    return finish_page(
        p,
        layers,
        title=title,
        handles=entries + handles,
        legend_title="选址及其服务人口",
        note="",
        sources=sources,
        keyed=keyed,
    )


NEWLY = palettes.CELL_CHANGE_COLOURS["newly_covered"]
LOST = palettes.CELL_CHANGE_COLOURS["no_longer_covered"]

#: What-if changes on the print page: change → (marker, colour, legend label).
CHANGE_MARKERS = {
    "added": ("*", palettes.CHANGE_COLOURS["added"], "新增机构"),
    "upgraded": ("^", palettes.CHANGE_COLOURS["upgraded"], "升级机构"),
    "closed": ("X", palettes.CHANGE_COLOURS["closed"], "关闭机构"),
}


def _change_kind(change: str) -> str:
    return "upgraded" if change.startswith("upgraded") else change


def whatif_figure(
    layers: InputLayers,
    changes: gpd.GeoDataFrame,
    newly: gpd.GeoDataFrame | None,
    gone: gpd.GeoDataFrame | None,
    *,
    title: str,
    note: str = "",
    page: str = "A4",
    sources: str = "",
) -> Figure:
    """Build the print map of a what-if scenario: changed facilities, who gains and who loses.

    Cells newly covered are solid green, cells no longer covered hatched red (apart in
    greyscale by the hatching); added, upgraded and closed facilities have their own shapes.

    Parameters
    ----------
    layers
        The run's inputs.
    changes
        Changed facilities (EPSG:4326) with ``name`` and ``change``.
    newly, gone
        Cells newly / no longer covered (with ``population``), or None.
    title
        Headline (after the region name).
    note
        Text beside the map (the scenario's effects).
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
    layers.townships.to_crs(metric).plot(
        ax=p.ax, facecolor="#f4f4f4", edgecolor="#333333", linewidth=0.6
    )
    handles: list = []
    for cells, style, label in (
        (newly, {"facecolor": NEWLY, "edgecolor": NEWLY}, "新增覆盖"),
        (gone, {"facecolor": "#fddbc7", "edgecolor": LOST, "hatch": "xxxx"}, "失去覆盖"),
    ):
        if cells is None or cells.empty:
            continue
        merged = shapely.union_all(cells.to_crs(metric).geometry.to_numpy()).simplify(25.0)
        gpd.GeoSeries([merged], crs=metric).plot(ax=p.ax, linewidth=0.3, **style)
        people = float(cells["population"].sum())
        handles.append(Patch(linewidth=0.5, label=f"{label}（{people:,.0f} 人）", **style))
    points = changes.to_crs(metric)
    kinds = points["change"].astype(str).map(_change_kind)
    for kind, (marker, colour, label) in CHANGE_MARKERS.items():
        these = points[kinds == kind]
        if these.empty:
            continue
        p.ax.scatter(
            these.geometry.x,
            these.geometry.y,
            marker=marker,
            s=140,
            c=colour,
            edgecolors="black",
            linewidths=0.8,
            zorder=5,
            gid=labels.SYMBOL,
        )
        handles.append(
            Line2D(
                [],
                [],
                marker=marker,
                linestyle="",
                markerfacecolor=colour,
                markeredgecolor="black",
                markersize=10,
                label=f"{label}（{len(these)}）",
            )
        )
    keyed = labels.place_labels(
        p,
        list(zip(points.geometry.x, points.geometry.y, strict=True)),
        list(points["name"]),
        max_keyed=key_capacity(p),
    )
    return finish_page(
        p,
        layers,
        title=title,
        handles=handles,
        legend_title="方案变动及覆盖变化",
        note=note,
        sources=sources,
        keyed=keyed,
    )
