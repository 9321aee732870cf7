"""daily_run: every morning of the run, after the day's reports are due (10:30, 06-26 .. 07-09)."""

from __future__ import annotations

from prefect import flow

from insday.flows.common import APPROVAL_WAIT, HOOKS, AsOf, Stages, StageResults, named, wait_for_approval
from insday.env import load_env
from insday.orchestration import report_day
from insday.tasks.bulletin import publish_bulletin
from insday.tasks.deadlines import deadline_status, send_reminders
from insday.tasks.mail import deliver_mail
from insday.tasks.steps import pull_steps, step_summary


@flow(name="daily_run", flow_run_name=named("daily_run"), timeout_seconds=APPROVAL_WAIT, **HOOKS)
def daily_run(as_of: AsOf = None, dry_run: bool = False) -> StageResults:
    """每日运行：收取报表并入库、拉取步数、汇总、提醒、每日通报、发送邮件。
    Collect and ingest reports, pull steps, aggregates, reminders, the daily bulletin, mail.

    Args:
        as_of: 按此时刻运行（北京时间；留空 = 现在）。填写后只收取此时刻以前收到的文件和邮件，可重放或补跑过去的某一天；
            须在活动的运行范围内（活动开始前 30 天至最后截止后 90 天）。The moment to run as: a
            date-time (ISO 8601; without an offset it is Asia/Shanghai time). Empty: now. Given, it
            also limits collection to files and messages received by then.
        dry_run: 试运行：只报告将做什么，不入库、不移动文件、不发送、不发布。Report what
            would be done; ingest, move, send and publish nothing.
    """
    stages = Stages("daily_run", as_of, dry_run)
    moment = stages.moment
    collected = stages.collect()
    if not dry_run:
        stages.run(pull_steps, moment)
    stages.run(step_summary, moment)
    stages.run(deadline_status, moment, needs=collected)
    stages.run(send_reminders, moment, dry_run, needs=collected)
    day = report_day(load_env().campaign, moment)
    published = None
    if day is not None:
        published = stages.run(publish_bulletin, day, moment, dry_run=dry_run, needs=(*collected, "pull_steps"))
    if not dry_run:
        stages.run(deliver_mail)  # receipts, reminders and the approval request go out before any wait
        decided = wait_for_approval(published)
        if decided:
            stages.decided(decided)
            stages.run(deliver_mail)
    return stages.outcome()
