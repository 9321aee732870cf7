"""One unit's own deadline: more time (``extend``) or not expected at all (``excuse``, 免报).

Recorded in ``deadline_overrides`` with the moment it was decided: status, reminders, overdue
notices and bulletins as of a later moment use the unit's own due time (or leave it out as 免报);
anything asked as of an earlier moment is unchanged, so published bulletins stay as they were.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal, TypedDict

from insday.actions import ActionError
from insday.actions.common import find_deadline, find_unit
from insday.audit import record
from insday.db import session_scope
from insday.db.models import DeadlineOverride
from insday.env import Env
from insday.roster import current


class OverrideDone(TypedDict):
    """``insday extend|excuse --json``: the decision recorded."""

    action: Literal["extend", "excuse"]
    unit: str
    name: str
    deadline: str
    title: str
    due: str  # the deadline's own due time
    until: str | None  # extend: the unit's own due time
    reason: str
    actor: str
    at: str  # when it was recorded
    log: int  # its entry in the audit log


def extend(env: Env, unit: str, deadline: str, until: datetime, reason: str, actor: str,
           at: datetime | None = None) -> OverrideDone:
    """Give ``unit`` until ``until`` for ``deadline`` (a later time than the deadline's own)."""
    if until.tzinfo is None:
        until = until.replace(tzinfo=env.campaign.tz)
    return _override(env, "extend", unit, deadline, until.astimezone(timezone.utc), reason, actor, at)


def excuse(env: Env, unit: str, deadline: str, reason: str, actor: str, at: datetime | None = None) -> OverrideDone:
    """Excuse ``unit`` from ``deadline``: shown as 免报 with the reason, never as missing."""
    return _override(env, "excuse", unit, deadline, None, reason, actor, at)


def _override(env: Env, kind: str, written_unit: str, deadline_id: str, until: datetime | None, reason: str,
              actor: str, at: datetime | None) -> OverrideDone:
    at = at or datetime.now(timezone.utc)
    campaign = current(env, at)  # units added by `insday units add` too
    reason = (reason or "").strip()
    if not reason:
        raise ActionError("请写明原因（--reason），它会显示在报送情况和通报中")
    unit = find_unit(campaign, written_unit)
    d = find_deadline(env, deadline_id, at)
    if unit.code not in d.units:
        raise ActionError(f"{unit.display_name}不在「{d.title}」的应报单位中，无需{'延期' if until else '免报'}")
    if until is not None and until <= d.closes:
        raise ActionError(f"延期后的截止时间须晚于原截止时间 {campaign.local(d.closes):%Y-%m-%d %H:%M}，"
                          f"而不是 {campaign.local(until):%Y-%m-%d %H:%M}")
    with session_scope(env.engine) as session:
        session.add(DeadlineOverride(campaign=campaign.name, unit_code=unit.code, deadline_id=d.id, kind=kind,
                                     until=until, reason=reason, actor=actor, created_at=at))
        entry = record(session, campaign.name, action=kind, actor=actor, unit=unit.code, deadline=d.id, reason=reason,
                       detail={"until": campaign.local(until).isoformat()} if until else {}, at=at)
        logged = entry.id
    return {"action": kind, "unit": unit.code, "name": unit.display_name, "deadline": d.id, "title": d.title,
            "due": campaign.local(d.due).isoformat(), "until": campaign.local(until).isoformat() if until else None,
            "reason": reason, "actor": actor, "at": campaign.local(at).isoformat(), "log": logged}
