"""The essay contest: shortlist and results."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypedDict

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from insday.essays.publish import late_text, write_stage
from insday.essays.service import contest
from insday.runreport import artifact_key, essays_line
from insday.tasks.common import RETRIES, current_env


class EssayStage(TypedDict):
    """What the ``publish_essays`` task wrote."""

    stage: Literal["shortlist", "results"]
    files: list[str]
    late_sheets: bool  # scoring sheets arrived after the shortlist was fixed (not counted)
    sheets: int  # scoring sheets counted
    folder: str
    dry_run: bool
    finalists: dict[str, int]  # category -> finalists


@task(name="publish_essays", timeout_seconds=1800, **RETRIES)
def publish_essays(as_of: datetime, stage: str, dry_run: bool = False) -> EssayStage:
    """Check and write the shortlist or the results (ranking, results page, certificates) as of
    ``as_of``, under INSDAY_HOME/public/essays/<stage>/ (INSDAY_HOME/dry-run/<campaign>/essays/<stage>/ on a
    dry run); a Markdown artifact reports it in the Prefect UI."""
    env = current_env()
    out_dir = (env.settings.path("dry-run", env.campaign.name) if dry_run else env.public_dir) / "essays" / stage
    c = contest(env.campaign, env.engine, as_of, final=stage == "results")
    files = write_stage(env, c, out_dir, stage)
    what = "入围名单" if stage == "shortlist" else "评选结果"
    lines = [f"### 征文{what}（截至 {env.campaign.local(as_of):%Y-%m-%d %H:%M}）", "",
             f"计入评分表 {len(c.sheet_units)} 份；数据校验全部通过；文件写入 `{out_dir}`（{len(files)} 个）。", ""]
    for name in c.categories:
        finalists = c.finalists(name)
        lines.append(f"- {name}：入围 {len(finalists)} 篇" + (
            "；获奖：" + "、".join(f"{s.id}{s.prize}" for s in finalists if s.prize) if c.final else ""))
    if c.late:
        lines += ["", f"**入围名单确定后收到的评分表（未计入）**：{late_text(c)}"]
        get_run_logger().warning("入围名单确定后收到的评分表（未计入）：%s", late_text(c))
    if c.ties:
        lines += ["", "**并列情况**：" + "；".join(t.message for t in c.ties)]
    create_markdown_artifact("\n".join(lines), key=artifact_key(env.campaign, f"essay-{stage}"), description=f"征文{what}")
    result: EssayStage = {"stage": stage, "files": [str(p) for p in files], "late_sheets": c.late is not None,
              "sheets": len(c.sheet_units), "folder": str(out_dir), "dry_run": dry_run,
              "finalists": {name: len(c.finalists(name)) for name in c.categories}}
    get_run_logger().info(essays_line(result))
    return result
