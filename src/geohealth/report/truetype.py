"""TrueType copies of the page's Chinese font, so PDFs embed it as CID TrueType, never Type 3.

Noto Sans CJK has PostScript (CFF) outlines. Matplotlib embeds such a font either as Type 3
(``pdf.fonttype = 3``: print-shop preflight flags it, text is not searchable in some readers)
or, with ``pdf.fonttype = 42``, as a ``CIDFontType2`` whose font file is really CFF — a
mismatch ``pdffonts`` warns about. Before a page is saved, :func:`truetype_text` therefore
writes the glyphs the page uses as a small TrueType font (quadratic outlines converted from
the cubic ones with fontTools' cu2qu, within 1 font unit in 1 000) and points every text of
the page at it; the PDF then embeds a genuine CID TrueType (Type 42) subset.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from matplotlib.figure import Figure
from matplotlib.font_manager import FontPath
from matplotlib.text import Text

from geohealth.report import fonts

log = logging.getLogger(__name__)

#: Largest distance between a cubic outline and its quadratic copy (font units; 1 000 per em).
MAX_ERROR_UNITS = 1.0


def _glyf_from_cff(font: TTFont) -> None:
    """Replace a font's CFF outlines with TrueType ones, in place."""
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, max_err=MAX_ERROR_UNITS, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
        "maxPoints",
        "maxContours",
        "maxCompositePoints",
        "maxCompositeContours",
        "maxComponentDepth",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    font["head"].indexToLocFormat = 0
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"


def truetype_subset(font: FontPath | str, text: str, path: Path) -> Path:
    """Write the glyphs a text needs from a font as a TrueType font file.

    Parameters
    ----------
    font
        The source font (a face of a collection as :class:`~matplotlib.font_manager.FontPath`).
    text
        Every character the page draws in this font.
    path
        The ``.ttf`` file to write.

    Returns
    -------
    pathlib.Path
        ``path``: TrueType outlines, the same advance widths and names as the source.
    """
    face = getattr(font, "face_index", 0)
    options = subset.Options()
    options.notdef_outline = True
    options.layout_features = []
    options.hinting = False
    options.desubroutinize = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    with TTFont(str(font), fontNumber=face, lazy=True) as source:
        subsetter.subset(source)
        if "CFF " in source:
            _glyf_from_cff(source)
        source.save(path)
    return path


@contextlib.contextmanager
def truetype_text(fig: Figure) -> Iterator[None]:
    """Draw the figure's Chinese text in a TrueType subset while the block runs (to save it).

    Parameters
    ----------
    fig
        A page whose texts use :func:`geohealth.report.fonts.cjk_font`.

    Yields
    ------
    None
        Save the figure inside the block; afterwards the texts use the original font again
        and the temporary font file is gone.
    """
    source = fonts.cjk_font()
    texts = [
        t
        for t in fig.findobj(Text)
        if str(t.get_fontproperties().get_file() or "") == str(source) and t.get_text()
    ]
    if not texts:
        yield
        return
    chars = "".join(sorted({c for t in texts for c in t.get_text()} | {" "}))
    with tempfile.TemporaryDirectory(prefix="geohealth-font-") as folder:
        copy = truetype_subset(source, chars, Path(folder) / "cjk.ttf")
        before = [t.get_fontproperties() for t in texts]
        try:
            for t, props in zip(texts, before, strict=True):
                swapped = props.copy()
                swapped.set_file(str(copy))
                t.set_fontproperties(swapped)
            yield
        finally:
            for t, props in zip(texts, before, strict=True):
                t.set_fontproperties(props)
