"""Read a raw donation file (CSV, optionally gzipped) in chunks of whole lines.

Header ``donated_at,participant_id,region,steps`` (any order). A line is *well formed* when it
has those four fields: an ISO 8601 time (``2019-06-26 07:12:33``: ``T`` or a space, seconds,
fraction and offset ``+08:00``/``+0800``/``+08``/``Z`` optional; no offset = campaign time),
a participant id without spaces or quotes, a region (as written; resolved later) and whole
steps (at most 9 digits). Fields may be quoted; spaces around the time, the id and the steps
are ignored. Anything else is kept as a malformed record with its text. Blank lines are
skipped.

:func:`parse_line` is the careful reading of one line, and the definition of a well-formed
line; :mod:`insday.steps.columns` reads whole chunks at once and hands it every line it does
not take plainly.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from insday.steps.rules import StepsError

FIELDS = ("donated_at", "participant_id", "region", "steps")
GZIP_MAGIC = b"\x1f\x8b"
HEADER_BYTES = 1 << 16  # the header line is read up to this much
CHUNK_BYTES = 4 << 20
RAW_LINE_CHARS = 1000

_CLOCK = r"[ T](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?(?:Z|[+-](?:0\d|1[0-4])(?::?[0-5]\d)?)?"
_FIELD = {  # one field of a line read the careful way (the date is then checked by datetime)
    "donated_at": re.compile(r"\d{4}-\d\d-\d\d" + _CLOCK),
    "participant_id": re.compile(r'[^\s,"\x00]+'),
    "region": re.compile(r'[^,"\r\n\x00]+'),
    "steps": re.compile(r"\d{1,9}"),
}
_STRIPPED = ("donated_at", "participant_id", "steps")


@dataclass(frozen=True)
class Header:
    order: tuple[str, ...]  # the four field names in file order
    encoding: str  # utf-8 or gb18030


@dataclass(frozen=True)
class Line:
    """One data line: its fields in file order, or the text of a malformed line."""

    fields: tuple[str, str, str, str] | None
    raw: str | None = None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def open_records(path: Path):
    """The file's bytes, gunzipped when it is gzip (by its magic number, whatever its name)."""
    with path.open("rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rb") if magic == GZIP_MAGIC else path.open("rb")


# Errors of a damaged or truncated gzip stream, whichever layer notices first.
BROKEN_GZIP = (EOFError, gzip.BadGzipFile, zlib.error)


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip().strip('"').lower() for n in text.lstrip("\ufeff").strip().split(","))


def is_header(line: bytes) -> bool:
    """Whether ``line`` (the first line, as bytes) is the raw donation header, in any order,
    with or without a UTF-8 BOM, quotes or spaces. (Its names are ASCII: UTF-8 and GBK files
    write it alike.)"""
    return sorted(_names(line.decode("utf-8", "replace"))) == sorted(FIELDS)


def first_line(path: Path) -> bytes:
    """The file's first line (at most HEADER_BYTES), gunzipped when it is gzip; b"" when it
    cannot be read. Only the beginning of the file is read, however big it is."""
    try:
        with open_records(path) as fh:
            return fh.readline(HEADER_BYTES)
    except (OSError, *BROKEN_GZIP):
        return b""


def first_line_of(data: bytes) -> bytes:
    """The same for bytes in memory (a mail attachment): only the first line is gunzipped."""
    if data[:2] != GZIP_MAGIC:
        return data[:HEADER_BYTES].split(b"\n", 1)[0]
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            return fh.readline(HEADER_BYTES)
    except (OSError, *BROKEN_GZIP):
        return b""


_EXPORT_NAME = re.compile(r"(?i)^donations?(?=[-_ .\d]).*\.(csv|gz)$")


def looks_like_export(filename: str, line: bytes) -> bool:
    """A raw donation export: its first line is the header, or its name is the platform's
    (``donations-20190626.csv.gz``, ``.csv``), which the import then checks and explains."""
    return is_header(line) or bool(_EXPORT_NAME.match(filename))


def read_header(fh) -> Header:
    """The header line; the encoding is UTF-8 unless the first data bytes say GB18030."""
    first = fh.readline(HEADER_BYTES)
    sample = fh.peek(HEADER_BYTES)[:HEADER_BYTES]
    encoding = "utf-8"
    try:
        (first + sample).decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.end < len(first) + len(sample):  # not merely a character cut at the sample's end
            encoding = "gb18030"
    text = first.decode(encoding, "replace").lstrip("\ufeff").strip()
    names = _names(text)
    if sorted(names) != sorted(FIELDS):
        raise StepsError(f"第一行须为表头 {','.join(FIELDS)}（顺序不限），而不是「{text[:200]}」")
    return Header(names, encoding)


def chunks(fh) -> Iterator[bytes]:
    """Whole lines, about CHUNK_BYTES at a time, with \\n line ends and a final \\n."""
    rest = b""
    while block := fh.read(CHUNK_BYTES):
        data = rest + block
        cut = data.rfind(b"\n") + 1
        rest, data = data[cut:], data[:cut]
        if data:
            yield data.replace(b"\r\n", b"\n") if b"\r" in data else data
    if rest.strip():
        yield rest.replace(b"\r\n", b"\n") + b"\n"


def parse_line(header: Header, text: str) -> tuple[str, str, str, str] | None:
    """The four fields of a data line (file order), or None when it is malformed."""
    fields = next(csv.reader([text]), []) if '"' in text else text.split(",")
    if len(fields) != 4:
        return None
    fields = [f.strip() if name in _STRIPPED else f for name, f in zip(header.order, fields)]
    if not all(_FIELD[name].fullmatch(value) for name, value in zip(header.order, fields)):
        return None
    try:
        datetime.fromisoformat(fields[header.order.index("donated_at")])
    except ValueError:
        return None
    return tuple(fields)  # type: ignore[return-value]


def lines(header: Header, data: bytes) -> Iterator[Line]:
    """Every non-blank line of a chunk, read the careful way."""
    for raw in data.split(b"\n")[:-1]:
        try:
            text = raw.decode(header.encoding)
        except UnicodeDecodeError:
            yield Line(None, raw.decode(header.encoding, "replace")[:RAW_LINE_CHARS])
            continue
        if text.strip():
            fields = parse_line(header, text)
            yield Line(fields) if fields else Line(None, text.replace("\x00", "")[:RAW_LINE_CHARS])
