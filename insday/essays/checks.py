"""Intake rules for the essay reports that GX cannot express (see REPORT_RULES in
insday.intake.validate). Each adds Chinese issues naming file, row, column, value and fix.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from insday.campaign import ReportType
from insday.essays.service import shortlisted_ids
from insday.intake.issues import cell_issue
from insday.intake.parse import ParsedFile
from insday.intake.validate import RuleContext


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def check_scoring_sheet(context: RuleContext, rt: ReportType, parsed: ParsedFile) -> None:
    """Rows are either fully scored or blank; 合计, when filled, is the sum of the criteria;
    essays left blank or not listed are named; a company scoring its own essay is flagged
    (an error instead when the campaign says ``own_essay: error``)."""
    campaign = context.campaign
    rubric = campaign.essays.rubric
    essays = {e.id: e for e in campaign.essay_list}
    unit = campaign.unit_by_code.get(parsed.unit or "")
    name, header = parsed.filename, parsed.headers
    blank: dict[str, int] = {}
    for r in parsed.records:
        row, bad = r["_row"], r.get("_bad", set())
        essay = essays.get(r.get("essay_id"))
        filled = [c for c in rubric if r.get(c.key) is not None or c.key in bad]
        if not filled and r.get("total") is None and "total" not in bad:
            if essay:
                blank[essay.id] = row
            continue
        missing = [c for c in rubric if c not in filled]
        if missing:
            parsed.issues.append(cell_issue(
                "error", name, row, header.get(missing[0].key, missing[0].name), None, "",
                f"本行已填写部分得分，请补全{'、'.join(f'「{c.name}」（满分 {c.max:g} 分）' for c in missing)}，"
                "或整行留空表示不评此篇"))
        elif not bad and r.get("total") is not None:
            total = sum((Decimal(r[c.key]) for c in rubric), Decimal(0))
            if Decimal(r["total"]) != total:
                parsed.issues.append(cell_issue(
                    "error", name, row, header.get("total", "合计"), _number(Decimal(r["total"])),
                    f"不等于六项得分之和 {_number(total)}", "请核对各项得分与合计（合计可以不填，由系统计算）"))
        if essay and unit and essay.unit == parsed.unit:
            if campaign.essays.own_essay == "error":
                severity, fix = "error", "评审须回避本单位作品，请将本行各项得分留空后重新报送"
            else:
                severity, fix = "warning", "评审应回避本单位作品；该评分已计入并标注，由评审委员会审议"
            parsed.issues.append(cell_issue(severity, name, row, header.get("essay_id", "作品编号"), essay.id,
                                            f"是本单位（{unit.name}）的作品", fix))
    listed = {r.get("essay_id") for r in parsed.records}
    unscored = [f"{e.id}（第{blank[e.id]}行）" if e.id in blank else f"{e.id}（未列出）"
                for e in campaign.essay_list if e.id in blank or e.id not in listed]
    if unscored:
        parsed.warn(f"以下 {len(unscored)} 篇作品未打分，贵单位对其评分不计入：{'、'.join(unscored)}。"
                    "如需补评，请填写后重新报送完整的打分表")


def check_votes(context: RuleContext, rt: ReportType, parsed: ParsedFile) -> None:
    """Votes count only for essays on the shortlist as of the file's received time; shortlisted
    essays missing from the file count 0 votes (a warning)."""
    if context.engine is None:
        return

    campaign = context.campaign
    moment = context.received_at or datetime.now(timezone.utc)
    listed = shortlisted_ids(campaign, context.engine, moment)
    known = {e.id for e in campaign.essay_list}
    when = f"{campaign.local(moment):%Y年%m月%d日 %H:%M}"
    for r in parsed.records:
        essay_id = r.get("essay_id")
        if essay_id in known and essay_id not in listed:  # unknown ids are reported by the GX suite
            parsed.issues.append(cell_issue(
                "error", parsed.filename, r["_row"], parsed.headers.get("essay_id", "作品编号"), essay_id,
                f"不在入围名单中（截至{when}）", "网络投票只统计入围作品，请核对作品编号，或删除该行后重新报送"))
    absent = sorted(listed - {r.get("essay_id") for r in parsed.records})
    if absent:
        parsed.warn(f"入围作品 {'、'.join(absent)} 未列出，按 0 票计算。如有得票，请补充后重新报送")
