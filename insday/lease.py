"""Leases: named, expiring locks kept in the database (SQLite and PostgreSQL alike).

A stage that works on something outside the database (the inbox folder, the IMAP
mailbox, the SMTP server) takes a lease first, so two overlapping runs, on one machine
or several, take turns instead of both doing the work. A lease expires after ``ttl``
seconds, so a holder that died never blocks for longer; a holder on this machine whose
process is gone is recognised at once.

    with lease(env.engine, "inbox", campaign="jilin-2019", wait=120, label="daily_run 2019-06-30"):

Leases are per campaign: two campaigns' runs hold their own ``inbox`` lease at the same time.
        ...
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError

from insday.db import session_scope
from insday.db.models import Lease
from insday.errors import LeaseBusy

log = logging.getLogger("insday.lease")

DEFAULT_TTL = 900.0


def new_holder(label: str | None = None) -> str:
    """``host:pid:random`` plus an optional label for people (a flow run's name)."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return f"{holder} {label}"[:200] if label else holder


def _dead_here(holder: str) -> bool:
    """True when the holder ran on this machine and its process no longer exists."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def try_acquire(engine: Engine, name: str, holder: str, ttl: float = DEFAULT_TTL, *, campaign: str) -> str | None:
    """Take the lease if it is free, expired or left by a dead process here.

    Returns None when ``holder`` now holds it, otherwise the current holder.
    """
    now = datetime.now(timezone.utc)
    expires = now + timedelta(seconds=ttl)
    try:
        with session_scope(engine) as s:
            s.add(Lease(campaign=campaign, name=name, holder=holder, acquired_at=now, expires_at=expires))
        return None
    except IntegrityError:
        pass
    with session_scope(engine) as s:
        current = s.execute(select(Lease.holder, Lease.expires_at).where(Lease.campaign == campaign, Lease.name == name)).first()
        if current is None:  # released in between: try again from the start
            return try_acquire(engine, name, holder, ttl, campaign=campaign)
        if current.expires_at > now and not _dead_here(current.holder):
            return current.holder
        # Compare-and-swap on the old holder: of two runs taking over at once, one wins.
        taken = s.execute(update(Lease).where(Lease.campaign == campaign, Lease.name == name, Lease.holder == current.holder)
                          .values(holder=holder, acquired_at=now, expires_at=expires)).rowcount
        if taken:
            log.warning("lease %s taken over from %s (expired or process gone)", name, current.holder)
            return None
        return current.holder


def release(engine: Engine, name: str, holder: str, *, campaign: str) -> None:
    with session_scope(engine) as s:
        s.execute(delete(Lease).where(Lease.campaign == campaign, Lease.name == name, Lease.holder == holder))


@contextmanager
def lease(engine: Engine, name: str, *, campaign: str, ttl: float = DEFAULT_TTL, wait: float = 0.0, poll: float = 0.5,
          label: str | None = None) -> Iterator[str]:
    """Hold the campaign's lease ``name`` for the block; wait up to ``wait`` seconds for it, else raise LeaseBusy."""
    holder = new_holder(label)
    give_up = time.monotonic() + wait
    while (current := try_acquire(engine, name, holder, ttl, campaign=campaign)) is not None:
        if time.monotonic() >= give_up:
            raise LeaseBusy(name, current)
        time.sleep(poll)
    try:
        yield holder
    finally:
        try:
            release(engine, name, holder, campaign=campaign)
        except Exception:  # the database went away: the lease expires by itself
            log.warning("could not release lease %s; it expires within %.0f s", name, ttl, exc_info=True)
