"""Workbooks people open in Excel: one sheet per table, bold frozen header, number
formats, sensible widths; text is always text (``insday.safe.put_cell``: a value starting
with = + - @ written by a submitter never becomes a formula). Given ``when``, a workbook
is the same bytes every time it is written from the same tables."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from insday.safe import put_cell

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


def write_workbook(path: Path, tables: list[Table], when: datetime | None = None) -> Path:
    """One sheet per table. ``when``: the document's created/modified time and its zip
    entries' times (else now), so the same tables give the same file."""
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
                cell = put_cell(ws.cell(row=r, column=c), float(value) if isinstance(value, Decimal) else value)
                if isinstance(value, str):
                    widths[c - 1] = max(widths[c - 1], min(60, len(value) * 2))
                if c - 1 in table.formats:
                    cell.number_format = table.formats[c - 1]
        if table.note:
            put_cell(ws.cell(row=len(table.rows) + 3, column=1), table.note)
        for c, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = max(8, min(60, width))
        ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    if when is None:
        book.save(path)
    else:
        _save_fixed(book, path, when)
    return path


def _save_fixed(book, path: Path, when: datetime) -> None:
    """Save with every time in the file set to ``when`` (openpyxl would write now)."""
    stamp = when.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)

    class FixedTimeZip(zipfile.ZipFile):
        def writestr(self, info, data, *args, **kwargs):
            if not isinstance(info, zipfile.ZipInfo):
                info = zipfile.ZipInfo(info, date_time=stamp.timetuple()[:6])
                info.compress_type = self.compression
            super().writestr(info, data, *args, **kwargs)

        def write(self, filename, arcname=None, *args, **kwargs):  # worksheets come from temporary files
            self.writestr(arcname or Path(filename).name, Path(filename).read_bytes())

    book.properties.created = book.properties.modified = stamp
    with FixedTimeZip(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(book, archive).save()
