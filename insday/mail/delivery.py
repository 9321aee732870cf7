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
4. per message: claims it (``queued``/``failed`` -> ``sending`` in one conditional
   UPDATE, so of two overlapping runs only one gets it), builds the MIME message, sends
   it, and records it ``sent`` before the next message is sent. A message the server
   refuses is marked ``failed`` with the error; a connection lost mid-batch puts the
   message back in the queue and the run reconnects (or stops, reporting the server down,
   also when the next message loses its connection too: a hanging server must not cost a
   timeout per message). Such a message is sent again, with the same Message-ID: without its
   250 the server has not taken it (RFC 5321), though one that received it whole may deliver
   that copy too (at least once, deduplicable by Message-ID; docs/deadlines.md).

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
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path

from sqlalchemy import func, or_, select, text, update

from insday.campaign import Campaign
from insday.db.models.core import utcnow
from insday.db.models.mail import OutboxMessage
from insday.env import Env
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
        from prefect.blocks.system import Secret  # only here: Prefect is slow to import

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


def _file_part(path: Path, disposition: str, cache: dict[Path, tuple[str, str, str]]) -> MIMEBase:
    """A base64 part for a file; the encoding is done once per file per delivery run."""
    if path not in cache:
        kind, _ = mimetypes.guess_type(path.name)
        maintype, subtype = (kind or "application/octet-stream").split("/", 1)
        cache[path] = (maintype, subtype, base64.encodebytes(path.read_bytes()).decode("ascii"))
    maintype, subtype, payload = cache[path]
    part = MIMEBase(maintype, subtype, name=("utf-8", "", path.name))
    part.set_payload(payload)
    part["Content-Transfer-Encoding"] = "base64"
    part.add_header("Content-Disposition", disposition, filename=("utf-8", "", path.name))
    return part


def _boundary() -> str:
    """A boundary no base64 body can contain ("=_" is not base64), so the generator need not search."""
    return f"=_insday_{uuid.uuid4().hex}"


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def build_message(row, campaign: Campaign, from_: tuple[str, str], now: datetime,
                  cache: dict | None = None) -> MIMEBase:
    """The MIME message of an outbox row.

    alternative[ text/plain, related[ text/html, inline images (cid = file name) ] ], inside
    mixed[ ..., attachments ] when there are attachments. Header values are the cleaned
    ones the outbox stored; display names are RFC 2047-encoded as a whole (formataddr), so a
    name like "张三 Bcc: x@y" stays inside the encoded word. Built with the email.mime classes:
    the EmailMessage API re-parses and re-folds every header, which is several times slower
    and re-folds such a name into plain text (another recipient list).
    """
    cache = {} if cache is None else cache
    html: MIMEBase = MIMEText(row["html"], "html", "utf-8")
    if row["inline_images"]:
        related = MIMEMultipart("related", boundary=_boundary())
        related.attach(html)
        for name in row["inline_images"]:
            part = _file_part(Path(name), "inline", cache)
            part["Content-ID"] = f"<{Path(name).name}>"
            related.attach(part)
        html = related
    msg: MIMEBase = MIMEMultipart("alternative", boundary=_boundary(),
                                  _subparts=[MIMEText(row["text"], "plain", "utf-8"), html])
    if row["attachments"]:
        files = [_file_part(Path(a), "attachment", cache) for a in row["attachments"]]
        msg = MIMEMultipart("mixed", boundary=_boundary(), _subparts=[msg, *files])
    msg["From"] = formataddr(from_, charset="utf-8")
    msg["To"] = formataddr((row["to_name"], row["to_addr"]), charset="utf-8")
    assoc = campaign.association
    if usable_address(assoc.email):
        msg["Reply-To"] = formataddr((assoc.contact, assoc.email), charset="utf-8")
    msg["Subject"] = _header(row["subject"])
    msg["Date"] = format_datetime(campaign.local(now))
    msg["Message-ID"] = message_id(row["key"], from_[1])
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders must not answer
    msg["X-Insday-Kind"] = row["kind"]
    if row["deadline_id"]:
        msg["X-Insday-Deadline"] = _header(row["deadline_id"])
    if row["unit_code"]:
        msg["X-Insday-Unit"] = _header(row["unit_code"])
    return msg


