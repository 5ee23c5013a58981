"""How the map draws things: colour classes, facility symbols and the legend.

Colour classes come from ColorBrewer's diverging RdYlGn (coverage) and a sequential scheme
for minutes, chosen so that neighbouring classes also differ in lightness (readable when
printed in grey). Facility levels get distinct shapes as well as colours, drawn as inline SVG
so the map needs no icon font from the internet.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from geohealth.inputs.levels import BY_KEY

#: Coverage share classes: (lower bound, colour, label).
SHARE_CLASSES = (
    (0.0, "#d7191c", "< 50%"),
    (0.5, "#fdae61", "50–70%"),
    (0.7, "#ffffbf", "70–85%"),
    (0.85, "#a6d96a", "85–95%"),
    (0.95, "#1a9641", "≥ 95%"),
)
NO_DATA = "#bdbdbd"

#: Travel-time classes: (upper bound in minutes, RGB, label); beyond the last: unreachable.
MINUTE_CLASSES = (
    (5.0, (0, 104, 55), "≤ 5"),
    (10.0, (102, 189, 99), "5–10"),
    (15.0, (217, 239, 139), "10–15"),
    (30.0, (253, 174, 97), "15–30"),
    (60.0, (215, 48, 39), "30–60"),
    (np.inf, (103, 0, 13), "> 60"),
)


def share_colour(share: float | None) -> str:
    """Fill colour of a coverage share (grey when missing).

    Parameters
    ----------
    share
        Share covered, 0–1.

    Returns
    -------
    str
        Hex colour.
    """
    if share is None or not np.isfinite(share):
        return NO_DATA
    colour = SHARE_CLASSES[0][1]
    for lower, c, _ in SHARE_CLASSES:
        if share >= lower - 1e-12:
            colour = c
    return colour


def minutes_rgba(minutes: np.ndarray, alpha: int = 190) -> np.ndarray:
    """Colour every cell of a travel-time grid by class; transparent where NaN.

    Parameters
    ----------
    minutes
        Minutes (NaN: nothing to show, ``inf``: unreachable, drawn as the last class).
    alpha
        Opacity of coloured cells (0–255).

    Returns
    -------
    numpy.ndarray
        uint8 RGBA image, shape (rows, cols, 4).
    """
    upper = np.array([u for u, _, _ in MINUTE_CLASSES])
    rgb = np.array([c for _, c, _ in MINUTE_CLASSES], dtype=np.uint8)
    valid = ~np.isnan(minutes)
    k = np.searchsorted(upper, np.where(valid, minutes, 0.0), side="left")
    image = np.zeros((*minutes.shape, 4), dtype=np.uint8)
    image[..., :3] = rgb[np.minimum(k, len(upper) - 1)]
    image[..., 3] = np.where(valid, alpha, 0)
    return image


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


def legend_body(levels: list[str], target_min: float) -> str:
    """Write the coverage map's legend: colour classes, facility symbols, hotspots.

    Parameters
    ----------
    levels
        Facility levels present, in display order.
    target_min
        The service-circle target (minutes).

    Returns
    -------
    str
        HTML for :func:`geohealth.webmap.base.add_panel`.
    """
    shares = "<br>".join(swatch(c, label) for _, c, label in SHARE_CLASSES)
    minutes = "<br>".join(
        swatch("rgb({},{},{})".format(*rgb), f"{label} 分钟") for _, rgb, label in MINUTE_CLASSES
    )
    marks = "<br>".join(
        f'{svg(k)} <span style="vertical-align:top">{html.escape(BY_KEY[k].label_zh)}</span>'
        for k in levels
        if k in BY_KEY
    )
    return f"""<b>{target_min:g}分钟覆盖率（乡镇）</b><br>{shares}<br>
 <b>到最近基层医疗机构用时</b><br>{minutes}<br>
 <b>医疗机构</b><br>{marks}<br>
 <span style="display:inline-block;width:12px;height:12px;border-radius:6px;
 background:#7a0177;opacity:.6;margin-right:4px"></span>{target_min:g}分钟外人口（约1 km格网）"""


def swatch(colour: str, label: str, *, border: str = "#777") -> str:
    """Write one legend line: a colour box and its (escaped) label."""
    return (
        '<span style="display:inline-block;width:14px;height:10px;margin-right:4px;'
        f'border:1px solid {border};background:{colour}"></span>{html.escape(label)}'
    )
