"""One set of class breaks and colours per measure, shared by the web maps and the print pages.

A planner who reads the share covered on the interactive map and then on the printed page must
see the same classes in the same colours, and a page's light and dark must mean the same thing
on every page that shows the same measure. Each measure therefore has its breaks, labels and
colours here, and nowhere else:

- **share covered** (a township's residents within the target time): ColorBrewer YlGnBu, light
  = few covered, dark = nearly everyone;
- **minutes to the nearest facility** (travel-time surface, service-circle bands, web surface):
  ColorBrewer YlOrRd, light = near, dark = far or unreachable;
- **no residents**: one light grey, never a travel-time class;
- **sites** of a plan: a qualitative palette of 20 distinct colours; beyond 20 the colours
  repeat with a different outline, so no two sites share both.

Sequential schemes keep monotonic lightness, so the classes stay apart in greyscale print.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Share covered: lower bound of each class (0–1).
SHARE_BREAKS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95)
#: Labels of the share classes.
SHARE_LABELS = ("< 50%", "50–70%", "70–80%", "80–90%", "90–95%", "≥ 95%")
#: Colours of the share classes (ColorBrewer YlGnBu, 6 classes): light = low, dark = high.
SHARE_COLOURS = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494")
#: What light and dark mean on a share legend.
SHARE_READING = "颜色越深，覆盖越好"

#: Minutes: upper bound of each class; beyond the last (60) and unreachable share the last class.
MINUTE_BREAKS = (5.0, 10.0, 15.0, 30.0, 60.0)
#: Labels of the minute classes (the last holds the unreachable).
MINUTE_LABELS = ("≤ 5", "5–10", "10–15", "15–30", "30–60", "> 60 或不可达")
#: Colours of the minute classes (ColorBrewer YlOrRd, 6 classes): light = near, dark = far.
MINUTE_COLOURS = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
#: What light and dark mean on a minutes legend.
MINUTE_READING = "颜色越浅，用时越短"

#: Ground where nobody lives: shown, but never as a travel-time class.
NO_RESIDENTS = "#e0e0e0"
NO_RESIDENTS_LABEL = "无常住人口"
#: A township or value with no data.
NO_DATA = "#bdbdbd"

#: What-if: the changed facilities' colours, and the cells a change covers or uncovers (the
#: darkest ends of the diverging RdBu scale the web map fills townships with).
CHANGE_COLOURS = {"added": "#1a9850", "closed": "#969696", "upgraded": "#ff7f00"}
CELL_CHANGE_COLOURS = {"newly_covered": "#053061", "no_longer_covered": "#67001f"}

#: 20 qualitative site colours: Tableau 20, strong colours first, then their light pairs; its
#: two greys (read as "unassigned") and its tan (the kept sites' dots) swapped for three
#: colours of Tableau 20b.
SITE_FILLS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#393b79", "#bcbd22", "#17becf",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5",
    "#637939", "#f7b6d2", "#a55194", "#dbdb8d", "#9edae5",
)  # fmt: skip
#: Outlines that tell repeated colours apart: one per round of :data:`SITE_FILLS`.
SITE_OUTLINES = (
    ("#000000", ""),  # solid black
    ("#000000", "4,3"),  # dashed black
    ("#ffffff", ""),  # solid white
    ("#ffffff", "4,3"),  # dashed white
)


def share_class(share: np.ndarray | float) -> np.ndarray:
    """Return the class index of each share covered (see :data:`SHARE_BREAKS`).

    Parameters
    ----------
    share
        Share covered, 0–1 (NaN gives -1: no data).

    Returns
    -------
    numpy.ndarray
        int classes, 0 … ``len(SHARE_BREAKS) - 1``, or -1.
    """
    values = np.asarray(share, dtype=float)
    k = np.searchsorted(SHARE_BREAKS, values + 1e-12, side="right") - 1
    return np.where(np.isnan(values), -1, np.clip(k, 0, len(SHARE_BREAKS) - 1))


def share_colour(share: float | None) -> str:
    """Return the fill colour of one share covered (no share: nobody lives there).

    Parameters
    ----------
    share
        Share covered, 0–1; None or NaN for a township without residents.

    Returns
    -------
    str
        Hex colour; :data:`NO_RESIDENTS` without a share, as every page draws "no residents".
    """
    if share is None or not np.isfinite(share):
        return NO_RESIDENTS
    return SHARE_COLOURS[int(share_class(share))]


def minute_class(minutes: np.ndarray) -> np.ndarray:
    """Return the class index of each travel time (see :data:`MINUTE_BREAKS`).

    Parameters
    ----------
    minutes
        Minutes (``inf``: unreachable, the last class; NaN gives -1).

    Returns
    -------
    numpy.ndarray
        int classes, 0 … ``len(MINUTE_LABELS) - 1``, or -1; a time equal to a break is in the
        class it ends (15.0 is "10–15").
    """
    values = np.asarray(minutes, dtype=float)
    k = np.searchsorted(MINUTE_BREAKS, np.nan_to_num(values, nan=0.0), side="left")
    return np.where(np.isnan(values), -1, k)


def minute_colour_of_limit(limit_min: float) -> str:
    """Return the colour of the band that ends at a time limit (a service circle's band).

    Parameters
    ----------
    limit_min
        The band's upper limit (minutes); a 15-min circle's band "10–15" has the colour of
        every cell whose time is in (10, 15].

    Returns
    -------
    str
        Hex colour.
    """
    return MINUTE_COLOURS[int(minute_class(np.array([limit_min]))[0])]


def limit_colours(limits: Sequence[float]) -> list[str]:
    """Return one distinct colour per time limit (service circles, isochrone bands).

    When every limit ends a different travel-time class (the default 5/10/15/30 do), each
    gets its class's colour, so the bands match the travel-time surface. Otherwise (say
    20/25/30, all in "15–30") the colours are spread along the same light-to-dark ramp by the
    limits' rank, so no two bands share a colour.

    Parameters
    ----------
    limits
        Time limits (minutes).

    Returns
    -------
    list of str
        Hex colours, in the order of ``limits``.
    """
    values = np.asarray(limits, dtype=float)
    classes = minute_class(values)
    if len(np.unique(classes)) == len(values):
        return [MINUTE_COLOURS[int(k)] for k in classes]
    ramp = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in MINUTE_COLOURS[:-1]])
    rank = np.argsort(np.argsort(values, kind="stable"), kind="stable")
    where = rank / max(len(values) - 1, 1) * (len(ramp) - 1)
    rgb = np.column_stack([np.interp(where, np.arange(len(ramp)), ramp[:, i]) for i in range(3)])
    return ["#{:02x}{:02x}{:02x}".format(*np.rint(c).astype(int)) for c in rgb]


@dataclass(frozen=True)
class SiteStyle:
    """How one site of a plan is drawn: fill colour, outline colour and outline dashes.

    Attributes
    ----------
    fill
        Hex fill colour.
    edge
        Hex outline colour.
    dash
        SVG dash pattern (``"4,3"``) or ``""`` for a solid outline.
    """

    fill: str
    edge: str
    dash: str


def site_styles(n: int) -> list[SiteStyle]:
    """Return the styles of ``n`` sites: no two alike, colours unrepeated below 20 sites.

    Parameters
    ----------
    n
        Number of sites.

    Returns
    -------
    list of SiteStyle
        The k-th site gets colour ``k mod 20`` and outline ``k // 20`` (cycling the outlines
        beyond 80 sites, where a legend no longer names every site).
    """
    out = []
    for k in range(n):
        edge, dash = SITE_OUTLINES[(k // len(SITE_FILLS)) % len(SITE_OUTLINES)]
        out.append(SiteStyle(SITE_FILLS[k % len(SITE_FILLS)], edge, dash))
    return out
