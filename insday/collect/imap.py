"""Collect report files from an IMAP mailbox (optional: set ``INSDAY_IMAP_HOST``).

Every UNSEEN message in ``INSDAY_IMAP_FOLDER`` is read without marking it (``BODY.PEEK``);
its attachments (also inside forwarded messages) are archived and ingested with
``source="imap"`` and ``sender=<From address>``, and ``received_at`` = the server's
arrival time of the message (INTERNALDATE, never later than now). Only then is the
message flagged ``\\Seen``: a run that stops half way leaves it unseen, and the next run
finds its files to be duplicates and flags it. Messages without attachments are left
unseen for a person to read; a run with ``as_of`` leaves messages that arrived later.
Attached donation exports (the national platform's raw records) go to the steps import
(:mod:`insday.collect.donations`) and are reported apart (``donations``); a message with one
that the import defers stays unseen.

Chinese file names are decoded whichever way the mail client wrote them: RFC 2231
(``filename*=UTF-8''...``, also split in continuations), RFC 2047 encoded words in
quotes (Outlook, Foxmail), or raw UTF-8 / GBK bytes. Inline images (a signature logo)
are not taken. The sender's address is matched to a unit's contact email
(:func:`insday.intake.senders.unit_for_sender`) and recorded with each file.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import collapse_rfc2231_value, parseaddr
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Literal, TypedDict

from insday.collect.donations import DonationBlock, count, new_block, take_export
from insday.env import Env
from insday.intake.files import archive
from insday.intake.pipeline import Outcome, Received
from insday.intake.senders import unit_for_sender
from insday.intake.service import ingest_received
from insday.lease import lease
from insday.settings import Settings
from insday.steps.records import first_line_of, looks_like_export

log = logging.getLogger("insday.collect.imap")

LEASE = "imap"
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_RAW_NAME = re.compile(r'(?:file)?name\s*=\s*"?([^";]+)', re.IGNORECASE)


class ImapError(RuntimeError):
    """The server answered a command with NO or BAD."""


@dataclass
class Attachment:
    filename: str
    data: bytes


@dataclass
class Mail:
    uid: str
    received_at: datetime
    sender: str | None
    subject: str
    attachments: list[Attachment] = field(default_factory=list)


# ----- parsing (pure) ---------------------------------------------------------


def _decode_raw(text: str) -> str:
    """Undo the surrogate escapes of raw 8-bit header bytes: UTF-8, else GB18030."""
    data = text.encode("utf-8", "surrogateescape")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def attachment_filename(part: EmailMessage) -> str | None:
    """The part's file name, decoded, without any folder a client may have put in it."""
    name = part.get_filename() or part.get_param("name", header="content-type")
    if not name:
        return None
    name = collapse_rfc2231_value(name) if isinstance(name, tuple) else str(name)
    if "\ufffd" in name:  # raw 8-bit bytes in the header: decode them ourselves
        for key, value in part.raw_items():
            if key.lower() in ("content-disposition", "content-type") and (m := _RAW_NAME.search(value)):
                name = _decode_raw(m.group(1).strip())
                break
    if "=?" in name:  # RFC 2047 encoded words where RFC 2231 was due
        name = str(make_header(decode_header(name)))
    name = PureWindowsPath(PurePosixPath(name.strip()).name).name
    return name or None


def parse_message(raw: bytes) -> tuple[str | None, str, list[Attachment]]:
    """(sender address, subject, attachments) of one message as fetched."""
    msg = message_from_bytes(raw, policy=policy.default)
    sender = parseaddr(str(msg.get("From", "")))[1].strip().lower() or None
    attachments: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = attachment_filename(part)
        disposition = part.get_content_disposition()
        if not filename or (disposition != "attachment" and part.get("Content-ID")):
            continue  # body text, or an image shown inside the message
        data = part.get_payload(decode=True)
        if data:
            attachments.append(Attachment(filename, data))
    return sender, str(msg.get("Subject", "")), attachments


