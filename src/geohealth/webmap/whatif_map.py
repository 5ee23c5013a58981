"""The before/after map of a scenario: townships filled by the change it makes.

Each care group and mode with a change gets a township layer filled by the change in the
share covered within the threshold (percentage points, a diverging scale: blue more covered,
red fewer, white unchanged); the one that changes most is shown first. The cells newly
covered and no longer covered lie over it (drawn, but taking no hover: the township under
them names itself and its numbers), and the changed facilities are stars with a popup.
"""

from __future__ import annotations

import datetime as dt
import html

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geohealth import palettes
from geohealth.coverage import AREA_CODE
from geohealth.inputs.layers import InputLayers
from geohealth.inputs.levels import BY_KEY
from geohealth.reach import OSM_ATTRIBUTION
from geohealth.webmap import base, symbols
from geohealth.webmap.text_layers import ShapesLayer

#: Star colours of the changed facilities (shared with the print page).
CHANGE_STARS = palettes.CHANGE_COLOURS
#: Cells newly covered and no longer covered: the darkest ends of the township scale.
CELL_COLOURS = palettes.CELL_CHANGE_COLOURS
_KIND_ZH = {"added": "新增", "closed": "关闭", "upgraded": "升级"}


def _level_zh(level: object) -> str:
    found = BY_KEY.get(str(level))
    return found.label_zh if found else str(level)


def _pair(group: object, mode: object) -> str:
    return f"{base.mode_label(str(group))} · {base.mode_label(str(mode))}"


def _town_line(row: pd.Series) -> str:
    """One group and mode of a township's tooltip: before → after, change, people."""
    points = (row["share_after"] - row["share_before"]) * 100
    return (
        f"{_pair(row['group'], row['mode'])}："
        f"{base.fmt(row['share_before'] * 100, '.1f')}% → "
        f"{base.fmt(row['share_after'] * 100, '.1f')}%（{base.fmt(points, '+.1f')} 个百分点；"
        f"新增覆盖 {base.fmt(row['newly_covered'])} 人，"
        f"失去覆盖 {base.fmt(row['no_longer_covered'])} 人）"
    )


def _township_layers(
    layers: InputLayers, comparison: pd.DataFrame, threshold_min: float
) -> tuple[list[ShapesLayer], tuple[object, object] | None]:
    """One township layer per group and mode, filled by the change; the one shown first."""
    rows = comparison[
        (comparison["threshold_min"] == threshold_min) & (comparison["code"] != AREA_CODE)
    ]
    towns = layers.townships[["code", "name", "geometry"]].copy()
    towns["code"] = towns["code"].astype(str)
    keys = list(dict.fromkeys(zip(rows["group"], rows["mode"], strict=True)))
    if not keys:
        return [], None
    moved = rows.groupby(["group", "mode"], sort=False)["difference"].apply(
        lambda d: float(np.abs(d).sum())
    )
    shown = max(keys, key=lambda k: (moved[k], k[1] == "drive"))
    lines: dict[str, list[str]] = {}
    for _, row in rows.iterrows():
        lines.setdefault(str(row["code"]), []).append(_town_line(row))
    drawn = base.simplified(towns, layers.region.metric_crs, 10.0).geometry.to_numpy()
    out = []
    for key in keys:
        part = rows[(rows["group"] == key[0]) & (rows["mode"] == key[1])].set_index("code")
        part = part.reindex(towns["code"])
        points = ((part["share_after"] - part["share_before"]) * 100).to_numpy(float)
        tooltips = []
        for code, name, change in zip(towns["code"], towns["name"], points, strict=True):
            head = (
                f"<b>{html.escape(str(name))}</b>：{threshold_min:g}分钟覆盖率"
                f"{'变化 ' + base.fmt(change, '+.1f') + ' 个百分点' if np.isfinite(change) else ''}"
                f"（{_pair(*key)}）"
            )
            tooltips.append(base.lines(head, *lines.get(code, [])))
        out.append(
            ShapesLayer(
                drawn,
                tooltips=tooltips,
                styles=[{"fillColor": symbols.change_colour(v)} for v in points],
                name=f"乡镇{threshold_min:g}分钟覆盖率变化 · {_pair(*key)}",
                style={"color": "#555555", "weight": 1, "fillOpacity": 0.7},
                highlight={"weight": 3, "color": "#000000"},
                show=key == shown,
            )
        )
    return out, shown


