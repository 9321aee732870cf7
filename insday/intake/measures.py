"""Units of measure written in report headers: 参与人数（人）, 赔款支出（元）, 时长(分钟).

A header may carry its unit in a bracket after the column's name. The template's unit is
the bracket of the column's ``header`` in campaign.yaml (``赔款支出(万元)``, ``保障额度(元)``,
``时长(秒)``); a column whose header has none is a plain count (人, 步, 张 ...). A written
unit of the same kind is converted to the template's (元 -> 万元 divides by 10,000, 万人 ->
人 multiplies); one that cannot be converted (人 for 万元, 美元) is a reason to refuse the
file, never to store a figure in the wrong unit. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from insday.campaign import Column

# NFKC has already turned full-width brackets into ASCII; 【】 and 〔〕 have no ASCII form.
_BRACKET = re.compile(r"^(.+?)[(\[【〔]([^()\[\]【】〔〕]+)[)\]】〕]$")
_LABEL = re.compile(r"^(单位|计量单位)[:：]?")
_PREFIXES = {"十": 10, "百": 100, "千": 1_000, "万": 10_000, "十万": 100_000, "百万": 1_000_000,
             "千万": 10_000_000, "亿": 100_000_000}
_COUNT_WORDS = ("人", "人次", "步", "张", "幅", "条", "块", "个", "台", "处", "份", "次", "场", "篇", "票", "名", "家",
                "部", "户", "分")  # 分: score points (作品案例（分）), a plain figure like the others
NUMERIC = ("integer", "number", "duration")


@dataclass(frozen=True)
class Measure:
    name: str  # as the table spells it: 万元
    dimension: str  # money | count | time | months
    factor: Decimal  # in the dimension's base unit: 元, one, 秒, 月


@lru_cache(maxsize=1)
def _tables() -> dict[str, dict[str, Measure]]:
    def scaled(dimension: str, words, base: int = 1) -> dict[str, Measure]:
        out = {w: Measure(w, dimension, Decimal(base)) for w in words}
        for prefix, n in _PREFIXES.items():
            out[prefix] = Measure(prefix, dimension, Decimal(n))  # 金额（万）: 万元
            out.update({prefix + w: Measure(prefix + w, dimension, Decimal(n)) for w in words})
        return out

    def fixed(dimension: str, factors: dict[str, int]) -> dict[str, Measure]:
        return {w: Measure(w, dimension, Decimal(n)) for w, n in factors.items()}

    return {
        "money": scaled("money", ("元", "人民币元", "元人民币")),
        "count": scaled("count", _COUNT_WORDS),
        "time": fixed("time", {"秒": 1, "秒钟": 1, "s": 1, "sec": 1, "分": 60, "分钟": 60, "min": 60,
                               "小时": 3600, "时": 3600, "h": 3600}),
        "months": fixed("months", {"月": 1, "个月": 1, "年": 12}),
    }


def split_header(key: str) -> tuple[str, str | None]:
    """A header key (already NFKC, without spaces) as its name and the text in a trailing
    bracket: "参与人数(人)" -> ("参与人数", "人"); "步数" -> ("步数", None)."""
    m = _BRACKET.match(key)
    if not m:
        return key, None
    return m.group(1), _LABEL.sub("", m.group(2)) or None


def measure(text: str | None, dimension: str) -> Measure | None:
    """``text`` as a unit of ``dimension``, or None."""
    if not text:
        return None
    return _tables()[dimension].get(text.lower())


def known_anywhere(text: str) -> Measure | None:
    return next((m for d in _tables() if (m := measure(text, d))), None)


def template_measure(col: Column) -> Measure | None:
    """The unit the template states for a column: the bracket of its header."""
    _, inside = split_header(re.sub(r"\s+", "", col.header))
    if not inside:
        return None
    return known_anywhere(inside)


@dataclass(frozen=True)
class Scale:
    """How a column's figures are read: multiplied by ``factor``; ``problem`` refuses the file;
    ``note`` tells the submitter a conversion was made."""

    factor: Decimal = Decimal(1)
    problem: str | None = None
    note: str | None = None


def _number(value: Decimal) -> str:
    value = value.normalize()
    return f"{int(value):,}" if value == value.to_integral_value() else f"{value:f}"


def _shown(factor: Decimal) -> str:
    return f"乘以 {_number(factor)}" if factor > 1 else f"除以 {_number(1 / factor)}"


def scale_for(col: Column, written_header: str, inside: str | None) -> Scale:
    """How figures under ``written_header`` (whose bracket says ``inside``) become the
    template's unit for ``col``."""
    if inside is None or col.type not in NUMERIC:
        return Scale()  # 日期(年月日), 联系电话(手机): a bracket on a text column says nothing to convert
    template = template_measure(col)
    if template is None:
        written = measure(inside, "count")
        if written is None:
            other = known_anywhere(inside)
            if other is None:
                return Scale()  # 作品案例（30分）, 参与人数（含家属）: a remark, not a unit
            return Scale(problem=f"表头「{written_header}」的单位「{inside}」与「{col.header}」不符（应为人数、个数等），"
                                 f"无法换算。请按模板填写，表头为「{col.header}」")
        if written.factor == 1:
            return Scale()
        return Scale(written.factor, note=f"「{written_header}」列按「{inside}」填写，已换算（{_shown(written.factor)}）后保存")
    written = measure(inside, template.dimension)
    if written is None:
        return Scale(problem=f"表头「{written_header}」的单位「{inside}」无法换算为模板的「{template.name}」，"
                             f"文件未入库。请按「{template.name}」填写，表头为「{col.header}」")
    factor = written.factor / template.factor
    if factor == 1:
        return Scale()
    return Scale(factor, note=f"「{written_header}」列按「{inside}」填写，已换算为「{template.name}」（{_shown(factor)}）后保存")
