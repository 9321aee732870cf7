"""deadline_watch: hourly in working hours around every deadline: reminders and overdue notices."""

from __future__ import annotations

from prefect import flow

from insday.flows.common import HOOKS, AsOf, Stages, StageResults, named
from insday.tasks.deadlines import deadline_status, send_reminders
from insday.tasks.mail import deliver_mail


@flow(name="deadline_watch", flow_run_name=named("deadline_watch"), timeout_seconds=3600, **HOOKS)
def deadline_watch(as_of: AsOf = None, dry_run: bool = False) -> StageResults:
    """截止时间监控：收取报表，发送截止前提醒和逾期通知。
    Collect what arrived, then send the reminders and overdue notices due by now.

    Args:
        as_of: 按此时刻运行（北京时间；留空 = 现在）。填写后只收取此时刻以前收到的文件和邮件；
            须在活动的运行范围内（活动开始前 30 天至最后截止后 90 天）。The moment to run as: a
            date-time (ISO 8601; without an offset it is Asia/Shanghai time). Empty: now. Given, it
            also limits collection to files and messages received by then.
        dry_run: 试运行：只报告将发送哪些提醒，不入库、不发送。Report what would be sent;
            ingest and send nothing.
    """
    stages = Stages("deadline_watch", as_of, dry_run)
    collected = stages.collect()
    stages.run(deadline_status, stages.moment, needs=collected)
    stages.run(send_reminders, stages.moment, dry_run, needs=collected)
    if not dry_run:
        stages.run(deliver_mail)
    return stages.outcome()
