"""Deliver the outbox: by SMTP (yagmail) when ``INSDAY_SMTP_HOST`` is set, else as ``.eml``
files under ``INSDAY_HOME/outbox/`` so the default install works offline.

One delivery run:

1. gives back to the queue the rows a crashed run left ``sending`` for over 10 minutes;
2. picks the messages that are due: ``queued``, or ``failed`` with attempts left and
   their backoff (``INSDAY_MAIL_RETRY_AFTER``, doubled per attempt) over;
3. opens ONE SMTP connection for the whole batch (login only when a password is set),
   trying ``INSDAY_SMTP_RETRIES`` times with a doubling delay; when the server cannot
   be reached the run stops and says so, and every message stays queued, untouched;
4. per message: claims it (``queued``/``failed`` -> ``sending``, checked by row count, so
   two overlapping runs never send one message twice), builds the MIME message, sends
   it and marks it ``sent`` at once. A message the server refuses is marked ``failed``
   with the error; a connection lost mid-batch puts the message back in the queue and
   the run reconnects (or stops, reporting the server down).

Secrets (the SMTP password, from ``INSDAY_SMTP_PASSWORD`` or the Prefect Secret block
named by ``INSDAY_SMTP_PASSWORD_BLOCK``) are never logged, printed or stored.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import re
import smtplib
import tempfile
import time
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.headerregistry import Address
from email.utils import format_datetime, parseaddr
from pathlib import Path

from sqlalchemy import and_, func, or_, select, update

from insday.campaign import Campaign
from insday.db.models.core import utcnow
from insday.db.models.mail import OutboxMessage
from insday.env import Env
from insday.mail.outbox import clean_header, usable_address
from insday.settings import Settings

log = logging.getLogger("insday.mail")

STALE_CLAIM = timedelta(minutes=10)
T = OutboxMessage.__table__


class SmtpUnavailable(RuntimeError):
    """The SMTP server could not be reached (or refused the login) after every retry."""


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
        raise ValueError(f"INSDAY_SMTP_FROM is not a usable address: {settings.smtp_from!r}")
    return clean_header(name) or campaign.association.name, addr


def message_id(key: str, sender_addr: str) -> str:
    """Stable per outbox row (derived from its key): a resend carries the same Message-ID."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}.insday@{sender_addr.rsplit('@', 1)[1]}>"


def _mime(path: Path) -> tuple[str, str]:
    kind, _ = mimetypes.guess_type(path.name)
    return tuple((kind or "application/octet-stream").split("/", 1))  # type: ignore[return-value]


def build_message(row, campaign: Campaign, from_: tuple[str, str], now: datetime) -> EmailMessage:
    """The MIME message of an outbox row.

    mixed[ alternative[ text/plain, related[ text/html, inline images (cid = file name) ] ],
    attachments ]; header values are the cleaned ones the outbox stored. Addresses are
    ``Address`` objects, not ``formataddr`` strings: the email package re-folds a parsed
    encoded-word name and would put a name like "张三 Bcc: x@y" in the header as plain text
    (a different recipient list); an Address keeps the whole display name encoded (RFC 2047).
    """
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address(display_name=from_[0], addr_spec=from_[1])
    msg["To"] = Address(display_name=row["to_name"], addr_spec=row["to_addr"])
    assoc = campaign.association
    if usable_address(assoc.email):
        msg["Reply-To"] = Address(display_name=assoc.contact, addr_spec=assoc.email)
    msg["Subject"] = row["subject"]
    msg["Date"] = format_datetime(campaign.local(now))
    msg["Message-ID"] = message_id(row["key"], from_[1])
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders must not answer
    msg["X-Insday-Kind"] = row["kind"]
    if row["deadline_id"]:
        msg["X-Insday-Deadline"] = row["deadline_id"]
    if row["unit_code"]:
        msg["X-Insday-Unit"] = row["unit_code"]
    msg.set_content(row["text"], cte="base64")
    msg.add_alternative(row["html"], subtype="html", cte="base64")
    html = msg.get_body(("html",))
    for name in row["inline_images"]:
        path = Path(name)
        maintype, subtype = _mime(path)
        html.add_related(path.read_bytes(), maintype, subtype, cid=f"<{path.name}>", filename=path.name,
                         disposition="inline")
    for name in row["attachments"]:
        path = Path(name)
        maintype, subtype = _mime(path)
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return msg


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

    def send(self, msg: EmailMessage, row) -> None:
        self.client.smtp.sendmail(self.from_addr, [row["to_addr"]], msg.as_bytes())

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

    def send(self, msg: EmailMessage, row) -> None:
        unit = re.sub(r"[^A-Za-z0-9_-]", "", row["unit_code"] or "")
        path = self.folder / f"{row['id']:06d}-{row['kind']}{'-' + unit if unit else ''}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".sending-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(msg.as_bytes())
        os.replace(tmp, path)

    def close(self) -> None:
        pass


