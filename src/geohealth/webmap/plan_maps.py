"""Maps of plans: chosen sites with their catchments, and a scenario's before/after.

- :func:`siting_map` — the proposed sites (a named star each) and the existing ones kept
  (small tan dots), their catchments coloured by site, the areas no site serves, the
  candidates not chosen (hidden at first), township lines; a legend of bounded size. The
  catchments and unserved areas are cut along township lines, so hovering anywhere names
  both the site and the township; the township lines over them take no hover.
- :func:`whatif_map` (from :mod:`geohealth.webmap.whatif_map`) — a scenario's changes.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geohealth import palettes
from geohealth.inputs.layers import InputLayers
from geohealth.inputs.levels import BY_KEY
from geohealth.reach import OSM_ATTRIBUTION
from geohealth.webmap import base, labels, symbols
from geohealth.webmap.text_layers import ShapesLayer
from geohealth.webmap.whatif_map import whatif_map

__all__ = ["site_roles", "site_styles", "siting_map", "whatif_map"]

_UNASSIGNED = "#595959"
#: Areas no site serves: dark grey, outlined in dashes (apart from any site's grey).
_UNASSIGNED_STYLE = {"fillColor": _UNASSIGNED, "color": "#000000", "weight": 1, "dashArray": "4,3"}
#: Pieces of a catchment smaller than this (m²) are slivers of the cut along township lines.
_SLIVER_M2 = 2500.0


def _level_zh(level: object) -> str:
    found = BY_KEY.get(str(level))
    return found.label_zh if found else "新址"


def _star_marker(row: pd.Series, style: palettes.SiteStyle, popup: str) -> folium.Marker:
    """Mark a proposed site: a star, named beside it (right of the symbol, never over it)."""
    return folium.Marker(
        location=[row.geometry.y, row.geometry.x],
        icon=folium.DivIcon(
            html=symbols.star(style.fill, style.edge, style.dash),
            icon_size=(22, 22),
            icon_anchor=(11, 11),
        ),
        tooltip=folium.Tooltip(
            html.escape(str(row["name"])),
            permanent=True,
            direction="right",
            offset=(14, 0),
            class_name=labels.LABEL,
        ),
        popup=folium.Popup(popup, max_width=320),
    )


#: Proposed sites named in the legend; the rest are counted.
LEGEND_SITES = 12
#: Existing sites kept open are labelled on the map only when there are at most this many.
FEW_KEPT = 8
#: Existing sites kept open, and their catchments (tan: apart from the grey of unserved areas).
KEPT_COLOUR = "#bfa77a"


#: How an existing site kept open, and its catchment, are drawn.
KEPT_STYLE = palettes.SiteStyle(KEPT_COLOUR, "#404040", "")


def site_roles(
    sites: gpd.GeoDataFrame,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame, dict[object, str]]:
    """Split a plan's chosen sites into those it proposes and the existing ones it keeps.

    Parameters
    ----------
    sites
        Candidates with ``site_id``, ``chosen`` and, optionally, ``fixed`` (open already).

    Returns
    -------
    tuple
        The chosen sites, the proposed ones (not fixed), the kept ones (fixed), and each
        chosen site's fill colour (:func:`site_styles`).
    """
    chosen = sites[sites["chosen"]].reset_index(drop=True)
    fixed = (
        chosen["fixed"].fillna(False).astype(bool).to_numpy()
        if "fixed" in chosen
        else np.zeros(len(chosen), dtype=bool)
    )
    proposed, kept = chosen[~fixed], chosen[fixed]
    styles = site_styles(proposed, kept)
    return chosen, proposed, kept, {sid: style.fill for sid, style in styles.items()}


def site_styles(proposed: pd.DataFrame, kept: pd.DataFrame) -> dict[object, palettes.SiteStyle]:
    """Return each chosen site's style: the proposed ones by :func:`palettes.site_styles`.

    Parameters
    ----------
    proposed, kept
        From :func:`site_roles` (``site_id``).

    Returns
    -------
    dict
        ``site_id`` → fill, outline and dashes: 20 proposed sites in 20 colours, then the
        colours again with other outlines; every kept site :data:`KEPT_STYLE`.
    """
    ids = list(proposed["site_id"])
    styles: dict[object, palettes.SiteStyle] = dict(
        zip(ids, palettes.site_styles(len(ids)), strict=True)
    )
    styles.update(dict.fromkeys(kept["site_id"], KEPT_STYLE))
    return styles


def _dot(row: pd.Series, edge: str, fill: str, tooltip: folium.Tooltip) -> folium.CircleMarker:
    """Draw a site as a small round symbol (candidates not chosen, existing sites kept)."""
    return folium.CircleMarker(
        location=[row.geometry.y, row.geometry.x],
        radius=3,
        color=edge,
        weight=1,
        fill=True,
        fill_color=fill,
        fill_opacity=1.0,
        tooltip=tooltip,
    )


def _pieces(
    catchments: gpd.GeoDataFrame, layers: InputLayers
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Cut the catchments along township lines; return (pieces, whole catchments) for display.

    Cut exactly in the region's metric CRS, then simplified for the screen (25 m); each piece
    has its catchment's ``site_id`` and ``population`` and its township's ``town`` name
    (``—`` outside every township). Slivers the cut leaves (< ``_SLIVER_M2``) are dropped,
    unless one is all there is of its catchment.
    """
    metric = layers.region.metric_crs
    whole = catchments[["site_id", "population", "geometry"]].to_crs(metric)
    towns = layers.townships[["name", "geometry"]].to_crs(metric)
    towns = towns.rename(columns={"name": "town"})
    if whole.empty:  # nothing to cut (overlay would warn)
        return base.simplified(whole.assign(town=""), metric, 25.0), whole.to_crs(4326)
    pieces = gpd.overlay(whole, towns, how="identity", keep_geom_type=True)
    pieces["town"] = pieces["town"].fillna("—").astype(str)
    area = pieces.geometry.area
    largest = area.groupby(pieces["site_id"]).transform("max")
    pieces = pieces[(area >= _SLIVER_M2) | (area == largest)]
    return base.simplified(pieces, metric, 25.0), base.simplified(whole, metric, 25.0)


