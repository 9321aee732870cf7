"""A report sent as a zip of its sheet and the day's photos and videos (as units send them
by WeChat): the sheet is read like any report, the media are matched to the report type's
``media`` kinds by file name, counted against the sheet's figures (图片数, 视频数; a
mismatch is a warning) and, once the file is accepted, archived one by one by their own
hash beside the zip.

A zip is such a report when it holds exactly one sheet of a report type with ``media`` and
is not a campaign summary (a summary zip holds the plan or the text); otherwise it is a
bundle as before (``insday.intake.bundle``).
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from insday.campaign import ReportType
from insday.intake.bundle import OTHER, BundleParser, Member, _is_junk, member_name, read_members, safe_path
from insday.intake.files import archive
from insday.intake.issues import ParsedFile
from insday.intake.read import Unreadable

SHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".csv"}


@dataclass(frozen=True)
class MediaFile:
    kind: str  # a key of the report type's media (photos, videos)
    path: str  # inside the zip
    size: int
    sha256: str


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _kind(rt: ReportType, path: str) -> str | None:
    name = _key(PurePosixPath(path).name)
    return next((k for k, kind in rt.media.items() if any(fnmatchcase(name, _key(p)) for p in kind.patterns)), None)


def parse_zip(parser, path: Path, data: bytes, filename: str) -> ParsedFile:
    """A received zip: a report with its media, or a bundle (the campaign summary)."""
    bundles = BundleParser(parser.campaign, parser.matcher)
    try:
        members = read_members(data)
    except Unreadable:
        return bundles.parse(path, data, filename)  # refused as a bundle would be, with its reason
    summary = bundles.parse_members(path, filename, members) if bundles.types else None
    sheets = [m for m in members if PurePosixPath(m.path).suffix.lower() in SHEET_SUFFIXES]
    media_keys = {k for rt in parser.campaign.report_types.values() for k in rt.media}
    documents = summary is not None and any(r["part"] not in (OTHER, *media_keys) for r in summary.records)
    if (summary is not None and not summary.errors) or documents or len(sheets) != 1 or not media_keys:
        if summary is None:
            out = ParsedFile(path=path, filename=filename)
            out.error("压缩包中须有且只有一个报表文件（xlsx/xls/csv）及其图片、视频。请核对后重新打包报送")
            return out
        return summary
    return _with_media(parser, path, data, filename, members, sheets[0])


def _read_member(data: bytes, wanted: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        info = next(i for i in book.infolist() if safe_path(member_name(i)) == wanted)
        return book.read(info)


def _with_media(parser, path: Path, data: bytes, filename: str, members: list[Member], sheet: Member) -> ParsedFile:
    out = parser.parse_table(Path(PurePosixPath(sheet.path).name), _read_member(data, sheet.path), filename)
    rt = parser.campaign.report_types.get(out.report_type or "")
    if rt is None:
        return out  # no report in the sheet: its own message says why
    if not rt.media:
        out.error(f"「{rt.title}」不能与图片、视频打包报送，请直接发送 Excel 文件")
        return out
    ignored = []
    for m in members:
        if m is sheet or _is_junk(m.path):
            continue
        kind = _kind(rt, m.path)
        if kind is None:
            ignored.append(m.path)
        else:
            out.media.append(MediaFile(kind, m.path, m.size, m.sha256))
    if ignored:
        shown = "、".join(ignored[:10]) + (f" 等 {len(ignored)} 个文件" if len(ignored) > 10 else "")
        titles = "、".join(k.title for k in rt.media.values())
        out.warn(f"以下文件不是{titles}，未计入（仍随压缩包保存）：{shown}")
    _count(out, rt)
    return out


def _count(out: ParsedFile, rt: ReportType) -> None:
    """The files of each kind against the sheet's figure: a blank figure takes the count,
    a different one is a warning (the sheet's figure counts)."""
    for key, kind in rt.media.items():
        files = sum(1 for f in out.media if f.kind == key)
        header = out.headers[kind.count]
        figures = [r.get(kind.count) for r in out.records if kind.count not in r.get("_bad", ())]
        if not out.records or len(figures) != len(out.records):
            continue  # nothing to compare with (the sheet's own errors say why)
        if all(v is None for v in figures):
            if files and len(out.records) == 1:
                out.records[0][kind.count] = files
                out.warn(f"「{header}」未填写，已按压缩包中的{kind.title}数计为 {files}")
            continue
        declared = sum(v or 0 for v in figures)
        if declared != files:
            out.warn(f"压缩包中有{kind.title} {files} 个，表中「{header}」填写的是 {declared}，请核对"
                     f"（通报按表中填写的数字统计；如有遗漏请补充后重新打包报送）")


def archive_media(archive_dir: Path, data: bytes, media: list[MediaFile]) -> list[str]:
    """Archive each media file of a zip by its own hash (as every received file is kept);
    returns the archive paths in the order of ``media``."""

    wanted = {f.path: f for f in media}
    found: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        for info in book.infolist():
            name = safe_path(member_name(info))
            if name in wanted and name not in found:
                f = wanted[name]
                found[name] = archive(archive_dir, book.read(info), f.sha256, PurePosixPath(name).suffix)
    return [found[f.path] for f in media]


def media_rows(campaign: str, submission_id: int, media: list[MediaFile], archived: list[str]) -> list[dict]:
    return [{"campaign": campaign, "submission_id": submission_id, "kind": f.kind, "path": f.path, "size": f.size,
             "sha256": f.sha256, "archive_path": a} for f, a in zip(media, archived)]
