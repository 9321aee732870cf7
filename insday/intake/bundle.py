"""Bundles: a zip (or a folder, zipped on receipt) holding the files and links of one
non-tabular report, such as the campaign summary (plan, text, photos, videos).

Nothing is extracted on intake. The archived zip is the record; each member is read
once, hashed and matched to the report type's parts by its path inside the bundle.
Member names are checked before anything is read (no absolute paths, no ``..``: the
whole bundle is refused), and sizes are bounded (zip bombs).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from insday.campaign import Campaign, ReportType
from insday.intake.files import is_temporary
from insday.intake.issues import ParsedFile
from insday.intake.read import Unreadable, decode
from insday.units import UnitMatcher

MAX_MEMBERS = 5_000
MAX_TOTAL_BYTES = 8 * 1024**3  # declared uncompressed size of all members
MAX_RATIO = 200  # uncompressed / compressed, for members over 1 MiB
LINK_SUFFIXES = {".txt", ".url"}
LINK_FILE_BYTES = 64 * 1024  # a link file is read up to this size
OTHER = "other"  # part of members no pattern matches: kept and listed, never required
_JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
URL = re.compile(r"https?://[^\s<>\"'，。；;、）)】\]]+", re.IGNORECASE)


class UnsafeBundle(Unreadable):
    """The bundle is refused as a whole (unsafe member path, zip bomb); the text is for the submitter."""


@dataclass(frozen=True)
class Member:
    path: str  # inside the bundle, "/"-separated, as the submitter named it
    size: int
    sha256: str
    links: tuple[str, ...] = ()  # the web addresses in a text or .url file


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as written: Windows zip tools store Chinese names in GBK without
    the UTF-8 flag, which Python reads as cp437."""
    name = info.filename
    if not info.flag_bits & 0x800:
        raw = name.encode("cp437", errors="replace")
        for encoding in ("utf-8", "gb18030"):
            try:
                name = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    return name.replace("\\", "/")


