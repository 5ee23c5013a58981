"""Names on print maps: placed clear of each other and of every symbol, or keyed by number.

A printed page cannot be hovered, so every name must be readable where it stands. Each label
tries its candidate places in order (for a point: above, right, below, left, then the corners;
for a township: its inside point, then places around it that stay inside the township) and
takes the first whose box overlaps no label already placed and no symbol drawn on the map
(every scatter collection marked :data:`SYMBOL`: facilities, proposed and kept sites). A label
with no free place becomes a small number at its first free place, and the page's key lists
the numbers with their full text — nothing is printed over anything else, and nothing is
silently lost. Labels are drawn on white halos and marked :data:`LABEL` (or :data:`NUMBER`),
so tests can measure them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from matplotlib.collections import PathCollection
from matplotlib.text import Annotation

log = logging.getLogger(__name__)

#: ``gid`` of the scatter collections labels must not cover.
SYMBOL = "symbol"
#: ``gid`` of a placed label, and of the number standing in for a label with no room.
LABEL = "label"
NUMBER = "label-number"
#: ``gid`` of the page key's columns.
KEY = "label-key"

#: Places around a point (offset in points, alignment), in order of preference.
AROUND_POINT = (
    ((0, 8), "center", "bottom"),
    ((9, 0), "left", "center"),
    ((0, -8), "center", "top"),
    ((-9, 0), "right", "center"),
    ((9, 8), "left", "bottom"),
    ((-9, 8), "right", "bottom"),
    ((9, -8), "left", "top"),
    ((-9, -8), "right", "top"),
)

#: Places of a township's label around its inside point (offset in points), nearest first.
AROUND_AREA = tuple(
    ((dx, dy), "center", "center")
    for r in (0, 10, 20, 30, 42)
    for dx, dy in (
        [(0, 0)]
        if r == 0
        else [(0, r), (0, -r), (r * 1.6, 0), (-r * 1.6, 0)]
        + [(s * r * 1.2, t * r * 0.8) for s in (1, -1) for t in (1, -1)]
    )
)

_HALO = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}
#: Clearance kept around a symbol (points).
_SYMBOL_MARGIN_PT = 1.0


@dataclass(frozen=True)
class Keyed:
    """A label without room for its text: a number on the map, its text in the page's key.

    ``number`` is None when not even the number could be placed, or the key is full: the
    key then counts it among the names left off (the tables carry every name).
    """

    number: int | None
    text: str


def symbol_boxes(ax: object) -> np.ndarray:
    """Return the pixel boxes of every symbol on the map (collections marked :data:`SYMBOL`).

    Parameters
    ----------
    ax
        The map axes, with its final data → pixel transform.

    Returns
    -------
    numpy.ndarray
        ``(n, 4)`` boxes: x0, y0, x1, y1 in pixels.
    """
    boxes = []
    dpi = ax.figure.dpi
    for coll in ax.collections:
        if coll.get_gid() != SYMBOL or not isinstance(coll, PathCollection):
            continue
        xy = coll.get_offsets()
        if not len(xy):
            continue
        centres = ax.transData.transform(np.asarray(xy, dtype=float))
        sizes = np.broadcast_to(np.asarray(coll.get_sizes(), dtype=float), (len(centres),))
        half = (np.sqrt(sizes) / 2.0 + _SYMBOL_MARGIN_PT) * dpi / 72.0
        boxes.append(np.column_stack([centres - half[:, None], centres + half[:, None]]))
    return np.vstack(boxes) if boxes else np.zeros((0, 4))


def _hits(box: np.ndarray, boxes: np.ndarray) -> bool:
    if not len(boxes):
        return False
    return bool(
        np.any(
            (box[0] < boxes[:, 2])
            & (boxes[:, 0] < box[2])
            & (box[1] < boxes[:, 3])
            & (boxes[:, 1] < box[3])
        )
    )


def place_labels(
    p: object,
    anchors: Sequence[tuple[float, float]],
    texts: Sequence[str],
    *,
    places: Sequence[tuple[tuple[float, float], str, str]] = AROUND_POINT,
    within: Sequence[shapely.Geometry] | None = None,
    first_number: int = 1,
    max_keyed: int | None = None,
) -> list[Keyed]:
    """Place each text near its anchor, over no other label and no symbol.

    Parameters
    ----------
    p
        The page (:class:`geohealth.report.page.Page`): its axes, font and label size.
    anchors
        Anchor points in the map's data coordinates (metric CRS).
    texts
        One text per anchor.
    places
        Candidate places: (offset in points, horizontal, vertical alignment), in order.
    within
        For area labels: the area each label's anchor must stay inside (data coordinates).
    first_number
        Number given to the first label that has to be keyed.
    max_keyed
        Most numbers the page's key has room for (:func:`geohealth.report.page.key_capacity`);
        labels beyond it are left off (counted in the key), never numbered without a key line.

    Returns
    -------
    list of Keyed
        Labels without room for their text, in order: numbered ones (their text belongs in the
        page's key), then those left off (``number`` None).
    """
    ax = p.ax
    ax.set_aspect("equal")
    ax.apply_aspect()  # the final data → pixel transform, before anything is measured
    renderer = p.fig.canvas.get_renderer()
    symbols = symbol_boxes(ax)
    taken = np.zeros((0, 4))
    to_data = ax.transData.inverted()
    keyed: list[Keyed] = []
    left_off: list[Keyed] = []
    for k, ((x, y), text) in enumerate(zip(anchors, texts, strict=True)):
        area = within[k] if within is not None else None
        placed = None
        tries = [(str(text), LABEL)]
        if max_keyed is None or len(keyed) < max_keyed:
            tries.append((str(first_number + len(keyed)), NUMBER))
        for shown, gid in tries:
            for offset, ha, va in places:
                note = ax.annotate(
                    shown,
                    (x, y),
                    xytext=offset,
                    textcoords="offset points",
                    ha=ha,
                    va=va,
                    fontproperties=p.font,
                    fontsize=p.size,
                    zorder=6,
                    bbox=_HALO,
                    annotation_clip=False,
                )
                extent = note.get_window_extent(renderer)
                box = np.array([extent.x0, extent.y0, extent.x1, extent.y1])
                inside = area is None or _centre_inside(box, area, to_data)
                if inside and not _hits(box, taken) and not _hits(box, symbols):
                    placed = note
                    break
                note.remove()
            if placed is not None:
                placed.set_gid(gid)
                taken = np.vstack([taken, box])
                if gid == NUMBER:
                    keyed.append(Keyed(first_number + len(keyed), str(text)))
                break
        if placed is None:  # not even a number fits, or the key is full: counted in the key
            left_off.append(Keyed(None, str(text)))
    if keyed or left_off:
        log.debug("%d labels keyed by number, %d left off", len(keyed), len(left_off))
    return keyed + left_off


def _centre_inside(box: np.ndarray, area: shapely.Geometry, to_data: object) -> bool:
    cx, cy = to_data.transform(((box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0))
    return bool(area.contains(shapely.Point(cx, cy)))


def key_lines(keyed: Sequence[Keyed]) -> list[str]:
    """Return the lines of the page's key: each number with its text, then the names left off.

    Parameters
    ----------
    keyed
        What :func:`place_labels` returned.

    Returns
    -------
    list of str
        E.g. ``["1 城西街道 100%", "2 城东街道 100%", "另 3 个名称无处标注（见表格）"]``; empty when
        every label has its text on the map.
    """
    lines = [f"{k.number} {k.text.replace(chr(10), ' ')}" for k in keyed if k.number is not None]
    off = sum(k.number is None for k in keyed)
    if off:
        lines.append(f"另 {off} 个名称无处标注（见表格）")
    return lines


def placed_labels(ax: object) -> list[Annotation]:
    """Return the labels and numbers placed on a map (for measuring them).

    Parameters
    ----------
    ax
        The map axes.

    Returns
    -------
    list of matplotlib.text.Annotation
        Every text marked :data:`LABEL` or :data:`NUMBER`.
    """
    return [t for t in ax.texts if t.get_gid() in (LABEL, NUMBER)]