def _due(now: datetime, max_attempts: int):
    return and_(T.c.status.in_(("queued", "failed")), T.c.attempts < max_attempts,
                or_(T.c.next_attempt_at.is_(None), T.c.next_attempt_at <= now))


def pending_count(env: Env) -> int:
    """Messages still to be sent (queued, or failed with attempts left)."""
    with env.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(T).where(
            T.c.status.in_(("queued", "failed", "sending")), T.c.attempts < env.settings.mail_max_attempts))


def deliver(env: Env, limit: int | None = None) -> dict:
    """Send what is due in the outbox; returns what happened.

    ``{"transport": "smtp"|"eml", "sent", "failed", "requeued", "recovered", "pending", "error"}``:
    ``failed`` messages the server refused (retried later), ``requeued`` messages put back
    after a lost connection, ``recovered`` stale claims given back, ``pending`` what is
    still to send after this run, ``error`` why the run stopped early (server down), or None.
    """
    settings, campaign, engine = env.settings, env.campaign, env.engine
    max_attempts = settings.mail_max_attempts
    now = utcnow()
    with engine.begin() as conn:
        recovered = conn.execute(update(T).where(T.c.status == "sending", T.c.claimed_at < now - STALE_CLAIM)
                                 .values(status="queued", claimed_at=None)).rowcount
        query = select(T.c.id).where(_due(now, max_attempts)).order_by(T.c.id)
        ids = list(conn.scalars(query.limit(limit) if limit else query))
    from_ = sender(settings, campaign)
    transport = _SmtpTransport(settings, from_[1]) if settings.smtp_host else _EmlTransport(settings.outbox_dir)
    report = {"transport": transport.name, "sent": 0, "failed": 0, "requeued": 0, "recovered": recovered,
              "pending": 0, "error": None}
    secret = getattr(transport, "password", None)
    if ids:
        try:
            transport.open()
        except SmtpUnavailable as exc:
            report["error"], ids = str(exc), []
    try:
        for ident in ids:
            row = _claim(engine, ident, max_attempts)
            if row is None:
                continue  # another run has it
            moment = utcnow()
            try:
                msg = build_message(row, campaign, from_, moment)
            except (OSError, ValueError, TypeError) as exc:
                _failed(engine, row, _describe(exc), settings, moment)
                report["failed"] += 1
                continue
            try:
                transport.send(msg, row)
            except (OSError, smtplib.SMTPException) as exc:
                error = _describe(exc, secret)
                if not _connection_lost(exc) or transport.name == "eml":
                    log.warning("outbox %s to %s failed: %s", row["key"], row["to_addr"], error)
                    _failed(engine, row, error, settings, moment)
                    report["failed"] += 1
                    continue
                _requeue(engine, row, error, max_attempts)
                report["requeued"] += 1
                transport.close()
                try:
                    transport.open()
                except SmtpUnavailable as down:
                    report["error"] = str(down)
                    break
                continue
            _sent(engine, row, msg["Message-ID"], moment)
            report["sent"] += 1
    finally:
        transport.close()
    report["pending"] = pending_count(env)
    if report["error"]:
        log.error("delivery stopped: %s (%d message(s) still queued)", report["error"], report["pending"])
    log.info("outbox delivery (%s): %d sent, %d failed, %d requeued, %d pending", transport.name, report["sent"],
             report["failed"], report["requeued"], report["pending"])
    return report


def _claim(engine, ident: int, max_attempts: int):
    with engine.begin() as conn:
        claimed = conn.execute(update(T).where(T.c.id == ident, T.c.status.in_(("queued", "failed")),
                                               T.c.attempts < max_attempts)
                               .values(status="sending", claimed_at=utcnow())).rowcount
        return conn.execute(select(T).where(T.c.id == ident)).mappings().one() if claimed == 1 else None


def _finish(engine, row, **values) -> None:
    with engine.begin() as conn:
        done = conn.execute(update(T).where(T.c.id == row["id"], T.c.status == "sending")
                            .values(attempts=row["attempts"] + 1, claimed_at=None, **values)).rowcount
    if done != 1:
        log.warning("outbox %s: claim was taken back while sending", row["key"])


def _sent(engine, row, msgid: str, moment: datetime) -> None:
    _finish(engine, row, status="sent", sent_at=moment, message_id=msgid, last_error=None, next_attempt_at=None)


def _failed(engine, row, error: str, settings: Settings, moment: datetime) -> None:
    backoff = timedelta(seconds=settings.mail_retry_after * 2 ** row["attempts"])
    _finish(engine, row, status="failed", last_error=error, next_attempt_at=moment + backoff)


def _requeue(engine, row, error: str, max_attempts: int) -> None:
    status = "queued" if row["attempts"] + 1 < max_attempts else "failed"
    _finish(engine, row, status=status, last_error=error, next_attempt_at=None)