def internaldate(fetched: bytes) -> datetime | None:
    m = _INTERNALDATE.search(fetched)
    if not m:
        return None
    return datetime.strptime(m.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z").astimezone(timezone.utc)


# ----- the mailbox ------------------------------------------------------------


class Mailbox:
    """A connection to the configured IMAP folder (stdlib imaplib)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.conn: imaplib.IMAP4 | None = None

    def __enter__(self) -> Mailbox:
        s = self.settings
        if s.imap_ssl:
            self.conn = imaplib.IMAP4_SSL(s.imap_host, s.imap_port, ssl_context=ssl.create_default_context(),
                                          timeout=s.imap_timeout)
        else:
            self.conn = imaplib.IMAP4(s.imap_host, s.imap_port, timeout=s.imap_timeout)
        if s.imap_user:
            self.conn.login(s.imap_user, s.imap_password.get_secret_value() if s.imap_password else "")
        folder = s.imap_folder if " " not in s.imap_folder else f'"{s.imap_folder}"'
        self._ok(self.conn.select(folder), "SELECT")
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass

    @staticmethod
    def _ok(response, command: str):
        typ, data = response
        if typ != "OK":
            raise ImapError(f"IMAP {command}: {typ} {data!r}")
        return data

    def unseen(self) -> list[str]:
        [found] = self._ok(self.conn.uid("SEARCH", None, "UNSEEN"), "SEARCH")
        return (found or b"").decode().split()

    def fetch(self, uid: str) -> tuple[datetime | None, bytes]:
        """(arrival time, raw message); does not set \\Seen."""
        data = self._ok(self.conn.uid("FETCH", uid, "(INTERNALDATE BODY.PEEK[])"), "FETCH")
        for item in data:  # unsolicited FLAGS lines may come first
            if isinstance(item, tuple) and b"BODY[" in item[0]:
                return internaldate(item[0]), item[1]
        raise ImapError(f"IMAP FETCH {uid}: no message body in the answer")

    def mark_seen(self, uid: str) -> None:
        self._ok(self.conn.uid("STORE", uid, "+FLAGS", "(\\Seen)"), "STORE")


class ImapFile(TypedDict):
    """A report file attached to a message (status None in a dry run)."""

    filename: str
    status: Outcome | None
    report_type: str | None
    unit: str | None
    submission: int | None
    errors: list[str]  # the first three errors' sentences


ImapMessage = TypedDict("ImapMessage", {  # "from" is a keyword
    "uid": str,
    "from": str | None,  # the sender's address
    "sender_unit": str | None,  # the member unit that address belongs to
    "subject": str,
    "received_at": str,
    "files": list[ImapFile],  # its report files (donation exports are under ``donations``)
})


class ImapOff(TypedDict):
    """No ``INSDAY_IMAP_HOST``: the mailbox is not collected."""

    enabled: Literal[False]


class ImapReport(TypedDict):
    """``insday collect --json``'s ``imap`` and the ``collect_imap`` task, when a mailbox is set."""

    enabled: Literal[True]
    as_of: str | None  # only messages that arrived by then were taken
    dry_run: bool
    messages: list[ImapMessage]
    accepted: int
    rejected: int
    duplicate: int
    later: int  # unseen messages that arrived after ``as_of``: left unseen
    without_attachments: int
    donations: DonationBlock


def collect_imap(env: Env, as_of: datetime | None = None, *, dry_run: bool = False, wait: float | None = None,
                 label: str | None = None) -> ImapReport | ImapOff:
    """Ingest the attachments of unseen messages, then flag them seen."""
    settings = env.settings
    if not settings.imap_host:
        return {"enabled": False}
    summary: ImapReport = {"enabled": True, "as_of": as_of.isoformat() if as_of else None, "dry_run": dry_run,
                     "messages": [], "accepted": 0, "rejected": 0, "duplicate": 0, "later": 0,
                     "without_attachments": 0, "donations": new_block()}
    if dry_run:
        return _collect(env, summary, as_of, dry_run)
    wait = settings.lease_wait if wait is None else wait
    with lease(env.engine, LEASE, campaign=env.campaign.name, wait=wait, label=label):
        return _collect(env, summary, as_of, dry_run)


def _collect(env: Env, summary: ImapReport, as_of: datetime | None, dry_run: bool) -> ImapReport:
    settings = env.settings
    now = datetime.now(timezone.utc)
    with Mailbox(settings) as box:
        mails: list[Mail] = []
        for uid in box.unseen():
            arrived, raw = box.fetch(uid)
            arrived = min(arrived or now, now)
            if as_of is not None and arrived > as_of:
                summary["later"] += 1
                continue
            sender, subject, attachments = parse_message(raw)
            if not attachments:
                summary["without_attachments"] += 1
                continue
            mails.append(Mail(uid, arrived, sender, subject, attachments))

        items: list[Received] = []  # report files; donation exports go to the steps import
        exports: list[tuple[Mail, Attachment, str]] = []
        for mail in mails:
            for att in mail.attachments:
                sha = hashlib.sha256(att.data).hexdigest()
                if looks_like_export(att.filename, first_line_of(att.data)):
                    exports.append((mail, att, sha))
                else:
                    items.append(Received(Path("imap", mail.uid, att.filename), att.data, sha, att.filename,
                                          received_at=mail.received_at, sender=mail.sender))
        results: list = [None] * len(items)
        taken: dict[int, dict] = {}  # id(attachment) -> its donations entry
        if not dry_run:
            if items:
                for item in items:
                    item.archive_path = archive(settings.archive_dir, item.data, item.sha256,
                                                Path(item.filename).suffix)
                results = ingest_received(env, items, source="imap")
            for mail, att, sha in sorted(exports, key=lambda e: e[0].received_at):  # step data in time order
                rel = archive(settings.archive_dir, att.data, sha, Path(att.filename).suffix)
                taken[id(att)] = take_export(env, settings.archive_dir / rel, att.filename, sha, mail.received_at,
                                             as_of)
            for mail in mails:  # every attachment is stored: now the message may count as read
                if not any(taken.get(id(att), {}).get("status") == "deferred" for att in mail.attachments):
                    box.mark_seen(mail.uid)

    outcome = iter(results)
    exported = {id(att): sha for _, att, sha in exports}
    block = summary["donations"]
    for mail in mails:
        files = []
        for att in mail.attachments:
            if id(att) in exported:
                entry = taken.get(id(att)) or {
                    "filename": att.filename, "sha256": exported[id(att)],
                    "received_at": env.campaign.local(mail.received_at).isoformat(), "status": None, "error": None,
                    "import": None}
                count(block, {"uid": mail.uid, **entry})
                continue
            r = next(outcome)
            files.append({"filename": att.filename, "status": r.status if r else None,
                          "report_type": r.report_type if r else None, "unit": r.unit if r else None,
                          "submission": r.submission_id if r else None,
                          "errors": [e["message"] for e in r.errors][:3] if r else []})
            if r:
                summary[r.status] += 1
        summary["messages"].append({"uid": mail.uid, "from": mail.sender,
                                    "sender_unit": unit_for_sender(env.campaign, mail.sender),
                                    "subject": mail.subject, "received_at": mail.received_at.isoformat(),
                                    "files": files})
    log.debug("imap: %d messages, %d files (%d accepted, %d rejected, %d duplicate), %d later, %d without attachments; "
             "donation exports: %d imported, %d duplicate, %d rejected, %d deferred",
             len(mails), len(items), summary["accepted"], summary["rejected"], summary["duplicate"],
             summary["later"], summary["without_attachments"], block["imported"], block["duplicate"],
             block["rejected"], block["deferred"])
    return summary
