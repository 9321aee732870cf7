"""Void a wrongly accepted file: from the moment it is voided it counts for nothing (its
previous version, if any, counts again); questions asked as of an earlier moment still see it,
so a bulletin already published does not change. The unit is told by email, in the same
transaction."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal, TypedDict

from sqlalchemy import select

from insday.actions import ActionError
from insday.audit import record
from insday.db import session_scope
from insday.db.models import Submission
from insday.env import Env
from insday.mail.compose import association_context, render, unit_recipient, when
from insday.mail.outbox import enqueue, usable_address


class VoidDone(TypedDict):
    """``insday void --json``: the file voided."""

    action: Literal["void"]
    submission: int
    unit: str | None
    name: str | None
    report: str  # the report it was, in Chinese
    filename: str
    reason: str
    actor: str
    at: str
    counts_again: int | None  # the previous version, which counts again
    told: bool  # the unit was emailed (False: no usable address)
    log: int


def void(env: Env, submission: int, reason: str, actor: str, at: datetime | None = None) -> VoidDone:
    """Void accepted submission ``submission`` (its id, as ``insday ingest --json`` prints it)."""
    campaign = env.campaign
    at = at or datetime.now(timezone.utc)
    reason = (reason or "").strip()
    if not reason:
        raise ActionError("请写明作废原因（--reason），它会写进给报送单位的通知")
    with session_scope(env.engine) as session:
        sub = session.get(Submission, submission)
        if sub is None or sub.campaign != campaign.name:
            raise ActionError(f"没有编号为 {submission} 的报送文件（insday ingest --json 列出每份文件的 submission 编号）")
        if sub.status != "accepted":
            raise ActionError(f"文件「{sub.filename}」未被受理（{sub.status}），无需作废")
        if sub.voided_at is not None:
            raise ActionError(f"文件「{sub.filename}」已于 {campaign.local(sub.voided_at):%Y-%m-%d %H:%M} 作废")
        sub.voided_at, sub.void_reason = at, reason
        previous = session.scalars(
            select(Submission).where(Submission.campaign == campaign.name, Submission.report_type == sub.report_type, Submission.unit_code == sub.unit_code,
                                     Submission.period_key == sub.period_key, Submission.status == "accepted",
                                     Submission.voided_at.is_(None), Submission.id != sub.id,
                                     Submission.received_at <= at)
            .order_by(Submission.received_at.desc(), Submission.version.desc()).limit(1)).first()
        rt = campaign.report_types.get(sub.report_type or "")
        what = (rt.title if rt else "报送文件") + (f"（{sub.period.month}月{sub.period.day}日）" if sub.period else "")
        told = _tell(session, env, sub, what, previous, reason)
        entry = record(session, campaign.name, action="void", actor=actor, unit=sub.unit_code,
                       deadline=sub.deadline_id, submission=sub.id, reason=reason,
                       detail={"filename": sub.filename, "counts_again": previous.id if previous else None}, at=at)
        return {"action": "void", "submission": sub.id, "unit": sub.unit_code,
                "name": campaign.display_name(sub.unit_code) if sub.unit_code else None, "report": what,
                "filename": sub.filename, "reason": reason, "actor": actor, "at": campaign.local(at).isoformat(),
                "counts_again": previous.id if previous else None, "told": told, "log": entry.id}


def _tell(session, env: Env, sub: Submission, what: str, previous: Submission | None, reason: str) -> bool:
    """Queue the unit's notice (``void:<submission>``, once); False when it has no usable address."""
    campaign = env.campaign
    unit = campaign.unit_by_code.get(sub.unit_code or "")
    if unit is None or usable_address(unit.email) is None:
        return False
    to_name, to_addr = unit_recipient(unit)
    heading = f"报送文件已作废：{what}"
    lines = [f"贵单位于 {when(campaign, sub.received_at)} 报送的「{sub.filename}」（{what}）已由省协会作废，"
             f"不再计入报送和统计。", f"作废原因：{reason}"]
    lines.append(f"此前于 {when(campaign, previous.received_at)} 报送的「{previous.filename}」重新计入。" if previous
                 else "如需报送，请按要求修改后重新发送；截止后收到的文件仍会受理，并记为逾期。")
    html, text = render("notice", subject=f"【作废通知】{what}", heading=heading, greeting=to_name, lines=lines,
                        **association_context(campaign))
    return enqueue(session, campaign=campaign.name, key=f"void:{sub.id}", kind="notice", to_name=to_name, to_addr=to_addr,
                   subject=f"【作废通知】{what}", html=html, text=text, deadline_id=sub.deadline_id,
                   unit_code=unit.code)
