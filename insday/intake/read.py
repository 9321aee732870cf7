"""Read a submitted file into sheets of raw cell values (xlsx, xls, CSV in any Chinese encoding)."""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError

TABLE_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".csv", ".txt"}
# Limits (README "Limits and hostile input"): a sheet with data beyond them is refused, never cut short.
MAX_ROWS = 200_000  # rows per sheet (empty rows at the end do not count)
MAX_COLUMNS = 256  # columns per row (empty cells at the end of a row do not count)
MAX_XLSX_XML_BYTES = 512 * 1024**2  # declared uncompressed size of an xlsx's parts (a zip bomb dressed as xlsx)


class Unreadable(ValueError):
    """The file cannot be read at all; the text is a Chinese sentence for the submitter."""


TOO_MANY_ROWS = "{where}数据超过 " + f"{MAX_ROWS:,}" + " 行（上限），未读取。请核对是否误粘贴了大量内容，删除多余的行后重新报送"
TOO_MANY_COLUMNS = "{where}第 {row} 行数据超过 " + f"{MAX_COLUMNS}" + " 列（上限），未读取。请删除表格右侧多余的列后重新报送"


def _bounded(rows, name: str = "") -> list[list]:
    """Rows as lists within MAX_ROWS x MAX_COLUMNS: empty cells at a row's end and empty rows at
    the sheet's end are dropped; data beyond either limit refuses the file (Unreadable)."""
    where = f"工作表「{name}」" if name else "文件"
    out: list[list] = []
    for n, row in enumerate(rows, start=1):
        if len(row) > MAX_COLUMNS and any(v not in (None, "") for v in row[MAX_COLUMNS:]):
            raise Unreadable(TOO_MANY_COLUMNS.format(where=where, row=n))
        row = list(row[:MAX_COLUMNS])
        while row and (row[-1] is None or row[-1] == ""):
            row.pop()
        if n > MAX_ROWS:
            if row:
                raise Unreadable(TOO_MANY_ROWS.format(where=where))
            continue  # trailing empty rows (formatted but blank) are read past, not kept
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


@dataclass
class Sheet:
    name: str
    rows: list[list]  # rows[i] is Excel row i + 1


def decode(data: bytes) -> str:
    """UTF-16 with its BOM (Excel's "Unicode text"), UTF-8 (with or without BOM), else GB18030
    (a superset of GBK/GB2312), else refuse; text with NUL characters is not text (UTF-16
    without a BOM, a binary file renamed)."""
    encodings = ("utf-16",) if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise Unreadable("无法识别文件编码。请在 Excel 中另存为“CSV UTF-8”或 .xlsx 后重新报送")


def _read_csv(data: bytes) -> list[Sheet]:
    text = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        rows = _bounded(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:  # a field over the csv module's limit, or a stray NUL
        raise Unreadable("文件内容无法按 CSV 读取（可能不是文本文件，或某一格内容过长）。"
                         "请在 Excel 中另存为“CSV UTF-8”或 .xlsx 后重新报送") from exc
    return [Sheet("CSV", rows)]


def _read_xlsx(data: bytes) -> list[Sheet]:
    # lazy: openpyxl costs about 0.2 s; only .xlsx files need it (CSV files and the steps import do not)
    from openpyxl import load_workbook

    damaged = "文件已损坏或不是有效的 Excel 文件，请用 Excel 打开确认后另存为 .xlsx 重新报送"
    # what a damaged xlsx makes zipfile, zlib, the XML parser or openpyxl raise
    broken = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, KeyError, OSError, ValueError, TypeError,
              IndexError, AttributeError, ParseError)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as parts:
            declared = sum(i.file_size for i in parts.infolist())
    except broken as exc:
        raise Unreadable(damaged) from exc
    if declared > MAX_XLSX_XML_BYTES:
        raise Unreadable(f"文件解压后超过 {MAX_XLSX_XML_BYTES // 1024**2} MB（上限），未读取。"
                         "请删除多余的工作表、图片或空白格式后另存为 .xlsx 重新报送")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except broken as exc:
        raise Unreadable(damaged) from exc
    try:
        sheets = []
        for ws in book.worksheets:
            if ws.sheet_state != "visible":
                continue
            # The sheet's declared size (<dimension ref="A1:XFD1048576">) is not believed: it
            # would pad every row to 16,384 cells. Rows come as written, bounded by _bounded.
            ws.reset_dimensions()
            sheets.append(Sheet(ws.title, _bounded(ws.iter_rows(values_only=True), ws.title)))
        return sheets
    except Unreadable:
        raise
    except broken as exc:
        raise Unreadable(damaged) from exc
    finally:
        book.close()


def _read_xls(data: bytes) -> list[Sheet]:
    # lazy: xlrd costs about 0.05 s; only .xls files need it
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data)
    except Exception as exc:  # xlrd raises its own assorted errors for damaged files
        raise Unreadable("文件已损坏或不是有效的 Excel 97-2003 文件，请另存为 .xlsx 重新报送") from exc
    sheets = []
    for sh in book.sheets():
        if sh.visibility:
            continue
        if sh.nrows > MAX_ROWS or sh.ncols > MAX_COLUMNS:  # xls sizes are what its cells fill
            where = f"工作表「{sh.name}」"
            raise Unreadable(TOO_MANY_ROWS.format(where=where) if sh.nrows > MAX_ROWS else
                             f"{where}超过 {MAX_COLUMNS} 列（上限），未读取。请删除表格右侧多余的列后重新报送")
        rows = []
        for r in range(sh.nrows):
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
