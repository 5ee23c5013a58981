"""Maps of plans: chosen sites with their catchments, and a scenario's before/after.

- :func:`siting_map` — the proposed sites (a named star each) and the existing ones kept
  (small grey dots), their catchments coloured by site, the areas no site serves (joined),
  the candidates not chosen (hidden at first), township lines; a legend of bounded size.
- :func:`whatif_map` — the changed facilities (added, upgraded, closed), cells newly covered
  and no longer covered per group and mode, townships with coverage before and after.
"""

from __future__ import annotations

import datetime as dt
import html

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from geohealth.inputs.layers import InputLayers
from geohealth.inputs.levels import BY_KEY
from geohealth.reach import OSM_ATTRIBUTION
from geohealth.webmap import base, symbols

#: Qualitative colours for catchments (ColorBrewer Paired, 12 classes), reused in turn.
PALETTE = (
    "#1f78b4", "#33a02c", "#e31a1c", "#ff7f00", "#6a3d9a", "#b15928",
    "#a6cee3", "#b2df8a", "#fb9a99", "#fdbf6f", "#cab2d6", "#ffff99",
)  # fmt: skip

_STAR = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="22" height="22" viewBox="0 0 24 24">'
    '<path d="M12 1.5l3.1 6.6 7.2.9-5.3 5 1.4 7.1L12 17.6l-6.4 3.5 1.4-7.1-5.3-5 7.2-.9z" '
    'fill="{}" stroke="#000" stroke-width="1.3"/></svg>'
)
_UNASSIGNED = "#595959"
_CHANGE = {"added": "#1a9850", "closed": "#d73027", "upgraded": "#4575b4"}


def _level_zh(level: object) -> str:
    found = BY_KEY.get(str(level))
    return found.label_zh if found else "新址"


def _star_marker(row: pd.Series, colour: str, popup: str) -> folium.Marker:
    """Mark a proposed site: a star, named beside it (right of the symbol, never over it)."""
    return folium.Marker(
        location=[row.geometry.y, row.geometry.x],
        icon=folium.DivIcon(html=_STAR.format(colour), icon_size=(22, 22), icon_anchor=(11, 11)),
        tooltip=folium.Tooltip(
            html.escape(str(row["name"])),
            permanent=True,
            direction="right",
            offset=(14, 0),
            class_name=_LABEL,
        ),
        popup=folium.Popup(popup, max_width=320),
    )


#: Class of the names written beside sites; :data:`_DECLUTTER` keeps them apart.
_LABEL = "geohealth-label"

#: After every zoom and pan, hide each site name that would overlap a name already shown or
#: any site's symbol (names come in legend order, so the first sites keep theirs; hovering a
#: star still shows its name).
_DECLUTTER = """
(function (map) {
  function apart(a, b) {
    return a.right <= b.left || a.left >= b.right || a.bottom <= b.top || a.top >= b.bottom;
  }
  function declutter() {
    var box = map.getContainer();
    var icons = Array.prototype.map.call(
      box.querySelectorAll('.leaflet-marker-icon'),
      function (e) { return e.getBoundingClientRect(); });
    var shown = [];
    Array.prototype.forEach.call(box.querySelectorAll('.%s'), function (el) {
      el.style.visibility = '';
      var r = el.getBoundingClientRect();
      var clear = shown.concat(icons).every(function (o) { return apart(r, o); });
      if (clear) { shown.push(r); } else { el.style.visibility = 'hidden'; }
    });
  }
  map.on('zoomend moveend', declutter);
  declutter();
})(%s);
"""


class _Declutter(MacroElement):
    """The script that keeps site names apart, run after the map's layers are added."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        + _DECLUTTER.replace("%s);", "{{ this._parent.get_name() }});").replace("%s", _LABEL)
        + "{% endmacro %}"
    )


#: Proposed sites named in the legend; the rest are counted.
LEGEND_SITES = 12
#: Existing sites kept open are labelled on the map only when there are at most this many.
FEW_KEPT = 8
#: Existing sites kept open, and their catchments (tan: apart from the grey of unserved areas).
KEPT_COLOUR = "#bfa77a"


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
        chosen site's colour: the palette in turn for the proposed, ``KEPT_COLOUR`` for the
        kept.
    """
    chosen = sites[sites["chosen"]].reset_index(drop=True)
    fixed = (
        chosen["fixed"].fillna(False).astype(bool).to_numpy()
        if "fixed" in chosen
        else np.zeros(len(chosen), dtype=bool)
    )
    proposed, kept = chosen[~fixed], chosen[fixed]
    colour = {sid: PALETTE[k % len(PALETTE)] for k, sid in enumerate(proposed["site_id"])}
    colour.update(dict.fromkeys(kept["site_id"], KEPT_COLOUR))
    return chosen, proposed, kept, colour


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


