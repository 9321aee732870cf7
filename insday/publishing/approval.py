"""Approvals: an output that passed its checks waits for the association's contact person.

One row per version of an output (its document's sha256): the decision covers exactly the
figures that were checked and previewed. A version is ``pending`` until someone decides
(``approved`` or ``rejected`` with a note), or is approved at once when its rule in
``campaign.yaml`` (``publishing:``) says ``auto`` or ``INSDAY_AUTO_APPROVE`` is set (replays, the
demo). A version whose checks failed is never approved. Every decision is written to the audit
log in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from insday.actions import ActionError
from insday.audit import record
from insday.db.models import Approval
from insday.db.models.core import utcnow
from insday.env import Env
from insday.publishing.checks import Check, failures_text, passed

AUTO_SETTING = "自动批准（INSDAY_AUTO_APPROVE，回放或演示）"
AUTO_RULE = "自动发布（检查全部通过，campaign.yaml 规定无需审批）"
AT_TIMEOUT = "超时自动发布（campaign.yaml：on_timeout: publish）"
STATE_ZH = {"pending": "待审批", "approved": "已批准", "rejected": "已退回"}


class ApprovalError(ActionError):
    """A decision that cannot be taken; the message (Chinese) says why."""


def latest(session: Session, campaign: str, output: str, edition: str) -> Approval | None:
    """The newest version of an output (the one a decision applies to)."""
    return session.scalars(select(Approval).where(Approval.campaign == campaign, Approval.output == output,
                                                  Approval.edition == edition)
                           .order_by(Approval.requested_at.desc(), Approval.id.desc()).limit(1)).first()


def request(session: Session, env: Env, *, output: str, edition: str, digest: str, title: str,
            checks: list[Check], preview: str | None, flow_run_id: str | None = None) -> tuple[Approval, bool]:
    """The approval row of this version, created (and decided at once where a rule says so) if
    it is new. Returns (row, whether it is new)."""
    campaign = env.campaign
    row = session.scalars(select(Approval).where(Approval.campaign == campaign.name, Approval.output == output,
                                                 Approval.edition == edition, Approval.digest == digest)).first()
    if row is not None:
        if flow_run_id and row.state == "pending":
            row.flow_run_id = flow_run_id  # the run that waits for it now
        return row, False
    row = Approval(campaign=campaign.name, output=output, edition=edition, digest=digest, title=title,
                   state="pending", checks_passed=passed(checks), checks=[c.as_dict() for c in checks],
                   preview=preview, flow_run_id=flow_run_id, requested_at=utcnow())
    session.add(row)
    session.flush()
    if row.checks_passed:
        if env.settings.auto_approve:
            _decide(session, row, True, AUTO_SETTING, None)
        elif campaign.approval(output).approval == "auto":
            _decide(session, row, True, AUTO_RULE, None)
    return row, True


def decide(session: Session, env: Env, output: str, edition: str, *, approve: bool, actor: str,
           note: str | None = None) -> Approval:
    """Approve or send back the newest version of an output. A rejection needs a note; a
    version whose checks failed cannot be approved; an approved one cannot be taken back (it
    may have gone out); a rejected one may still be approved later."""
    row = latest(session, env.campaign.name, output, edition)
    if row is None:
        raise ApprovalError(f"{edition} 还没有生成，没有可审批的版本")
    note = (note or "").strip() or None
    if approve and not row.checks_passed:
        raise ApprovalError(f"《{row.title}》未通过数据校验，不能批准：\n{failures_text(_checks(row))}")
    if not approve and not note:
        raise ApprovalError("退回须写明原因（意见），以便修改后重新生成")
    if row.state == "approved":
        raise ApprovalError(f"《{row.title}》已于 {env.campaign.local(row.decided_at):%Y-%m-%d %H:%M} "
                            f"由 {row.decided_by} 批准，不能再更改")
    _decide(session, row, approve, actor, note)
    return row


def _decide(session: Session, row: Approval, approve: bool, actor: str, note: str | None) -> None:
    row.state, row.decided_by, row.decided_at, row.note = ("approved" if approve else "rejected"), actor, utcnow(), note
    record(session, row.campaign, action="approve" if approve else "reject", actor=actor, reason=note,
           detail={"output": row.output, "edition": row.edition, "title": row.title, "digest": row.digest},
           at=row.decided_at)


def _checks(row: Approval) -> list[Check]:
    return [Check(**c) for c in row.checks]


class ApprovalReport(TypedDict):
    """The approval of an output's newest version."""

    state: Literal["pending", "approved", "rejected"]
    by: str | None  # who decided (the OS user, ``prefect：<审批人>``, or the auto-approval)
    at: str | None  # when (campaign time)
    note: str | None


def approval_json(env: Env, row: Approval | None) -> ApprovalReport | None:
    if row is None:
        return None
    at: datetime | None = row.decided_at
    return {"state": row.state, "by": row.decided_by, "at": env.campaign.local(at).isoformat() if at else None,
            "note": row.note}
