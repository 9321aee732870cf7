"""Intake rules of the report types that their GX suites cannot express (hooked in through
``REPORT_RULES`` in insday.intake.validate). Each adds Chinese issues naming file, row,
column, value and fix; some normalise a value (a video link pasted with its share text).
"""

from __future__ import annotations

from sqlalchemy import select

from insday.campaign import ReportType, text_key
from insday.db import session_scope
from insday.db.models import Submission
from insday.db.models.reports import ProjectRow
from insday.intake.bundle import URL
from insday.intake.issues import cell_issue
from insday.intake.parse import ParsedFile
from insday.intake.validate import RuleContext


def _error(parsed: ParsedFile, record: dict, key: str, problem: str, fix: str) -> None:
    parsed.issues.append(cell_issue("error", parsed.filename, record["_row"], parsed.headers[key], record.get(key),
                                    problem, fix))


WORKPLACE_KIND = "职场"
WORKPLACE_COUNTS = ("posters", "led_screens", "service_desks")


def check_events(context: RuleContext, rt: ReportType, parsed: ParsedFile) -> None:
    """A workplace-publicity row (职场) says what the workplace shows: posters, LED screens,
    service desks (any of them; a row with none is accepted with a note)."""
    counts = [k for k in WORKPLACE_COUNTS if k in parsed.headers]
    if not counts:
        return
    for r in parsed.records:
        if r.get("kind") == WORKPLACE_KIND and all(r.get(k) is None for k in counts):
            names = "、".join(f"「{parsed.headers[k]}」" for k in counts)
            parsed.issues.append(cell_issue("warning", parsed.filename, r["_row"], parsed.headers[counts[0]], None,
                                            "", f"职场宣传请填写{names}（没有的填 0），便于协会统计"))


def check_videos(context: RuleContext, rt: ReportType, parsed: ParsedFile) -> None:
    """A link pasted with the platform's share text ("复制打开抖音… https://v.douyin.com/x/")
    keeps just the address."""
    extracted = 0
    for r in parsed.records:
        link = r.get("link")
        found = URL.search(link) if link else None
        if found and found.group(0) != link:
            r["link"] = found.group(0)
            extracted += 1
    if extracted:
        parsed.warn(f"{extracted} 个链接含分享文字，已自动提取其中的网址")


def check_video_leaderboard(context: RuleContext, rt: ReportType, parsed: ParsedFile) -> None:
    """Votes do not increase down the ranks; a video is on a day's board once; a short board is noted."""
    rows = sorted((r for r in parsed.records if r.get("rank") is not None), key=lambda r: r["rank"])
    for above, below in zip(rows, rows[1:]):
        if above.get("votes") is not None and below.get("votes") is not None and below["votes"] > above["votes"]:
            _error(parsed, below, "votes", f"比第{above['rank']}名的票数（{above['votes']}）还多",
                   "请核对名次和票数：名次须按票数从高到低排列")
    seen: dict[tuple, int] = {}
    for r in parsed.records:
        key = (text_key(r.get("title") or ""), text_key(r.get("author") or ""))
        if key in seen:
            _error(parsed, r, "title", f"与第{seen[key]}行是同一作品（标题和作者相同）", "同一作品每天只能上榜一次，请核对")
        seen.setdefault(key, r["_row"])
    size = context.campaign.videos.leaderboard_size
    missing = [n for n in range(1, size + 1) if n not in {r["rank"] for r in rows}]
    if missing and len(missing) < size:
        parsed.warn(f"榜单缺少第{'、'.join(map(str, missing))}名（每日榜单共 {size} 名），请核对是否漏填")


def check_project(context: RuleContext, rt: ReportType, parsed: ParsedFile) -> None:
    """The claimed region is a helped region (written to the province, or further down);
    a project id already claimed by another company is refused: the claimant of a project
    is the company that reported it first, and its deadlines are that company's."""
    campaign = context.campaign
    helped = [r for r in campaign.steps.regions if r.helped]
    names = [text_key(n) for r in helped for n in (r.name, r.full_name)]
    for r in parsed.records:
        region = r.get("region")
        if region and not any(text_key(region).startswith(n) for n in names):
            _error(parsed, r, "region", "不是重点扶贫地区",
                   f"请填写{len(helped)}个重点扶贫地区之一（如 {'、'.join(h.name for h in helped[:4])}），"
                   "可写到县，如 吉林省汪清县")
    ids = {r["project_id"] for r in parsed.records if r.get("project_id")}
    if context.engine is None or not ids or parsed.unit is None:
        return

    query = (select(ProjectRow.project_id, ProjectRow.unit).join(Submission, Submission.id == ProjectRow.submission_id)
             .where(Submission.campaign == campaign.name, Submission.status == "accepted", ProjectRow.project_id.in_(ids), ProjectRow.unit != parsed.unit))
    if context.received_at is not None:
        query = query.where(Submission.received_at <= context.received_at)
    with session_scope(context.engine) as s:
        claimed = dict(s.execute(query).all())
    for r in parsed.records:
        owner = claimed.get(r.get("project_id"))
        if owner:
            _error(parsed, r, "project_id", f"已由「{campaign.unit_by_code[owner].name}」认领",
                   "同一项目只能由认领的公司报送，请核对项目编号")


def check_survey(context: RuleContext, rt: ReportType, parsed: ParsedFile) -> None:
    """The company rated is an insurer, not a city association."""
    campaign = context.campaign
    companies = {u.code for u in campaign.members("companies")}
    for r in parsed.records:
        if r.get("company") and r["company"] not in companies:
            parsed.issues.append(cell_issue("error", parsed.filename, r["_row"], parsed.headers["company"],
                                            campaign.unit_by_code[r["company"]].name, "不是保险公司",
                                            "请填写被评价的保险公司名称"))
