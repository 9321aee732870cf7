"""Match the name a submitter wrote to a member unit: code, full name or short name.

Never guesses: a name that fits several units is an error naming them all.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from insday.campaign import Unit, text_key

_NOISE = re.compile(r"[()（）【】\[\]《》\"'“”·.。,，-]")


@lru_cache(maxsize=16)
def _suffixes(province: str | None) -> re.Pattern:
    """Stripped from both sides before comparing, longest first: the company form and the
    branch of the campaign's province (campaign.yaml ``province``, e.g. 吉林 -> 吉林省分公司)."""
    local = [f"{province}省分公司", f"{province}分公司", f"{province}省", province] if province else []
    branches = "|".join(re.escape(b) for b in (*local, "省分公司", "分公司"))
    return re.compile(rf"(股份有限公司|有限责任公司|有限公司)?({branches})?$")


def _core(text: str, province: str | None = None) -> str:
    key = _NOISE.sub("", text_key(text))
    suffixes = _suffixes(province)
    for _ in range(2):
        key = suffixes.sub("", key) or key
    return key


@dataclass(frozen=True)
class Match:
    code: str | None
    problem: str | None = None
    fix: str | None = None
    note: str | None = None  # accepted, but worth telling the submitter


class UnitMatcher:
    def __init__(self, units: list[Unit], province: str | None = None):
        self.units = {u.code: u for u in units}
        self.province = province
        self._exact: dict[str, set[str]] = defaultdict(set)
        self._core: dict[str, set[str]] = defaultdict(set)
        for u in units:
            for name in {u.code, u.name, u.display_name, *u.short_names}:
                self._exact[text_key(name)].add(u.code)
                self._core[_core(name, province)].add(u.code)

    def resolve(self, written: str) -> Match:
        key = text_key(written)
        if not key:
            return Match(None, "为空", "请填写单位名称")
        for table, probe in ((self._exact, key), (self._core, _core(written, self.province))):
            codes = table.get(probe)
            if codes and len(codes) == 1:
                return Match(next(iter(codes)))
            if codes:
                return self._ambiguous(written, codes)
        core = _core(written, self.province)
        if len(core) >= 2:
            codes = {c for name, cs in self._core.items() if core in name for c in cs}
            if len(codes) == 1:
                code = next(iter(codes))
                return Match(code, note=f"单位名称「{written}」按简称识别为「{self.units[code].name}」，请核对")
            if codes:
                return self._ambiguous(written, codes)
        close = difflib.get_close_matches(core, list(self._core), n=3, cutoff=0.6)
        names = sorted({self.units[c].name for k in close for c in self._core[k]})
        hint = f"您是不是要填：{'、'.join(names)}？" if names else ""
        return Match(None, "不在会员单位名单中", f"请从模板的下拉列表中选择单位名称，或填写单位全称。{hint}")

    def find_in(self, text: str) -> Match:
        """The one unit named somewhere inside ``text`` (a file or folder name such as
        "人保财险7.8活动总结"): by full name, short name, their cores, or code as a token.
        A name inside a longer name of another unit does not count; several units is a problem,
        none is ``Match(None)`` with no problem."""
        key = text_key(text)
        spans: list[tuple[int, int, str]] = []
        for table in (self._exact, self._core):
            for name, codes in table.items():
                if len(codes) != 1 or len(name) < 3 or name.isascii():
                    continue
                start = key.find(name)
                while start >= 0:
                    spans.append((start, start + len(name), next(iter(codes))))
                    start = key.find(name, start + 1)
        for code in self.units:
            for m in re.finditer(rf"(?<![a-z0-9]){re.escape(code.lower())}(?![a-z0-9])", key):
                spans.append((m.start(), m.end(), code))
        kept = {c for s, e, c in spans
                if not any(c2 != c and s2 <= s and e <= e2 and e2 - s2 > e - s for s2, e2, c2 in spans)}
        if len(kept) == 1:
            return Match(kept.pop())
        return self._ambiguous(text, kept) if kept else Match(None)

    def _ambiguous(self, written: str, codes: set[str]) -> Match:
        names = "、".join(self.units[c].name for c in sorted(codes))
        return Match(None, f"可能指多家单位（{names}）",
                     "无法确定是哪一家，请填写单位全称或从模板的下拉列表中选择")
