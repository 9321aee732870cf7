"""final_bulletin: after the campaign summaries are due (07-12 17:00)."""

from __future__ import annotations

from prefect import flow

from insday.flows.common import APPROVAL_WAIT, HOOKS, Stages, named, wait_for_approval, when
from insday.env import load_env
from insday.tasks.bulletin import publish_bulletin
from insday.tasks.mail import deliver_mail
from insday.tasks.steps import pull_steps


@flow(name="final_bulletin", flow_run_name=named("final_bulletin"), timeout_seconds=APPROVAL_WAIT, **HOOKS)
def final_bulletin(as_of: str | None = None, dry_run: bool = False) -> dict:
    """Collect the last reports, pull steps, publish the final bulletin and email it.

    Args:
        as_of: 按此时刻运行（留空 = 现在）。The moment to run as, ISO 8601 such as
            2019-07-12T17:00 (no offset: Asia/Shanghai time). Empty: now. Given, it also
            limits collection to files and messages received by then.
        dry_run: 试运行：生成通报但不发送、不入库。Build the bulletin without publishing or
            sending it; ingest nothing.
    """
    moment, cutoff = when(as_of)
    stages = Stages()
    collected = stages.collect(cutoff, dry_run)
    if not dry_run:
        stages.run(pull_steps, moment)
    published = stages.run(publish_bulletin, load_env().campaign.end, moment, final=True, dry_run=dry_run,
                           needs=(*collected, "pull_steps"))
    if not dry_run:
        stages.run(deliver_mail)  # the approval request goes out before the wait
        if wait_for_approval(published, final=True):
            stages.run(deliver_mail)
    return stages.outcome()
