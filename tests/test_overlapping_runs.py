"""Overlapping runs against one database (SQLite and PostgreSQL): two daily_run flows at once,
and manual commands (`insday collect`, `insday remind`, real processes) while a flow runs.
Every inbox file is stored and moved once, every message reaches the SMTP server (aiosmtpd)
once; the second run waits for the lease, or, when it waited INSDAY_LEASE_WAIT in vain, says
in Chinese that another run holds it (exit 4)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from filemaker import daily_row, write_xlsx
from mailtools import TZ, mail_env
from overlap import at_once
from sqlalchemy import func, select

from insday.db import session_scope
from insday.db.models import Lease, OutboxMessage, Submission
from insday.lease import try_acquire

pytestmark = pytest.mark.usefixtures("prefect_harness")

UNITS = ["人保财险", "吉林市保险行业协会", "长春市保险行业协会", "四平市保险行业协会", "辽源市保险行业协会"]
AS_OF = "2019-06-25T14:00"  # the scoring sheets' 2-hour reminder to every company; no bulletin that day
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def home(env, smtp_server, monkeypatch):
    """Flows and commands of this process and its children see the same settings: the inbox
    holding five reports (every one "recent", so a collection holds the inbox lease for its
    stability check of 1 s), mail to ``smtp_server``."""
    monkeypatch.setenv("INSDAY_INBOX_SETTLE_SECONDS", str(10**10))
    monkeypatch.setenv("INSDAY_INBOX_STABLE_SECONDS", "1")
    menv = mail_env(env, monkeypatch, smtp_server)
    sent = datetime(2019, 6, 24, 21, tzinfo=TZ).timestamp()
    for n, unit in enumerate(UNITS):
        path = write_xlsx(menv.inbox_dir / f"{n}/0624.xlsx", [daily_row(day="2019-06-24", unit=unit)])
        os.utime(path, (sent, sent))
    return menv


def insday(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "insday", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)


def finished(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


def each_once(env, smtp_server) -> None:
    """Every file stored once and moved once; every queued message sent and at the server once."""
    with session_scope(env.engine) as s:
        stored = Counter(s.scalars(select(Submission.sha256)))
        outbox = s.execute(select(OutboxMessage.status, OutboxMessage.message_id)).all()
    assert sorted(stored.values()) == [1] * len(UNITS)
    assert not any(p.is_file() for p in env.inbox_dir.rglob("*"))
    assert len(list(env.processed_dir.rglob("*.xlsx"))) == len(UNITS)
    assert {status for status, _ in outbox} == {"sent"} and len(outbox) > len(UNITS)
    received = Counter(m["Message-ID"] for m in smtp_server.messages)
    assert set(received.values()) == {1} and set(received) == {mid for _, mid in outbox}


def test_two_daily_runs_at_once_store_every_file_and_send_every_message_once(home, smtp_server):
    from insday.flows.daily_run import daily_run

    states = at_once(lambda: daily_run(as_of=AS_OF, return_state=True))
    assert all(s.is_completed() for s in states), [s.message for s in states]
    taken = sorted(f["path"] for s in states for f in s.result()["collect_inbox"]["files"])
    assert taken == [f"{n}/0624.xlsx" for n in range(len(UNITS))]  # the second waited, then found them gone
    each_once(home, smtp_server)


def test_manual_commands_during_a_running_flow_wait_and_do_nothing_twice(home, smtp_server):
    from insday.flows.daily_run import daily_run

    states: list = []
    flow = threading.Thread(target=lambda: states.append(daily_run(as_of=AS_OF, return_state=True)))
    flow.start()
    give_up = time.monotonic() + 120
    while time.monotonic() < give_up:  # the flow's collection holds the inbox
        with session_scope(home.engine) as s:
            if s.scalar(select(func.count()).select_from(Lease).where(Lease.name == "inbox")):
                break
        time.sleep(0.05)
    manual = [insday("collect", "--json"), insday("remind", "--as-of", AS_OF, "--json")]
    flow.join()
    (collected, out, err), (reminded, _, err2) = [finished(p) for p in manual]
    assert (collected, reminded) == (0, 0), err + err2
    assert states[0].is_completed(), states[0].message
    by_flow = len(states[0].result()["collect_inbox"]["files"])
    assert by_flow + len(json.loads(out)["inbox"]["files"]) == len(UNITS)
    each_once(home, smtp_server)


def test_a_command_that_waited_in_vain_says_who_holds_the_lease(home, monkeypatch):
    if home.engine.dialect.name != "sqlite":
        pytest.skip("the message, not the database: the leases themselves are tested on both")
    holder = "other-host.example:4242:cafe daily_run 2019-06-25"  # another machine: never taken over early
    for name in ("inbox", "mail"):
        assert try_acquire(home.engine, name, holder, campaign=home.campaign.name) is None
    monkeypatch.setenv("INSDAY_LEASE_WAIT", "0.5")
    for code, _, err in [finished(p) for p in [insday("collect"), insday("send")]]:
        assert code == 4 and f"另一个运行正在进行（{holder}），本次未执行；请稍后再试。" in err.replace("\n", "")
    with session_scope(home.engine) as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 0
    assert len(list(home.inbox_dir.rglob("*.xlsx"))) == len(UNITS)
