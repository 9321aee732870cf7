"""Validation reports the contact person can open (`insday docs`): a self-contained Chinese page per
received file and an index, from real files ingested into SQLite and PostgreSQL; one page shown
in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from filemaker import DAILY_HEADER, daily_row, write_xlsx
from sqlalchemy import select
from typer.testing import CliRunner

from insday.cli import app
from insday.db import session_scope
from insday.db.models import Submission
from insday.intake.pages import build_pages, describe
from insday.intake.service import ingest_paths

TZ = ZoneInfo("Asia/Shanghai")
EVIL = "<img src=x onerror=alert(1)>"
# anything a page would fetch: a script, a stylesheet, an image or frame, a font or a CSS import
FETCHES = re.compile(r"<(?:script|link|iframe|object|embed)\b|\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//"
                     r"|url\(\s*[\"']?\s*(?:https?:)?//|@import", re.IGNORECASE)


@pytest.fixture
def received(env, tmp_path):
    """Four real files as member units send them, ingested at known moments."""
    folder = tmp_path / "in"
    bad = write_xlsx(folder / "人保财险0626.xlsx", [daily_row(steps="很多", participants="-")])
    ingest_paths(env, [bad], received_at=datetime(2019, 6, 27, 1, 30, tzinfo=timezone.utc))  # 09:30 local
    good = write_xlsx(folder / "吉林协会0626.xlsx", [[*daily_row(unit="吉林市保险行业协会"), "无"]],
                      header=[*DAILY_HEADER, "备注"])
    ingest_paths(env, [good], received_at=datetime(2019, 6, 26, 22, 5, tzinfo=TZ))
    fixed = write_xlsx(folder / "人保财险0626（改）.xlsx", [daily_row()])
    ingest_paths(env, [fixed], received_at=datetime(2019, 6, 27, 10, 20, tzinfo=TZ))  # due 10:00
    newer = write_xlsx(folder / "人保财险0626（终稿）.xlsx", [daily_row(steps=1_600_000)])
    ingest_paths(env, [newer], received_at=datetime(2019, 6, 27, 11, 15, tzinfo=TZ))
    evil = folder / f"{EVIL}.rar"
    evil.write_bytes(b"Rar!\x1a\x07\x00")
    ingest_paths(env, [evil], received_at=datetime(2019, 6, 27, 12, 0, tzinfo=TZ))
    injected = write_xlsx(folder / "injected.xlsx", [daily_row(unit="<script>alert(1)</script>")])
    ingest_paths(env, [injected], received_at=datetime(2019, 6, 27, 12, 30, tzinfo=TZ))
    with session_scope(env.engine) as s:
        return {sub.filename: sub.id for sub in s.scalars(select(Submission))}


def page(env, out: Path, ids: dict, filename: str) -> str:
    return (out / "files" / f"{ids[filename]}.html").read_text(encoding="utf-8")


def cells(html: str) -> list[list[str]]:
    """The problem table's rows as text."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_a_rejected_file_says_where_what_and_how_to_fix_in_chinese(env, received, tmp_path):
    out = tmp_path / "docs"
    result = build_pages(env, out)
    assert result["files"] == 6 and result["rejected"] == 3
    html = page(env, out, received, "人保财险0626.xlsx")
    assert "<title>校验报告：人保财险0626.xlsx</title>" in html
    assert "2019-06-27 09:30（北京时间）" in html  # stored in UTC (01:30), shown local
    assert "<dt>报送单位</dt><dd>人保财险（中国人民财产保险股份有限公司吉林省分公司）</dd>" in html
    assert "<dt>报表类型</dt><dd>每日参与情况</dd>" in html
    assert '<span class="rejected">退回</span>' in html and "2 处错误" in html
    assert cells(html) == [
        ["1", "第2行", "参与人数", "-", "不是数字", "请只填写阿拉伯数字，不要带单位或文字，如 12000"],
        ["2", "第2行", "步数", "很多", "不是数字", "请只填写阿拉伯数字，不要带单位或文字，如 12000"]]
    # the template's headers, as the member unit sees them; never the column keys
    assert '<span>日期</span><span>单位名称</span><span>参与人数</span><span>步数</span>' in html
    assert not re.search(r">\s*(steps|participants|unit)\s*<", html)
    assert '<a href="../index.html">' in html and not FETCHES.search(html)


def test_accepted_files_show_timeliness_version_warnings_and_what_superseded_them(env, received, tmp_path):
    out = tmp_path / "docs"
    build_pages(env, out)
    good = page(env, out, received, "吉林协会0626.xlsx")
    assert '<span class="accepted">受理</span>，按时，第1版</dd>' in good and "另有 1 条提示" in good
    assert "报送期间</dt><dd>2019年6月26日</dd>" in good and "2019-06-26 22:05（北京时间）" in good
    assert "<h2>提示（1）：不影响受理</h2>" in good and "错误（" not in good
    assert cells(good) == [["1", "第1行", "备注", "", "无法识别的列「备注」已忽略", ""]]
    first = page(env, out, received, "人保财险0626（改）.xlsx")
    assert '<span class="late">逾期</span>，第1版（已被第2版（06月27日 11:15 收到）取代）' in first
    last = page(env, out, received, "人保财险0626（终稿）.xlsx")
    assert "第2版</dd>" in last and "取代" not in last and "未发现任何问题" in last


