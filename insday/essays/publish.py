"""Essay contest outputs: ranking workbooks (xlsx), publishable HTML pages, printable
certificates (HTML, A4 landscape; one PDF of them all when Chromium is installed) and the
certificate list.

Stage ``shortlist`` (after the scoring sheets, 06-25): ``essay-shortlist.xlsx`` (every
essay's panel score and rank) and ``essay-shortlist.html`` (the finalists for the vote).
Stage ``results`` (07-08): ``essay-results.xlsx``, ``essay-results.html``,
``certificates/<essay id>.html`` per winner, ``certificates/all.html`` (all of them, one
per page), ``certificates/certificates.pdf`` (optional) and ``essay-certificates.xlsx``.

Whatever a submitter or the roster wrote is escaped in HTML (Jinja2 autoescape) and, in
xlsx, written with ``insday.safe.put_cell`` (text stays text, never a formula).
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from insday.env import Env
from insday.essays.scoring import rounded
from insday.essays.service import Contest, contest
from insday.publishing.outputs import essay_parameters, essay_rows, guard
from insday.reports.common import heading
from insday.safe import put_cell
from insday.schedule import shortlist_run

log = logging.getLogger("insday.essays")

STAGES = ("shortlist", "results")
TEMPLATES = Path(__file__).resolve().parent / "templates"
METHOD_ZH = {"mean": "各评分表合计分的平均值", "trimmed_mean": "去掉最高、最低各 {n} 份后各评分表合计分的平均值"}
KIND_ZH = {"cutoff": "入围线并列", "broken_by_panel_score": "最终得分相同，按评审得分排序",
           "unresolved": "并列，待评审委员会决定"}


def _write_sheet(ws, headers: Sequence[str], rows: Sequence[Sequence], formats: dict[int, str] | None = None,
                 widths: dict[int, int] | None = None) -> None:
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            put_cell(ws.cell(row=r, column=c), value)
        for i, fmt in (formats or {}).items():
            ws.cell(row=r, column=i + 1).number_format = fmt
    for i, header in enumerate(headers):
        ws.column_dimensions[get_column_letter(i + 1)].width = (widths or {}).get(i, max(10, len(header) * 2 + 2))
    ws.freeze_panes = "A2"


def _local(c: Contest, moment: datetime | None) -> str:
    return "" if moment is None else f"{c.campaign.local(moment):%Y年%m月%d日 %H:%M}"


def _method(c: Contest) -> str:
    rules = c.campaign.essays
    return METHOD_ZH[rules.panel_score].format(n=rules.trim_each_end)


def _notes(c: Contest) -> list[tuple[str, str]]:
    rules = c.campaign.essays
    names = [c.campaign.display_name(u) for u in c.sheet_units]
    lines = [("活动", heading(c.campaign)),
             ("统计截至", _local(c, c.as_of)),
             ("评审得分", f"{_method(c)}（只计已打分的评分表）"),
             ("计入的评分表", f"{len(names)} 份：{'、'.join(names)}"),
             ("入围规则", f"每类评审得分前 {rules.shortlist_per_category} 名入围，入围线上并列的作品全部列入并报评审委员会")]
    if c.final:
        lines += [("网络投票数据", f"{_local(c, c.votes_received_at)} 收到的投票结果"),
                  ("最终得分", _formula(c)),
                  ("并列处理", "最终得分相同按评审得分排序；仍相同的名次并列，涉及奖项的暂不评定，报评审委员会决定")]
    if c.own_scores:
        lines.append(("本单位作品评分（已计入并标注）",
                      "、".join(f"{c.campaign.display_name(u)}→{e}" for u, e in c.own_scores)))
    if c.late:
        lines.append(("入围名单确定后收到的评分表（未计入）", late_text(c)))
    return lines


def late_text(c: Contest) -> str:
    """What the sheets received after the shortlist froze are, and what they would have changed."""
    late = c.late
    sheets = "、".join(f"{c.campaign.display_name(x['unit'])}（{_local(c, x['received_at'])}）" for x in late["sheets"])
    frozen = f"{_local(c, shortlist_run(c.campaign))}入围名单确定"
    if not late["would_add"] and not late["would_drop"]:
        return f"{sheets}：{frozen}后收到，未计入；如计入，入围名单也不会变化。"
    change = "；".join(x for x in (f"新增 {'、'.join(late['would_add'])}" if late["would_add"] else "",
                                  f"移出 {'、'.join(late['would_drop'])}" if late["would_drop"] else "") if x)
    return f"{sheets}：{frozen}后收到，未计入，入围名单不变；如计入，入围名单将{change}。"


def _formula(c: Contest) -> str:
    w = c.campaign.essays.weights
    return (f"评审得分 × {w.panel * 100:g}% + 网络投票得分 × {w.votes * 100:g}%"
            "（网络投票得分 = 票数 ÷ 本类别入围作品最高票数 × 100）")


def _notes_and_ties(book, c: Contest) -> None:
    _write_sheet(book.create_sheet("说明"), ["项目", "内容"], _notes(c), widths={0: 24, 1: 100})
    _write_sheet(book.create_sheet("并列情况"), ["阶段", "类别", "情况", "作品编号", "位次", "分数", "是否已解决", "说明"],
                 [("入围" if t.stage == "shortlist" else "最终排名", t.category, KIND_ZH[t.kind], "、".join(t.essays),
                   f"{t.places[0]}-{t.places[1]}", rounded(t.score), "是" if t.resolved else "否（待评审委员会决定）",
                   t.message) for t in c.ties],
                 formats={5: "0.00"}, widths={3: 20, 7: 100})


def write_shortlist_xlsx(c: Contest, path: Path) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name in c.categories:
        tied = {e for t in c.ties if t.category == name for e in t.essays}
        _write_sheet(book.create_sheet(name), ["评审名次", "作品编号", "作品标题", "作者", "单位", "评审得分", "评分表数", "是否入围"],
                     [(s.shortlist_rank, s.id, s.title, s.author, s.unit_name, rounded(s.panel), s.sheets,
                       ("入围（并列，待评审委员会确认）" if s.id in tied else "入围") if s.shortlisted else None)
                      for s in c.ranked(name)],
                     formats={0: "0", 5: "0.00", 6: "0"}, widths={2: 44, 4: 40, 7: 30})
    _notes_and_ties(book, c)
    book.save(path)
    return path


def _prize_text(standing) -> str:
    if standing.prize_pending:
        return "待定（并列）"
    return standing.prize or ""


def write_results_xlsx(c: Contest, path: Path) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name in c.categories:
        _write_sheet(book.create_sheet(name),
                     ["名次", "奖项", "作品编号", "作品标题", "作者", "单位", "评审得分", "评分表数", "票数", "网络投票得分",
                      "最终得分"],
                     [(s.rank, _prize_text(s), s.id, s.title, s.author, s.unit_name, rounded(s.panel), s.sheets, s.votes,
                       rounded(s.vote_score), rounded(s.final)) for s in c.finalists(name)],
                     formats={0: "0", 6: "0.00", 7: "0", 8: "#,##0", 9: "0.00", 10: "0.00"},
                     widths={3: 44, 5: 40})
    _notes_and_ties(book, c)
    book.save(path)
    return path


def write_certificate_list(c: Contest, path: Path) -> Path:
    book = Workbook()
    ws = book.active
    ws.title = "获奖证书名单"
    _write_sheet(ws, ["序号", "类别", "奖项", "作品编号", "作品标题", "作者", "单位", "证书文件"],
                 [(i, s.category, c.award(s), s.id, s.title, s.author, s.unit_name, f"certificates/{s.id}.html")
                  for i, s in enumerate(c.winners(), start=1)],
                 formats={0: "0"}, widths={2: 20, 4: 44, 6: 40, 7: 24})
    book.save(path)
    return path


def _jinja():
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                       trim_blocks=True, lstrip_blocks=True)


def _render(template: str, path: Path, **context) -> Path:
    path.write_text(_jinja().get_template(template).render(**context), encoding="utf-8")
    return path


def _page_context(c: Contest) -> dict:
    days = c.campaign.window_days(c.campaign.report_type("votes").window or "essay_vote")
    return {"c": c, "campaign": c.campaign, "as_of": _local(c, c.as_of), "method": _method(c),
            "formula": _formula(c), "vote_days": (days[0], days[-1]),
            "prize_text": _prize_text, "rounded": rounded,
            "awards": {cat.name: cat.award for cat in c.campaign.essays.categories}}


def _certificate(c: Contest, s) -> dict:
    return {"award": c.award(s), "title": s.title, "author": s.author, "unit": s.unit_name, "id": s.id,
            "category": s.category}


def write_certificates(c: Contest, folder: Path, pdf: bool | None = None) -> list[Path]:
    """One print-ready HTML certificate per winner, all of them in one file, and (when
    Chromium is installed, or ``pdf`` is True) one PDF of them all."""
    folder.mkdir(parents=True, exist_ok=True)
    day = c.campaign.essays.results_on
    common = {"campaign": c.campaign, "issued": f"{day.year}年{day.month}月{day.day}日"}
    certificates = [_certificate(c, s) for s in c.winners()]
    written = [_render("certificate.html.j2", folder / f"{cert['id']}.html", certificates=[cert], **common)
               for cert in certificates]
    if certificates:
        written.append(_render("certificate.html.j2", folder / "all.html", certificates=certificates, **common))
        if pdf is not False:
            target = print_pdf(folder / "all.html", folder / "certificates.pdf", required=bool(pdf))
            if target:
                written.append(target)
    return written


def chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)


def _cjk_font_face() -> str:
    """A Chinese serif font for printing where the system has none: the Noto Serif CJK file
    that the mplfonts dependency ships (found without importing it)."""
    spec = importlib.util.find_spec("mplfonts")
    font = Path(spec.origin).parent / "fonts" / "NotoSerifCJKsc-Regular.otf" if spec and spec.origin else None
    if font is None or not font.exists():
        return ""
    return f'<style>@font-face {{ font-family: "CertSerif"; src: url("{font.as_uri()}"); }}</style>'


def print_pdf(html: Path, target: Path, required: bool = False) -> Path | None:
    """Print an HTML file to PDF with headless Chromium (a fresh profile each time). Returns
    None when Chromium is missing or fails, unless ``required``."""
    binary = chromium()
    if binary is None:
        if required:
            raise RuntimeError("chromium is not installed")
        return None
    with tempfile.TemporaryDirectory(prefix="insday-chromium-") as work:
        page = Path(work) / "print.html"
        page.write_text(html.read_text(encoding="utf-8").replace("</head>", _cjk_font_face() + "</head>", 1),
                        encoding="utf-8")
        command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                   "--disable-component-update", "--no-first-run", f"--user-data-dir={Path(work) / 'profile'}",
                   "--no-pdf-header-footer", f"--print-to-pdf={target.resolve()}", page.as_uri()]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as exc:
            if required:
                raise
            log.warning("certificates PDF not printed: %s", exc)
            return None
    return target if target.exists() else None


def publish_essays(env: Env, as_of: datetime, out_dir: Path, stage: str, *, pdf: bool | None = None) -> list[Path]:
    """Write the outputs of a stage (``shortlist`` or ``results``) as of a moment into
    ``out_dir``; return the files written. ``pdf``: print the certificates to PDF (None:
    when Chromium is installed)."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
    return write_stage(env, contest(env.campaign, env.engine, as_of, final=stage == "results"), out_dir, stage, pdf)


def write_stage(env: Env, c: Contest, out_dir: Path, stage: str, pdf: bool | None = None) -> list[Path]:
    """Check the contest's figures (expectations/outputs/essays.json; OutputBlocked if they fail),
    then write the stage's outputs into ``out_dir``."""
    guard(env, f"essay_{stage}", stage, f"征文{'入围名单' if stage == 'shortlist' else '评选结果'}", "essays",
          essay_rows(c), essay_parameters(c),
          {name: [(s.id, s.panel, s.shortlist_rank, s.final, s.rank, s.prize) for s in group]
           for name, group in c.categories.items()})
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    context = _page_context(c)
    if stage == "shortlist":
        return [write_shortlist_xlsx(c, out_dir / "essay-shortlist.xlsx"),
                _render("shortlist.html.j2", out_dir / "essay-shortlist.html", **context)]
    written = [write_results_xlsx(c, out_dir / "essay-results.xlsx"),
               _render("results.html.j2", out_dir / "essay-results.html", **context)]
    if c.final:
        written.append(write_certificate_list(c, out_dir / "essay-certificates.xlsx"))
        written += write_certificates(c, out_dir / "certificates", pdf)
    return written
