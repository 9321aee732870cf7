"""Database leases: one holder at a time, expiry, a dead holder's lease taken over, waiting."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from insday.db import session_scope
from insday.db.models import Lease
from insday.lease import LeaseBusy, lease, new_holder, release, try_acquire

C = "jilin-2019"


def test_one_holder_at_a_time_and_release(env):
    first, second = new_holder("daily_run 2019-06-30"), new_holder()
    assert try_acquire(env.engine, "inbox", first, campaign=C) is None
    assert try_acquire(env.engine, "inbox", second, campaign=C) == first
    assert try_acquire(env.engine, "imap", second, campaign=C) is None  # leases are independent by name
    release(env.engine, "inbox", second, campaign=C)  # not the holder: no effect
    assert try_acquire(env.engine, "inbox", second, campaign=C) == first
    release(env.engine, "inbox", first, campaign=C)
    assert try_acquire(env.engine, "inbox", second, campaign=C) is None


def test_an_expired_lease_is_taken_over(env):
    old = new_holder()
    assert try_acquire(env.engine, "inbox", old, ttl=60, campaign=C) is None
    with session_scope(env.engine) as s:
        s.execute(update(Lease).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    newer = new_holder()
    assert try_acquire(env.engine, "inbox", newer, campaign=C) is None
    assert try_acquire(env.engine, "inbox", old, campaign=C) == newer


def test_a_lease_left_by_a_dead_process_on_this_machine_is_taken_over_at_once(env):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    dead = f"{socket.gethostname()}:{gone.stdout.strip()}:deadbeef daily_run 2019-06-30"
    assert try_acquire(env.engine, "inbox", dead, ttl=3600, campaign=C) is None
    assert try_acquire(env.engine, "inbox", new_holder(), campaign=C) is None
    elsewhere = f"other-host.example:{gone.stdout.strip()}:cafe"  # another machine: wait for expiry
    assert try_acquire(env.engine, "imap", elsewhere, ttl=3600, campaign=C) is None
    assert try_acquire(env.engine, "imap", new_holder(), campaign=C) == elsewhere


def test_waiting_for_a_busy_lease_then_giving_up(env):
    order: list[str] = []
    held, let_go = threading.Event(), threading.Event()

    def hold():
        with lease(env.engine, "inbox", campaign=C):
            order.append("first in")
            held.set()
            let_go.wait(10)
            order.append("first out")

    def second():
        with lease(env.engine, "inbox", campaign=C, wait=10, poll=0.05):
            order.append("second in")

    first = threading.Thread(target=hold)
    first.start()
    assert held.wait(10)
    with pytest.raises(LeaseBusy, match="inbox"):
        with lease(env.engine, "inbox", campaign=C, wait=0.1, poll=0.05):
            pass
    waiting = threading.Thread(target=second)
    waiting.start()
    waiting.join(0.3)  # still waiting: the first holder has not let go
    assert waiting.is_alive() and order == ["first in"]
    let_go.set()
    first.join()
    waiting.join(10)
    assert order == ["first in", "first out", "second in"]


def test_an_error_inside_releases_the_lease(env):
    with pytest.raises(ZeroDivisionError):
        with lease(env.engine, "inbox", campaign=C):
            1 / 0
    assert try_acquire(env.engine, "inbox", new_holder(), campaign=C) is None


def test_leases_are_per_campaign(env):
    """Two campaigns' runs each hold their own inbox lease at the same time."""
    first, second = new_holder("jilin"), new_holder("guangdong")
    assert try_acquire(env.engine, "inbox", first, campaign=C) is None
    assert try_acquire(env.engine, "inbox", second, campaign="guangdong-2020") is None
    assert try_acquire(env.engine, "inbox", new_holder(), campaign=C) == first
    release(env.engine, "inbox", first, campaign="guangdong-2020")  # another campaign's: no effect
    assert try_acquire(env.engine, "inbox", new_holder(), campaign="guangdong-2020") == second
