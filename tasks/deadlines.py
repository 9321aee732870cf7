"""Deadlines: who has not reported, and the reminders, overdue notices and digest that follow."""

from __future__ import annotations

from datetime import datetime

from prefect import task

from insday.tasks.common import RETRIES, current_env


@task(name="send_reminders", timeout_seconds=900, **RETRIES)
def send_reminders(as_of: datetime, dry_run: bool = False) -> dict:
    """Queue what is due at ``as_of``: reminders, overdue notices and the digest (each at most
    once); the flow's deliver_mail stage sends them."""
    from insday.deadlines.reminders import run_reminders

    return run_reminders(current_env(), as_of, dry_run=dry_run, send=False)


@task(name="deadline_status", timeout_seconds=300, **RETRIES)
def deadline_status(as_of: datetime) -> dict:
    """Per deadline due by ``as_of``: expected, on time, late, missing; also a table in the Prefect UI."""
    from prefect.artifacts import create_table_artifact

    from insday.deadlines.status import deadline_status as status

    env = current_env()
    result = status(env, as_of)
    rows = [{"截止事项": d["id"], "截止时间": d["due"], "应报": d["expected"], "按时": d["on_time"],
             "逾期": d["late"], "未报": d["missing"], "未报单位": "、".join(d["missing_units"])}
            for d in result["deadlines"] if datetime.fromisoformat(str(d["due"])) <= as_of]
    create_table_artifact(rows, key="deadline-status",
                          description=f"截止情况（截至 {env.campaign.local(as_of):%Y-%m-%d %H:%M}）")
    return result
