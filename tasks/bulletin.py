"""Bulletins (通报): daily and final."""

from __future__ import annotations

from datetime import date, datetime

from prefect import get_run_logger, task

from tasks.common import RETRIES, current_env


@task(name="publish_bulletin", timeout_seconds=1800, **RETRIES)
def publish_bulletin(day: date, as_of: datetime, final: bool = False, dry_run: bool = False) -> dict:
    """Publish the bulletin of ``day`` (or the final one) and queue its email; a markdown and a
    table artifact show it in the Prefect UI.

    The bulletin knows what was received by its cut-off, never more than the run knows: a run
    at or after the cut-off publishes and sends it; a run before it (a replay at an earlier
    moment) builds a what-if bulletin as of the run's moment and sends nothing.
    """
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    from insday.bulletin import edition
    from insday.bulletin import publish_bulletin as publish
    from insday.bulletin.render import markdown

    env = current_env()
    this = edition(env.campaign, day, final)
    official = as_of >= this.cutoff
    if not official:
        get_run_logger().warning("the run is before the bulletin's cut-off (%s): what-if bulletin, not sent",
                                 env.campaign.local(this.cutoff).isoformat())
    result = publish(env, day, final=final, as_of=None if official else as_of, send=official and not dry_run,
                     dry_run=dry_run)
    doc = result.pop("bulletin")
    kind = doc["kind"]
    create_markdown_artifact(markdown(doc, env.campaign), key=f"{kind}-bulletin", description=doc["title"])
    create_table_artifact([_row(u, kind) for u in doc["units"]], key=f"{kind}-bulletin-units",
                          description=f"{doc['title']}：各单位参与情况（数据截至 {doc['as_of'][:16].replace('T', ' ')}）")
    get_run_logger().info("%s published to %s; mail %s", doc["title"], result["folder"], result["mail"])
    return result


def _row(u: dict, kind: str) -> dict:
    daily = {"当日人数": u["participants_day"], "当日步数": u["steps_day"]} if kind == "daily" else {}
    return {"排名": u["rank"], "单位": u["name"], **daily, "累计人次": u["participants"], "累计报送步数": u["steps"],
            "图片": u["photos"], "视频": u["videos"], "按时": u["on_time"], "逾期": u["late"], "未报": u["missing"]}
