"""Checks on drawn print pages shared by the tests of each page type."""

from __future__ import annotations

from matplotlib.figure import Figure

from geohealth.report import labels


def assert_labels_clear(fig: Figure) -> int:
    """Assert no two labels on a page overlap and none covers a symbol; return how many."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    count = 0
    for ax in fig.axes:
        notes = labels.placed_labels(ax)
        boxes = [n.get_window_extent(renderer) for n in notes]
        for a in range(len(boxes)):
            for b in range(a + 1, len(boxes)):
                assert not boxes[a].overlaps(boxes[b]), (notes[a].get_text(), notes[b].get_text())
        symbols = labels.symbol_boxes(ax)
        for note, box in zip(notes, boxes, strict=True):
            hit = (
                (symbols[:, 0] < box.x1)
                & (box.x0 < symbols[:, 2])
                & (symbols[:, 1] < box.y1)
                & (box.y0 < symbols[:, 3])
            )
            assert not hit.any(), f"label {note.get_text()!r} covers a symbol"
        count += len(notes)
    return count
