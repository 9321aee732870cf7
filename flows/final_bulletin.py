"""final_bulletin: after the campaign summaries are due (07-12 17:00)."""

from __future__ import annotations

from prefect import flow

from insday.flows.common import APPROVAL_WAIT, HOOKS, AsOf, Stages, StageResults, named, wait_for_approval
from insday.env import load_env
from insday.tasks.bulletin import publish_bulletin
from insday.tasks.mail import deliver_mail
from insday.tasks.steps import pull_steps


@flow(name="final_bulletin", flow_run_name=named("final_bulletin"), timeout_seconds=APPROVAL_WAIT, **HOOKS)
def final_bulletin(as_of: AsOf = None, dry_run: bool = False) -> StageResults:
    """最终通报：收取最后的报表、拉取步数，生成并发送活动总结通报。
    Collect the last reports, pull steps, publish the final bulletin and email it.

    Args:
        as_of: 按此时刻运行（北京时间；留空 = 现在）。填写后只收取此时刻以前收到的文件和邮件；
            须在活动的运行范围内（活动开始前 30 天至最后截止后 90 天）。The moment to run as: a
            date-time (ISO 8601; without an offset it is Asia/Shanghai time). Empty: now. Given, it
            also limits collection to files and messages received by then.
        dry_run: 试运行：生成通报但不发送、不入库。Build the bulletin without publishing or
            sending it; ingest nothing.
    """
    stages = Stages("final_bulletin", as_of, dry_run)
    moment = stages.moment
    collected = stages.collect()
    if not dry_run:
        stages.run(pull_steps, moment)
    published = stages.run(publish_bulletin, load_env().campaign.end, moment, final=True, dry_run=dry_run,
                           needs=(*collected, "pull_steps"))
    if not dry_run:
        stages.run(deliver_mail)  # the approval request goes out before the wait
        decided = wait_for_approval(published, final=True)
        if decided:
            stages.decided(decided)
            stages.run(deliver_mail)
    return stages.outcome()
