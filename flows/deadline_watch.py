"""deadline_watch: hourly in working hours around every deadline: reminders and overdue notices."""

from __future__ import annotations

from prefect import flow

from insday.flows.common import HOOKS, Stages, named, when
from insday.tasks.deadlines import deadline_status, send_reminders
from insday.tasks.mail import deliver_mail


@flow(name="deadline_watch", flow_run_name=named("deadline_watch"), timeout_seconds=3600, **HOOKS)
def deadline_watch(as_of: str | None = None, dry_run: bool = False) -> dict:
    """Collect what arrived, then send the reminders and overdue notices due by now.

    Args:
        as_of: 按此时刻运行（留空 = 现在）。The moment to run as, ISO 8601 such as
            2019-06-25T14:00 (no offset: Asia/Shanghai time). Empty: now. Given, it also
            limits collection to files and messages received by then.
        dry_run: 试运行：只报告将发送哪些提醒，不入库、不发送。Report what would be sent;
            ingest and send nothing.
    """
    moment, cutoff = when(as_of)
    stages = Stages()
    collected = stages.collect(cutoff, dry_run)
    stages.run(deadline_status, moment, needs=collected)
    stages.run(send_reminders, moment, dry_run, needs=collected)
    if not dry_run:
        stages.run(deliver_mail)
    return stages.outcome()
