"""Queue messages in the outbox, inside the caller's transaction.

Whatever causes a message (a stored file, a reminder plan, a bulletin) writes it in the
same transaction as its own rows, so a message is never lost nor queued for something
that did not happen. The idempotency key makes queueing insert-or-ignore: overlapping
runs that plan the same message queue it once.

Everything that ends up in a header is cleaned here (no CR/LF or other control
characters, a single plain address), so nothing a submitter wrote can add a header.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import TypedDict

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from insday.db.models.mail import KINDS, OutboxMessage

_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_MAX_HEADER = 200
_UNSAFE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # control, format, surrogate, private, line breaks


def usable_address(text: str | None) -> str | None:
    """The plain address if ``text`` is exactly one deliverable ASCII address, else None.

    ``"张三 <zs@example.org>"`` and ``" zs@example.org "`` give ``zs@example.org``;
    empty text, several addresses, or anything with line breaks give None.
    """
    if not text or any(ch in text for ch in "\r\n\0,;"):
        return None
    text = text.strip()
    match = re.fullmatch(r"(?:[^<>]*<)?([^<>\s]+)>?", text)
    if not match:
        return None
    addr = match.group(1)
    return addr if len(addr) <= 254 and _ADDRESS.match(addr) else None


def clean_header(text: str | None, limit: int = _MAX_HEADER) -> str:
    """One line of printable text: control and format characters (CR, LF, NUL, ...) become spaces."""
    if not text:
        return ""
    chars = (" " if unicodedata.category(ch) in _UNSAFE else ch for ch in str(text))
    line = re.sub(r"\s+", " ", "".join(chars)).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


class _Text(HTMLParser):
    """HTML -> readable plain text, for the text/plain alternative."""

    _BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "ul", "ol", "section"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "head"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("  ")
        if tag == "li":
            self.parts.append("- ")
        if tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f"[{alt}]")

    def handle_endtag(self, tag):
        if tag in ("style", "script", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (line.strip() for line in unescape("".join(parser.parts)).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def _paths(paths: Iterable[Path | str], what: str) -> list[str]:
    out = []
    for p in paths:
        path = Path(p).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"{what} not found: {path}")
        out.append(str(path))
    return out


def enqueue(session: Session, *, campaign: str, key: str, kind: str, to_name: str, to_addr: str, subject: str, html: str,
            text: str | None = None, attachments: Iterable[Path | str] = (),
            inline_images: Iterable[Path | str] = (), deadline_id: str | None = None,
            unit_code: str | None = None) -> bool:
    """Queue one message of ``campaign`` (its name) unless its key is already in the campaign's
    outbox; True if it was queued.

    Runs in the caller's transaction (nothing is committed here). ``html`` is the body
    as built by the caller (escape what submitters wrote); ``text`` defaults to a plain
    rendering of it. An inline image is referenced from the HTML by its file name:
    ``<img src="cid:steps.png">``. Raises ValueError for an unusable address, an unknown
    kind or a key with control characters, FileNotFoundError for a missing file.
    """
    return bool(enqueue_many(session, campaign, [dict(
        key=key, kind=kind, to_name=to_name, to_addr=to_addr, subject=subject, html=html, text=text,
        attachments=attachments, inline_images=inline_images, deadline_id=deadline_id, unit_code=unit_code)]))


def enqueue_many(session: Session, campaign: str, messages: Iterable[dict]) -> set[str]:
    """Queue several messages as ``enqueue`` does each (each dict holds its keyword arguments
    but ``campaign``), in one statement; the keys of those queued (not already in the outbox).
    Nothing is queued if one of them is refused."""
    rows = [_row(campaign, **m) for m in messages]
    if not rows:
        return set()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (insert(OutboxMessage).on_conflict_do_nothing(index_elements=["campaign", "key"])
                 .returning(OutboxMessage.key))
    return set(session.scalars(statement, rows))


def _row(campaign: str, *, key: str, kind: str, to_name: str, to_addr: str, subject: str, html: str,
         text: str | None = None, attachments: Iterable[Path | str] = (), inline_images: Iterable[Path | str] = (),
         deadline_id: str | None = None, unit_code: str | None = None) -> dict:
    """The outbox row of a message, checked and cleaned (see ``enqueue``)."""
    addr = usable_address(to_addr)
    if addr is None:
        raise ValueError(f"not a usable email address: {to_addr!r}")
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}; known: {', '.join(KINDS)}")
    if not key or clean_header(key, 255) != key:
        raise ValueError(f"an outbox key must be one line of at most 255 characters: {key!r}")
    images = _paths(inline_images, "inline image")
    names = [Path(p).name for p in images]
    if len(set(names)) != len(names):
        raise ValueError(f"inline images need distinct file names (they are their cids): {names}")
    return dict(
        campaign=campaign, key=key, kind=kind, deadline_id=clean_header(deadline_id, 64) or None,
        unit_code=clean_header(unit_code, 16) or None, to_name=clean_header(to_name), to_addr=addr,
        subject=clean_header(subject, 300), html=html, text=text if text is not None else html_to_text(html),
        attachments=_paths(attachments, "attachment"), inline_images=images, status="queued", attempts=0)


def existing_keys(session: Session, campaign: str, keys: Iterable[str]) -> set[str]:
    keys = list(keys)
    found: set[str] = set()
    for i in range(0, len(keys), 500):
        found.update(session.scalars(select(OutboxMessage.key).where(OutboxMessage.campaign == campaign,
                                                                     OutboxMessage.key.in_(keys[i:i + 500]))))
    return found


class OutboxEntry(TypedDict):
    """One message of the outbox, without its body (``datetime`` values print as ``str()`` in JSON)."""

    id: int
    key: str  # unique per campaign: a message is queued at most once, ever
    kind: str  # receipt, reminder, overdue, digest, bulletin, alert
    deadline_id: str | None
    unit: str | None
    to_name: str
    to: str
    subject: str
    status: str  # queued, sending, sent, failed
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    message_id: str | None  # the Message-ID header, once sent
    attachments: int
    inline_images: int


class OutboxListing(TypedDict):
    """``insday outbox --json``."""

    counts: dict[str, dict[str, int]]  # kind -> status -> messages, over the whole outbox
    messages: list[OutboxEntry]  # the newest first, as filtered


def outbox_counts(session: Session, campaign: str) -> dict[str, dict[str, int]]:
    """{kind: {status: count}} over the campaign's whole outbox."""
    counts: dict[str, dict[str, int]] = {}
    rows = session.execute(select(OutboxMessage.kind, OutboxMessage.status, func.count())
                           .where(OutboxMessage.campaign == campaign).group_by(OutboxMessage.kind, OutboxMessage.status))
    for kind, status, n in rows:
        counts.setdefault(kind, {})[status] = n
    return counts


def list_messages(session: Session, campaign: str, *, status: str | None = None, kind: str | None = None,
                  limit: int | None = 50) -> list[OutboxEntry]:
    """The newest messages first, without their bodies."""
    query = select(OutboxMessage).where(OutboxMessage.campaign == campaign).order_by(OutboxMessage.id.desc())
    if status:
        query = query.where(OutboxMessage.status == status)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    if limit:
        query = query.limit(limit)
    return [{"id": m.id, "key": m.key, "kind": m.kind, "deadline_id": m.deadline_id, "unit": m.unit_code,
             "to_name": m.to_name, "to": m.to_addr, "subject": m.subject, "status": m.status,
             "attempts": m.attempts, "last_error": m.last_error, "created_at": m.created_at, "sent_at": m.sent_at,
             "message_id": m.message_id, "attachments": len(m.attachments), "inline_images": len(m.inline_images)}
            for m in session.scalars(query)]


def retry_failed(session: Session, campaign: str) -> int:
    """Make every failed message of the campaign due again now, with its attempts counted from zero."""
    return session.execute(update(OutboxMessage).where(OutboxMessage.campaign == campaign,
                                                       OutboxMessage.status == "failed")
                           .values(attempts=0, next_attempt_at=None)).rowcount
