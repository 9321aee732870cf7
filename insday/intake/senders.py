"""Who may send a unit's file by email, and what happens when someone else does.

The rule (README "Limits and hostile input"): a file counts for the unit its content names,
whoever sent it, because contact people change and colleagues send on their behalf. When
the sender's address (IMAP ``From``) is neither that unit's registered contact email nor the
association's (which forwards files), the file is still checked and stored as usual, and:

- the file gets a warning saying so (in its receipt, which goes to the unit's *registered*
  contact, not to the sender, and on its validation page), so the unit itself sees that
  someone filed for it;
- the association's contact gets a notice (``sender:<sha256>``, once per file);
- the run log has a warning line.

So no unit can file for another unnoticed.
"""

from __future__ import annotations

from email.utils import parseaddr

from sqlalchemy.orm import Session

from insday.campaign import Campaign
from insday.mail.compose import association_context, render, when
from insday.mail.outbox import enqueue


def _addr(text: str | None) -> str:
    return parseaddr(text or "")[1].strip().lower()


def unit_for_sender(campaign: Campaign, address: str | None) -> str | None:
    """The code of the unit (or the association) whose contact email is ``address``."""
    if not address:
        return None
    wanted = address.strip().lower()
    for unit in (*campaign.units, campaign.association_unit):
        if unit.email.strip().lower() == wanted:
            return unit.code
    return None


def foreign_sender(campaign: Campaign, unit_code: str | None, sender: str | None) -> bool:
    """Whether a file of ``unit_code`` came from an address that is not its contact's nor the association's."""
    unit = campaign.unit_by_code.get(unit_code or "")
    got = _addr(sender)
    if unit is None or not got:
        return False
    allowed = {_addr(unit.email), _addr(campaign.association_unit.email)}
    return got not in allowed


def sender_warning(campaign: Campaign, unit_code: str, sender: str) -> str:
    """The warning a file from a foreign sender carries (Chinese, for the unit and the association)."""
    unit = campaign.unit_by_code[unit_code]
    other = campaign.unit_by_code.get(unit_for_sender(campaign, _addr(sender)) or "")
    who = f"（{other.display_name}的联系人邮箱）" if other else ""
    return (f"本文件由 {_addr(sender)}{who}发送，不是「{unit.display_name}」登记的联系人邮箱（{unit.email}）。"
            f"文件按内容计入「{unit.display_name}」，已告知省协会核实；如非贵单位报送，请联系省协会")


def queue_sender_notice(session: Session, campaign: Campaign, result, sender: str) -> bool:
    """Tell the association's contact about a file a foreign sender sent (once per file)."""
    a = campaign.association
    unit = campaign.unit_by_code[result.unit]
    rt = campaign.report_types.get(result.report_type or "")
    what = (rt.title if rt else "报送文件") + (f"（{result.period.month}月{result.period.day}日）" if result.period else "")
    subject = f"【核实】非登记邮箱报送：{unit.display_name}{what}"
    status = {"accepted": "已受理", "rejected": "未通过校验（已退回）"}.get(result.status, result.status)
    lines = [f"{when(campaign, result.received_at)} 收到「{result.filename}」（{what}），文件内容为「{unit.name}」，"
             f"但发件人 {_addr(sender)} 不是该单位登记的联系人邮箱（{unit.email}）。",
             f"处理结果：{status}。回执已发给该单位登记的联系人{unit.contact}，并提示其核实。",
             f"如确非该单位报送，请在 Prefect 界面运行「作废文件」（void_submission），文件编号填 {result.submission_id}，"
             "并写明原因。"]
    html, text = render("notice", subject=subject, heading="非登记邮箱报送，请核实", greeting=f"{a.contact}（{a.short_name}）",
                        lines=lines, **association_context(campaign))
    return enqueue(session, campaign=campaign.name, key=f"sender:{result.sha256}", kind="notice", to_name=f"{a.contact}（{a.short_name}）",
                   to_addr=a.email, subject=subject, html=html, text=text, deadline_id=result.deadline_id,
                   unit_code=unit.code)
