"""The outbox and its delivery: idempotent queueing, real SMTP (aiosmtpd), .eml fallback,
MIME with inline images, header safety, outages, overlapping runs, logins and secrets."""

from __future__ import annotations

import json
import logging
import struct
import zlib
from datetime import timedelta

import pytest
from conftest import free_port
from mailtools import CrashAfter, Keep, Server, mail_env, parse
from openpyxl import Workbook
from overlap import at_once
from sqlalchemy import select, update
from typer.testing import CliRunner

from insday.cli import app
from insday.db import session_scope
from insday.db.models import OutboxMessage, utcnow
from insday.mail import deliver, enqueue


def queue(env, n=1, prefix="m", **overrides):
    with session_scope(env.engine) as s:
        for i in range(n):
            fields = dict(campaign=env.campaign.name, key=f"{prefix}:{i}", kind="reminder", to_name=f"联系人{i}（测试单位）",
                          to_addr=f"user{i}@unit.example.org", subject=f"主题 {i}", html=f"<p>正文 {i}</p>",
                          deadline_id="daily_report:2019-06-26", unit_code="P01")
            enqueue(s, **{**fields, **overrides})


def rows(env):
    with session_scope(env.engine) as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def png(path, width=3, height=2):
    """A real (tiny) PNG file."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return path


@pytest.fixture
def keep():
    handler = Keep(refuse={"nobody@unit.example.org"})
    server = Server(handler, free_port())
    server.start()
    yield server, handler
    server.stop()


def test_enqueue_is_insert_or_ignore(env):
    with session_scope(env.engine) as s:
        first = enqueue(s, campaign=env.campaign.name, key="digest:x", kind="digest", to_name="刘璐", to_addr="liulu@jiaia.example.org",
                        subject="一", html="<p>一</p>")
        again = enqueue(s, campaign=env.campaign.name, key="digest:x", kind="digest", to_name="刘璐", to_addr="liulu@jiaia.example.org",
                        subject="二", html="<p>二</p>")
    assert (first, again) == (True, False)
    [row] = rows(env)
    assert (row.subject, row.status, row.attempts, row.text) == ("一", "queued", 0, "一\n")


def test_enqueue_refuses_what_cannot_be_sent(env, tmp_path):
    with session_scope(env.engine) as s:
        for bad in ("", "not-an-address", "a@b.example.org, c@d.example.org",
                    "x@y.example.org\r\nBcc: e@f.example.org"):
            with pytest.raises(ValueError):
                enqueue(s, campaign=env.campaign.name, key="k", kind="digest", to_name="x", to_addr=bad, subject="s", html="h")
        with pytest.raises(ValueError):
            enqueue(s, campaign=env.campaign.name, key="k\nBcc: x", kind="digest", to_name="x", to_addr="a@b.example.org", subject="s", html="h")
        with pytest.raises(ValueError):
            enqueue(s, campaign=env.campaign.name, key="k", kind="spam", to_name="x", to_addr="a@b.example.org", subject="s", html="h")
        with pytest.raises(FileNotFoundError):
            enqueue(s, campaign=env.campaign.name, key="k", kind="digest", to_name="x", to_addr="a@b.example.org", subject="s", html="h",
                    attachments=[tmp_path / "missing.xlsx"])


def test_delivery_by_smtp_with_headers_inline_images_and_attachments(env, keep, monkeypatch, tmp_path):
    server, handler = keep
    menv = mail_env(env, monkeypatch, server)
    chart = png(tmp_path / "steps.png")
    book = Workbook()
    book.active["A1"] = "通报"
    book.save(tmp_path / "通报_0626.xlsx")
    with session_scope(env.engine) as s:
        assert enqueue(s, campaign=env.campaign.name, key="bulletin:2019-06-26:liulu", kind="bulletin", to_name="刘璐（省协会）",
                       to_addr="liulu@jiaia.example.org", subject="【通报】6月26日",
                       html='<h1>通报</h1><p>步数</p><img src="cid:steps.png" alt="步数图">',
                       attachments=[tmp_path / "通报_0626.xlsx"], inline_images=[chart])
    report = deliver(menv)
    assert (report["transport"], report["sent"], report["failed"], report["pending"], report["error"]) == (
        "smtp", 1, 0, 0, None)
    [msg] = handler.messages
    assert handler.envelopes[0].mail_from == "insday@jiaia.example.org"
    assert handler.envelopes[0].rcpt_tos == ["liulu@jiaia.example.org"]
    assert msg["To"].addresses[0].display_name == "刘璐（省协会）"
    assert msg["To"].addresses[0].addr_spec == "liulu@jiaia.example.org"
    assert msg["From"].addresses[0].display_name == "吉林省保险行业协会"
    assert msg["Subject"] == "【通报】6月26日"
    assert (msg["X-Insday-Kind"], msg["X-Insday-Deadline"], msg["X-Insday-Unit"]) == ("bulletin", None, None)
    assert msg["Auto-Submitted"] == "auto-generated"
    [row] = rows(env)
    assert msg["Message-ID"] == row.message_id and row.status == "sent" and row.attempts == 1
    # mixed[ alternative[ plain, related[ html, png ] ], xlsx ]
    assert msg.get_content_type() == "multipart/mixed"
    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    html, image = related.get_payload()
    assert 'src="cid:steps.png"' in html.get_content()
    assert image.get_content_type() == "image/png" and image["Content-ID"] == "<steps.png>"
    assert image.get_content() == chart.read_bytes()
    assert "步数图" in msg.get_body(("plain",)).get_content()
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "通报_0626.xlsx"
    assert attachment.get_content() == (tmp_path / "通报_0626.xlsx").read_bytes()
    assert deliver(menv)["sent"] == 0  # nothing twice


def test_eml_files_when_no_smtp_host(env, monkeypatch):
    menv = mail_env(env, monkeypatch)
    queue(env, 3)
    report = deliver(menv)
    assert (report["transport"], report["sent"], report["pending"]) == ("eml", 3, 0)
    files = sorted((menv.settings.outbox_dir).glob("*.eml"))
    assert [f.name for f in files] == ["000001-reminder-P01.eml", "000002-reminder-P01.eml", "000003-reminder-P01.eml"]
    msg = parse(files[0].read_bytes())
    assert (msg["Subject"], msg["X-Insday-Kind"], msg["X-Insday-Deadline"], msg["X-Insday-Unit"]) == (
        "主题 0", "reminder", "daily_report:2019-06-26", "P01")
    assert msg.get_body(("html",)).get_content().strip() == "<p>正文 0</p>"
    assert msg["Message-ID"] == rows(env)[0].message_id
    assert deliver(menv)["sent"] == 0
    assert len(list(menv.settings.outbox_dir.glob("*.eml"))) == 3


def test_header_injection_is_neutralised(env, keep, monkeypatch):
    server, handler = keep
    menv = mail_env(env, monkeypatch, server)
    queue(env, 1, to_name="张三\r\nBcc: evil@attacker.example.org", subject="回执\r\nBcc: evil@attacker.example.org\n",
          unit_code="P01\r\nX-Evil: 1")
    deliver(menv)
    [msg] = handler.messages
    assert handler.envelopes[0].rcpt_tos == ["user0@unit.example.org"]
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert msg["Subject"] == "回执 Bcc: evil@attacker.example.org"
    assert msg["To"].addresses[0].addr_spec == "user0@unit.example.org"
    assert len(msg["To"].addresses) == 1


def test_server_down_then_up_loses_and_duplicates_nothing(env, keep, monkeypatch):
    server, handler = keep
    menv = mail_env(env, monkeypatch, server)
    queue(env, 5)
    server.stop()
    report = deliver(menv)
    assert (report["sent"], report["pending"]) == (0, 5)
    assert "127.0.0.1" in report["error"]
    assert {(r.status, r.attempts) for r in rows(env)} == {("queued", 0)}
    server.start()
    report = deliver(menv)
    assert (report["sent"], report["pending"], report["error"]) == (5, 0, None)
    assert deliver(menv)["sent"] == 0
    assert sorted(m["Subject"] for m in handler.messages) == [f"主题 {i}" for i in range(5)]


def test_send_exits_1_while_the_server_is_down_and_0_once_all_went(env, keep, monkeypatch):
    server, handler = keep
    mail_env(env, monkeypatch, server)
    queue(env, 3)
    server.stop()
    down = CliRunner().invoke(app, ["send", "--json"])
    assert down.exit_code == 1 and "127.0.0.1" in json.loads(down.stdout)["error"]
    server.start()
    up = CliRunner().invoke(app, ["send", "--json"])
    assert up.exit_code == 0 and json.loads(up.stdout)["sent"] == 3
    assert len(handler.messages) == 3


def test_server_crash_mid_batch_then_restart(env, monkeypatch):
    ref: list = []
    handler = CrashAfter(2, ref)
    server = Server(handler, free_port())
    ref.append(server)
    server.start()
    try:
        menv = mail_env(env, monkeypatch, server)
        queue(env, 6)
        report = deliver(menv)
        assert handler.crashed.is_set()
        assert (report["sent"], report["requeued"], report["pending"]) == (2, 1, 4)
        assert report["error"]
        by_status = {}
        for r in rows(env):
            by_status.setdefault(r.status, []).append(r.key)
        assert by_status == {"sent": ["m:0", "m:1"], "queued": ["m:2", "m:3", "m:4", "m:5"]}
        server.start()
        report = deliver(menv)
        assert (report["sent"], report["pending"], report["error"]) == (4, 0, None)
        assert sorted(m["Subject"] for m in handler.messages) == [f"主题 {i}" for i in range(6)]
        assert len({m["Message-ID"] for m in handler.messages}) == 6
    finally:
        server.stop()


def test_overlapping_deliveries_send_each_message_once(env, keep, monkeypatch):
    server, handler = keep
    menv = mail_env(env, monkeypatch, server)
    queue(env, 40)
    reports = at_once(lambda: deliver(menv))
    assert sum(r["sent"] for r in reports) == 40
    subjects = [m["Subject"] for m in handler.messages]
    assert sorted(subjects) == sorted(f"主题 {i}" for i in range(40))


def test_refused_recipient_fails_alone_and_is_retried_after_backoff(env, keep, monkeypatch):
    server, handler = keep
    menv = mail_env(env, monkeypatch, server, mail_retry_after=3600)
    queue(env, 2)
    queue(env, 1, prefix="bad", to_addr="nobody@unit.example.org")
    report = deliver(menv)
    assert (report["sent"], report["failed"]) == (2, 1)
    bad = next(r for r in rows(env) if r.key == "bad:0")
    assert (bad.status, bad.attempts) == ("failed", 1)
    assert "550" in bad.last_error
    assert bad.next_attempt_at > utcnow() + timedelta(minutes=59)
    assert deliver(menv)["failed"] == 0  # backing off
    with session_scope(env.engine) as s:
        s.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    assert deliver(menv)["failed"] == 1
    assert next(r for r in rows(env) if r.key == "bad:0").attempts == 2


def test_a_message_that_failed_too_often_is_left_failed(env, keep, monkeypatch):
    server, handler = keep
    menv = mail_env(env, monkeypatch, server, mail_retry_after=0, mail_max_attempts=2)
    queue(env, 1, to_addr="nobody@unit.example.org")
    assert deliver(menv)["failed"] == 1
    report = deliver(menv)
    assert (report["failed"], report["pending"]) == (1, 0)
    assert deliver(menv)["failed"] == 0
    [row] = rows(env)
    assert (row.status, row.attempts) == ("failed", 2)


def test_claims_of_runs_that_are_gone_are_in_doubt_never_resent_fresh_ones_left_alone(env, keep, monkeypatch):
    import socket
    import subprocess
    import sys

    from insday.mail.delivery import CLAIMED_BY

    server, handler = keep
    menv = mail_env(env, monkeypatch, server)
    queue(env, 4)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with session_scope(env.engine) as s:
        s.execute(update(OutboxMessage).where(OutboxMessage.key == "m:0")  # an old claim
                  .values(status="sending", claimed_at=utcnow() - timedelta(hours=1)))
        s.execute(update(OutboxMessage).where(OutboxMessage.key == "m:1")  # a run busy sending it
                  .values(status="sending", claimed_at=utcnow() - timedelta(minutes=1)))
        s.execute(update(OutboxMessage).where(OutboxMessage.key == "m:2")  # a process killed here
                  .values(status="sending", claimed_at=utcnow() - timedelta(seconds=5),
                          last_error=f"{CLAIMED_BY}{socket.gethostname()}:{gone.stdout.strip()}"))
    report = deliver(menv)
    assert (report["recovered"], report["sent"], report["pending"]) == (2, 1, 1)
    assert [m["Subject"] for m in handler.messages] == ["主题 3"]  # at most once: m:0 and m:2 may have arrived
    doubt = {r.key: (r.status, r.attempts, r.last_error) for r in rows(env)}
    for key in ("m:0", "m:2"):
        assert doubt[key][:2] == ("failed", env.settings.mail_max_attempts) and "结果未知" in doubt[key][2]
    assert doubt["m:1"][0] == "sending"


class _Auth:
    def __init__(self):
        self.logins: list = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret-pass", handled=False)


@pytest.fixture
def auth_server():
    auth, handler = _Auth(), Keep()
    server = Server(handler, free_port(), authenticator=auth, auth_require_tls=False)
    server.start()
    yield server, handler, auth
    server.stop()


def test_no_login_without_password_login_with_it(env, auth_server, monkeypatch):
    server, handler, auth = auth_server
    menv = mail_env(env, monkeypatch, server, smtp_user="insday")
    queue(env, 1, prefix="a")
    assert deliver(menv)["sent"] == 1
    assert auth.logins == []  # a relay: no AUTH at all
    menv = mail_env(env, monkeypatch, server, smtp_user="insday", smtp_password="s3cret-pass")
    queue(env, 1, prefix="b")
    assert deliver(menv)["sent"] == 1
    assert auth.logins == [(b"insday", b"s3cret-pass")]


def test_wrong_password_is_reported_never_shown(env, auth_server, monkeypatch, caplog, capsys):
    server, handler, auth = auth_server
    menv = mail_env(env, monkeypatch, server, smtp_user="insday", smtp_password="wrong-Secret-42")
    queue(env, 2)
    with caplog.at_level(logging.DEBUG):
        report = deliver(menv)
    assert (report["sent"], report["pending"]) == (0, 2)
    assert report["error"].startswith(f"SMTP 服务器 127.0.0.1:{menv.settings.smtp_port} 拒绝登录（用户 insday）：")
    assert "535" in report["error"]
    captured = capsys.readouterr()
    seen = caplog.text + captured.out + captured.err + repr(report) + " ".join(str(r.last_error) for r in rows(env))
    assert "wrong-Secret-42" not in seen
    assert "wrong-Secret-42" not in repr(menv.settings)


@pytest.mark.slow
def test_password_from_a_prefect_secret_block(env, auth_server, monkeypatch, prefect_harness):
    from prefect.blocks.system import Secret

    server, handler, auth = auth_server
    Secret(value="s3cret-pass").save("insday-smtp-test", overwrite=True)
    menv = mail_env(env, monkeypatch, server, smtp_user="insday", smtp_password_block="insday-smtp-test")
    queue(env, 1)
    assert deliver(menv)["sent"] == 1
    assert auth.logins == [(b"insday", b"s3cret-pass")]


def test_send_with_an_unusable_sender_setting_exits_2(env, monkeypatch):
    mail_env(env, monkeypatch, smtp_from="not an address")
    result = CliRunner().invoke(app, ["send"])
    assert result.exit_code == 2 and "INSDAY_SMTP_FROM" in result.output
