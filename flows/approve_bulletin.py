"""approve_bulletin: approve or send back a bulletin that waits (run on demand from the Prefect UI)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from prefect import flow

from insday.bulletin import edition as find
from insday.bulletin.publish import DecisionReport, decide_bulletin
from insday.env import load_env
from insday.flows.common import ADMIN_HOOKS, report
from insday.flows.forms import EditionChoice, actor
from insday.tasks.mail import deliver_mail


@flow(name="approve_bulletin", flow_run_name="approve_bulletin {edition}", **ADMIN_HOOKS)
def approve_bulletin(edition: EditionChoice, decision: Literal["批准发布", "退回"], note: str = "",
                     operator: str = "") -> DecisionReport:
    """审批通报：批准后发布到网站并发送给各会员单位联系人；退回则不发布、不发送。
    Approve or send back a bulletin.

    Args:
        edition: 哪一期通报（日期，或 final 总结通报）。Which bulletin.
        decision: 审批结果。The decision.
        note: 意见（退回时必填）。Why.
        operator: 审批人姓名（记入操作日志）。Who decides.
    """
    env = load_env()
    env.ensure_db()
    final = edition == "final"
    this = find(env.campaign, None if final else date.fromisoformat(edition), final)
    done = decide_bulletin(env, this, approve=decision == "批准发布", actor=actor(operator), note=note or None)
    if done["published"]:
        deliver_mail()
    said = (f"已批准，已发布到网站，邮件新加入队列 {done['mail']['queued']} 封" if done["published"]
            else f"已退回：{done['approval']['note']}")
    report("approve" if done["published"] else "reject", f"《{done['title']}》{said}", done)
    return done