def _cell_layers(
    change_layers: dict[str, gpd.GeoDataFrame], shown: tuple[object, object] | None
) -> list[ShapesLayer]:
    """Cells newly covered and no longer covered, joined per group and mode; no hover."""
    out = []
    for name, frame in change_layers.items():
        if name == "changes" or frame.empty:
            continue
        kind = "newly_covered" if name.startswith("newly_covered") else "no_longer_covered"
        key = (frame["group"].iloc[0], frame["mode"].iloc[0])
        colour = CELL_COLOURS[kind]
        joined = shapely.coverage_union_all(frame.geometry.to_numpy())  # cells: no overlaps
        out.append(
            ShapesLayer(
                [joined],
                name=f"{'新增覆盖' if kind == 'newly_covered' else '失去覆盖'} · {_pair(*key)}",
                style={
                    "fillColor": colour,
                    "color": colour,
                    "weight": 0.3,
                    "fillOpacity": 0.8,
                    "interactive": False,
                },
                show=key == shown,
            )
        )
    return out


def _facility_marks(changes: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Mark the facilities the scenario adds, upgrades or closes: named stars with a popup."""
    marks = folium.FeatureGroup(name="方案变动的机构")
    for row in changes.itertuples():
        change = str(row.change)
        kind = "upgraded" if change.startswith("upgraded") else change
        name = html.escape(str(row.name))
        if kind == "upgraded":
            before = change.removeprefix("upgraded from ").strip()
            what = f"升级：{html.escape(_level_zh(before))} → {html.escape(_level_zh(row.level))}"
        elif kind == "added":
            what = f"新增：{html.escape(_level_zh(row.level))}"
        else:
            what = f"关闭：{html.escape(_level_zh(row.level))}"
        beds = getattr(row, "beds", np.nan)
        popup = base.lines(f"<b>{name}</b>", what, f"床位：{base.fmt(beds)} 张")
        folium.Marker(
            location=[row.geometry.y, row.geometry.x],
            icon=folium.DivIcon(
                html=symbols.star(CHANGE_STARS.get(kind, "#777777")),
                icon_size=(22, 22),
                icon_anchor=(11, 11),
            ),
            tooltip=f"{_KIND_ZH.get(kind, kind)}：{name}",
            popup=folium.Popup(popup, max_width=320),
        ).add_to(marks)
    return marks


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
        The threshold drawn (minutes).
    title
        Headline (and the page's title).

    Returns
    -------
    folium.Map
        Offline (Leaflet inlined).
    """
    fmap = base.base_map(layers)
    towns, shown = _township_layers(layers, comparison, threshold_min)
    for layer in towns:
        layer.add_to(fmap)
    for layer in _cell_layers(change_layers, shown):
        layer.add_to(fmap)
    _facility_marks(change_layers["changes"]).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    stars = "<br>".join(
        f'{symbols.star(CHANGE_STARS[k])} <span style="vertical-align:top">{label}机构</span>'
        for k, label in (("added", "新增"), ("upgraded", "升级"), ("closed", "关闭"))
    )
    classes = "<br>".join(
        symbols.swatch(c, label)
        for c, label in zip(symbols.CHANGE_COLOURS, symbols.CHANGE_LABELS, strict=True)
    )
    first = f"（首个图层：{_pair(*shown)}）" if shown else ""
    body = (
        f"<b>方案变动</b><br>{stars}<br>"
        f"<b>乡镇{threshold_min:g}分钟覆盖率变化（百分点）</b>{html.escape(first)}<br>"
        f"{symbols.reading(symbols.CHANGE_READING)}{classes}<br>"
        + symbols.swatch(CELL_COLOURS["newly_covered"], "新增覆盖人口所在格网")
        + "<br>"
        + symbols.swatch(CELL_COLOURS["no_longer_covered"], "失去覆盖人口所在格网")
    )
    subtitle = f"方案前后对比 · {threshold_min:g}分钟 · {dt.date.today():%Y-%m-%d}"
    base.add_panel(fmap, title, subtitle, body, OSM_ATTRIBUTION)
    return base.finish(fmap, layers)