#: Why a regional-centre plan leaves a township without a centre (its ``note``), in Chinese.
_REASONS = (
    (
        re.compile(r"≥\s*([\d.]+)% already within ([\d.]+) min of a secondary hospital"),
        "已有 ≥{0}% 的居民在 {1} 分钟内可到现有二级医院，不需要区域中心",
    ),
    (
        re.compile(r"no centre within the rule"),
        "规则内没有可服务它的区域中心（乡镇数、人口或车程不满足）",
    ),
)


def reason_zh(note: object) -> str:
    """Say in Chinese why a township has no regional centre (the plan's ``note``).

    Parameters
    ----------
    note
        The ``note`` of :class:`geohealth.siting.regional.RegionalPlan`'s township table.

    Returns
    -------
    str
        The reason in Chinese; a note not recognised is given as it is (escaped).
    """
    text = "" if note is None or (isinstance(note, float) and np.isnan(note)) else str(note)
    for pattern, zh in _REASONS:
        found = pattern.search(text)
        if found:
            return html.escape(zh.format(*found.groups()))
    return html.escape(text) if text else "未说明"


def _unserved(unassigned: gpd.GeoDataFrame, layers: InputLayers) -> tuple[ShapesLayer, float]:
    """Areas with people no site serves, one shape per township, each naming its township.

    A regional-centre plan leaves whole townships (``name``, ``note``): each is drawn with
    its name and the reason. Other plans leave cells: they are joined per township (the
    GeoPackage keeps the cells) and named with the people in them; their outlines keep the
    cells' steps.
    """
    metric = layers.region.metric_crs
    total = float(unassigned["population"].sum())
    if "name" in unassigned:
        drawn = base.simplified(unassigned, metric, 25.0)
        tooltips = [
            base.lines(
                f"<b>{html.escape(str(row['name']))}</b>：未分配区域中心",
                f"原因：{reason_zh(row.get('note'))}",
                f"常住人口：{base.fmt(row['population'])} 人",
            )
            for _, row in unassigned.iterrows()
        ]
    else:
        # cells of a row may not share their edges to the last bit: to 1e-7° (1 cm) they do
        cells = shapely.transform(unassigned.geometry.to_numpy(), lambda xy: np.round(xy, 7))
        centres = shapely.point_on_surface(cells)
        town = layers.township_of(shapely.get_x(centres), shapely.get_y(centres))
        names = np.append(layers.townships["name"].astype(str).to_numpy(), "—")
        people = unassigned["population"].to_numpy()
        parts, tooltips = [], []
        for k in np.unique(town):  # one per township: a bounded loop
            mine = town == k
            parts.append(shapely.coverage_union_all(cells[mine]))
            tooltips.append(
                base.lines(
                    f"<b>{html.escape(str(names[k]))}</b>：未分配/未覆盖区域",
                    f"其中人口：{base.fmt(people[mine].sum())} 人",
                )
            )
        frame = gpd.GeoDataFrame(geometry=parts, crs=unassigned.crs)
        drawn = base.simplified(frame, metric, 1.0)  # steps of cells kept: they are the data
    layer = ShapesLayer(
        drawn.geometry.to_numpy(),
        tooltips=tooltips,
        name="未分配/未覆盖区域",
        style={**_UNASSIGNED_STYLE, "fillOpacity": 0.55},
        highlight={"weight": 2.5, "color": "#000000"},
    )
    return layer, total


