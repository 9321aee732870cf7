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


# What the inbox, the mailbox and `insday ingest` take, said to whoever sent something else.
ACCEPTED = ("可以报送：协会下发的 .xlsx 报表模板（也可 .xls 或 CSV）；活动总结（方案、文字、照片、视频）放进一个文件夹"
            "压缩为 .zip；全国平台导出的捐步记录（CSV 或 .csv.gz）")
_COMPRESSED = {".gz", ".tgz", ".bz2", ".xz", ".tar", ".z"}
_ADVICE = {
    **dict.fromkeys((".rar", ".7z"), "不支持 {suffix} 压缩格式。活动总结请改用 zip 格式压缩后重新报送；报表请直接报送 .xlsx 文件，"
                                     "不要压缩"),
    **dict.fromkeys(_COMPRESSED, "「{suffix}」压缩文件只用于全国平台导出的捐步记录（第一行为表头 "
                                 "donated_at,participant_id,region,steps），本文件不是。报表请直接报送 .xlsx 文件，"
                                 "不要压缩；活动总结请压缩为 .zip"),
    **dict.fromkeys((".doc", ".docx", ".wps", ".pdf", ".rtf"),
                    "不支持的文件类型「{suffix}」：文档不能单独报送。报表请填写协会下发的 .xlsx 模板；活动总结的方案、文字材料"
                    "请与照片、视频一起放进文件夹，压缩为 .zip 报送"),
    **dict.fromkeys((".jpg", ".jpeg", ".png", ".gif", ".heic", ".bmp", ".mp4", ".mov", ".avi", ".wmv", ".mkv"),
                    "不支持的文件类型「{suffix}」：照片、视频不能单独报送。请与活动总结的其他材料一起放进文件夹，压缩为 .zip 报送；"
                    "每日报表中的照片、视频请填写数量和链接"),
    **dict.fromkeys((".et", ".ods", ".numbers"),
                    "不支持的文件类型「{suffix}」。请在 WPS 或 Excel 中“另存为” .xlsx 格式后重新报送"),
}


def unsupported(suffix: str) -> str:
    """What to tell the sender of a file of this kind, which is neither a table nor a bundle."""
    advice = _ADVICE.get(suffix)
    if advice:
        return advice.format(suffix=suffix)
    return f"不支持的文件类型「{suffix or '无扩展名'}」。{ACCEPTED}"


def read_sheets(path: Path, data: bytes) -> list[Sheet]:
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise Unreadable(unsupported(suffix))
    if not data.strip():
        raise Unreadable("文件是空的，请填写后重新报送")
    if suffix in (".csv", ".txt"):
        return _read_csv(data)
    if suffix == ".xls":
        return _read_xls(data)
    return _read_xlsx(data)
