"""Write report files the way member units really send them.

Formats: the association's own template filled in (xlsx), a home-made xlsx with a title
row above the header, CSV exported by Chinese Excel (GBK), CSV in UTF-8 with BOM.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

from insday.campaign import Campaign, ReportType
from insday.templates import build_template

FORMATS = ("template", "xlsx_title", "csv_gbk", "csv_bom")
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def full_width(value) -> str:
    return str(value).translate(_FULL_WIDTH)


@dataclass(frozen=True)
class Sheet:
    """What goes into one file: header texts, data rows, lines above the header."""

    headers: list[str]
    rows: list[list]
    title_lines: tuple[tuple, ...] = ()


STAMP = datetime(2019, 6, 1)  # fixed document and zip-member times: the same seed gives the same bytes


def save_stable(book: Workbook, path: Path) -> Path:
    """Save an xlsx whose bytes depend only on its content (openpyxl stamps 'now' otherwise)."""
    book.properties.created = book.properties.modified = STAMP
    raw = io.BytesIO()
    book.save(raw)
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":  # openpyxl sets "modified" to the time of saving
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + STAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode(), data)
            dst.writestr(zipfile.ZipInfo(item.filename, date_time=STAMP.timetuple()[:6]), data)
    return path


def write_table(campaign: Campaign, rt: ReportType, sheet: Sheet, path: Path, fmt: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "template":
        return _write_template(campaign, rt, sheet, path.with_suffix(".xlsx"))
    if fmt == "xlsx_title":
        book = Workbook()
        ws = book.active
        for line in sheet.title_lines or ((f"{rt.title}",),):
            ws.append(list(line))
        ws.append(sheet.headers)
        for row in sheet.rows:
            ws.append(list(row))
        return save_stable(book, path.with_suffix(".xlsx"))
    encoding = "gbk" if fmt == "csv_gbk" else "utf-8-sig"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in sheet.title_lines:
        writer.writerow(list(line))
    writer.writerow(sheet.headers)
    for row in sheet.rows:
        writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, (date, datetime)) else v)
                         for v in row])
    path = path.with_suffix(".csv")
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
    return path


def _write_template(campaign: Campaign, rt: ReportType, sheet: Sheet, path: Path) -> Path:
    """Fill the association's template: its data sheet, under its own header row."""
    book = build_template(campaign, rt)
    ws = book.worksheets[0]
    header_row = next(r for r in range(1, 10) if ws.cell(row=r, column=1).value in sheet.headers)
    positions = {ws.cell(row=header_row, column=c).value: c for c in range(1, ws.max_column + 1)}
    for line in sheet.title_lines:  # e.g. 评分单位：<name> sits on the line above the header
        label, *rest = line
        for r in range(1, header_row):
            if ws.cell(row=r, column=1).value == label:
                ws.cell(row=r, column=2, value=rest[0] if rest else None)
    for i, row in enumerate(sheet.rows, start=header_row + 1):
        for header, value in zip(sheet.headers, row):
            if header in positions:
                ws.cell(row=i, column=positions[header], value=value)
    return save_stable(book, path)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=STAMP.timetuple()[:6]), data)
    return buffer.getvalue()
