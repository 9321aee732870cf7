"""Validation reports the contact person can open: one page in Chinese per received file, and
an index of them (``insday docs``; GX Data Docs stay available with ``--gx``).

Built from what was decided when each file arrived (the submission and its errors and
warnings as stored), so nothing is validated again and a page says exactly what the
file's receipt said. Each page names the file, the unit, the report type, when it was
received (Asia/Shanghai), the outcome (受理 / 退回, on time or late, its version) and every
problem with its row (as Excel shows it), its column (as the template heads it), the value
written and how to fix it. The index lists every file, newest first, with a section per
report type and one for the files sent back (plain anchors; CSS shows the one chosen).

The pages are self-contained: one HTML file each, the style inline, no script, nothing
fetched from the network; they open from disk, offline. Submitters' text (file names, cell
values) is escaped by Jinja2's autoescape.

Layout under the output folder: ``index.html`` and ``files/<submission id>.html`` (rewritten
each time; anything else in the folder, such as ``gx/``, is left alone).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import NotRequired, TypedDict

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select

from insday.db import session_scope
from insday.db.models import Submission
from insday.env import Env
from insday.intake.issues import split_advice
from insday.intake.senders import unit_for_sender

TEMPLATES = Path(__file__).parent / "templates"
STATUS_ZH = {"accepted": "受理", "rejected": "退回"}
TIMELINESS_ZH = {"on_time": "按时", "late": "逾期"}
SOURCE_ZH = {"inbox": "收件箱", "imap": "邮箱", "cli": "命令行导入"}
UNKNOWN_TYPE = "unknown"  # the section of files whose report type could not be told
_WHERE = re.compile(r"^(?:第(\d+)行)?(?:「([^」]*)」列)?[：:]?", re.S)


@dataclass
class Problem:
    row: int | None
    column: str | None
    value: str | None
    problem: str
    fix: str | None


@dataclass
class FilePage:
    id: int
    href: str  # relative to the index
    filename: str
    unit: str  # the unit's display name, or what is known of the sender
    unit_full: str | None
    report_key: str
    report_title: str
    period: str | None
    received: str  # local, "2019-06-26 21:30"
    received_at: datetime
    source: str
    status: str  # accepted / rejected
    outcome: str  # 受理 / 退回
    timeliness: str | None
    version: int | None
    superseded_by: str | None  # "第2版（6月27日 09:12 收到）"
    sha256: str
    headers: list[str]
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def describe(issue: dict, filename: str, headers: dict[str, str]) -> Problem:
    """An issue as stored, in its parts. Issues stored before they kept their parts give them
    from their sentence ("文件「x」第3行「步数」列：值「很多」不是数字。请……")."""
    column = issue.get("column")
    column = headers.get(column, column)  # a column key (rules name some by key) as the template heads it
    if issue.get("problem") is not None:
        return Problem(issue.get("row"), column, issue.get("value"), issue["problem"], issue.get("fix"))
    text = issue.get("message", "")
    prefix = f"文件「{filename}」"
    if text.startswith(prefix):
        text = text[len(prefix):]
    text = _WHERE.sub("", text, count=1).strip()
    problem, fix = split_advice(text)
    return Problem(issue.get("row"), column, None, problem, fix)


def _pages(env: Env, subs: list[Submission]) -> list[FilePage]:
    campaign = env.campaign
    by_code = {u.code: u for u in (*campaign.units, campaign.association_unit)}
    later: dict[tuple, list[Submission]] = {}
    for sub in subs:
        if sub.status == "accepted" and sub.version:
            later.setdefault((sub.unit_code, sub.report_type, sub.period_key), []).append(sub)
    pages = []
    for sub in subs:
        rt = campaign.report_types.get(sub.report_type) if sub.report_type else None
        headers = {c.key: c.header for c in rt.columns} if rt else {}
        code = sub.unit_code or unit_for_sender(campaign, sub.sender)
        unit = by_code.get(code) if code else None
        if unit is not None:
            name, full = unit.display_name, unit.name if unit.name != unit.display_name else None
        else:
            name, full = "未能识别" + (f"（发件人 {sub.sender}）" if sub.sender else ""), None
        newer = sorted((s for s in later.get((sub.unit_code, sub.report_type, sub.period_key), [])
                        if s.version and sub.version and s.version > sub.version), key=lambda s: s.version)
        superseded = None
        if sub.status == "accepted" and newer:
            n = newer[0]
            superseded = f"第{n.version}版（{_local(env, n.received_at):%m月%d日 %H:%M} 收到）"
        pages.append(FilePage(
            id=sub.id, href=f"files/{sub.id}.html", filename=sub.filename, unit=name, unit_full=full,
            report_key=rt.key if rt else UNKNOWN_TYPE, report_title=rt.title if rt else "未能识别的文件",
            period=f"{sub.period.year}年{sub.period.month}月{sub.period.day}日" if sub.period else None,
            received=f"{_local(env, sub.received_at):%Y-%m-%d %H:%M}", received_at=sub.received_at,
            source=SOURCE_ZH.get(sub.source, sub.source) + (f"（{sub.sender}）" if sub.sender else ""),
            status=sub.status, outcome=STATUS_ZH.get(sub.status, sub.status),
            timeliness=TIMELINESS_ZH.get(sub.timeliness), version=sub.version, superseded_by=superseded,
            sha256=sub.sha256, headers=list(rt.headers) if rt and rt.kind == "table" else [],
            errors=[describe(e, sub.filename, headers) for e in sub.errors or []],
            warnings=[describe(w, sub.filename, headers) for w in sub.warnings or []]))
    return pages


def _local(env: Env, moment: datetime) -> datetime:
    return env.campaign.local(moment)


@lru_cache(maxsize=1)
def _jinja():
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html.j2"]), trim_blocks=True, lstrip_blocks=True)


def render_file(page: FilePage, campaign_title: str) -> str:
    return _jinja().get_template("file.html.j2").render(page=page, campaign=campaign_title)


def render_index(pages: list[FilePage], sections: list[dict], campaign_title: str, built: str) -> str:
    return _jinja().get_template("index.html.j2").render(pages=pages, sections=sections, campaign=campaign_title,
                                                         built=built)


class DocsReport(TypedDict):
    """``insday docs --json``: the validation reports written."""

    index: str  # index.html
    files: int  # pages written, one per received file
    rejected: int  # of them, files sent back
    pages: list[str]
    gx: NotRequired[str]  # with --gx: the Great Expectations Data Docs' index


def build_pages(env: Env, out: Path) -> DocsReport:
    """Write the index and one page per received file under ``out``; what was written."""
    with session_scope(env.engine) as s:
        subs = list(s.scalars(select(Submission).where(Submission.campaign == env.campaign.name).order_by(Submission.received_at.desc(), Submission.id.desc())))
        s.expunge_all()
    pages = _pages(env, subs)
    campaign = env.campaign
    order = [*campaign.report_types, UNKNOWN_TYPE]
    sections = []
    for key in order:
        mine = [p for p in pages if p.report_key == key]
        if mine:
            sections.append({"id": key, "title": mine[0].report_title, "pages": mine,
                             "rejected": sum(1 for p in mine if p.status == "rejected")})
    rejected = [p for p in pages if p.status == "rejected"]
    files = out / "files"
    if files.exists():
        shutil.rmtree(files)
    files.mkdir(parents=True)
    for page in pages:
        (out / page.href).write_text(render_file(page, campaign.title), encoding="utf-8")
    built = f"{campaign.local(datetime.now(timezone.utc)):%Y-%m-%d %H:%M}"
    index = out / "index.html"
    index.write_text(render_index(pages, sections + [{"id": "rejected", "title": "退回的文件", "pages": rejected,
                                                       "rejected": len(rejected)}], campaign.title, built),
                     encoding="utf-8")
    return {"index": str(index), "files": len(pages), "rejected": len(rejected),
            "pages": [str(out / p.href) for p in pages]}
