"""Blank report templates (xlsx) for member units, generated from the campaign definition.

Each workbook has the data sheet first (Chinese headers, typed cells, drop-downs),
an instructions sheet, and a hidden sheet with the lists the drop-downs use.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from insday.campaign import Campaign, Column, ReportType
from insday.deadlines import registry

DATA_SHEET = "填报表"
HELP_SHEET = "填报说明"
LIST_SHEET = "下拉列表"
BLANK_ROWS = {"daily_report": 20, "indicators": 5}
DEFAULT_ROWS = 200
TYPE_TITLES = {"text": "文本", "integer": "整数", "number": "数字", "date": "日期（如 2019-06-26）",
               "datetime": "日期时间（如 2019-04-12 10:23）", "unit": "单位名称（下拉选择）", "choice": "下拉选择",
               "duration": "秒数（如 45，也可写 0:45、45秒）"}
FORMATS = {"integer": "0", "number": "#,##0.00", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm",
           "text": "@", "unit": "@", "choice": "@", "duration": "@"}  # 1:05 typed stays text, not a clock time
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="999999")


def template_filename(rt: ReportType) -> str:
    return f"{rt.title}_模板.xlsx"


def due_text(campaign: Campaign, rt: ReportType) -> str:
    deadlines = [d for d in registry(campaign) if d.report_type == rt.key]
    if not deadlines:
        return "随时报送"
    if len(deadlines) > 1 and all(d.period for d in deadlines):
        first, last = deadlines[0], deadlines[-1]
        return (f"{first.period:%m月%d日}至{last.period:%m月%d日}每天报送，"
                f"截止时间为次日 {campaign.local(first.due):%H:%M}")
    return "、".join(f"{campaign.local(d.due):%Y年%m月%d日 %H:%M}前" for d in deadlines)


def _validation(col: Column, rt: ReportType, campaign: Campaign, unit_range: str) -> DataValidation | None:
    def dv(**kw):
        v = DataValidation(allow_blank=not col.required, showErrorMessage=True, errorTitle="填写有误", **kw)
        return v

    if col.type == "unit":
        v = dv(type="list", formula1=unit_range)
        v.error = "请从下拉列表中选择单位名称"
    elif col.type == "choice":
        v = dv(type="list", formula1='"' + ",".join(col.choices or ()) + '"')
        v.error = "请从下拉列表中选择：" + "、".join(col.choices or ())
    elif col.type == "integer":
        v = dv(type="whole", operator="greaterThanOrEqual", formula1="0")
        v.error = "请填写不小于 0 的整数"
    elif col.type == "number":
        maximum = next((c.max for c in campaign.essays.rubric if c.key == col.key), None) \
            if rt.key == "scoring_sheet" else None
        if maximum is not None:
            v = dv(type="decimal", operator="between", formula1="0", formula2=str(maximum))
            v.error = f"「{col.header}」满分 {maximum:g} 分，请填写 0 至 {maximum:g} 之间的分数"
        else:
            v = dv(type="decimal", operator="greaterThanOrEqual", formula1="0")
            v.error = "请填写不小于 0 的数字"
    elif col.type == "date" and rt.window:
        days = campaign.window_days(rt.window)
        v = dv(type="date", operator="between", formula1=f"DATE({days[0]:%Y},{days[0].month},{days[0].day})",
               formula2=f"DATE({days[-1]:%Y},{days[-1].month},{days[-1].day})")
        v.error = f"日期须在 {days[0]:%Y-%m-%d} 至 {days[-1]:%Y-%m-%d} 之间"
    else:
        return None
    return v


def _lists_sheet(book: Workbook, campaign: Campaign, rt: ReportType) -> str:
    ws = book.create_sheet(LIST_SHEET)
    ws.sheet_state = "hidden"
    # Reports the association sends name any member (a video's creator); claimants are companies.
    who = {"claimants": "companies", "association": "members"}.get(rt.who, rt.who)
    names = [u.name for u in campaign.members(who)]
    if rt.association_may_report:
        names.append(campaign.association.name)  # the association's own activities
    ws["A1"] = "单位名称"
    for i, name in enumerate(names, start=2):
        ws.cell(row=i, column=1, value=name)
    return f"{LIST_SHEET}!$A$2:$A${len(names) + 1}"


def _help_sheet(book: Workbook, campaign: Campaign, rt: ReportType) -> None:
    ws = book.create_sheet(HELP_SHEET)
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 10
    ws.column_dimensions["C"].width = 26
    ws.column_dimensions["D"].width = 60
    ws["A1"] = f"{campaign.title} · {rt.title} 填报说明"
    ws["A1"].font = Font(bold=True, size=14)
    lines = [
        ("报送时间", due_text(campaign, rt)),
        ("报送方式", f"填写「{DATA_SHEET}」工作表后，以附件形式发送至 {campaign.association.email}"
                 f"（{campaign.association.name} {campaign.association.contact}，电话 {campaign.association.phone}）。"),
        ("回执", "系统收到文件后会自动回复邮件，告知已受理，或列出需要修改的行、列和修改方法。"),
        ("重新报送", "发现错误可修改后重新发送，以最后一次通过校验的文件为准。"),
    ]
    lines += [("注意事项", text) for text in rt.instructions]
    row = 3
    for label, text in lines:
        ws.cell(row=row, column=1, value=label).font = Font(bold=True)
        ws.cell(row=row, column=2, value=text)
        row += 1
    row += 1
    if rt.kind == "bundle":
        for i, head in enumerate(("材料", "必交", "文件"), start=1):
            ws.cell(row=row, column=i, value=head).font = Font(bold=True)
        for part in rt.parts:
            row += 1
            ws.cell(row=row, column=1, value=part.title)
            ws.cell(row=row, column=2, value="是" if part.required else "否")
            ws.cell(row=row, column=3, value=part.hint or "、".join(part.patterns + part.link_patterns))
        return
    for i, head in enumerate(("列名", "必填", "填写格式", "说明"), start=1):
        ws.cell(row=row, column=i, value=head).font = Font(bold=True)
    for col in rt.columns:
        if col.optional_column:
            continue
        row += 1
        ws.cell(row=row, column=1, value=col.header)
        ws.cell(row=row, column=2, value="是" if col.required else "否")
        ws.cell(row=row, column=3, value=TYPE_TITLES[col.type])
        note = "可选：" + "、".join(col.choices) if col.choices else ""
        if col.aliases:
            note = (note + "；" if note else "") + "也可写作：" + "、".join(col.aliases)
        ws.cell(row=row, column=4, value=note)


def build_template(campaign: Campaign, rt: ReportType) -> Workbook:
    book = Workbook()
    ws = book.active
    ws.title = DATA_SHEET
    _help_sheet(book, campaign, rt)
    unit_range = _lists_sheet(book, campaign, rt)
    if rt.kind == "bundle":
        ws["A1"] = f"{rt.title}：请按「{HELP_SHEET}」打包材料报送，本表无需填写"
        return book

    columns = [c for c in rt.columns if not c.optional_column]
    top = 1
    if rt.unit == "title_or_column":
        ws["A1"] = rt.title
        ws["A1"].font = Font(bold=True, size=14)
        ws["A2"] = f"{rt.unit_label}："
        ws["A2"].font = Font(bold=True)
        ws.merge_cells(start_row=2, start_column=2, end_row=2, end_column=4)
        picker = DataValidation(type="list", formula1=unit_range, showErrorMessage=True,
                                errorTitle="填写有误", error="请从下拉列表中选择单位名称")
        ws.add_data_validation(picker)
        picker.add("B2")
        top = 3
    prefill = _prefill(campaign, rt)
    last = top + max(len(prefill), BLANK_ROWS.get(rt.key, DEFAULT_ROWS))
    for i, col in enumerate(columns, start=1):
        cell = ws.cell(row=top, column=i, value=col.header)
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=_THIN, bottom=_THIN, left=_THIN, right=_THIN)
        letter = get_column_letter(i)
        width = {"text": 16, "date": 13, "unit": 34, "datetime": 18}.get(col.type, 11)
        ws.column_dimensions[letter].width = max(width, len(col.header) * 2 + 2)
        rule = _validation(col, rt, campaign, unit_range)
        if rule is not None:
            rule.prompt = f"{col.header}：{TYPE_TITLES[col.type]}" + ("（必填）" if col.required else "")
            rule.showInputMessage = True
            ws.add_data_validation(rule)
            rule.add(f"{letter}{top + 1}:{letter}{last}")
        for r in range(top + 1, last + 1):
            ws.cell(row=r, column=i).number_format = FORMATS[col.type]
    for r, values in enumerate(prefill, start=top + 1):
        for i, col in enumerate(columns, start=1):
            if col.key in values:
                ws.cell(row=r, column=i, value=values[col.key])
    ws.freeze_panes = ws.cell(row=top + 1, column=1)
    return book


def _prefill(campaign: Campaign, rt: ReportType) -> list[dict]:
    """Rows the template already holds: the scoring sheet lists every essay."""
    if rt.key == "scoring_sheet":
        return [{"essay_id": e.id, "title": e.title, "category": e.category} for e in campaign.essay_list]
    return []


def write_templates(campaign: Campaign, out: Path, only: list[str] | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for key, rt in campaign.report_types.items():
        if only and key not in only:
            continue
        path = out / template_filename(rt)
        build_template(campaign, rt).save(path)
        written.append(path)
    return written