def _catchment_group(
    catchments: gpd.GeoDataFrame,
    layers: InputLayers,
    names: dict[object, str],
    styles: dict[object, palettes.SiteStyle],
) -> folium.FeatureGroup:
    """Draw the catchments: filled pieces that take the hover, outlines of each whole one."""
    pieces, whole = _pieces(catchments, layers)
    group = folium.FeatureGroup(name="服务范围（按选址着色）")
    fallback = palettes.SiteStyle(_UNASSIGNED, _UNASSIGNED, "")
    tooltips = [
        base.lines(
            f"<b>{html.escape(str(names.get(sid, sid)))}</b> 的服务范围",
            f"乡镇：{html.escape(town)}",
            f"该选址服务人口：{base.fmt(people)} 人",
        )
        for sid, town, people in zip(
            pieces["site_id"], pieces["town"], pieces["population"], strict=True
        )
    ]
    ShapesLayer(
        pieces.geometry.to_numpy(),
        tooltips=tooltips,
        styles=[{"fillColor": styles.get(s, fallback).fill} for s in pieces["site_id"]],
        name="服务范围",
        style={"stroke": False, "fillOpacity": 0.45},
        highlight={"stroke": True, "weight": 2, "color": "#000000"},
        control=False,
    ).add_to(group)
    ShapesLayer(
        whole.geometry.to_numpy(),
        styles=[
            {"color": styles.get(s, fallback).edge, "dashArray": styles.get(s, fallback).dash}
            for s in whole["site_id"]
        ],
        name="服务范围边界",
        style={"fill": False, "weight": 1.5, "interactive": False},
        control=False,
    ).add_to(group)
    return group


