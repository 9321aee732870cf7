"""Chinese text in charts renders with the CJK font pip brings (mplfonts' Noto Sans CJK SC),
never with a system font and never as empty boxes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from insday.charts import MissingGlyphs, cjk_font, figure, font_path, missing_glyphs, png_bytes

TEXTS = "吉林保险业社会贡献白皮书 满意度调查 短视频达人榜 进学校进农村进社区进机关进企业 职场 媒体 赔款支出（亿元）"
PRIVATE_USE = "\ue000\ue001\ue002\ue003"  # no font has glyphs here: what a missing glyph looks like


def render(text: str) -> np.ndarray:
    fig = figure(3, 1, dpi=60)
    fig.text(0.05, 0.3, text, fontproperties=cjk_font(), fontsize=20)
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def test_font_comes_from_the_installed_package():
    import mplfonts

    path = font_path()
    assert path.name == "NotoSansCJKsc-Regular.otf"
    assert path.resolve().is_relative_to(Path(mplfonts.__file__).resolve().parent)
    assert cjk_font().get_name() == "Noto Sans CJK SC"


def test_every_character_we_draw_has_a_glyph():
    assert missing_glyphs(TEXTS + "0123456789.,%（）-") == []
    assert missing_glyphs(PRIVATE_USE) == sorted(PRIVATE_USE)


@pytest.mark.filterwarnings("ignore:Glyph")
def test_chinese_renders_as_glyphs_not_boxes():
    tofu = render(PRIVATE_USE)
    for word in ("吉林保险", "社会贡献", "满意度高"):
        drawn = render(word)
        assert (drawn < 128).any()  # something was drawn
        assert (drawn != tofu).any(axis=-1).sum() > 100  # and it is not a row of empty boxes
    assert (render("吉林保险") != render("社会贡献")).any()  # different characters, different shapes


def test_a_chart_with_a_missing_glyph_is_refused():
    fig = figure()
    fig.add_subplot().set_title("标题" + PRIVATE_USE[0])
    with pytest.raises(MissingGlyphs):
        png_bytes(fig)
    ok = figure()
    ok.add_subplot().set_title("各公司赔款支出（亿元）")
    assert png_bytes(ok)[:4] == b"\x89PNG"
