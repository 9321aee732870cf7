"""Bulletins (通报): daily and final."""

from __future__ import annotations

from datetime import date, datetime, timezone

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run
from prefect.settings import PREFECT_UI_URL

from insday.bulletin import edition, publish_bulletin as publish
from insday.bulletin.publish import BulletinReport, RunInfo
from insday.bulletin.render import markdown
from insday.publishing.checks import Check, failures_text
from insday.runreport import artifact_key, bulletin_line
from insday.tasks.common import RETRIES, current_env


class BulletinBlocked(RuntimeError):
    """The bulletin's figures failed their checks: nothing was published or mailed."""


@task(name="publish_bulletin", timeout_seconds=1800, **RETRIES)
def publish_bulletin(day: date, as_of: datetime, final: bool = False, dry_run: bool = False) -> BulletinReport:
    """Build and check the bulletin of ``day`` (or the final one); publish and mail it once it is
    approved (campaign.yaml ``publishing:``), else ask the association's contact. A markdown and
    a table artifact show it in the Prefect UI.

    The bulletin knows what was received by its cut-off, never more than the run knows: a run
    at or after the cut-off builds the bulletin proper; a run before it (a replay at an earlier
    moment) builds a what-if bulletin as of the run's moment and sends nothing.
    """
    env = current_env()
    logger = get_run_logger()
    this = edition(env.campaign, day, final)
    official = as_of >= this.cutoff
    if not official:
        logger.warning("本次运行早于通报的数据截止时间（%s）：生成模拟通报，不发布、不发送",
                       env.campaign.local(this.cutoff).strftime("%Y-%m-%d %H:%M"))
    result = publish(env, day, final=final, as_of=None if official else as_of, send=official and not dry_run,
                     dry_run=dry_run, run=None if dry_run or not official else _run_info())
    doc = result.pop("bulletin")
    kind = doc["kind"]
    create_markdown_artifact(markdown(doc, env.campaign), key=artifact_key(env.campaign, f"{kind}-bulletin"), description=doc["title"])
    create_table_artifact([_row(u, kind) for u in doc["units"]], key=artifact_key(env.campaign, f"{kind}-bulletin-units"),
                          description=f"{doc['title']}：各单位参与情况（数据截至 {doc['as_of'][:16].replace('T', ' ')}）")
    checks = [Check(**c) for c in result["checks"]]
    failed = failures_text(checks)
    if failed and result["approval"] is not None:
        raise BulletinBlocked(f"《{doc['title']}》未通过数据校验，未发布、未发送（已邮件告知省协会联系人）：\n{failed}")
    if failed:
        logger.warning("%s：数据校验未通过：\n%s", doc["title"], failed)
    logger.info(bulletin_line(result))
    return result


def _run_info():
    """This flow run, as the approval request links to it."""
    ui = PREFECT_UI_URL.value()
    return RunInfo(id=str(flow_run.id), url=f"{ui}/runs/flow-run/{flow_run.id}" if ui else None,
                   started=datetime.now(timezone.utc))


def _row(u: dict, kind: str) -> dict:
    daily = {"当日人数": u["participants_day"], "当日步数": u["steps_day"]} if kind == "daily" else {}
    return {"排名": u["rank"], "单位": u["name"], **daily, "累计人次": u["participants"], "累计报送步数": u["steps"],
            "图片": u["photos"], "视频": u["videos"], "按时": u["on_time"], "逾期": u["late"], "未报": u["missing"]}