def _dissolved(cells: gpd.GeoDataFrame, metric: object) -> gpd.GeoDataFrame:
    """Join cells that touch into areas, with the people in each, simplified for the screen.

    The web map draws a few areas, not every cell (the GeoPackage keeps the cells).
    """
    union = shapely.coverage_union_all(cells.geometry.to_numpy())
    parts = shapely.get_parts(union)
    inside = shapely.STRtree(parts).query(
        shapely.point_on_surface(cells.geometry.to_numpy()), predicate="within"
    )
    people = np.zeros(len(parts))
    np.add.at(people, inside[1], cells["population"].to_numpy()[inside[0]])
    areas = gpd.GeoDataFrame({"population": people}, geometry=parts, crs=cells.crs)
    return base.simplified(areas, metric, 25.0)


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

    Proposed sites (new, or existing ones the plan chooses) are stars in their own colours,
    named on the map and in the legend (the first ``LEGEND_SITES``; the rest counted), with
    their catchments in the same colours. Existing sites the plan keeps open (``fixed``) are
    small grey dots with grey catchments, named only when there are few. Areas no site
    serves are drawn joined, not cell by cell.

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
        Areas with people no chosen site serves (``population``), or None.
    title, subtitle
        Headline and its second line.
    details
        Per chosen site (``site_id`` index): extra popup lines (column → value).

    Returns
    -------
    folium.Map
        Offline (Leaflet inlined).
    """
    fmap = base.base_map(layers, canvas=True)  # redraws in < 0.1 s (bench_webmap.py)
    chosen, proposed, kept, colour = site_roles(sites)
    names = dict(zip(chosen["site_id"], chosen["name"], strict=True))
    catch = catchments[["site_id", "population", "geometry"]].copy()
    catch["centre"] = catch["site_id"].map(names)
    catch["people"] = catch["population"].map(base.fmt)
    catch["fill"] = catch["site_id"].map(colour).fillna(_UNASSIGNED)
    catch = base.simplified(catch, layers.region.metric_crs, 25.0)
    folium.GeoJson(
        catch.drop(columns="population").to_json(drop_id=True),
        name="服务范围（按选址着色）",
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": f["properties"]["fill"],
            "weight": 1,
            "fillOpacity": 0.45,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["centre", "people"], aliases=["选址", "服务人口（人）"]
        ),
    ).add_to(fmap)
    total_gap = 0.0
    if unassigned is not None and len(unassigned):
        gaps = _dissolved(unassigned, layers.region.metric_crs)
        total_gap = float(gaps["population"].sum())
        gaps["people"] = gaps["population"].map(base.fmt)
        folium.GeoJson(
            gaps.drop(columns="population").to_json(drop_id=True),
            name="未分配/未覆盖区域",
            style_function=lambda f: {
                "fillColor": _UNASSIGNED,
                "color": _UNASSIGNED,
                "weight": 0.5,
                "fillOpacity": 0.55,
            },
            tooltip=folium.GeoJsonTooltip(fields=["people"], aliases=["人口（人）"]),
        ).add_to(fmap)
    base.township_outlines(layers).add_to(fmap)
    others = folium.FeatureGroup(name="未选中的候选点", show=False)
    for _, row in sites[~sites["chosen"]].iterrows():
        _dot(row, "#333333", "#ffffff", folium.Tooltip(html.escape(str(row["name"])))).add_to(
            others
        )
    others.add_to(fmap)
    extra = details if details is not None else pd.DataFrame()

    def popup(row: pd.Series) -> str:
        lines = [f"<b>{html.escape(str(row['name']))}</b>", f"级别：{_level_zh(row['level'])}"]
        if row["site_id"] in extra.index:
            for label, value in extra.loc[row["site_id"]].items():
                lines.append(f"{html.escape(str(label))}：{html.escape(str(value))}")
        return "<br>".join(lines)

    if len(kept):
        existing = folium.FeatureGroup(name=f"现有机构（保留，{len(kept)} 个）")
        label = len(kept) <= FEW_KEPT
        for _, row in kept.iterrows():
            name = folium.Tooltip(html.escape(str(row["name"])), permanent=label)
            dot = _dot(row, "#404040", KEPT_COLOUR, name)
            folium.Popup(popup(row), max_width=320).add_to(dot)
            dot.add_to(existing)
        existing.add_to(fmap)
    group = folium.FeatureGroup(name="选址结果")
    for _, row in proposed.iterrows():
        _star_marker(row, colour[row["site_id"]], popup(row)).add_to(group)
    group.add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    _Declutter().add_to(fmap)
    shown = list(proposed["site_id"])[:LEGEND_SITES]
    entries = [
        f'{_STAR.format(colour[s])} <span style="vertical-align:top">'
        f"{html.escape(str(names[s]))}</span>"
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
    body += symbols.swatch(_UNASSIGNED, gap_text)
    base.add_panel(fmap, title, f"{subtitle} · {dt.date.today():%Y-%m-%d}", body, OSM_ATTRIBUTION)
    return base.finish(fmap, layers)


def whatif_map(
    layers: InputLayers,
    comparison: pd.DataFrame,
    change_layers: dict[str, gpd.GeoDataFrame],
    *,
    threshold_min: float,
    title: str,
) -> folium.Map:
    """Build the before/after map of a scenario.

    Parameters
    ----------
    layers
        The run's inputs.
    comparison
        From :func:`geohealth.whatif.compare`.
    change_layers
        From :func:`geohealth.whatif.change_layers` at ``threshold_min``.
    threshold_min
        The threshold drawn.
    title
        Headline.

    Returns
    -------
    folium.Map
        Offline (Leaflet inlined).
    """
    fmap = base.base_map(layers)
    rows = comparison[comparison["threshold_min"] == threshold_min]
    towns = layers.townships[["code", "name", "geometry"]].copy()
    fields, aliases = ["name"], ["乡镇"]
    for (group, mode), part in rows.groupby(["group", "mode"], sort=False):
        part = part.set_index("code")
        key = f"{group}_{mode}"
        before = towns["code"].map(part["share_before"]).astype(float)
        after = towns["code"].map(part["share_after"]).astype(float)
        towns[key] = [
            f"{base.fmt(b * 100, '.1f')}% → {base.fmt(a * 100, '.1f')}%"
            for b, a in zip(before, after, strict=True)
        ]
        fields.append(key)
        aliases.append(f"{base.mode_label(group)} · {base.mode_label(mode)}")
    towns = base.simplified(towns, layers.region.metric_crs, 10.0)
    folium.GeoJson(
        towns.to_json(drop_id=True),
        name=f"乡镇{threshold_min:g}分钟覆盖率（前→后）",
        style_function=lambda f: {"fillOpacity": 0.05, "color": "#555555", "weight": 1},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
    ).add_to(fmap)
    cells_layers = {k: v for k, v in change_layers.items() if k != "changes"}
    modes = [str(f["mode"].iloc[0]) for f in cells_layers.values()]
    shown = "drive" if "drive" in modes else (modes[0] if modes else None)
    for name, frame in cells_layers.items():
        gained = name.startswith("newly_covered")
        group, mode = str(frame["group"].iloc[0]), str(frame["mode"].iloc[0])
        colour = _CHANGE["added"] if gained else _CHANGE["closed"]
        cells = frame.copy()
        cells["people"] = cells["population"].map(lambda v: base.fmt(v, ",.1f"))
        folium.GeoJson(
            cells[["people", "geometry"]].to_json(drop_id=True),
            name=f"{'新增覆盖' if gained else '失去覆盖'} · {base.mode_label(group)}"
            f" · {base.mode_label(mode)}",
            show=mode == shown,
            style_function=lambda f, c=colour: {
                "fillColor": c,
                "color": c,
                "weight": 0.3,
                "fillOpacity": 0.6,
            },
            tooltip=folium.GeoJsonTooltip(fields=["people"], aliases=["人口（人）"]),
        ).add_to(fmap)
    marks = folium.FeatureGroup(name="方案变动的机构")
    for row in change_layers["changes"].itertuples():
        kind = "upgraded" if str(row.change).startswith("upgraded") else str(row.change)
        label = {"added": "新增", "closed": "关闭", "upgraded": "升级为"}[kind]
        folium.Marker(
            location=[row.geometry.y, row.geometry.x],
            icon=folium.DivIcon(
                html=_STAR.format(_CHANGE[kind]), icon_size=(22, 22), icon_anchor=(11, 11)
            ),
            tooltip=html.escape(
                f"{label}{'' if kind == 'closed' else _level_zh(row.level)}：{row.name}"
            ),
        ).add_to(marks)
    marks.add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    body = (
        "<b>方案变动</b><br>"
        + "<br>".join(
            f'{_STAR.format(c)} <span style="vertical-align:top">{t}</span>'
            for c, t in (
                (_CHANGE["added"], "新增机构"),
                (_CHANGE["upgraded"], "升级机构"),
                (_CHANGE["closed"], "关闭机构"),
            )
        )
        + f"<br><b>{threshold_min:g}分钟覆盖变化</b><br>"
        + symbols.swatch(_CHANGE["added"], "新增覆盖人口所在格网")
        + "<br>"
        + symbols.swatch(_CHANGE["closed"], "失去覆盖人口所在格网")
    )
    base.add_panel(fmap, title, f"方案前后对比 · {dt.date.today():%Y-%m-%d}", body, OSM_ATTRIBUTION)
    return base.finish(fmap, layers)
