"""A font with Chinese glyphs for print maps, and a check that every character has one.

Matplotlib's default font (DejaVu Sans) has no Chinese glyphs: without a CJK font, township
names print as empty boxes. :func:`cjk_font` finds one among the machine's fonts (in order of
preference), then among the fonts the ``mplfonts`` package ships, and otherwise says how to
install one. :func:`missing_glyphs` lists characters a font cannot draw.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from matplotlib import font_manager
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
        A TrueType/OpenType font file (a ``.ttc`` collection: its first font).

    Returns
    -------
    list of str
        The characters without a glyph, in order of first appearance.
    """
    font = FT2Font(str(path))
    missing: list[str] = []
    for char in dict.fromkeys(text):
        if not char.isspace() and font.get_char_index(ord(char)) == 0:
            missing.append(char)
    return missing


def _packaged() -> list[Path]:
    """List the font files the ``mplfonts`` package ships, when it is installed."""
    try:
        import mplfonts
    except ImportError:
        return []
    folder = Path(mplfonts.__file__).parent / "fonts"
    return sorted(folder.glob("NotoSansCJK*.otf"))


@cache
def cjk_font() -> Path:
    """Find a font file that draws Chinese text.

    Returns
    -------
    pathlib.Path
        The font file (registered with matplotlib).

    Raises
    ------
    FontError
        If neither the machine nor an installed package has one; says how to install one.
    """
    by_name = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for fname in font_manager.findSystemFonts():  # fonts installed since matplotlib's cache
        if fname not in by_name.values():
            try:
                by_name.setdefault(FT2Font(fname).family_name, fname)
            except (OSError, RuntimeError):
                continue
    candidates = [Path(by_name[name]) for name in PREFERRED if name in by_name]
    candidates += _packaged()
    for path in candidates:
        if not missing_glyphs(PROBE, path):
            font_manager.fontManager.addfont(str(path))
            log.debug("CJK font: %s", path)
            return path
    msg = (
        "no font with Chinese glyphs found for print maps — install one: "
        "'apt install fonts-noto-cjk' (Debian/Ubuntu), or 'pip install mplfonts'"
    )
    raise FontError(msg)
