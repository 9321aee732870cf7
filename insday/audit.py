"""The audit log: who did what, when and why, one row per action.

Every admin action and every human decision (an approval, an extension, a void, ...) calls
:func:`record` inside the transaction that makes its effect, so the log never claims an
action that did not happen, nor misses one that did. :func:`entries` reads it back, newest
first, as ``insday log --json`` prints it.
"""

from __future__ import annotations

import getpass
import os
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from insday.db.models.audit import AuditEntry
from insday.db.models.core import utcnow


def cli_actor() -> str:
    """The actor of a command typed at the shell: the OS user."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers): fall back to the environment
        return os.environ.get("USER") or "unknown"


def record(session: Session, campaign: str, *, action: str, actor: str, unit: str | None = None,
           deadline: str | None = None, submission: int | None = None, reason: str | None = None,
           detail: dict | None = None, at: datetime | None = None) -> AuditEntry:
    """Add one entry to the log in the caller's transaction (nothing is committed here)."""
    entry = AuditEntry(campaign=campaign, at=at or utcnow(), actor=actor, action=action, unit_code=unit,
                       deadline_id=deadline, submission_id=submission, reason=reason, detail=detail or {})
    session.add(entry)
    session.flush()
    return entry


class LogEntry(TypedDict):
    """One decision or admin action (``insday log --json``)."""

    at: datetime  # aware UTC (``insday log`` prints it in campaign time)
    actor: str
    action: str  # extend, excuse, void, resend, approve, reject, video_withdraw, unit_add, unit_retire
    unit: str | None
    deadline: str | None
    submission: int | None
    reason: str | None
    detail: dict[str, Any]  # what else the action recorded (e.g. extend: until)


def entries(session: Session, campaign: str, *, unit: str | None = None, limit: int | None = None) -> list[LogEntry]:
    """The campaign's log, newest first."""
    query = (select(AuditEntry).where(AuditEntry.campaign == campaign)
             .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))
    if unit:
        query = query.where(AuditEntry.unit_code == unit)
    if limit:
        query = query.limit(limit)
    return [{"at": e.at, "actor": e.actor, "action": e.action, "unit": e.unit_code, "deadline": e.deadline_id,
             "submission": e.submission_id, "reason": e.reason, "detail": e.detail}
            for e in session.scalars(query)]
