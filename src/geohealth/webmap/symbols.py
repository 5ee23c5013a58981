"""How the maps draw things: colour classes, facility and site symbols, legend lines.

Breaks and colours of the share covered and of minutes come from :mod:`geohealth.palettes`,
shared with the print pages, so a class has one colour wherever a planner reads it. Ground
where nobody lives is drawn as "no residents", never as a travel-time class. Facility levels
get distinct shapes as well as colours, drawn as inline SVG so the map needs no icon font
from the internet.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from geohealth import palettes
from geohealth.inputs.levels import BY_KEY

#: Class of a surface cell where nobody lives (after the minute classes).
NO_RESIDENTS_CLASS = len(palettes.MINUTE_COLOURS)
#: Class of a surface cell with nothing to show (outside the grid's data): transparent.
NOTHING = 255


def surface_classes(minutes: np.ndarray, people: np.ndarray) -> np.ndarray:
    """Class every cell of a travel-time grid: a minute class, no residents, or nothing.

    Parameters
    ----------
    minutes
        Minutes to the nearest facility (NaN: nothing to show, ``inf``: unreachable).
    people
        Persons per cell, same shape (NaN: no data).

    Returns
    -------
    numpy.ndarray
        uint8 classes: ``0 … len(MINUTE_COLOURS) - 1`` (see :func:`palettes.minute_class`),
        :data:`NO_RESIDENTS_CLASS` where the cell holds nobody, :data:`NOTHING` where the
        population has no data or a populated cell has no time.
    """
    k = np.where(np.isnan(minutes), NOTHING, palettes.minute_class(minutes))
    k = np.where(people == 0, NO_RESIDENTS_CLASS, k)  # whatever the time (often not computed)
    return np.where(np.isnan(people), NOTHING, k).astype(np.uint8)


def surface_rgba(classes: np.ndarray, alpha: int = 190, alpha_empty: int = 110) -> np.ndarray:
    """Colour a classed surface (:func:`surface_classes`) for the map.

    Parameters
    ----------
    classes
        uint8 classes.
    alpha
        Opacity of the minute classes (0–255).
    alpha_empty
        Opacity of the no-residents grey, lighter, so the basemap shows through.

    Returns
    -------
    numpy.ndarray
        uint8 RGBA image, shape (rows, cols, 4); transparent where :data:`NOTHING`.
    """
    colours = [*palettes.MINUTE_COLOURS, palettes.NO_RESIDENTS]
    table = np.zeros((256, 4), dtype=np.uint8)
    for k, colour in enumerate(colours):
        table[k, :3] = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
        table[k, 3] = alpha_empty if k == NO_RESIDENTS_CLASS else alpha
    return table[classes]


#: Change in the share covered (percentage points): lower bounds of the classes.
CHANGE_BREAKS_PP = (-np.inf, -10.0, -2.0, -0.1, 0.1, 2.0, 10.0)
#: Labels of the change classes (percentage points).
CHANGE_LABELS = (
    "下降 10 以上",
    "下降 2–10",
    "下降 0.1–2",
    "基本不变（±0.1 以内）",
    "上升 0.1–2",
    "上升 2–10",
    "上升 10 以上",
)
#: Colours of the change classes (ColorBrewer RdBu, 7 classes): red = fewer covered, blue =
#: more, white = unchanged; darker = a larger change.
CHANGE_COLOURS = ("#b2182b", "#ef8a62", "#fddbc7", "#f7f7f7", "#d1e5f0", "#67a9cf", "#2166ac")
#: What the colours of a change legend mean.
CHANGE_READING = "蓝色：覆盖率上升；红色：下降；颜色越深，变化越大"


def change_colour(points: float) -> str:
    """Return the fill colour of a change in the share covered.

    Parameters
    ----------
    points
        After minus before, in percentage points (NaN: no data, grey).

    Returns
    -------
    str
        Hex colour.
    """
    if not np.isfinite(points):
        return palettes.NO_DATA
    k = int(np.searchsorted(CHANGE_BREAKS_PP, points, side="right")) - 1
    return CHANGE_COLOURS[k]


@dataclass(frozen=True)
class Symbol:
    """A facility level's marker: an SVG shape, a fill colour and a size in pixels."""

    shape: str
    colour: str
    size: int


#: Marker per facility level; shapes differ as well as colours.
SYMBOLS: dict[str, Symbol] = {
    "village_clinic": Symbol("circle", "#31a354", 10),
    "clinic": Symbol("circle", "#969696", 10),
    "community_health_station": Symbol("circle", "#3182bd", 11),
    "township_health_centre": Symbol("square", "#08519c", 14),
    "community_health_centre": Symbol("square", "#6baed6", 14),
    "rural_regional_centre": Symbol("diamond", "#e6550d", 18),
    "county_hospital": Symbol("cross", "#de2d26", 18),
    "regional_centre": Symbol("star", "#756bb1", 20),
    "ambulance_station": Symbol("triangle", "#fd8d3c", 16),
}
_FALLBACK = Symbol("circle", "#636363", 10)

