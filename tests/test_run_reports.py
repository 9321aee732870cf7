"""What a scheduled flow run says it did, in Chinese: the one line each stage logs, the run's
Markdown report and the deadline status table (Prefect artifacts, read back from the test
harness's server), and an as_of outside the campaign refused before anything runs, IT not alerted."""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from filemaker import daily_row, write_xlsx

from insday.settings import get_settings

TZ = ZoneInfo("Asia/Shanghai")


# ----- the plain functions -------------------------------------------------------------


def test_collect_line_counts_what_was_taken_and_left():
    from insday.runreport import collect_line

    summary = {"dry_run": False, "files": [{}] * 12, "accepted": 10, "rejected": 2, "duplicate": 0,
               "waiting": ["a.xlsx"], "later": ["b.xlsx", "c.xlsx"], "unreadable": [],
               "donations": {"files": [], "imported": 0, "duplicate": 0, "rejected": 0, "deferred": 0}}
    assert collect_line(summary) == ("收件箱：收取文件 12 份：受理 10，退回 2，重复 0；"
                                     "仍在写入 1 份，晚于运行时刻（留待以后收取） 2 份")


def test_reminders_and_mail_lines_count_by_kind():
    from insday.runreport import mail_line, reminders_line

    messages = ([{"kind": "reminder", "state": "queued"}] * 5 + [{"kind": "overdue", "state": "queued"}] * 2
                + [{"kind": "digest", "state": "queued"}, {"kind": "overdue", "state": "exists"}])
    unreachable = [{"name": "长春"}, {"name": "长春"}]
    assert reminders_line({"dry_run": False, "messages": messages, "unreachable": unreachable}) == (
        "提醒和催报：提醒 5 封，逾期通知 2 封，汇总 1 封；此前已发 1 封，不重复发送；无可用邮箱 2 家（请电话联系：长春）")
    assert mail_line({"transport": "smtp", "sent": 8, "failed": 1, "pending": 1, "error": None}) == \
        "发送邮件：已发送 8 封，失败 1 封（稍后重试），仍待发送 1 封"
    assert mail_line({"transport": "eml", "sent": 3, "failed": 0, "pending": 0, "error": None}) == \
        "发送邮件：未配置发信服务器，3 封写入发件箱文件夹"


def test_status_rows_show_titles_names_and_local_times(campaign):
    from insday.runreport import status_rows

    [c05] = [u for u in campaign.units if u.code == "C05"]
    [p11] = [u for u in campaign.units if u.code == "P11"]
    status = {"deadlines": [
        {"id": "daily_report:2019-06-25", "title": "每日参与情况（6月25日）", "due": "2019-06-26T10:00:00+08:00",
         "closed": True, "expected": 63, "on_time": 60, "late": 1, "missing": 2, "excused": 0,
         "missing_units": ["C05", "P11"],
         "exceptions": [{"unit": "P01", "kind": "extend", "until": "2019-06-28T12:00:00+08:00", "reason": "系统故障"}],
         "voided": []},
        {"id": "summary", "title": "活动总结", "due": "2019-07-12T16:00:00+08:00", "closed": False, "expected": 63,
         "on_time": 0, "late": 0, "missing": 0, "excused": 0, "missing_units": [], "exceptions": [], "voided": []}]}
    rows = status_rows(campaign, status, datetime(2019, 6, 27, 10, 30, tzinfo=TZ))
    assert rows == [{"截止事项": "每日参与情况（6月25日）", "截止时间": "06-26 10:00", "应报": 63, "按时": 60, "逾期": 1,
                     "未报": 2, "免报": 0, "未报单位": f"{c05.display_name}、{p11.display_name}",
                     "说明": "人保财险延期至 06-28 12:00（系统故障）"}]


# ----- the flows on the test harness ------------------------------------------------------


@pytest.fixture
def home(env, monkeypatch, prefect_harness):
    monkeypatch.setenv("INSDAY_INBOX_STABLE_SECONDS", "0.2")
    monkeypatch.setenv("INSDAY_AUTO_APPROVE", "true")
    get_settings.cache_clear()
    return env


