"""Build report files the way member units send them: xlsx (from scratch or from the real
template), CSV in UTF-8 / UTF-8 with BOM / GBK, with title rows and odd formatting."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook, load_workbook

DAILY_HEADER = ["日期", "单位名称", "参与人数", "步数", "图片数", "视频数", "图片视频链接", "联系人", "联系电话"]


def daily_row(day="2019-06-26", unit="人保财险", participants=120, steps=1_500_000, photos=3, videos=1,
              links="https://example.org/p/1", contact="张三", phone="0431-85000312") -> list:
    return [day, unit, participants, steps, photos, videos, links, contact, phone]


def write_xlsx(path: Path, rows: list[list], header: list[str] | None = DAILY_HEADER,
               title_rows: list[list] | None = None) -> Path:
    book = Workbook()
    ws = book.active
    for row in title_rows or []:
        ws.append(row)
    if header:
        ws.append(header)
    for row in rows:
        ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def fill_template(template: Path, path: Path, rows: list[list], cells: dict[str, object] | None = None) -> Path:
    """Fill the real generated template's data sheet below its header."""
    book = load_workbook(template)
    ws = book.worksheets[0]
    header_row = next(r for r in range(1, 10) if ws.cell(row=r, column=1).value and
                      ws.cell(row=r, column=2).value)
    for key, value in (cells or {}).items():
        ws[key] = value
    for i, row in enumerate(rows, start=header_row + 1):
        for j, value in enumerate(row, start=1):
            ws.cell(row=i, column=j, value=value)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list], header: list[str] | None = DAILY_HEADER, encoding: str = "gbk",
              title_rows: list[list] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        for row in title_rows or []:
            w.writerow(row)
        if header:
            w.writerow(header)
        w.writerows(rows)
    return path