_PATHS = {
    "circle": '<circle cx="8" cy="8" r="6"/>',
    "square": '<rect x="2" y="2" width="12" height="12"/>',
    "diamond": '<path d="M8 0.8 15.2 8 8 15.2 0.8 8Z"/>',
    "cross": '<path d="M5.5 1h5v4.5H15v5h-4.5V15h-5v-4.5H1v-5h4.5Z"/>',
    "star": '<path d="M8 .6l2.2 4.9 5.3.5-4 3.6 1.2 5.2L8 12.1l-4.7 2.7 1.2-5.2-4-3.6 5.3-.5Z"/>',
    "triangle": '<path d="M8 1 15.2 14.5H.8Z"/>',
}


def symbol(level: str) -> Symbol:
    """Return the marker of a facility level.

    Parameters
    ----------
    level
        A level key.

    Returns
    -------
    Symbol
        Its shape, colour and size.
    """
    return SYMBOLS.get(level, _FALLBACK)


def svg(level: str) -> str:
    """Inline SVG of a level's marker.

    Parameters
    ----------
    level
        A level key.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    s = symbol(level)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{s.size}" height="{s.size}" '
        f'viewBox="0 0 16 16"><g fill="{s.colour}" stroke="#ffffff" stroke-width="1.4">'
        f"{_PATHS[s.shape]}</g></svg>"
    )


def legend_body(levels: list[str], target_min: float, circle_colour: str) -> str:
    """Write the coverage map's legend: colour classes and what they mean, symbols, hotspots.

    Parameters
    ----------
    levels
        Facility levels present, in display order.
    target_min
        The service-circle target (minutes).
    circle_colour
        Fill of the target's service circle.

    Returns
    -------
    str
        HTML for :func:`geohealth.webmap.base.add_panel`.
    """
    shares = "<br>".join(
        swatch(c, label)
        for c, label in zip(palettes.SHARE_COLOURS, palettes.SHARE_LABELS, strict=True)
    )
    minutes = "<br>".join(
        swatch(c, f"{label} 分钟" if k < len(palettes.MINUTE_BREAKS) else label)
        for k, (c, label) in enumerate(
            zip(palettes.MINUTE_COLOURS, palettes.MINUTE_LABELS, strict=True)
        )
    )
    empty = swatch(palettes.NO_RESIDENTS, palettes.NO_RESIDENTS_LABEL)
    marks = "<br>".join(
        f'{svg(k)} <span style="vertical-align:top">{html.escape(BY_KEY[k].label_zh)}</span>'
        for k in levels
        if k in BY_KEY
    )
    return f"""<b>{target_min:g}分钟覆盖率（乡镇）</b><br>{reading(palettes.SHARE_READING)}
 {shares}<br>
 <b>到最近基层医疗机构用时</b>（图层中打开）<br>{reading(palettes.MINUTE_READING)}
 {minutes}<br>{empty}<br>
 {swatch(circle_colour, f"{target_min:g}分钟服务圈（各时间、出行方式见图层）")}<br>
 <b>医疗机构</b><br>{marks}<br>
 <span style="display:inline-block;width:12px;height:12px;border-radius:6px;
 background:#7a0177;opacity:.6;margin-right:4px"></span>{target_min:g}分钟外人口（约1 km格网）"""


def reading(text: str) -> str:
    """Write a legend's note on what its colours mean (small, grey, escaped), with a break."""
    return f'<span style="font-size:11px;color:#444">{html.escape(text)}</span><br>'


def swatch(colour: str, label: str, *, border: str = "#777", dash: str = "") -> str:
    """Write one legend line: a colour box and its (escaped) label."""
    style = "dashed" if dash else "solid"
    return (
        '<span style="display:inline-block;width:14px;height:10px;margin-right:4px;'
        f'border:1px {style} {border};background:{colour}"></span>{html.escape(label)}'
    )


#: A star (a proposed site): fill, outline colour, outline dashes.
_STAR = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="22" height="22" viewBox="0 0 24 24">'
    '<path d="M12 1.5l3.1 6.6 7.2.9-5.3 5 1.4 7.1L12 17.6l-6.4 3.5 1.4-7.1-5.3-5 7.2-.9z" '
    'fill="{}" stroke="{}" stroke-width="1.6"{}/></svg>'
)


def star(fill: str, edge: str = "#000000", dash: str = "") -> str:
    """Inline SVG of a proposed site's star (22 px).

    Parameters
    ----------
    fill
        Fill colour.
    edge
        Outline colour.
    dash
        SVG dash pattern of the outline (``"4,3"``), or ``""`` for solid.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    return _STAR.format(fill, edge, dashes)