def safe_path(name: str) -> str:
    """The member path, or UnsafeBundle when it could escape a folder it is extracted to."""
    parts = name.split("/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts or "\x00" in name:
        raise UnsafeBundle(f"压缩包中的文件路径「{name}」不安全（绝对路径或含“..”），整个压缩包已拒收。"
                           "请把材料放进一个普通文件夹后重新压缩报送")
    return "/".join(p for p in parts if p not in ("", "."))


def _is_junk(path: str) -> bool:
    parts = path.lower().split("/")
    return parts[0] == "__macosx" or parts[-1] in _JUNK_NAMES or parts[-1].startswith("~$")


def links_in(data: bytes) -> tuple[str, ...]:
    try:
        text = decode(data)
    except Unreadable:
        return ()
    return tuple(dict.fromkeys(u.rstrip(".,") for u in URL.findall(text)))


def read_members(data: bytes) -> list[Member]:
    """Every file in the zip (folders and system junk left out), hashed; links read from text files."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Unreadable("压缩包已损坏或不是 zip 格式。请重新压缩为 zip 文件后报送") from exc
    with book:
        infos = book.infolist()
        names = [safe_path(member_name(i)) for i in infos]
        files = [(i, n) for i, n in zip(infos, names) if not i.is_dir() and n and not _is_junk(n)]
        if len(files) > MAX_MEMBERS:
            raise UnsafeBundle(f"压缩包内文件过多（{len(files)} 个，上限 {MAX_MEMBERS} 个）。请精简后重新报送")
        if sum(i.file_size for i, _ in files) > MAX_TOTAL_BYTES:
            raise UnsafeBundle(f"压缩包解压后超过 {MAX_TOTAL_BYTES // 1024**3} GB。视频请改为提供链接（视频链接.txt）")
        for info, name in files:
            if info.flag_bits & 0x1:
                raise Unreadable(f"压缩包设置了密码（{name}）。请去掉密码重新压缩后报送")
            if info.file_size > 1024**2 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise UnsafeBundle(f"压缩包中的「{name}」压缩比异常，整个压缩包已拒收。请重新压缩后报送")
        members = []
        for info, name in files:
            digest, head = hashlib.sha256(), bytearray()
            try:
                with book.open(info) as fh:
                    while chunk := fh.read(1024**2):
                        digest.update(chunk)
                        if len(head) < LINK_FILE_BYTES:
                            head += chunk[: LINK_FILE_BYTES - len(head)]
            except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as exc:
                raise Unreadable(f"压缩包中的「{name}」无法读取（文件损坏或压缩方式不受支持）。"
                                 "请用系统自带的压缩功能重新压缩为 zip 后报送") from exc
            links = links_in(bytes(head)) if PurePosixPath(name).suffix.lower() in LINK_SUFFIXES else ()
            members.append(Member(name, info.file_size, digest.hexdigest(), links))
    return members


def zip_folder(folder: Path) -> bytes:
    """A folder as a zip of one top folder (its name names the unit): members sorted, fixed
    timestamps, stored uncompressed, so the same folder always gives the same bytes (and so
    the same hash: resubmitting it is a duplicate)."""

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as book:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                path = Path(root) / name
                if is_temporary(path) or not path.is_file():
                    continue
                info = zipfile.ZipInfo(f"{folder.name}/{path.relative_to(folder).as_posix()}",
                                       date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                with path.open("rb") as src, book.open(info, "w", force_zip64=path.stat().st_size >= 2**31) as dst:
                    while chunk := src.read(1024**2):
                        dst.write(chunk)
    return buffer.getvalue()


def _match_key(path: str) -> str:
    return unicodedata.normalize("NFKC", path).lower()


def _strip_top(paths: list[str]) -> tuple[str | None, dict[str, str]]:
    """The single top folder every member sits in (zips of a folder have one), and each
    member's path below it; patterns are matched below it, so a folder named "…活动总结"
    does not make every file inside a summary text."""
    tops = {p.split("/", 1)[0] for p in paths}
    if len(tops) == 1 and all("/" in p for p in paths):
        top = tops.pop()
        return top, {p: p.split("/", 1)[1] for p in paths}
    return None, {p: p for p in paths}


class BundleParser:
    """Turns a bundle into rows (one per member and part, one per link) and checks its parts."""

    def __init__(self, campaign: Campaign, matcher: UnitMatcher):
        self.campaign = campaign
        self.matcher = matcher
        self.types = [rt for rt in campaign.report_types.values() if rt.kind == "bundle"]

    def parse(self, path: Path, data: bytes, filename: str) -> ParsedFile:
        out = ParsedFile(path=path, filename=filename)
        if not self.types:
            out.error("本活动不接收压缩包。请直接发送 Excel 报表文件")
            return out
        try:
            members = read_members(data)
        except Unreadable as exc:
            out.report_type = self.types[0].key
            out.error(str(exc))
            return out
        return self.parse_members(path, filename, members)

    def parse_members(self, path: Path, filename: str, members: list[Member]) -> ParsedFile:
        """The bundle from its members (already read and checked by ``read_members``)."""
        out = ParsedFile(path=path, filename=filename)
        rt = self.types[0]  # one bundle report type per campaign (the summary)
        out.report_type = rt.key
        out.headers = {c.key: c.header for c in rt.columns}
        if not members:
            out.error("压缩包是空的。请放入活动方案、文字总结、图片等材料后重新报送")
            return out
        top, inner = _strip_top([m.path for m in members])
        self._unit(out, rt, filename, top)
        self._parts(out, rt, members, inner)
        return out

    def _unit(self, out: ParsedFile, rt: ReportType, filename: str, top: str | None) -> None:
        found = self.matcher.find_in(Path(filename).stem)
        if found.code is None and top:
            inner = self.matcher.find_in(top)
            found = inner if inner.code else found
        if found.code:
            out.unit = found.code
        elif found.problem:
            out.error(f"压缩包名称「{filename}」{found.problem}。请只报送本单位的{rt.title}，并在文件名中写明单位全称")
        else:
            out.error(f"压缩包名称「{filename}」中没有可识别的单位名称。"
                      f"请把压缩包命名为“单位名称+{rt.title}.zip”，如“人保财险{rt.title}.zip”")

    def _parts(self, out: ParsedFile, rt: ReportType, members: list[Member], inner: dict[str, str]) -> None:
        unmatched, empty_links = [], []
        for m in members:
            key = _match_key(inner[m.path])
            rows: list[tuple[str, str | None]] = []
            for part in rt.parts:
                if any(fnmatchcase(key, _match_key(p)) for p in part.patterns):
                    rows.append((part.key, None))
                elif any(fnmatchcase(key, _match_key(p)) for p in part.link_patterns):
                    rows.extend((part.key, link) for link in m.links)
                    if not m.links:
                        empty_links.append(m.path)
            if not rows:
                if m.path not in empty_links:
                    unmatched.append(m.path)
                rows = [(OTHER, None)]
            for part_key, link in rows:
                out.records.append({"_row": len(out.records) + 1, "part": part_key, "path": m.path,
                                    "size": m.size, "sha256": m.sha256, "link": link})
        for name in dict.fromkeys(empty_links):
            out.warn(f"「{name}」中没有找到网址（应以 http:// 或 https:// 开头，每行一个）")
        if unmatched:
            shown = "、".join(unmatched[:10]) + (f" 等 {len(unmatched)} 个文件" if len(unmatched) > 10 else "")
            out.warn(f"以下文件未归入{'、'.join(p.title for p in rt.parts)}，已一并保存：{shown}")
        present = {r["part"] for r in out.records}
        missing = [p for p in rt.parts if p.required and p.key not in present]
        if missing:
            listed = "；".join(f"{p.title}（{p.hint or '、'.join(p.patterns)}）" for p in missing)
            out.error(f"{rt.title}缺少：{listed}。请补齐后重新打包报送"
                      f"（若发送的不是{rt.title}，请直接发送 Excel 文件，不要压缩）")
