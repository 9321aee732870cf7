"""Receipts: every ingested file gets an email saying what became of it.

``queue_receipt`` is Intake's ``on_result`` hook: it runs inside each file's transaction,
so the receipt is queued exactly when the submission is stored (and not if storing
fails). One receipt per file content and outcome (key ``receipt:<sha256>:<status>``).

- accepted: what was stored, version, on time or late, and every warning;
- duplicate: the same bytes arrived before; when and with what result (its errors again
  if it was rejected);
- rejected: every error with how to fix it, plus the blank template of the report.

Recipient: the unit's contact person; a file whose unit is unknown (or has no usable
address) goes to the address it came from (IMAP sender) when known, else to the
association's contact so a person still sees it.
"""

from __future__ import annotations

from email.utils import parseaddr
from functools import partial

from sqlalchemy.orm import Session

from insday.campaign import Campaign
from insday.db.models import Submission
from insday.deadlines import deadline_for
from insday.env import Env, load_env
from insday.intake.pipeline import FileResult, ResultHook
from insday.intake.senders import foreign_sender, queue_sender_notice
from insday.mail.compose import association_context, blank_template, render, unit_recipient, when
from insday.mail.outbox import clean_header, enqueue, usable_address
from insday.roster import effective

_STATUS_ZH = {"accepted": "已受理", "rejected": "未通过校验（退回）"}


def recipient(campaign: Campaign, unit_code: str | None, sender: str | None) -> tuple[str, str]:
    """(display name, address) of whoever should read the receipt."""
    unit = campaign.unit_by_code.get(unit_code or "")
    if unit and usable_address(unit.email):
        return unit_recipient(unit)
    addr = usable_address(sender)
    if addr:
        return clean_header(parseaddr(sender or "")[0]), addr
    a = campaign.association
    return f"{a.contact}（{a.short_name}）", a.email


def _subject(result: FileResult, report_title: str | None, unit_name: str | None, period: str | None) -> str:
    what = "，".join(x for x in (unit_name, period) if x)
    if result.status == "accepted":
        return f"【回执】已受理：{report_title}" + (f"（{what}）" if what else "")
    if result.status == "duplicate":
        return f"【回执】重复文件，未重复入库：{result.filename}"
    return f"【回执】未通过校验，请修改后重新报送：{result.filename}（{len(result.errors)}处错误）"


def queue_receipt(session: Session, result: FileResult, env: Env | None = None, sender: str | None = None) -> bool:
    """Queue the receipt of one ingested file in ``session``'s transaction; False if already queued."""
    env = env or load_env()
    campaign = effective(session.connection(), env.campaign)  # a unit added by `insday units add` too
    sub = session.get(Submission, result.submission_id) if result.submission_id else None
    rt = campaign.report_types.get(result.report_type or "")
    unit = campaign.unit_by_code.get(result.unit or "")
    period = f"{result.period.month}月{result.period.day}日" if result.period else None
    deadline = deadline_for(campaign, result.report_type, result.period) if rt else None
    to_name, to_addr = recipient(campaign, unit.code if unit else None, sender or (sub.sender if sub else None))
    template = blank_template(env.settings, campaign, rt.key) if rt and result.status == "rejected" else None
    context = {
        **association_context(campaign), "outcome": result.status,
        "greeting": to_name, "filename": result.filename,
        "received": when(campaign, result.received_at) if result.received_at else "",
        "report_title": rt.title if rt else None, "unit_name": unit.display_name if unit else None, "period": period,
        "version": result.version, "replaced": (result.version or 0) > 1, "timeliness": result.timeliness,
        "due": when(campaign, deadline.due) if deadline else "", "rows": sub.row_count if sub else 0,
        "errors": [e["message"] for e in result.errors], "warnings": [w["message"] for w in result.warnings],
        "original": None, "template_name": template.name if template else None,
        "instructions": list(rt.instructions) if rt else [],
    }
    if result.status == "duplicate" and sub is not None:
        context["original"] = {"received": when(campaign, sub.received_at), "filename": sub.filename,
                               "status": _STATUS_ZH.get(sub.status, sub.status),
                               "errors": [e["message"] for e in sub.errors or []]}
        context["warnings"] = []
    subject = clean_header(_subject(result, context["report_title"], context["unit_name"], period), 300)
    html, text = render("receipt", subject=subject, **context)
    from_addr = sender or (sub.sender if sub else None)
    if unit and result.status != "duplicate" and foreign_sender(campaign, unit.code, from_addr):
        queue_sender_notice(session, campaign, result, from_addr)
    return enqueue(session, campaign=campaign.name, key=f"receipt:{result.sha256}:{result.status}", kind="receipt", to_name=to_name,
                   to_addr=to_addr, subject=subject, html=html, text=text,
                   attachments=[template] if template else (),
                   deadline_id=result.deadline_id or (deadline.id if deadline else None),
                   unit_code=unit.code if unit else None)


def receipt_hook(env: Env, sender: str | None = None) -> ResultHook:
    """The ``on_result`` hook that queues a receipt for every file of one ingest run."""
    return partial(queue_receipt, env=env, sender=sender)
