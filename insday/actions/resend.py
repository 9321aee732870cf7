"""Send a message again, on purpose, once per request: a file's receipt, a unit's latest
reminder or overdue notice for a deadline, or a bulletin to one unit. The copy is a new outbox
message (``<key>:resend:<log entry>``) with the original's body and attachments."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal, TypedDict

from sqlalchemy import select

from insday.actions import ActionError
from insday.actions.common import find_unit
from insday.audit import record
from insday.db import session_scope
from insday.db.models import OutboxMessage, Submission
from insday.env import Env
from insday.mail.outbox import enqueue
from insday.roster import current

Kind = Literal["receipt", "reminder", "bulletin"]


class ResendDone(TypedDict):
    """``insday resend --json``: the copy queued (the next send delivers it)."""

    action: Literal["resend"]
    kind: Kind
    key: str  # the copy's outbox key
    original: str  # the original message's key
    to: str
    subject: str
    unit: str | None
    actor: str
    at: str
    log: int
KIND_ZH = {"receipt": "回执", "reminder": "提醒", "bulletin": "通报"}


def resend(env: Env, kind: Kind, actor: str, *, submission: int | None = None, unit: str | None = None,
           deadline: str | None = None, day: str | None = None, reason: str | None = None,
           at: datetime | None = None) -> ResendDone:
    """Queue one more copy of a message: ``receipt`` of ``submission``; ``reminder`` (or overdue
    notice) of ``unit`` for ``deadline``; ``bulletin`` of ``day`` (a date or ``final``) to ``unit``."""
    campaign = env.campaign
    at = at or datetime.now(timezone.utc)
    with session_scope(env.engine) as session:
        original = _original(session, env, kind, submission, unit, deadline, day)
        entry = record(session, campaign.name, action="resend", actor=actor, unit=original.unit_code,
                       deadline=original.deadline_id, submission=submission, reason=reason,
                       detail={"kind": kind, "key": original.key, "subject": original.subject}, at=at)
        key = f"{original.key}:resend:{entry.id}"
        enqueue(session, campaign=env.campaign.name, key=key, kind=original.kind, to_name=original.to_name, to_addr=original.to_addr,
                subject=original.subject, html=original.html, text=original.text, attachments=original.attachments,
                inline_images=original.inline_images, deadline_id=original.deadline_id, unit_code=original.unit_code)
        return {"action": "resend", "kind": kind, "key": key, "original": original.key, "to": original.to_addr,
                "subject": original.subject, "unit": original.unit_code, "actor": actor,
                "at": campaign.local(at).isoformat(), "log": entry.id}


def _original(session, env: Env, kind: str, submission, unit, deadline, day) -> OutboxMessage:
    query = select(OutboxMessage).where(OutboxMessage.campaign == env.campaign.name,
                                        ~OutboxMessage.key.contains(":resend:")).order_by(OutboxMessage.id.desc())
    if kind == "receipt":
        if submission is None:
            raise ActionError("重发回执须指定报送文件编号（insday ingest --json 列出的 submission）")
        sub = session.get(Submission, submission)
        if sub is None or sub.campaign != env.campaign.name:
            raise ActionError(f"没有编号为 {submission} 的报送文件")
        query = query.where(OutboxMessage.key.startswith(f"receipt:{sub.sha256}:"))
    elif kind == "reminder":
        if not unit or not deadline:
            raise ActionError("重发提醒须指定单位和截止事项（如 人保财险 daily_report:2019-06-26）")
        code = find_unit(current(env), unit).code
        query = query.where(OutboxMessage.kind.in_(("reminder", "overdue")), OutboxMessage.deadline_id == deadline,
                            OutboxMessage.unit_code == code)
    elif kind == "bulletin":
        if not unit or not day:
            raise ActionError("重发通报须指定通报日期（或 final）和单位")
        a = env.campaign.association
        code = a.code if unit in (a.code, a.short_name, a.name) else find_unit(current(env), unit).code
        query = query.where(OutboxMessage.key == f"bulletin:{day}:{code}")
    else:
        raise ActionError(f"只能重发回执、提醒或通报（receipt、reminder、bulletin），而不是「{kind}」")
    found = session.scalars(query.limit(1)).first()
    if found is None:
        raise ActionError(f"没有可以重发的{KIND_ZH[kind]}：此前没有发出过")
    return found
