"""Deliver the outbox: by SMTP (yagmail) when ``INSDAY_SMTP_HOST`` is set, else as ``.eml``
files under ``INSDAY_HOME/outbox/`` so the default install works offline.

One delivery run:

1. settles the rows a crashed run left ``sending`` (its process is gone, on this machine, or
   the claim is over 10 minutes old): the server may or may not have taken such a message,
   so it is never sent again by itself (at most once) but marked ``failed`` with no attempts
   left and "结果未知" in its error, for a person to check (`insday outbox`) and resend;
2. picks the messages that are due: ``queued``, or ``failed`` with attempts left and
   their backoff (``INSDAY_MAIL_RETRY_AFTER``, doubled per attempt) over;
3. opens ONE SMTP connection for the whole batch (login only when a password is set),
   trying ``INSDAY_SMTP_RETRIES`` times with a doubling delay; when the server cannot
   be reached the run stops and says so, and every message stays queued, untouched;
4. per message: builds the MIME message (what messages share, such as an attached
   template, encoded once per run), claims it (``queued``/``failed`` -> ``sending`` in one
   conditional UPDATE, committed with the previous message's outcome, so of two overlapping
   runs only one gets it), sends it, and records it ``sent`` before the next message is sent.
   A message the server refuses is marked ``failed`` with the error; a connection lost
   mid-batch puts the message back in the queue and the run reconnects (or stops, reporting
   the server down, also when the next message loses its connection too: a hanging server
   must not cost a timeout per message). Such a message is sent again, with the same
   Message-ID: without its 250 the server has not taken it (RFC 5321), though one that
   received it whole may deliver that copy too (at least once, deduplicable by Message-ID;
   docs/deadlines.md).

Secrets (the SMTP password, from ``INSDAY_SMTP_PASSWORD`` or the Prefect Secret block
named by ``INSDAY_SMTP_PASSWORD_BLOCK``) are never logged, printed or stored.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import mimetypes
import os
import re
import smtplib
import socket
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from email import policy
from email.header import Header
from email.mime.base import MIMEBase
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Literal, TypedDict

from sqlalchemy import bindparam, func, or_, select, text, update

from insday.campaign import Campaign
from insday.db.models.core import utcnow
from insday.db.models.mail import OutboxMessage
from insday.env import Env
from insday.lease import _dead_here, lease
from insday.mail.outbox import clean_header, usable_address
from insday.settings import Settings

log = logging.getLogger("insday.mail")

STALE_CLAIM = timedelta(minutes=10)
CLAIMED_BY = "sending by "  # last_error of a claimed row: which process (host:pid) is sending it
IN_DOUBT = ("发送中断，结果未知（发送它的进程已中止，邮件可能已送达，也可能没有）：不再自动重发。"
            "请向收件人核实，需要时用 insday resend 重发")
_WIRE = policy.compat32.clone(linesep="\r\n")
T = OutboxMessage.__table__


class SmtpUnavailable(RuntimeError):
    """The SMTP server could not be reached (or refused the login) after every retry."""


class MailConfigError(ValueError):
    """The mail settings cannot work (e.g. INSDAY_SMTP_FROM is not an address)."""


def smtp_password(settings: Settings) -> str | None:
    """The SMTP password: INSDAY_SMTP_PASSWORD, else the Prefect Secret block it names, else None."""
    if settings.smtp_password is not None:
        return settings.smtp_password.get_secret_value() or None
    if settings.smtp_password_block:
        # lazy: Prefect costs about 1.5 s; only a password kept in a Prefect Secret block needs it
        from prefect.blocks.system import Secret

        return Secret.load(settings.smtp_password_block).get() or None
    return None


def sender(settings: Settings, campaign: Campaign) -> tuple[str, str]:
    """(display name, address) of INSDAY_SMTP_FROM; the display name defaults to the association's."""
    name, addr = parseaddr(settings.smtp_from)
    if usable_address(addr) is None:
        raise MailConfigError(f"INSDAY_SMTP_FROM is not a usable address: {settings.smtp_from!r}")
    return clean_header(name) or campaign.association.name, addr


