"""Charts with Chinese text, the same on every machine.

The font is Noto Sans CJK SC from the ``mplfonts`` package (installed by pip with
insday), registered with matplotlib's font manager by file path: no system font is
ever assumed. Figures are plain ``matplotlib.figure.Figure`` objects on the Agg canvas
(no pyplot, no global figure state), and a glyph the font lacks is an error when the
chart is saved, never an empty box in a published chart.

    from insday.charts import figure, save_png
    fig = figure()
    ax = fig.add_subplot()
    ax.bar(["人保财险", "国寿财险"], [3, 2])
    ax.set_title("各公司赔款支出（亿元）")
    save_png(fig, out / "claims.png")
"""

from __future__ import annotations

import io
import warnings
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

FONT_PACKAGE = "mplfonts"
FONT_FILE = "NotoSansCJKsc-Regular.otf"


class MissingGlyphs(RuntimeError):
    """A chart holds characters the CJK font cannot draw."""


@lru_cache(maxsize=1)
def font_path() -> Path:
    """The Noto Sans CJK SC font file shipped inside the mplfonts package."""
    path = Path(str(files(FONT_PACKAGE) / "fonts" / FONT_FILE))
    if not path.is_file():
        raise FileNotFoundError(f"{FONT_FILE} not found in the {FONT_PACKAGE} package ({path}); "
                                f"reinstall it: pip install --force-reinstall {FONT_PACKAGE}")
    return path


@lru_cache(maxsize=1)
def cjk_font() -> FontProperties:
    """Register the CJK font with matplotlib (once per process), make it the default
    sans-serif font, and return its FontProperties."""
    # lazy: matplotlib costs about 0.4 s; the flows load without it (tests/test_flows.py), only drawing needs it
    import matplotlib
    from matplotlib import font_manager

    path = str(font_path())
    font_manager.fontManager.addfont(path)
    props = font_manager.FontProperties(fname=path)
    name = props.get_name()
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [name, *[f for f in matplotlib.rcParams["font.sans-serif"] if f != name]]
    matplotlib.rcParams["axes.unicode_minus"] = False  # the font's minus sign, not U+2212
    return props


def missing_glyphs(text: str) -> list[str]:
    """Characters of ``text`` the CJK font has no glyph for (whitespace ignored)."""
    # lazy: matplotlib costs about 0.4 s; the flows load without it (tests/test_flows.py), only drawing needs it
    from matplotlib.ft2font import FT2Font

    font = FT2Font(str(font_path()))
    return sorted({c for c in text if not c.isspace() and font.get_char_index(ord(c)) == 0})


def figure(width: float = 8.0, height: float = 4.5, dpi: int = 150) -> Figure:
    """A new figure on the Agg canvas, drawn with the CJK font, constrained layout."""
    # lazy: matplotlib costs about 0.4 s; the flows load without it (tests/test_flows.py), only drawing needs it
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    cjk_font()
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG; MissingGlyphs if any text could not be drawn with the font."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(buffer, format="png", metadata={"Software": None})  # the same bytes for the same figure
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    if missing:
        raise MissingGlyphs("; ".join(dict.fromkeys(missing)))
    return buffer.getvalue()


def save_png(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(fig))
    return path