def drop(env, rel: str, rows: list, at: datetime):
    path = write_xlsx(env.inbox_dir / rel, rows)
    os.utime(path, (at.timestamp(), at.timestamp()))
    return path


def artifacts(state) -> dict[str, str]:
    """The run's artifacts by key: Markdown text, or a table's JSON."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])))
    return {a.key: a.data for a in found}


def run_logs(state) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    with get_client(sync_client=True) as client:
        return [log.message for log in client.read_logs(LogFilter(
            flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id])))]


def test_daily_run_reports_what_it_took_the_deadlines_and_the_bulletin(home, artifacts_dir):
    import json

    from insday.flows.daily_run import daily_run

    c = home.campaign
    drop(home, "人保/0626.xlsx", [daily_row(day="2019-06-26", unit="人保财险")], datetime(2019, 6, 26, 21, 0, tzinfo=TZ))
    drop(home, "长春/0626.xlsx", [daily_row(day="2019-06-26", unit="长春市保险行业协会")],
         datetime(2019, 6, 26, 22, 0, tzinfo=TZ))
    drop(home, "吉林/0626.xlsx", [daily_row(day="2019-06-26", unit="吉林市保险行业协会", participants="很多")],
         datetime(2019, 6, 26, 23, 0, tzinfo=TZ))

    state = daily_run(as_of="2019-06-27T10:30", return_state=True)
    assert state.is_completed(), state.message
    result = state.result()
    logs = run_logs(state)
    assert "收件箱：收取文件 3 份：受理 2，退回 1，重复 0" in logs
    assert "邮箱：未配置收件邮箱，跳过" in logs
    assert "拉取步数：未拉取（未配置全国平台接口）" in logs
    assert not any("{" in line for line in logs), [line for line in logs if "{" in line]  # no raw dicts
    [rejected] = [line for line in logs if line.startswith("退回「吉林/0626.xlsx」")]

    d26 = next(d for d in result["deadline_status"]["deadlines"] if d["id"] == "daily_report:2019-06-26")
    assert (d26["on_time"], d26["missing"]) == (2, 61)
    # every unit missing on 06-26 gets its overdue notice, the association one digest
    assert "提醒和催报：提醒 0 封，逾期通知 61 封，汇总 1 封" in logs

    found = artifacts(state)
    report = found["jilin-2019-daily-run-report"]
    (artifacts_dir / f"run-report-daily_run-{home.engine.dialect.name}.md").write_text(report, encoding="utf-8")
    assert report.startswith("## 运行报告：每日运行")
    assert "- 运行时刻：2019-06-27 10:30（北京时间）" in report and "- 结果：全部完成" in report
    assert "- 收件箱：收取文件 3 份：受理 2，退回 1，重复 0" in report
    # each file with its unit's name, its submission id (what the void form asks for) and why it was sent back
    assert "| 人保/0626.xlsx | 人保财险 | 每日参与情况 | 受理 | 1 |  |" in report
    assert f"| 吉林/0626.xlsx | {c.display_name('C02')} | 每日参与情况 | 退回 | 2 | {rejected.split('：', 1)[1]} |" \
        in report
    assert "| 长春/0626.xlsx | 长春市协会 | 每日参与情况 | 受理 | 3 |  |" in report
    assert "| 每日参与情况（6月26日） | 06-27 10:00 | 63 | 2 | 0 | 61 | 0 |" in report
    bulletin = result["publish_bulletin"]
    assert f"《{bulletin['title']}》已批准" in report and f"网页：`{bulletin['files']['html']}`" in report
    assert bulletin["files"]["html"].startswith(str(home.public_dir))
    assert f"- 发件箱：`{home.settings.outbox_dir}`" in report
    sent = len(list(home.settings.outbox_dir.rglob("*.eml")))
    assert f"- 发送邮件：未配置发信服务器，{sent} 封写入发件箱文件夹" in report

    # the digest tells the contact person what to do in the Prefect UI, never a command to run
    import email
    from email import policy

    [digest] = [m for m in (email.message_from_bytes(p.read_bytes(), policy=policy.default)
                            for p in home.settings.outbox_dir.rglob("*.eml")) if m["X-Insday-Kind"] == "digest"]
    text = digest.get_body(("plain",)).get_content()
    assert "在 Prefect 界面运行「延期」（extend_deadline）" in text and "insday " not in text

    table = json.loads(found["jilin-2019-deadline-status"])
    row = next(r for r in table if r["截止事项"] == "每日参与情况（6月26日）")
    assert row["截止时间"] == "06-27 10:00" and row["按时"] == 2 and row["未报"] == 61
    assert c.display_name("P02") in row["未报单位"] and "P02" not in row["未报单位"]
    assert all(not r["截止事项"].startswith("daily_report") for r in table)


def test_deadline_watch_reports_reminders_by_kind(home):
    from insday.flows.deadline_watch import deadline_watch

    state = deadline_watch(as_of="2019-06-25T14:00", return_state=True)
    assert state.is_completed(), state.message
    messages = state.result()["send_reminders"]["messages"]
    kinds = {k: sum(m["kind"] == k for m in messages) for k in ("reminder", "overdue", "digest")}
    assert kinds["reminder"] > 0
    line = f"提醒和催报：提醒 {kinds['reminder']} 封，逾期通知 {kinds['overdue']} 封，汇总 {kinds['digest']} 封"
    assert line in run_logs(state)
    report = artifacts(state)["jilin-2019-deadline-watch-report"]
    assert report.startswith("## 运行报告：截止时间监控") and f"- {line}" in report
    assert "- 截止情况：截至运行时刻尚无到期的截止事项" in report


def test_essay_shortlist_run_logs_and_leaves_a_report(home):
    from openpyxl import load_workbook

    from insday.flows.essay_awards import essay_awards
    from insday.templates import DATA_SHEET, write_templates

    [template] = write_templates(home.campaign, home.settings.path("templates"), ["scoring_sheet"])
    book = load_workbook(template)
    ws = book[DATA_SHEET]
    ws["B2"] = "人保财险"
    for i, row in enumerate(range(4, 4 + 33)):
        ws.cell(row=row, column=4, value=i * 0.5)
        for col in range(5, 10):
            ws.cell(row=row, column=col, value=0)
    path = home.inbox_dir / "附件3-1打分表.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    stamp = datetime(2019, 6, 25, 15, 0, tzinfo=TZ).timestamp()
    os.utime(path, (stamp, stamp))

    state = essay_awards(as_of="2019-06-25T16:30", stage="shortlist", return_state=True)
    assert state.is_completed(), state.message
    result = state.result()["publish_essays"]
    folder = home.public_dir / "essays" / "shortlist"
    counts = "，".join(f"{name} {n} 篇" for name, n in result["finalists"].items())
    line = f"征文入围名单：计入评分表 1 份；入围 {counts}；写入 {len(result['files'])} 个文件到 {folder}"
    assert line in run_logs(state)
    report = artifacts(state)["jilin-2019-essay-awards-report"]
    assert report.startswith("## 运行报告：征文评奖") and "收取文件 1 份：受理 1，退回 0，重复 0" in report
    assert f"### 征文\n\n{line}。" in report


def test_final_bulletin_dry_run_reports_what_it_would_do(home):
    from insday.flows.final_bulletin import final_bulletin

    drop(home, "人保/0626.xlsx", [daily_row(day="2019-06-26", unit="人保财险")], datetime(2019, 6, 26, 21, 0, tzinfo=TZ))
    state = final_bulletin(as_of="2019-07-12T17:00", dry_run=True, return_state=True)
    assert state.is_completed(), state.message
    bulletin = state.result()["publish_bulletin"]
    report = artifacts(state)["jilin-2019-final-bulletin-report"]
    assert report.startswith("## 运行报告：最终通报") and "- 运行时刻：2019-07-12 17:00（北京时间）" in report
    assert "- 试运行：只报告将做什么，未入库、未移动文件、未发送、未发布" in report
    assert "- 收件箱（试运行）：将收取文件 1 份，未入库、未移动" in report
    assert "| 人保/0626.xlsx | — | — | （试运行） |" in report  # not read on a dry run
    assert f"《{bulletin['title']}》试运行，写入 {home.settings.path('dry-run')}" in report
    assert "### 邮件" not in report  # a dry run sends nothing
    assert (home.inbox_dir / "人保" / "0626.xlsx").exists()


def test_an_as_of_outside_the_campaign_is_refused_before_anything_runs_and_alerts_nobody(home, smtp_server,
                                                                                        monkeypatch):
    from insday.flows.daily_run import daily_run
    from insday.orchestration import as_of_window

    for key, value in smtp_server.settings_env().items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    report = drop(home, "人保/0626.xlsx", [daily_row(day="2019-06-26", unit="人保财险")],
                  datetime(2019, 6, 26, 21, 0, tzinfo=TZ))
    first, last = as_of_window(home.campaign)
    assert (first.isoformat(), last.isoformat()) == ("2019-05-21T00:00:00+08:00", "2020-02-06T18:00:00+08:00")

    state = daily_run(as_of="2018-06-27T10:30", return_state=True)  # the year mistyped
    assert state.is_failed()
    assert "运行时刻 2018-06-27 10:30 不在" in state.message and "2019-05-21 至 2020-02-06" in state.message
    assert report.exists() and not home.settings.processed_dir.exists()  # nothing collected
    assert "未执行：" in " ".join(run_logs(state))
    assert "**未执行**：运行时刻 2018-06-27 10:30 不在" in artifacts(state)["jilin-2019-daily-run-report"]
    assert smtp_server.messages == []  # the technical contact was not alerted
    assert not home.settings.outbox_dir.exists() or not any(home.settings.outbox_dir.rglob("*.eml"))

    # the window's own edges run; a naive as_of is campaign time, an offset is honoured
    state = daily_run(as_of=datetime(2020, 2, 6, 10, 0, tzinfo=ZoneInfo("UTC")), dry_run=True, return_state=True)
    assert state.is_completed(), state.message
    state = daily_run(as_of="2020-02-06T18:01", dry_run=True, return_state=True)
    assert state.is_failed() and "2020-02-06 18:01" in state.message
    assert smtp_server.messages == []


def test_no_email_template_tells_the_contact_person_to_run_a_command():
    import re
    from pathlib import Path

    import insday

    folder = Path(insday.__file__).parent / "templates" / "mail"
    for path in folder.iterdir():
        assert not re.search(r"insday [a-z]", path.read_text(encoding="utf-8")), path.name


def test_as_of_is_typed_and_its_pattern_takes_real_days_only(campaign):
    import re
    from datetime import timezone

    from insday.flows.common import AS_OF_PATTERN
    from insday.flows.daily_run import daily_run
    from insday.flows.deadline_watch import deadline_watch
    from insday.flows.essay_awards import essay_awards
    from insday.flows.final_bulletin import final_bulletin
    from insday.orchestration import parse_as_of, run_name

    for f in (daily_run, deadline_watch, essay_awards, final_bulletin):
        as_of = f.parameters.properties["as_of"]
        assert {"type": "string", "format": "date-time"} in as_of["anyOf"] and as_of["pattern"] == AS_OF_PATTERN
        assert as_of["default"] is None and "按此时刻运行（北京时间" in as_of["description"]
    good = ["2019-06-27T10:30", "2019-06-27T10:30:00+08:00", "2019-06-27T02:30:00.000Z", "2019-06-27 10:30",
            "2019-06-27"]
    bad = ["2019-06-31T10:30", "2019-13-01T10:30", "2019-06-27T24:00", "昨天", "27/6/2019"]
    assert [bool(re.match(AS_OF_PATTERN, v)) for v in good + bad] == [True] * len(good) + [False] * len(bad)
    # a datetime (what a typed parameter arrives as) names the run by its local day
    late = datetime(2019, 6, 27, 17, 0, tzinfo=timezone.utc)  # 06-28 01:00 in Asia/Shanghai
    assert run_name("daily_run", late, campaign) == "daily_run 2019-06-28"
    assert parse_as_of(datetime(2019, 6, 27, 10, 30), campaign) == datetime(2019, 6, 27, 2, 30, tzinfo=timezone.utc)
