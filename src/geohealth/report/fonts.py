"""A font with Chinese glyphs for print maps, and a check that every character has one.

Matplotlib's default font (DejaVu Sans) has no Chinese glyphs: without a CJK font, township
names print as empty boxes. geohealth depends on ``noto-cjk-sans-otc`` (Noto Sans CJK under
the SIL Open Font License, from PyPI), so ``pip install geohealth`` is enough on a machine with
no Chinese fonts, and every machine prints the same letters. :func:`cjk_font` takes its
Simplified Chinese face; when that package is missing it falls back to the machine's fonts (in
order of preference) and otherwise says how to install one. :func:`missing_glyphs` lists
characters a font cannot draw.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from matplotlib import font_manager
from matplotlib.font_manager import FontPath
from matplotlib.ft2font import FT2Font

from geohealth.errors import GeohealthError

log = logging.getLogger(__name__)

#: Font families with Simplified Chinese glyphs, most preferred first.
PREFERRED = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Droid Sans Fallback",
)

#: Characters a font must have to count as a Chinese font (a sample of common ones).
PROBE = "乡镇卫生院覆盖率分钟人口图例比例尺"


class FontError(GeohealthError):
    """No font with Chinese glyphs is available."""


def missing_glyphs(text: str, path: str | Path) -> list[str]:
    """List the characters of ``text`` (not spaces) the font at ``path`` has no glyph for.

    Parameters
    ----------
    text
        Text to draw.
    path
        A TrueType/OpenType font file; a :class:`~matplotlib.font_manager.FontPath` names
        one face of a ``.ttc`` collection (a plain path: its first face).

    Returns
    -------
    list of str
        The characters without a glyph, in order of first appearance.
    """
    font = FT2Font(str(path), face_index=getattr(path, "face_index", 0))
    missing: list[str] = []
    for char in dict.fromkeys(text):
        if not char.isspace() and font.get_char_index(ord(char)) == 0:
            missing.append(char)
    return missing


def _packaged() -> list[FontPath]:
    """Find the Simplified Chinese face of the Noto Sans CJK collection from PyPI, if installed."""
    try:
        import noto_cjk_sans_otc
    except ImportError:
        return []
    path = str(noto_cjk_sans_otc.FONT_PATH)
    faces = FT2Font(path).num_faces
    for index in range(faces):
        if FT2Font(path, face_index=index).family_name == PREFERRED[0]:
            return [FontPath(path, index)]
    return []


def _system() -> list[FontPath]:
    """List the machine's fonts of the :data:`PREFERRED` families, most preferred first."""
    by_name: dict[str, str] = {}
    for entry in font_manager.fontManager.ttflist:
        by_name.setdefault(entry.name, entry.fname)
    known = {str(f) for f in by_name.values()}
    for fname in font_manager.findSystemFonts():  # fonts installed since matplotlib's cache
        if fname not in known:
            try:
                by_name.setdefault(FT2Font(fname).family_name, fname)
            except (OSError, RuntimeError):
                continue
    return [
        found if isinstance(found, FontPath) else FontPath(found, 0)
        for found in (by_name[name] for name in PREFERRED if name in by_name)
    ]


@cache
def cjk_font() -> FontPath:
    """Find a font that draws Chinese text.

    Returns
    -------
    matplotlib.font_manager.FontPath
        The font file and face (registered with matplotlib); pass it as
        ``FontProperties(fname=...)`` as it is (``str()`` would drop the face).

    Raises
    ------
    FontError
        If neither an installed package nor the machine has one; says how to install one.
    """
    for source in (_packaged, _system):  # the machine's fonts are only scanned when needed
        for font in source():
            if not missing_glyphs(PROBE, font):
                font_manager.fontManager.addfont(font)
                log.debug("CJK font: %s", font)
                return font
    msg = (
        "no font with Chinese glyphs found for print maps — reinstall geohealth (it brings "
        "'noto-cjk-sans-otc'), or 'apt install fonts-noto-cjk' (Debian/Ubuntu)"
    )
    raise FontError(msg)
