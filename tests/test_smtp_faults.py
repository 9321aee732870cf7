"""SMTP servers that misbehave after the connection is made: one that never answers, one that
hangs after receiving a message, one that receives a message and drops the connection before
its 250. Counted at real servers (aiosmtpd, a silent TCP listener).

The rule (docs/deadlines.md, "When the server fails mid-message"): a message without the
server's 250 reply is sent again, with the same Message-ID, on a later run; the server
acknowledges each message once (at least once in the mailbox, deduplicable by Message-ID). A
run stops when two messages in a row lose their connection, so a hanging server costs two
timeouts, not one per message."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import free_port
from mailtools import Keep, NoReplyAfterData, Server, Silent, mail_env
from sqlalchemy import select

from insday.db import session_scope
from insday.db.models import OutboxMessage
from insday.mail import deliver
from test_mail import queue


def outbox(env) -> dict[str, tuple[str, int]]:
    with session_scope(env.engine) as s:
        return {r.key: (r.status, r.attempts) for r in s.scalars(select(OutboxMessage))}


@pytest.fixture
def good():
    server = Server(Keep(), free_port())
    server.start()
    yield server
    server.stop()


def test_a_server_that_never_answers_times_out_and_every_message_stays_queued(env, good, monkeypatch):
    silent = Silent()
    try:
        menv = mail_env(env, monkeypatch, silent, smtp_timeout=0.3, smtp_retries=2)
        queue(env, 4)
        report = deliver(menv)  # without INSDAY_SMTP_TIMEOUT this would wait for ever
    finally:
        silent.stop()
    assert (report["sent"], report["pending"]) == (0, 4)
    assert "连接失败（尝试 2 次）" in report["error"] and "timed out" in report["error"]
    assert set(outbox(env).values()) == {("queued", 0)}

    report = deliver(mail_env(env, monkeypatch, good))
    assert (report["sent"], report["pending"], report["error"]) == (4, 0, None)
    assert sorted(Counter(m["Message-ID"] for m in good.handler.messages).values()) == [1] * 4


def test_a_server_that_hangs_after_data_stops_the_run_after_two_messages(env, good, monkeypatch):
    hanging = Server(NoReplyAfterData(drop=False), free_port())
    hanging.start()
    try:
        menv = mail_env(env, monkeypatch, hanging, smtp_timeout=0.5)
        queue(env, 10)
        report = deliver(menv)
    finally:
        hanging.stop()
    assert (report["sent"], report["requeued"], report["pending"]) == (0, 2, 10)
    assert "连续两封邮件发送中断开连接或无响应" in report["error"]
    assert len(hanging.handler.unanswered) == 2 and hanging.handler.messages == []
    assert sorted(outbox(env).values()) == [("queued", 0)] * 8 + [("queued", 1)] * 2

    report = deliver(mail_env(env, monkeypatch, good))
    assert (report["sent"], report["pending"]) == (10, 0)
    acknowledged = Counter(m["Message-ID"] for m in good.handler.messages)
    assert sorted(acknowledged.values()) == [1] * 10
    assert {m["Message-ID"] for m in hanging.handler.unanswered} <= set(acknowledged)  # the same message again


def test_a_message_dropped_before_its_250_is_sent_again_once_with_its_message_id(env, monkeypatch):
    handler = NoReplyAfterData(drop=True, which={2})
    server = Server(handler, free_port())
    server.start()
    try:
        menv = mail_env(env, monkeypatch, server)
        queue(env, 6)
        report = deliver(menv)  # the third message is received whole, then the connection drops
        assert (report["sent"], report["requeued"], report["pending"], report["error"]) == (5, 1, 1, None)
        assert outbox(env)["m:2"] == ("queued", 1)
        report = deliver(menv)  # the rerun
        assert (report["sent"], report["pending"]) == (1, 0)
        assert deliver(menv)["sent"] == 0
    finally:
        server.stop()
    [dropped] = handler.unanswered
    acknowledged = Counter(m["Message-ID"] for m in handler.messages)
    assert sorted(acknowledged.values()) == [1] * 6  # every message taken (250) exactly once
    assert acknowledged[dropped["Message-ID"]] == 1 and dropped["Subject"] == "主题 2"
    with session_scope(env.engine) as s:
        recorded = set(s.scalars(select(OutboxMessage.message_id)))
    assert recorded == set(acknowledged)
