"""The font of the figures: DejaVu Sans, measured and rendered.

Server-drawn SVG has to know how wide a text is to wrap it inside a box or
to keep a chart label from being clipped, and a PNG needs a font file to
draw text at all (a fresh Debian machine has none). Both use DejaVu Sans
from matplotlib's package data, a well-kept wheel that needs no system
library; widths come from the font's own advance widths (fontTools, which
matplotlib installs). Figures name DejaVu Sans first and Arial / Helvetica
after it: where a browser lacks DejaVu Sans those are narrower, so a text
measured to fit still fits.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

FAMILY = "'DejaVu Sans', Arial, Helvetica, sans-serif"
FONT_NAME = "DejaVu Sans"


@functools.cache
def font_dir() -> Path:
    # find_spec does not import matplotlib (and numpy): only its files are used.
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib (which carries the DejaVu Sans font) is not installed")
    return Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf"


def font_files() -> list[str]:
    return [str(font_dir() / name) for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")]


@functools.cache
def _advances(bold: bool) -> tuple[dict[int, int], int, int]:
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_dir() / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")),
                  lazy=True)
    metrics = font["hmtx"].metrics
    widths = {code: metrics[glyph][0] for code, glyph in font.getBestCmap().items()}
    fallback = metrics[".notdef"][0]
    return widths, fallback, font["head"].unitsPerEm


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in px of `text` set in DejaVu Sans at `size` px (no kerning,
    which only narrows it)."""
    widths, fallback, units = _advances(bold)
    return sum(widths.get(ord(ch), fallback) for ch in text) * size / units


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """`text` in lines no wider than `width` px, broken at spaces (never at
    a no-break space; a word wider than a line is broken where it must be)."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if not word:
            continue
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, size, bold) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while text_width(word, size, bold) > width:
            cut = len(word)
            while cut > 1 and text_width(word[:cut], size, bold) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line or not lines:
        lines.append(line)
    return lines


def truncate(text: str, width: float, size: float, bold: bool = False) -> str:
    """`text`, shortened with an ellipsis to fit `width` px."""
    if text_width(text, size, bold) <= width:
        return text
    while text and text_width(text + "…", size, bold) > width:
        text = text[:-1]
    return text.rstrip() + "…"
