"""SVG figures as PNG, through resvg (the `resvg-py` wheel).

resvg is a self-contained renderer (Rust, in the wheel): it needs no system
library, where cairosvg needs libcairo, which a fresh Debian machine does
not have (cairocffi then fails to import). Text is set in DejaVu Sans from
its font files (fonts.py), never from whatever fonts the machine has, so a
PNG has its text on any machine and looks the same on all of them.
"""

from __future__ import annotations

import resvg_py

from . import fonts

# Journals ask for figures of 300 dpi or so: twice the SVG's pixel size
# gives a 900 px wide diagram 1,800 px.
DEFAULT_SCALE = 2


def svg_to_png(svg: str, scale: float = DEFAULT_SCALE) -> bytes:
    return bytes(resvg_py.svg_to_bytes(
        svg_string=svg, zoom=scale, background="#ffffff", skip_system_fonts=True,
        font_files=fonts.font_files(), font_family=fonts.FONT_NAME,
        sans_serif_family=fonts.FONT_NAME))