def test_what_submitters_wrote_is_escaped(env, received, tmp_path):
    out = tmp_path / "docs"
    build_pages(env, out)
    rar = page(env, out, received, f"{EVIL}.rar")
    assert EVIL not in rar and "&lt;img src=x onerror=alert(1)&gt;.rar" in rar
    assert "不支持 .rar 压缩格式" in rar and "未能识别的文件" in rar and "<dd>未能识别</dd>" in rar
    injected = page(env, out, received, "injected.xlsx")
    assert "<script>" not in injected and "&lt;script&gt;alert(1)&lt;/script&gt;" in injected
    index = (out / "index.html").read_text(encoding="utf-8")
    assert EVIL not in index and "<script" not in index and not FETCHES.search(index)


def test_the_index_lists_every_file_newest_first_with_a_section_per_report_type(env, received, tmp_path):
    out = tmp_path / "docs"
    build_pages(env, out)
    index = (out / "index.html").read_text(encoding="utf-8")
    everything = index.split('<section id="all">', 1)[1]
    order = [int(n) for n in re.findall(r'href="files/(\d+)\.html"', everything)]
    assert order == [received[n] for n in ("injected.xlsx", f"{EVIL}.rar", "人保财险0626（终稿）.xlsx",
                                            "人保财险0626（改）.xlsx", "人保财险0626.xlsx", "吉林协会0626.xlsx")]
    assert '<a href="#daily_report">每日参与情况（5，退回 2）</a>' in index
    assert '<a href="#unknown">未能识别的文件（1，退回 1）</a>' in index and '<a href="#rejected">退回的文件（3）</a>' in index
    daily = index.split('<section class="pick" id="daily_report">', 1)[1].split("</section>", 1)[0]
    assert len(re.findall(r'href="files/', daily)) == 5 and "2019-06-27 12:30" in daily
    assert index.index('id="rejected"') < index.index('id="all"')  # :target sections come before #all
    for href in re.findall(r'href="(files/\d+\.html)"', index):
        assert (out / href).exists()


def test_issues_stored_before_they_kept_their_parts_are_told_from_their_sentence():
    old = {"row": 5, "column": "步数", "message": "文件「a.xlsx」第5行「步数」列：值「很多」不是数字。请只填写阿拉伯数字"}
    assert vars(describe(old, "a.xlsx", {})) == {"row": 5, "column": "步数", "value": None,
                                                  "problem": "值「很多」不是数字", "fix": "请只填写阿拉伯数字"}
    header = {"row": None, "column": None, "message": "文件「b.csv」：未找到可识别的表头。请使用协会下发的报表模板"}
    assert vars(describe(header, "b.csv", {})) == {"row": None, "column": None, "value": None,
                                                    "problem": "未找到可识别的表头", "fix": "请使用协会下发的报表模板"}
    keyed = {"row": 2, "column": "steps", "message": "x", "value": "1", "problem": "太少", "fix": None}
    assert describe(keyed, "c.xlsx", {"steps": "步数"}).column == "步数"


def test_docs_command_writes_the_pages_and_leaves_gx_alone(env, received, tmp_path):
    out = tmp_path / "报告"
    (out / "gx").mkdir(parents=True)
    (out / "gx" / "keep.html").write_text("gx", encoding="utf-8")
    result = CliRunner().invoke(app, ["docs", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["index"] == str(out / "index.html") and payload["files"] == 6 and payload["rejected"] == 3
    assert (out / "gx" / "keep.html").read_text(encoding="utf-8") == "gx"
    shown = CliRunner().invoke(app, ["docs", "--out", str(out)])
    assert shown.exit_code == 0 and "校验报告（6 个文件）" in shown.output


@pytest.mark.slow
def test_a_page_renders_offline_in_chromium(env, received, tmp_path):
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("chromium is not installed")
    out = tmp_path / "docs"
    build_pages(env, out)
    target = out / "files" / f"{received['人保财险0626.xlsx']}.html"
    done = subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--no-first-run", "--disable-sync",
                           f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", target.as_uri()],
                          capture_output=True, text=True, timeout=120, check=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", done.stdout.split("<body>", 1)[1]))
    for shown in ("校验报告：人保财险0626.xlsx", "2019-06-27 09:30（北京时间）", "退回", "第2行 步数 很多 不是数字",
                  "日期 单位名称 参与人数 步数"):
        assert shown in text, shown
