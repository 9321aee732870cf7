"""resend_message: a receipt, a reminder or a bulletin again, once (run on demand)."""

from __future__ import annotations

from typing import Literal

from prefect import flow

from insday.actions.resend import ResendDone, resend
from insday.env import load_env
from insday.flows.common import ADMIN_HOOKS, report
from insday.flows.forms import DeadlineChoice, EditionChoice, UnitChoice, actor, code
from insday.tasks.mail import deliver_mail

KINDS = {"回执": "receipt", "提醒或逾期通知": "reminder", "通报": "bulletin"}


@flow(name="resend_message", flow_run_name="resend_message {kind}", **ADMIN_HOOKS)
def resend_message(kind: Literal["回执", "提醒或逾期通知", "通报"], submission: int | None = None,
                   unit: UnitChoice | None = None, deadline: DeadlineChoice | None = None,
                   day: EditionChoice | None = None, reason: str = "", operator: str = "") -> ResendDone:
    """重发邮件：回执（填文件编号）、提醒（填单位和截止事项）或通报（填通报和单位），每次运行发一封。
    Send a receipt, a reminder or a bulletin again.

    Args:
        kind: 重发什么。What to send again.
        submission: 重发回执时：文件编号。For a receipt: the submission id.
        unit: 重发提醒或通报时：单位。For a reminder or a bulletin: the unit.
        deadline: 重发提醒时：截止事项。For a reminder: the deadline.
        day: 重发通报时：哪一期通报。For a bulletin: which one.
        reason: 原因（记入操作日志）。Why.
        operator: 操作人姓名（记入操作日志）。Who asks.
    """
    env = load_env()
    env.ensure_db()
    done = resend(env, KINDS[kind], actor(operator), submission=submission, unit=code(unit) if unit else None,
                  deadline=code(deadline) if deadline else None, day=day, reason=reason or None)
    deliver_mail()
    report("resend", f"已重发「{done['subject']}」→ {done['to']}", done)
    return done
