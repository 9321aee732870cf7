"""essay_awards: the shortlist after the scoring sheets are due, the results on the results day."""

from __future__ import annotations

from typing import Literal

from prefect import flow

from insday.flows.common import HOOKS, Stages, named, when
from insday.env import load_env
from insday.tasks.essays import publish_essays
from insday.tasks.mail import deliver_mail


@flow(name="essay_awards", flow_run_name=named("essay_awards", detail="stage"), timeout_seconds=3600, **HOOKS)
def essay_awards(as_of: str | None = None, dry_run: bool = False,
                 stage: Literal["shortlist", "results"] | None = None) -> dict:
    """Collect the latest scoring sheets and votes, then publish the shortlist or the results.

    Args:
        as_of: 按此时刻运行（留空 = 现在）。The moment to run as, ISO 8601 such as
            2019-06-25T16:30 (no offset: Asia/Shanghai time). Empty: now. Given, it also
            limits collection to files received by then.
        dry_run: 试运行：结果写入 INSDAY_HOME/dry-run/，不入库、不发布。Write the outputs under
            INSDAY_HOME/dry-run/ instead of public/; ingest nothing.
        stage: shortlist（入围名单）或 results（获奖结果）；留空则按日期：结果日及以后为
            results。Empty: results from the campaign's results day on, else shortlist.
    """
    moment, cutoff = when(as_of)
    campaign = load_env().campaign
    stage = stage or ("results" if campaign.local(moment).date() >= campaign.essays.results_on else "shortlist")
    stages = Stages()
    collected = stages.collect(cutoff, dry_run)
    stages.run(publish_essays, moment, stage, dry_run, needs=collected)
    if not dry_run:
        stages.run(deliver_mail)
    return stages.outcome()
