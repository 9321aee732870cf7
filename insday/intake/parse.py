"""From raw sheets to typed records: find the header, work out the report type, convert
every cell, and work out the file's unit and period.

Tolerates what real submitters do: title rows above the header, spaces and full-width
characters in headers, totals rows, extra columns. Conversion problems become issues;
nothing here touches the database.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from insday.campaign import Campaign, Column, ReportType, text_key
from insday.intake import normalize as nz
from insday.intake.files import is_bundle
from insday.intake.issues import ParsedFile, cell_issue
from insday.intake.measures import Scale, scale_for, split_header
from insday.intake.media import parse_zip
from insday.intake.read import Sheet, Unreadable, read_sheets
from insday.steps.records import first_line_of, is_header
from insday.units import UnitMatcher

HEADER_SCAN_ROWS = 20
_TOTAL_ROW = {"合计", "总计", "小计"}
_NOTE_ROW = re.compile(r"^(注|说明|备注|填表人|填报人|审核人|制表|联系人[:：])")


def header_key(text) -> str:
    """A header as compared: NFKC, no spaces, lower case, without a required-marker (``*``,
    ``(必填)``) or a trailing colon (``日期：``)."""
    key = text_key(text or "").rstrip(":")
    return re.sub(r"^\*|\*$|\(必填\)$", "", key).rstrip(":")


@dataclass
class _Header:
    report_type: ReportType
    sheet: Sheet
    index: int  # 0-based row index of the header
    columns: dict[int, Column]  # cell position -> column
    unknown: list[str]
    duplicated: list[str]
    units: dict[int, str | None] = field(default_factory=dict)  # cell position -> the unit its bracket names


class Parser:
    """Parses files for one campaign. Build once, use for a whole batch."""

    def __init__(self, campaign: Campaign):
        self.campaign = campaign
        self.matcher = UnitMatcher(list(campaign.units), campaign.province)
        self.tables = [rt for rt in campaign.report_types.values() if rt.kind == "table"]
        self._lookup = {
            rt.key: {header_key(h): c for c in rt.columns for h in (c.header, *c.aliases)} for rt in self.tables
        }
        # Headers without their unit bracket ("赔款支出(万元)" -> 赔款支出): "赔款支出(元)" is the
        # same column in another unit. A name two columns share is left out (never a guess).
        self._bare: dict[str, dict[str, Column]] = {}
        for rt in self.tables:
            names: dict[str, set[str]] = {}
            for key, col in self._lookup[rt.key].items():
                names.setdefault(split_header(key)[0], set()).add(col.key)
            by_key = {c.key: c for c in rt.columns}
            self._bare[rt.key] = {n: by_key[next(iter(ks))] for n, ks in names.items() if len(ks) == 1}
        with_association = [*campaign.units, campaign.association_unit]
        self.matcher_with_association = UnitMatcher(with_association, campaign.province)

    def _column(self, rt: ReportType, key: str) -> tuple[Column | None, str | None]:
        """The column a header key names, and the unit in its bracket (None: none given)."""
        bare, inside = split_header(key)
        col = self._lookup[rt.key].get(key) or self._bare[rt.key].get(bare)
        return col, inside if col else None

    # ----- header ---------------------------------------------------------

    def _find_header(self, sheets: list[Sheet]) -> _Header | list[tuple[ReportType, set[str]]]:
        best: list[tuple[int, _Header]] = []
        near: dict[str, tuple[tuple, ReportType, set[str]]] = {}
        for sheet in sheets:
            for index, row in enumerate(sheet.rows[:HEADER_SCAN_ROWS]):
                keys = [header_key(v) if isinstance(v, str) else "" for v in row]
                if sum(1 for k in keys if k) < 2:
                    continue
                for rt in self.tables:
                    columns: dict[int, Column] = {}
                    units: dict[int, str | None] = {}
                    seen: Counter = Counter()
                    for pos, k in enumerate(keys):
                        col, inside = self._column(rt, k) if k else (None, None)
                        if col is not None:
                            columns[pos], units[pos] = col, inside
                            seen[col.key] += 1
                    found = set(seen)
                    required = {c.key for c in rt.columns if c.required}
                    if not required <= found or len(found) < 2:
                        prev = near.get(rt.key)
                        rank = (len(found), -len(required - found))
                        if len(found) >= 2 and (prev is None or rank > prev[0]):
                            near[rt.key] = (rank, rt, required - found)
                        continue
                    dup = [c.header for c in rt.columns if seen[c.key] > 1]
                    unknown = [str(row[p]).strip() for p, k in enumerate(keys) if k and p not in columns]
                    best.append((len(found), _Header(rt, sheet, index, columns, unknown, dup, units)))
            if best:
                break  # the first sheet holding a header wins (templates put data first)
        if not best:
            return [(rt, missing) for _, rt, missing in sorted(near.values(), key=lambda t: t[0], reverse=True)]
        best.sort(key=lambda t: (-t[0], t[1].index))
        return best[0][1]

    # ----- cells ----------------------------------------------------------

    def _convert(self, col: Column, raw, notes: dict[str, str], scale: Scale | None = None):
        """The typed value (figures in the template's unit), or raise BadValue."""
        factor = scale.factor if scale else 1
        if col.type == "integer":
            if factor == 1:
                return nz.parse_integer(raw)
            number = nz.parse_number(raw) * factor
            if number != number.to_integral_value():
                raise nz.BadValue(f"按表头的单位换算后为 {number.normalize():f}，不是整数", "请按模板的单位填写整数")
            return int(number)
        if col.type == "number":
            return nz.parse_number(raw) * factor if factor != 1 else nz.parse_number(raw)
        if col.type == "duration":
            return nz.parse_seconds(raw, factor)
        if col.type == "date":
            return nz.parse_date(raw, self.campaign.year)
        if col.type == "datetime":
            return nz.parse_datetime(raw, self.campaign.year, self.campaign.tz)
        text = nz.clean_text(raw)
        if col.type == "unit":
            match = (self.matcher_with_association if col.association else self.matcher).resolve(text)
            if match.code is None:
                raise nz.BadValue(match.problem, match.fix)
            if match.note:
                notes[text] = match.note
            return match.code
        if col.type == "choice":
            wanted = {text_key(c): c for c in col.choices or ()}
            wanted.update({text_key(a): c for a, c in col.choice_aliases.items()})
            if text_key(text) not in wanted:
                raise nz.BadValue("不是可选的值", f"请从下拉列表中选择：{'、'.join(col.choices)}")
            return wanted[text_key(text)]
        return text

    # ----- the file -------------------------------------------------------

    def parse(self, path: Path, data: bytes, filename: str | None = None) -> ParsedFile:
        """A received file: a sheet, or a zip (a report with its photos and videos, or a bundle)."""

        if is_bundle(filename or path.name):
            return parse_zip(self, path, data, filename or path.name)
        return self.parse_table(path, data, filename)

    def parse_table(self, path: Path, data: bytes, filename: str | None = None) -> ParsedFile:
        """A sheet (xlsx, xls, CSV): its report type, typed rows, unit and period."""
        out = ParsedFile(path=path, filename=filename or path.name)
        if is_header(first_line_of(data)):
            out.error("这是全国平台导出的捐步记录，不是报表：请放入收件箱（自动导入步数），"
                      "或用 insday steps import 导入")
            return out
        try:
            sheets = read_sheets(path, data)
        except Unreadable as exc:
            out.error(str(exc))
            return out
        found = self._find_header(sheets)
        if isinstance(found, list):
            if found and found[0][1]:
                rt, missing = found[0]
                names = "」「".join(c.header for c in rt.columns if c.key in missing)
                out.error(f"表头缺少「{names}」列，无法识别为「{rt.title}」报表。"
                          f"请使用协会下发的模板，表头应为：{'、'.join(rt.headers)}")
            else:
                out.error("未找到可识别的表头。请使用协会下发的报表模板，不要修改表头文字")
            return out

        rt = found.report_type
        out.report_type = rt.key
        out.headers = {c.key: c.header for c in rt.columns}
        header_row = found.index + 1
        for name in found.duplicated:
            out.error(f"「{name}」列出现了不止一次，请删除多余的列", header_row, name)
        for name in found.unknown:
            out.warn(f"无法识别的列「{name}」已忽略", header_row, name)
        scales: dict[str, Scale] = {}
        for pos, col in found.columns.items():
            written = str(found.sheet.rows[found.index][pos]).strip()
            scale = scales[col.key] = scale_for(col, written, found.units.get(pos))
            if scale.problem:
                out.error(scale.problem, header_row, written)
            elif scale.note:
                out.warn(scale.note, header_row, written)

        notes: dict[str, str] = {}
        for index in range(found.index + 1, len(found.sheet.rows)):
            row = found.sheet.rows[index]
            excel_row = index + 1
            cells = {c.key: row[p] if p < len(row) else None for p, c in found.columns.items()}
            filled = [v for v in cells.values() if not nz.is_blank(v)]
            if not filled:
                continue
            first = nz.clean_text(filled[0]) or ""
            if text_key(first) in _TOTAL_ROW:
                out.warn("合计行已忽略（合计由系统计算）", excel_row)
                continue
            if len(filled) == 1 and _NOTE_ROW.match(first):
                continue
            record: dict = {"_row": excel_row}
            for col in found.columns.values():
                raw = cells[col.key]
                if nz.is_blank(raw):
                    record[col.key] = None
                    continue
                try:
                    record[col.key] = self._convert(col, raw, notes, scales.get(col.key))
                except nz.BadValue as bad:
                    record[col.key] = None
                    record.setdefault("_bad", set()).add(col.key)
                    out.issues.append(cell_issue("error", out.filename, excel_row, col.header, raw,
                                                 bad.problem, bad.fix))
            out.records.append(record)
        for note in notes.values():
            out.warn(note)
        if not out.records:
            out.error("表头下没有数据行，请填写后重新报送", header_row)
            return out

        self._file_unit(out, rt, found)
        self._file_period(out, rt)
        return out

    def _file_unit(self, out: ParsedFile, rt: ReportType, found: _Header) -> None:
        if rt.unit == "none":
            out.unit = self.campaign.association.code
            return
        col = rt.unit_column
        codes = sorted({r[col.key] for r in out.records if r.get(col.key)})
        if rt.unit == "title_or_column":
            titled = self._title_unit(out, rt, found)
            if titled and codes and codes != [titled]:
                out.error(f"表头上方的{rt.unit_label}与「{col.header}」列不一致，请核对")
            codes = [titled] if titled else codes
            if not codes and not any(col.key in r.get("_bad", ()) for r in out.records):
                out.error(f"未填写{rt.unit_label}。请在表头上方「{rt.unit_label}：」后填写贵单位名称")
                return
        if len(codes) > 1:
            names = "、".join(self.matcher_with_association.units[c].name for c in codes)
            out.error(f"文件中出现了多个单位（{names}）。每个文件只报送一个单位的数据，请分开报送")
        elif codes:
            out.unit = codes[0]
            for r in out.records:
                if r.get(col.key) is None and col.key not in r.get("_bad", ()):
                    r[col.key] = out.unit  # rows inherit the unit named above the header

    def _title_unit(self, out: ParsedFile, rt: ReportType, found: _Header) -> str | None:
        label = rt.unit_label or ""
        pattern = re.compile(r"^\s*" + r"\s*".join(map(re.escape, label)) + r"\s*[:：]?\s*(.*?)\s*$")
        for index, row in enumerate(found.sheet.rows[: found.index]):
            for pos, value in enumerate(row):
                m = pattern.match(value) if isinstance(value, str) else None
                if not m:
                    continue
                written = m.group(1)
                if not written:
                    written = next((nz.clean_text(v) for v in row[pos + 1:] if not nz.is_blank(v)), None)
                if not written:
                    return None
                match = self.matcher.resolve(written)
                if match.code is None:
                    out.issues.append(cell_issue("error", out.filename, index + 1, label, written,
                                                 match.problem, match.fix))
                elif match.note:
                    out.warn(match.note, index + 1)
                return match.code
        return None

    def _file_period(self, out: ParsedFile, rt: ReportType) -> None:
        if rt.period == "none":
            return
        days = sorted({r[rt.period] for r in out.records if r.get(rt.period)})
        if len(days) > 1:
            shown = "、".join(f"{d.month}月{d.day}日" for d in days[:6])
            header = out.headers[rt.period]
            out.error(f"「{header}」列包含多个日期（{shown}）。每个文件只报送一天的数据，请按日期分开报送")
        elif days:
            out.period = days[0]
