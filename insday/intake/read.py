"""Read a submitted file into sheets of raw cell values (xlsx, xls, CSV in any Chinese encoding)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

TABLE_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".csv", ".txt"}
MAX_ROWS = 200_000


class Unreadable(ValueError):
    """The file cannot be read at all; the text is a Chinese sentence for the submitter."""


@dataclass
class Sheet:
    name: str
    rows: list[list]  # rows[i] is Excel row i + 1


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK/GB2312), else refuse."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Unreadable("无法识别文件编码。请在 Excel 中另存为“CSV UTF-8”或 .xlsx 后重新报送")


def _read_csv(data: bytes) -> list[Sheet]:
    text = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return [Sheet("CSV", rows[:MAX_ROWS])]


def _read_xlsx(data: bytes) -> list[Sheet]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise Unreadable("文件已损坏或不是有效的 Excel 文件，请用 Excel 打开确认后另存为 .xlsx 重新报送") from exc
    try:
        sheets = []
        for ws in book.worksheets:
            if ws.sheet_state != "visible":
                continue
            rows = []
            for row in ws.iter_rows(values_only=True):
                rows.append(list(row))
                if len(rows) >= MAX_ROWS:
                    break
            sheets.append(Sheet(ws.title, rows))
        return sheets
    finally:
        book.close()


def _read_xls(data: bytes) -> list[Sheet]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data)
    except Exception as exc:  # xlrd raises its own assorted errors for damaged files
        raise Unreadable("文件已损坏或不是有效的 Excel 97-2003 文件，请另存为 .xlsx 重新报送") from exc
    sheets = []
    for sh in book.sheets():
        if sh.visibility:
            continue
        rows = []
        for r in range(min(sh.nrows, MAX_ROWS)):
            row = []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    row.append(None)
                else:
                    row.append(cell.value)
            rows.append(row)
        sheets.append(Sheet(sh.name, rows))
    return sheets


def read_sheets(path: Path, data: bytes) -> list[Sheet]:
    suffix = path.suffix.lower()
    if suffix in (".rar", ".7z"):
        raise Unreadable(f"不支持 {suffix} 压缩格式。请改用 zip 格式压缩后重新报送")
    if suffix not in TABLE_SUFFIXES:
        raise Unreadable(f"不支持的文件类型「{suffix or '无扩展名'}」。请使用协会下发的 .xlsx 模板，或 CSV 文件")
    if not data.strip():
        raise Unreadable("文件是空的，请填写后重新报送")
    if suffix in (".csv", ".txt"):
        return _read_csv(data)
    if suffix == ".xls":
        return _read_xls(data)
    return _read_xlsx(data)
