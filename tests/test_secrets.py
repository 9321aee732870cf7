"""Secrets (issue 21, item 5): with an SMTP password, an IMAP password and a database password
set, nothing insday writes or says contains them: a replay of a few days (the daily flow
under the Prefect harness, over files dropped in the inbox), the commands people run (real
processes), an SMTP login refused, an SMTP server down, an IMAP server down and a database
that cannot be reached (so exception texts are written too). Then everything is searched:
the INSDAY_HOME tree (with every .eml decoded), the outbox table, the log records, the
commands' stdout and stderr, and the Prefect server's logs and artifacts of the runs."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import free_port
from filemaker import daily_row, write_xlsx
from mailtools import Keep, Server
from sqlalchemy import select
from sqlalchemy.engine import make_url

from insday.db import session_scope
from insday.db.models import OutboxMessage
from insday.settings import get_settings

pytestmark = pytest.mark.usefixtures("prefect_harness")

TZ = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parent.parent
SMTP_SECRET, IMAP_SECRET, DB_SECRET = "Smtp-S3cret-7f2a", "Imap-S3cret-91bc", "Db-S3cret-c0de"
SECRETS = (SMTP_SECRET, IMAP_SECRET, DB_SECRET)


class _Refuse:
    """An SMTP authenticator that refuses every login (a changed password)."""

    def __call__(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        return AuthResult(success=False, handled=False)


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def eml_text(path: Path) -> str:
    """An .eml file as bytes and with every part decoded (a secret in a base64 body is still a leak)."""
    msg = BytesParser(policy=policy.default).parse(path.open("rb"))
    parts = [path.read_bytes().decode("utf-8", "replace"), str(dict(msg.items()))]
    for part in msg.walk():
        if not part.is_multipart():
            payload = part.get_payload(decode=True) or b""
            parts.append(payload.decode("utf-8", "replace"))
    return "\n".join(parts)


def run(args: list[str], **extra) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), **extra}
    return subprocess.run([sys.executable, "-m", "insday", *args], capture_output=True, text=True, env=env,
                          timeout=180, cwd=ROOT)


def prefect_texts() -> str:
    """Every log line and artifact the Prefect server holds (the harness is this session's own)."""
    from prefect.client.orchestration import get_client
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    with get_client(sync_client=True) as client:
        logs = [log.message for log in client.read_logs(limit=200)]
        offset = 200
        while len(logs) == offset:
            logs += [log.message for log in client.read_logs(limit=200, offset=offset)]
            offset += 200
        artifacts = [f"{a.key} {a.description} {a.data}" for a in client.read_artifacts(limit=200)]
        runs = [f"{r.name} {r.parameters} {r.state.message if r.state else ''}" for r in client.read_flow_runs(limit=200)]
    assert logs and artifacts and runs
    return "\n".join(logs + artifacts + runs)


def test_no_secret_is_ever_written_or_said(env, db_url, monkeypatch, caplog):
    if make_url(db_url).get_backend_name() != "postgresql":
        pytest.skip("the database password is a PostgreSQL URL's")
    from insday.flows.daily_run import daily_run

    with_password = make_url(db_url).set(password=DB_SECRET).render_as_string(hide_password=False)
    refusing = Server(Keep(), free_port(), authenticator=_Refuse(), auth_require_tls=False)
    refusing.start()
    settings = {
        "INSDAY_DATABASE_URL": with_password, "INSDAY_AUTO_APPROVE": "true", "INSDAY_INBOX_STABLE_SECONDS": "0.2",
        "INSDAY_SMTP_HOST": "127.0.0.1", "INSDAY_SMTP_PORT": str(refusing.port), "INSDAY_SMTP_USER": "insday",
        "INSDAY_SMTP_PASSWORD": SMTP_SECRET, "INSDAY_SMTP_FROM": "insday@jiaia.example.org",
        "INSDAY_SMTP_RETRY_DELAY": "0.02"}
    # set for every command; the mailbox's server is down (its stage would fail every daily run,
    # so the flows run without a mailbox, and the commands below meet the outage)
    imap = {"INSDAY_IMAP_HOST": "127.0.0.1", "INSDAY_IMAP_PORT": str(free_port()),
            "INSDAY_IMAP_USER": "reports@jiaia.example.org", "INSDAY_IMAP_PASSWORD": IMAP_SECRET,
            "INSDAY_IMAP_TIMEOUT": "5"}
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    home = env.settings.home
    said: list[str] = []
    try:
        with caplog.at_level(logging.INFO):
            # a few days of the daily flow: files arrive, receipts and reminders are queued, the
            # SMTP login is refused (the flow says so)
            for day, unit, as_of in (("2019-06-26", "人保财险", "2019-06-27T10:30"),
                                     ("2019-06-27", "中国人寿", "2019-06-28T10:30")):
                at = datetime.fromisoformat(day).replace(hour=21, tzinfo=TZ)
                path = write_xlsx(home / "inbox" / f"{unit}{day}.xlsx", [daily_row(day=day, unit=unit)])
                os.utime(path, (at.timestamp(), at.timestamp()))
                state = daily_run(as_of=as_of, return_state=True)
                said.append(str(state.message))
                try:
                    said.append(repr(state.result(raise_on_failure=False)))
                except Exception as exc:  # the failure itself is text someone reads
                    said.append(repr(exc))
            # the commands people run, as real processes
            refusing.stop()  # now the SMTP server is down altogether
            for args in (["collect", "--json"], ["remind", "--as-of", "2019-06-28T09:00"]):
                done = run(args, **imap)
                said += [f"$ insday {' '.join(args)} -> {done.returncode}", done.stdout, done.stderr]
            # a database that cannot be reached, with the password in its URL
            down = make_url(with_password).set(port=free_port()).render_as_string(hide_password=False)
            for args in (["status"], ["send"]):
                done = run(args, **imap, INSDAY_DATABASE_URL=down)
                assert done.returncode != 0
                said += [f"$ insday {' '.join(args)} -> {done.returncode}", done.stdout, done.stderr]
    finally:
        refusing.stop()
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)

    written = {}
    for path in home.rglob("*"):
        if path.is_file():
            written[path] = eml_text(path) if path.suffix == ".eml" else path.read_bytes().decode("utf-8", "replace")
    with session_scope(env.engine) as s:
        outbox = [f"{m.subject} {m.html} {m.text} {m.last_error}" for m in s.scalars(select(OutboxMessage))]

    # the replay did happen: files stored, mail queued, refused logins and outages were said
    assert len(outbox) >= 3 and any(p.suffix == ".xlsx" for p in written)
    everything = "\n".join(said)
    assert "拒绝登录（用户 " in everything  # the refused login was said, without the password
    assert prefect_texts()
    found = {
        "said (commands, flow states)": leaks(everything), "logged": leaks(logged),
        "written under INSDAY_HOME": sorted({s for text in written.values() for s in leaks(text)}),
        "outbox": sorted({s for text in outbox for s in leaks(text)}), "Prefect logs and artifacts": leaks(prefect_texts()),
    }
    assert found == {k: [] for k in found}