def as_bytes(msg: MIMEBase) -> bytes:
    """The message as sent: CRLF line ends, 8-bit clean (every body part is base64)."""
    return msg.as_bytes(policy=_WIRE)


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
        import yagmail

        s = self.settings
        # user as {login: alias}: a plain string without "@" would get "@gmail.com" appended.
        client = yagmail.SMTP(user={self.login: self.login}, password=self.password, host=s.smtp_host,
                              port=s.smtp_port, smtp_ssl=s.smtp_ssl, smtp_starttls=s.smtp_starttls,
                              smtp_skip_login=self.password is None, soft_email_validation=False,
                              timeout=s.smtp_timeout)
        client.login()  # connects; logs in only when there is a password
        return client

    def send(self, msg: MIMEBase, row) -> None:
        self.client.smtp.sendmail(self.from_addr, [row["to_addr"]], as_bytes(msg))

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

    def send(self, msg: MIMEBase, row) -> None:
        unit = re.sub(r"[^A-Za-z0-9_-]", "", row["unit_code"] or "")
        path = self.folder / f"{row['id']:06d}-{row['kind']}{'-' + unit if unit else ''}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".sending-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(as_bytes(msg))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)

    def close(self) -> None:
        pass


def deliver(env: Env, limit: int | None = None, label: str | None = None) -> dict:
    """Send what is due in the campaign's outbox; returns what happened. The only way mail goes
    out: one delivery at a time per campaign across runs, workers and commands (the ``mail``
    lease, waited for up to ``INSDAY_LEASE_WAIT`` seconds; ``label`` names the holder for people, e.g. the flow run).

    ``{"transport": "smtp"|"eml", "sent", "failed", "requeued", "recovered", "pending", "error"}``:
    ``failed`` messages the server refused (retried later), ``requeued`` messages put back
    after a lost connection, ``recovered`` claims of gone runs settled as in doubt, ``pending`` what is
    still to send after this run, ``error`` why the run stopped early (server down), or None.
    """
    from insday.lease import lease

    with lease(env.engine, "mail", campaign=env.campaign.name, wait=env.settings.lease_wait, label=label):
        return _deliver(env, limit)


def _deliver(env: Env, limit: int | None) -> dict:
    settings, campaign = env.settings, env.campaign
    from_ = sender(settings, campaign)
    transport = _SmtpTransport(settings, from_[1]) if settings.smtp_host else _EmlTransport(settings.outbox_dir)
    report = {"transport": transport.name, "sent": 0, "failed": 0, "requeued": 0, "recovered": 0, "pending": 0,
              "error": None}
    with env.engine.connect() as conn:  # one connection for the run: no pool round trip per message
        outbox = _Outbox(conn, settings, campaign.name)
        report["recovered"] = outbox.recover_stale()
        ids = outbox.due(limit)
        if ids:
            try:
                transport.open()
            except SmtpUnavailable as exc:
                report["error"], ids = str(exc), []
        try:
            _send_all(ids, outbox, transport, campaign, from_, report)
        finally:
            transport.close()
            outbox.flush()
        report["pending"] = outbox.pending()
    if report["error"]:
        log.error("delivery stopped: %s (%d message(s) still queued)", report["error"], report["pending"])
    log.debug("outbox delivery (%s): %d sent, %d failed, %d requeued, %d pending", transport.name, report["sent"],
             report["failed"], report["requeued"], report["pending"])
    return report


def _send_all(ids: list[int], outbox: _Outbox, transport, campaign: Campaign, from_: tuple[str, str],
              report: dict) -> None:
    secret = getattr(transport, "password", None)
    files: dict = {}
    lost = False  # the last message lost its connection: a second in a row stops the run
    for ident in ids:
        # Built before it is claimed: a run killed while a message is claimed leaves it in doubt
        # (never resent), so the claim covers only the send itself and the record of it.
        ready = outbox.read(ident)
        if ready is None:
            continue  # another run has sent it
        moment = utcnow()
        try:
            msg, problem = build_message(ready, campaign, from_, moment, files), None
        except (OSError, ValueError, TypeError) as exc:  # e.g. an attachment deleted since queueing
            msg, problem = None, exc
        row = outbox.claim(ident)
        if row is None:
            continue  # another run has it
        if problem is not None:
            outbox.failed(row, _describe(problem), moment)
            report["failed"] += 1
            continue
        try:
            transport.send(msg, row)
        except (OSError, smtplib.SMTPException) as exc:
            error = _describe(exc, secret)
            if transport.name == "eml" or not _connection_lost(exc):
                log.warning("outbox %s to %s failed: %s", row["key"], row["to_addr"], error)
                outbox.failed(row, error, moment)
                report["failed"] += 1
                continue
            outbox.requeue(row, error)
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
        outbox.sent(row, msg["Message-ID"], moment)
        outbox.flush(wait=False)  # recorded before anything else happens: the claim is in doubt only while sending
        report["sent"] += 1


