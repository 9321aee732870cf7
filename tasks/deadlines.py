"""Deadlines: who has not reported, and the reminders, overdue notices and digest that follow."""

from __future__ import annotations

from datetime import datetime

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact

from insday.deadlines.reminders import RemindReport, run_reminders
from insday.deadlines.status import StatusReport, deadline_status as status
from insday.runreport import artifact_key, reminders_line, status_line, status_rows
from insday.tasks.common import RETRIES, current_env


@task(name="send_reminders", timeout_seconds=900, **RETRIES)
def send_reminders(as_of: datetime, dry_run: bool = False) -> RemindReport:
    """Queue what is due at ``as_of``: reminders, overdue notices and the digest (each at most
    once); the flow's deliver_mail stage sends them."""
    result = run_reminders(current_env(), as_of, dry_run=dry_run, send=False)
    get_run_logger().info(reminders_line(result))
    return result


@task(name="deadline_status", timeout_seconds=300, **RETRIES)
def deadline_status(as_of: datetime) -> StatusReport:
    """Per deadline due by ``as_of``: expected, on time, late, missing; also a table in the Prefect UI
    (titles, unit names, local times)."""
    env = current_env()
    result = status(env, as_of)
    get_run_logger().info(status_line(env.campaign, result, as_of))
    create_table_artifact(status_rows(env.campaign, result, as_of), key=artifact_key(env.campaign, "deadline-status"),
                          description=f"截止情况（截至 {env.campaign.local(as_of):%Y-%m-%d %H:%M}）")
    return result
