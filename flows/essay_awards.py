"""essay_awards: the shortlist after the scoring sheets are due, the results on the results day."""

from __future__ import annotations

from typing import Literal

from prefect import flow

from insday.flows.common import HOOKS, AsOf, Stages, StageResults, named
from insday.env import load_env
from insday.tasks.essays import publish_essays
from insday.tasks.mail import deliver_mail


@flow(name="essay_awards", flow_run_name=named("essay_awards", detail="stage"), timeout_seconds=3600, **HOOKS)
def essay_awards(as_of: AsOf = None, dry_run: bool = False,
                 stage: Literal["shortlist", "results"] | None = None) -> StageResults:
    """征文评奖：收取最新的打分表和投票，公布入围名单或获奖结果。
    Collect the latest scoring sheets and votes, then publish the shortlist or the results.

    Args:
        as_of: 按此时刻运行（北京时间；留空 = 现在）。填写后只收取此时刻以前收到的文件；
            须在活动的运行范围内（活动开始前 30 天至最后截止后 90 天）。The moment to run as: a
            date-time (ISO 8601; without an offset it is Asia/Shanghai time). Empty: now. Given, it
            also limits collection to files received by then.
        dry_run: 试运行：结果写入 INSDAY_HOME/dry-run/活动名称/，不入库、不发布。Write the outputs under
            INSDAY_HOME/dry-run/<campaign>/ instead of public/; ingest nothing.
        stage: 阶段：shortlist = 入围名单，results = 获奖结果；留空则按日期（结果公布日及以后为获奖结果）。
            Empty: results from the campaign's results day on, else shortlist.
    """
    stages = Stages("essay_awards", as_of, dry_run)
    campaign = load_env().campaign
    stage = stage or ("results" if campaign.local(stages.moment).date() >= campaign.essays.results_on else "shortlist")
    collected = stages.collect()
    stages.run(publish_essays, stages.moment, stage, dry_run, needs=collected)
    if not dry_run:
        stages.run(deliver_mail)
    return stages.outcome()