def message_id(key: str, sender_addr: str) -> str:
    """Stable per outbox row (derived from its key): a resend carries the same Message-ID."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}.insday@{sender_addr.rsplit('@', 1)[1]}>"


_CRLF = b"\r\n"
_TEXT_HEAD = b'Content-Type: text/%s; charset="utf-8"\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n\r\n'


def _base64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", _CRLF)


def _fold(name: str, value: str | Header) -> bytes:
    """One header line as the email package writes it (RFC 2047, folded at 78 columns); a short
    ASCII one as it is."""
    if isinstance(value, str) and len(name) + len(value) < 77 and value.isascii():
        return f"{name}: {value}\r\n".encode("ascii")
    return _WIRE.fold_binary(name, value)


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def _multipart(subtype: str, parts: list[bytes], head: bytes = b"") -> bytes:
    """A multipart part (a message with the header lines ``head``); its boundary is one no
    base64 body can contain ("=_" is not base64)."""
    boundary = f"=_insday_{uuid.uuid4().hex}".encode("ascii")
    out = [b"Content-Type: multipart/%s;\r\n boundary=\"%s\"\r\nMIME-Version: 1.0\r\n%s\r\n"
           % (subtype.encode(), boundary, head)]
    for part in parts:
        out += [b"--", boundary, _CRLF, part, _CRLF]
    out += [b"--", boundary, b"--", _CRLF]
    return b"".join(out)


class Composer:
    """The wire form of outbox rows (CRLF line ends, 8-bit clean: every body part is base64),
    for one delivery run: what its messages share (the From and Reply-To lines, each attached or
    inline file's part) is encoded once.

    alternative[ text/plain, related[ text/html, inline images (cid = file name) ] ], inside
    mixed[ ..., attachments ] when there are attachments. Header values are the cleaned ones the
    outbox stored; display names are RFC 2047-encoded as a whole (formataddr), so a name like
    "张三 Bcc: x@y" stays inside the encoded word.
    """

    def __init__(self, campaign: Campaign, from_: tuple[str, str]):
        self.campaign, self.domain = campaign, from_[1]
        assoc = campaign.association
        self.sender = _fold("From", formataddr(from_, charset="utf-8"))
        self.reply_to = _fold("Reply-To", formataddr((assoc.contact, assoc.email), charset="utf-8")) \
            if usable_address(assoc.email) else b""
        self.files: dict[tuple[str, str], bytes] = {}

    def file_part(self, name: str, disposition: str) -> bytes:
        """A file's base64 part (an inline one with its Content-ID), read and encoded once per run."""
        if (name, disposition) not in self.files:
            path = Path(name)
            kind, _ = mimetypes.guess_type(path.name)
            maintype, subtype = (kind or "application/octet-stream").split("/", 1)
            part = MIMEBase(maintype, subtype, name=("utf-8", "", path.name))
            part["Content-Transfer-Encoding"] = "base64"
            part.add_header("Content-Disposition", disposition, filename=("utf-8", "", path.name))
            if disposition == "inline":
                part["Content-ID"] = f"<{path.name}>"
            head = b"".join(_WIRE.fold_binary(k, v) for k, v in part.items())
            self.files[name, disposition] = head + _CRLF + _base64(path.read_bytes())
        return self.files[name, disposition]

    def message(self, row, now: datetime) -> tuple[bytes, str]:
        """(the message as sent, its Message-ID)."""
        msgid = message_id(row["key"], self.domain)
        head = [self.sender, _fold("To", formataddr((row["to_name"], row["to_addr"]), charset="utf-8")), self.reply_to,
                _fold("Subject", _header(row["subject"])), _fold("Date", format_datetime(self.campaign.local(now))),
                _fold("Message-ID", msgid), b"Auto-Submitted: auto-generated\r\n",  # RFC 3834: no auto-replies
                _fold("X-Insday-Kind", row["kind"])]
        if row["deadline_id"]:
            head.append(_fold("X-Insday-Deadline", _header(row["deadline_id"])))
        if row["unit_code"]:
            head.append(_fold("X-Insday-Unit", _header(row["unit_code"])))
        html = _TEXT_HEAD % b"html" + _base64(row["html"].encode("utf-8"))
        if row["inline_images"]:
            html = _multipart("related", [html, *(self.file_part(n, "inline") for n in row["inline_images"])])
        alternative = [_TEXT_HEAD % b"plain" + _base64(row["text"].encode("utf-8")), html]
        if not row["attachments"]:
            return _multipart("alternative", alternative, b"".join(head)), msgid
        files = [self.file_part(n, "attachment") for n in row["attachments"]]
        return _multipart("mixed", [_multipart("alternative", alternative), *files], b"".join(head)), msgid


def _describe(exc: BaseException, secret: str | None = None) -> str:
    text = clean_header(f"{type(exc).__name__}: {exc}", 500)
    return text.replace(secret, "***") if secret else text


def _connection_lost(exc: BaseException) -> bool:
    """A problem with the connection, not with this message: retry on a new connection."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421
    return not isinstance(exc, smtplib.SMTPException)  # SMTPException is an OSError too


class _SmtpTransport:
    name = "smtp"

    def __init__(self, settings: Settings, from_addr: str):
        self.settings = settings
        self.from_addr = from_addr
        self.login = settings.smtp_user or from_addr
        self.password = smtp_password(settings)
        self.client = None

    def open(self) -> None:
        s = self.settings
        tries = max(1, s.smtp_retries)
        for attempt in range(tries):
            try:
                self.client = self._connect()
                return
            except smtplib.SMTPAuthenticationError as exc:  # retrying a wrong password only risks a lockout
                raise SmtpUnavailable(f"SMTP 服务器 {s.smtp_host}:{s.smtp_port} 拒绝登录（用户 {self.login}）："
                                      f"{_describe(exc, self.password)}") from None
            except (OSError, smtplib.SMTPException) as exc:
                error = _describe(exc, self.password)
                log.warning("SMTP %s:%s attempt %d/%d failed: %s", s.smtp_host, s.smtp_port, attempt + 1, tries,
                            error)
                if attempt + 1 < tries:
                    time.sleep(s.smtp_retry_delay * 2 ** attempt)
        raise SmtpUnavailable(f"SMTP 服务器 {s.smtp_host}:{s.smtp_port} 连接失败（尝试 {tries} 次）：{error}")

    def _connect(self):
        # lazy: yagmail costs about 0.1 s; only SMTP delivery needs it (the .eml outbox does not)
        import yagmail

        s = self.settings
        # user as {login: alias}: a plain string without "@" would get "@gmail.com" appended.
        client = yagmail.SMTP(user={self.login: self.login}, password=self.password, host=s.smtp_host,
                              port=s.smtp_port, smtp_ssl=s.smtp_ssl, smtp_starttls=s.smtp_starttls,
                              smtp_skip_login=self.password is None, soft_email_validation=False,
                              timeout=s.smtp_timeout)
        client.login()  # connects; logs in only when there is a password
        return client

    def send(self, data: bytes, row) -> None:
        self.client.smtp.sendmail(self.from_addr, [row["to_addr"]], data)

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.close()
            except Exception:  # the connection is gone anyway
                pass
            self.client = None


class _EmlTransport:
    """No SMTP host: each message becomes INSDAY_HOME/outbox/<id>-<kind>[-<unit>].eml."""

    name = "eml"

    def __init__(self, folder: Path):
        self.folder = folder

    def open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)

    def send(self, data: bytes, row) -> None:
        unit = re.sub(r"[^A-Za-z0-9_-]", "", row["unit_code"] or "")
        path = self.folder / f"{row['id']:06d}-{row['kind']}{'-' + unit if unit else ''}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".sending-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)

    def close(self) -> None:
        pass


class DeliveryReport(TypedDict):
    """What one delivery did: ``insday send --json``, the ``deliver_mail`` task, ``remind``'s ``delivery``."""

    transport: Literal["smtp", "eml"]  # eml: no SMTP host set, each message written to INSDAY_HOME/outbox/
    sent: int
    failed: int  # refused by the server (retried later)
    requeued: int  # put back after a lost connection
    recovered: int  # claims of gone runs settled as in doubt (failed, for a person to check)
    pending: int  # still to send after this run
    error: str | None  # why the run stopped early (server down), or None


def deliver(env: Env, limit: int | None = None, label: str | None = None) -> DeliveryReport:
    """Send what is due in the campaign's outbox; returns what happened. The only way mail goes
    out: one delivery at a time per campaign across runs, workers and commands (the ``mail``
    lease, waited for up to ``INSDAY_LEASE_WAIT`` seconds; ``label`` names the holder for people, e.g. the flow run).
    """
    with lease(env.engine, "mail", campaign=env.campaign.name, wait=env.settings.lease_wait, label=label):
        return _deliver(env, limit)


def _deliver(env: Env, limit: int | None) -> DeliveryReport:
    settings, campaign = env.settings, env.campaign
    from_ = sender(settings, campaign)
    transport = _SmtpTransport(settings, from_[1]) if settings.smtp_host else _EmlTransport(settings.outbox_dir)
    report: DeliveryReport = {"transport": transport.name, "sent": 0, "failed": 0, "requeued": 0, "recovered": 0, "pending": 0,
              "error": None}
    with env.engine.connect() as conn:  # one connection for the run: no pool round trip per message
        outbox = _Outbox(conn, settings, campaign.name)
        report["recovered"] = outbox.recover_stale()
        due = outbox.due(limit)
        if due:
            try:
                transport.open()
            except SmtpUnavailable as exc:
                report["error"], due = str(exc), []
        try:
            _send_all(due, outbox, transport, Composer(campaign, from_), report)
        finally:
            transport.close()
            outbox.flush()
        report["pending"] = outbox.pending()
    if report["error"]:
        log.error("delivery stopped: %s (%d message(s) still queued)", report["error"], report["pending"])
    log.debug("outbox delivery (%s): %d sent, %d failed, %d requeued, %d pending", transport.name, report["sent"],
             report["failed"], report["requeued"], report["pending"])
    return report


def _send_all(due: list, outbox: _Outbox, transport, composer: Composer, report: dict) -> None:
    secret = getattr(transport, "password", None)
    lost = False  # the last message lost its connection: a second in a row stops the run
    for ready in due:
        # Built before it is claimed: a run killed while a message is claimed leaves it in doubt
        # (never resent), so the claim covers only the send itself and the record of it.
        moment = utcnow()
        try:
            (data, msgid), problem = composer.message(ready, moment), None
        except (OSError, ValueError, TypeError) as exc:  # e.g. an attachment deleted since queueing
            problem = exc
        row = outbox.claim(ready["id"])  # in the transaction that records the previous message's outcome
        if row is None:
            continue  # another run has it
        if problem is not None:
            outbox.failed(row, _describe(problem), moment)
            report["failed"] += 1
            continue
        try:
            transport.send(data, row)
        except (OSError, smtplib.SMTPException) as exc:
            error = _describe(exc, secret)
            if transport.name == "eml" or not _connection_lost(exc):
                log.warning("outbox %s to %s failed: %s", row["key"], row["to_addr"], error)
                outbox.failed(row, error, moment)
                report["failed"] += 1
                continue
            outbox.requeue(row, error)
            outbox.flush(wait=False)  # back in the queue before the reconnection's retries
            report["requeued"] += 1
            transport.close()
            if lost:  # on a fresh connection too: a server that hangs or drops every message
                report["error"] = (f"SMTP 服务器 {transport.settings.smtp_host}:{transport.settings.smtp_port} "
                                   f"连续两封邮件发送中断开连接或无响应，本次停止发送：{error}")
                return
            lost = True
            try:
                transport.open()
            except SmtpUnavailable as down:
                report["error"] = str(down)
                return
            continue
        lost = False
        outbox.sent(row, msgid, moment)
        report["sent"] += 1


class _Outbox:
    """The delivery run's reads and writes of the outbox table, in short transactions.

    The messages due are read in one query. Each message's outcome (sent, failed, requeued)
    is written in the transaction that claims the next one, so it is recorded before the next
    message is sent and a killed run leaves at most the one message it was sending in doubt;
    the last outcome is written by the final ``flush``. On PostgreSQL these per-message commits
    do not wait for the disk (``synchronous_commit`` off, the durability SQLite has with
    ``synchronous=NORMAL``): other runs see them at once, only a crash of the database server
    itself could lose the last fraction of a second; the final ``flush`` waits.
    """

    def __init__(self, conn, settings: Settings, campaign: str):
        self.conn, self.settings, self.max_attempts = conn, settings, settings.mail_max_attempts
        self.campaign = campaign  # a run sends its own campaign's messages (built with its campaign)
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self._outcome: tuple[str, dict] | None = None
        self._postgres = conn.dialect.name == "postgresql"
        # built once: per message only the parameters change
        self._claim = (update(T).where(T.c.id == bindparam("ident"), T.c.status.in_(("queued", "failed")),
                                       T.c.attempts < self.max_attempts)
                       .values(status="sending", claimed_at=bindparam("now"), last_error=CLAIMED_BY + self.holder)
                       .returning(T.c.id, T.c.key, T.c.kind, T.c.unit_code, T.c.to_addr, T.c.attempts))
        self._record = (update(T).where(T.c.id == bindparam("ident"), T.c.status == "sending")
                        .values(status=bindparam("outcome"), attempts=bindparam("tries"), claimed_at=None,
                                sent_at=bindparam("at"), message_id=bindparam("msgid"), last_error=bindparam("error"),
                                next_attempt_at=bindparam("retry_at")))

    def recover_stale(self) -> int:
        """Settle the claims of runs that are gone (see the module doc): in doubt, never resent."""
        with self.conn.begin():
            claims = self.conn.execute(select(T.c.id, T.c.key, T.c.claimed_at, T.c.last_error)
                                       .where(T.c.campaign == self.campaign, T.c.status == "sending")).all()
            old = utcnow() - STALE_CLAIM
            gone = [c for c in claims if (c.claimed_at is not None and c.claimed_at < old) or (
                (c.last_error or "").startswith(CLAIMED_BY) and _dead_here(c.last_error[len(CLAIMED_BY):]))]
            for c in gone:
                settled = self.conn.execute(update(T).where(T.c.id == c.id, T.c.status == "sending",
                                                            T.c.claimed_at == c.claimed_at)
                                            .values(status="failed", claimed_at=None, attempts=self.max_attempts,
                                                    last_error=IN_DOUBT)).rowcount
                if settled:
                    log.warning("outbox %s: the run sending it stopped (%s); not sent again, it may have "
                                "arrived: check and resend if needed", c.key, c.last_error or "claim expired")
            return len(gone)

    def due(self, limit: int | None) -> list:
        """The rows due to be sent, in queueing order."""
        now = utcnow()
        query = select(T).where(T.c.campaign == self.campaign, T.c.status.in_(("queued", "failed")),
                                T.c.attempts < self.max_attempts,
                                or_(T.c.next_attempt_at.is_(None), T.c.next_attempt_at <= now)).order_by(T.c.id)
        with self.conn.begin():
            return list(self.conn.execute(query.limit(limit) if limit else query).mappings())

    def pending(self) -> int:
        with self.conn.begin():
            return self.conn.scalar(select(func.count()).select_from(T).where(
                T.c.campaign == self.campaign, T.c.status.in_(("queued", "failed", "sending")), T.c.attempts < self.max_attempts))

    def claim(self, ident: int):
        """The row, now ``sending`` and ours; None if another run claimed (or sent) it first."""
        with self.conn.begin():
            if self._postgres:
                self.conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
            self._write_outcome()
            return self.conn.execute(self._claim, {"ident": ident, "now": utcnow()}).mappings().first()

    def flush(self, wait: bool = True) -> None:
        """Write the pending outcome now; ``wait=False``: without waiting for the disk (PostgreSQL)."""
        if self._outcome:
            with self.conn.begin():
                if self._postgres and not wait:
                    self.conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
                self._write_outcome()

    def _write_outcome(self) -> None:
        if self._outcome is None:
            return
        (key, outcome), self._outcome = self._outcome, None
        if self.conn.execute(self._record, outcome).rowcount != 1:
            log.warning("outbox %s: claim was taken back while sending", key)

    def _set(self, row, outcome: str, *, at=None, msgid=None, error=None, retry_at=None) -> None:
        self._outcome = row["key"], dict(ident=row["id"], tries=row["attempts"] + 1, outcome=outcome, at=at,
                                         msgid=msgid, error=error, retry_at=retry_at)

    def sent(self, row, msgid: str, moment: datetime) -> None:
        self._set(row, "sent", at=moment, msgid=msgid)

    def failed(self, row, error: str, moment: datetime) -> None:
        backoff = timedelta(seconds=self.settings.mail_retry_after * 2 ** row["attempts"])
        self._set(row, "failed", error=error, retry_at=moment + backoff)

    def requeue(self, row, error: str) -> None:
        """Back in the queue after a lost connection (failed once its attempts are used up)."""
        self._set(row, "queued" if row["attempts"] + 1 < self.max_attempts else "failed", error=error)