def siting_map(
    layers: InputLayers,
    sites: gpd.GeoDataFrame,
    catchments: gpd.GeoDataFrame,
    unassigned: gpd.GeoDataFrame | None,
    *,
    title: str,
    subtitle: str,
    details: pd.DataFrame | None = None,
) -> folium.Map:
    """Build the map of a siting plan: what it proposes stands out.

    Proposed sites (new, or existing ones the plan chooses) are stars in their own styles
    (:func:`site_styles`), named on the map and in the legend (the first ``LEGEND_SITES``;
    the rest counted), with their catchments in the same colours and outlines. Existing
    sites the plan keeps open (``fixed``) are small tan dots with tan catchments, named only
    when there are few. Catchments and areas no site serves take the hover and name their
    township as well as their site; township lines are drawn over them without taking it.

    Parameters
    ----------
    layers
        The run's inputs.
    sites
        Every candidate (EPSG:4326): ``site_id``, ``name``, ``level``, ``chosen`` and,
        optionally, ``fixed`` (open already).
    catchments
        One polygon per chosen site: ``site_id`` and ``population``.
    unassigned
        Areas with people no chosen site serves (``population``; for whole townships also
        ``name`` and ``note``, the reason), or None.
    title, subtitle
        Headline (and the page's title) and its second line.
    details
        Per chosen site (``site_id`` index): extra popup lines (column → value).

    Returns
    -------
    folium.Map
        Offline (Leaflet inlined).
    """
    fmap = base.base_map(layers, canvas=True)  # redraws in < 0.1 s (bench_webmap.py)
    chosen, proposed, kept, _ = site_roles(sites)
    styles = site_styles(proposed, kept)
    names = dict(zip(chosen["site_id"], chosen["name"], strict=True))
    _catchment_group(catchments, layers, names, styles).add_to(fmap)
    total_gap = 0.0
    if unassigned is not None and len(unassigned):
        gaps, total_gap = _unserved(unassigned, layers)
        gaps.add_to(fmap)
    base.township_outlines(layers).add_to(fmap)
    others = folium.FeatureGroup(name="未选中的候选点", show=False)
    for _, row in sites[~sites["chosen"]].iterrows():
        name = folium.Tooltip(f"未选中的候选点：{html.escape(str(row['name']))}")
        _dot(row, "#333333", "#ffffff", name).add_to(others)
    others.add_to(fmap)
    extra = details if details is not None else pd.DataFrame()

    def popup(row: pd.Series) -> str:
        lines = [f"<b>{html.escape(str(row['name']))}</b>", f"级别：{_level_zh(row['level'])}"]
        if row["site_id"] in extra.index:
            for label, value in extra.loc[row["site_id"]].items():
                lines.append(f"{html.escape(str(label))}：{html.escape(str(value))}")
        return base.lines(*lines)

    if len(kept):
        existing = folium.FeatureGroup(name=f"现有机构（保留，{len(kept)} 个）")
        label = len(kept) <= FEW_KEPT
        for _, row in kept.iterrows():
            name = folium.Tooltip(
                html.escape(str(row["name"])),
                permanent=label,
                **({"class_name": labels.LABEL} if label else {}),  # kept apart like the stars'
            )
            dot = _dot(row, KEPT_STYLE.edge, KEPT_STYLE.fill, name)
            folium.Popup(popup(row), max_width=320).add_to(dot)
            dot.add_to(existing)
        existing.add_to(fmap)
    group = folium.FeatureGroup(name="选址结果")
    for _, row in proposed.iterrows():
        _star_marker(row, styles[row["site_id"]], popup(row)).add_to(group)
    group.add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    labels.Declutter().add_to(fmap)
    body = _legend(proposed, kept, names, styles, total_gap)
    base.add_panel(fmap, title, f"{subtitle} · {dt.date.today():%Y-%m-%d}", body, OSM_ATTRIBUTION)
    return base.finish(fmap, layers)


def _legend(
    proposed: pd.DataFrame,
    kept: pd.DataFrame,
    names: dict[object, str],
    styles: dict[object, palettes.SiteStyle],
    total_gap: float,
) -> str:
    """Write the siting map's legend: the first sites named, the rest counted; kept; unserved."""
    shown = list(proposed["site_id"])[:LEGEND_SITES]
    entries = [
        f"{symbols.star(styles[s].fill, styles[s].edge, styles[s].dash)} "
        f'<span style="vertical-align:top">{html.escape(str(names[s]))}</span>'
        for s in shown
    ]
    if len(proposed) > len(shown):
        entries.append(f"…… 另 {len(proposed) - len(shown)} 个选址（见 sites.csv）")
    if len(kept):
        entries.append(symbols.swatch(KEPT_COLOUR, f"现有机构（保留）{len(kept)} 个及其服务范围"))
    gap_text = (
        f"未分配/未覆盖区域（{base.fmt(total_gap)} 人）" if total_gap else "未分配/未覆盖区域"
    )
    body = "<b>选址及其服务范围</b><br>" + "<br>".join(entries) + "<br>"
    return body + symbols.swatch(_UNASSIGNED, gap_text, border="#000000", dash="4,3")