class _Outbox:
    """The delivery run's reads and writes of the outbox table, in short transactions.

    A sent message is recorded at once (``flush``), before the next one is even built, so a
    killed run leaves at most the one message it was sending in doubt; what became of a
    failed or requeued one is written with the claim of the next (or by the final ``flush``);
    always before the next message is sent. On PostgreSQL these per-message commits do not wait
    for the disk (``synchronous_commit`` off, the durability SQLite has with
    ``synchronous=NORMAL``): other runs see them at once, only a crash of the database
    server itself could lose the last fraction of a second; the final ``flush`` waits.
    """

    def __init__(self, conn, settings: Settings, campaign: str):
        self.conn, self.settings, self.max_attempts = conn, settings, settings.mail_max_attempts
        self.campaign = campaign  # a run sends its own campaign's messages (built with its campaign)
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self._outcome: tuple | None = None
        self._postgres = conn.dialect.name == "postgresql"

    def recover_stale(self) -> int:
        """Settle the claims of runs that are gone (see the module doc): in doubt, never resent."""
        from insday.lease import _dead_here

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

    def due(self, limit: int | None) -> list[int]:
        now = utcnow()
        query = select(T.c.id).where(T.c.campaign == self.campaign, T.c.status.in_(("queued", "failed")), T.c.attempts < self.max_attempts,
                                     or_(T.c.next_attempt_at.is_(None), T.c.next_attempt_at <= now)).order_by(T.c.id)
        with self.conn.begin():
            return list(self.conn.scalars(query.limit(limit) if limit else query))

    def pending(self) -> int:
        with self.conn.begin():
            return self.conn.scalar(select(func.count()).select_from(T).where(
                T.c.campaign == self.campaign, T.c.status.in_(("queued", "failed", "sending")), T.c.attempts < self.max_attempts))

    def read(self, ident: int):
        """The row if it is still due (not claimed or sent meanwhile), unclaimed."""
        with self.conn.begin():
            return self.conn.execute(select(T).where(T.c.id == ident, T.c.status.in_(("queued", "failed")),
                                                     T.c.attempts < self.max_attempts)).mappings().first()

    def claim(self, ident: int):
        """The row, now ``sending`` and ours; None if another run claimed (or sent) it first."""
        with self.conn.begin():
            if self._postgres:
                self.conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
            self._write_outcome()
            return self.conn.execute(
                update(T).where(T.c.id == ident, T.c.status.in_(("queued", "failed")), T.c.attempts < self.max_attempts)
                .values(status="sending", claimed_at=utcnow(), last_error=CLAIMED_BY + self.holder)
                .returning(*T.c)).mappings().first()

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
        row, values = self._outcome
        self._outcome = None
        done = self.conn.execute(update(T).where(T.c.id == row["id"], T.c.status == "sending")
                                 .values(attempts=row["attempts"] + 1, claimed_at=None, **values)).rowcount
        if done != 1:
            log.warning("outbox %s: claim was taken back while sending", row["key"])

    def sent(self, row, msgid: str, moment: datetime) -> None:
        self._outcome = row, dict(status="sent", sent_at=moment, message_id=msgid, last_error=None,
                                  next_attempt_at=None)

    def failed(self, row, error: str, moment: datetime) -> None:
        backoff = timedelta(seconds=self.settings.mail_retry_after * 2 ** row["attempts"])
        self._outcome = row, dict(status="failed", last_error=error, next_attempt_at=moment + backoff)

    def requeue(self, row, error: str) -> None:
        """Back in the queue after a lost connection (failed once its attempts are used up)."""
        status = "queued" if row["attempts"] + 1 < self.max_attempts else "failed"
        self._outcome = row, dict(status=status, last_error=error, next_attempt_at=None)
