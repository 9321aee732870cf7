"""Workbooks people open in Excel: one sheet per table, bold frozen header, number
formats, sensible widths; text is always text (a value starting with = + - @ written
by a submitter never becomes a formula)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

MONEY = "#,##0.00"
INTEGER = "#,##0"
SCORE = "0.00"
PERCENT = "0.0%"
DATE = "yyyy-mm-dd"


@dataclass
class Table:
    title: str  # the sheet name (at most 31 characters)
    headers: list[str]
    rows: list[list]
    formats: dict[int, str] = field(default_factory=dict)  # column index -> number format
    note: str | None = None  # a line under the table, e.g. what the figures cover


def write_workbook(path: Path, tables: list[Table]) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        ws = book.create_sheet(table.title[:31])
        ws.append(table.headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        widths = [len(h) * 2 + 2 for h in table.headers]
        for r, row in enumerate(table.rows, start=2):
            for c, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=c, value=float(value) if isinstance(value, Decimal) else value)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula
                    widths[c - 1] = max(widths[c - 1], min(60, len(value) * 2))
                if c - 1 in table.formats:
                    cell.number_format = table.formats[c - 1]
        if table.note:
            ws.cell(row=len(table.rows) + 3, column=1, value=table.note).data_type = "s"
        for c, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = max(8, min(60, width))
        ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
