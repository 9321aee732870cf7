"""The flows under one Prefect test harness (a real temporary Prefect server, heartbeats off):
replays with as_of, run names, failing stages, reruns, overlapping runs, retries, parameters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from contracts import check
from filemaker import daily_row, write_xlsx
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from insday.db import session_scope
from insday.db.models import Submission
from insday.settings import get_settings

pytestmark = pytest.mark.usefixtures("prefect_harness")

TZ = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def home(env, monkeypatch):
    """The flows read their settings from the environment, as a served run does; like a replay,
    they approve every bulletin that passes its checks (the pause itself: test_prefect_server)."""
    monkeypatch.setenv("INSDAY_INBOX_STABLE_SECONDS", "0.2")
    monkeypatch.setenv("INSDAY_AUTO_APPROVE", "true")
    get_settings.cache_clear()
    return env


def drop(env, rel: str, unit: str, day: str, at: datetime) -> Path:
    path = write_xlsx(env.inbox_dir / rel, [daily_row(day=day, unit=unit)])
    os.utime(path, (at.timestamp(), at.timestamp()))
    return path


def submissions(env) -> list[Submission]:
    with session_scope(env.engine) as s:
        return list(s.scalars(select(Submission).order_by(Submission.id)))


def flow_run(state):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(state.state_details.flow_run_id)


def run_logs(state) -> list[str]:
    """The log lines of a flow run, or of a task run, as stored by the Prefect server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId, LogFilterTaskRunId
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    ids = state.state_details
    where = LogFilter(task_run_id=LogFilterTaskRunId(any_=[ids.task_run_id])) if ids.task_run_id else \
        LogFilter(flow_run_id=LogFilterFlowRunId(any_=[ids.flow_run_id]))
    with get_client(sync_client=True) as client:
        return [log.message for log in client.read_logs(where)]


def test_daily_run_replays_a_day_with_what_had_arrived_by_then(home):
    from insday.flows.daily_run import daily_run

    drop(home, "人保/0626.xlsx", "人保财险", "2019-06-26", datetime(2019, 6, 26, 21, 0, tzinfo=TZ))
    drop(home, "长春/6月/0626.xlsx", "长春市保险行业协会", "2019-06-26", datetime(2019, 6, 27, 11, 0, tzinfo=TZ))
    drop(home, "人保/0627.xlsx", "人保财险", "2019-06-27", datetime(2019, 6, 28, 9, 0, tzinfo=TZ))

    state = daily_run(as_of="2019-06-27T10:30", return_state=True)

    assert state.is_completed(), state.message
    assert flow_run(state).name == "daily_run 2019-06-27"
    inbox = state.result()["collect_inbox"]
    assert sorted(f["path"] for f in inbox["files"]) == ["人保/0626.xlsx"]
    assert sorted(inbox["later"]) == ["人保/0627.xlsx", "长春/6月/0626.xlsx"]
    assert [(s.unit_code, s.timeliness) for s in submissions(home)] == [("P01", "on_time")]

    # The next morning's run takes the late 06-26 report (late: due 06-27 10:00) and the 06-27 one.
    state = daily_run(as_of="2019-06-28T10:30", return_state=True)
    assert state.is_completed(), state.message
    subs = sorted((s.unit_code, s.period.isoformat(), s.timeliness) for s in submissions(home))
    assert subs == [("C01", "2019-06-26", "late"), ("P01", "2019-06-26", "on_time"), ("P01", "2019-06-27", "on_time")]
    assert not any(home.inbox_dir.rglob("*.xlsx"))


def test_deadline_watch_dry_run_changes_nothing_and_says_so(home):
    from insday.flows.deadline_watch import deadline_watch

    drop(home, "0626.xlsx", "人保财险", "2019-06-26", datetime(2019, 6, 26, 21, 0, tzinfo=TZ))
    state = deadline_watch(as_of="2019-06-27T08:00", dry_run=True, return_state=True)
    assert state.is_completed(), state.message
    assert flow_run(state).name == "deadline_watch 2019-06-27 (dry run)"
    assert [f["path"] for f in state.result()["collect_inbox"]["files"]] == ["0626.xlsx"]
    assert submissions(home) == [] and (home.inbox_dir / "0626.xlsx").exists()


def test_a_failed_stage_fails_the_run_alerts_and_a_rerun_converges(home):
    from insday.flows.daily_run import daily_run

    drop(home, "0626.xlsx", "人保财险", "2019-06-26", datetime(2019, 6, 26, 21, 0, tzinfo=TZ))
    home.processed_dir.parent.mkdir(parents=True, exist_ok=True)
    home.processed_dir.write_text("in the way")  # the move after the ingest fails

    state = daily_run(as_of="2019-06-27T10:30", return_state=True)

    assert state.is_failed()
    assert "failed: collect_inbox" in state.message and "skipped: deadline_status, send_reminders, publish_bulletin" in state.message
    assert any("failure alert" in line for line in run_logs(state)), "the on_failure hook ran"
    alerts = [m for m in (p.read_text(encoding="utf-8", errors="replace") for p in home.settings.outbox_dir.rglob("*.eml"))
              if "X-Insday-Kind: alert" in m]
    assert len(alerts) == 1 and home.campaign.association.tech_contact in alerts[0]
    assert [s.filename for s in submissions(home)] == ["0626.xlsx"]

    home.processed_dir.unlink()
    rerun = daily_run(as_of="2019-06-27T10:30", return_state=True)
    assert rerun.is_completed(), rerun.message
    assert [f["status"] for f in rerun.result()["collect_inbox"]["files"]] == ["duplicate"]
    assert [s.filename for s in submissions(home)] == ["0626.xlsx"]
    assert (home.processed_dir / "2019-06-26" / "0626.xlsx").exists()


def test_overlapping_runs_ingest_each_file_once(home):
    from insday.flows.daily_run import daily_run
    from insday.flows.deadline_watch import deadline_watch

    units = ["人保财险", "吉林市保险行业协会", "长春市保险行业协会", "四平市保险行业协会", "辽源市保险行业协会"]
    for n, unit in enumerate(units):
        drop(home, f"{n}/{n}.xlsx", unit, "2019-06-26", datetime(2019, 6, 26, 20, n, tzinfo=TZ))
    states = []
    threads = [threading.Thread(target=lambda f=f: states.append(f(as_of="2019-06-27T10:30", return_state=True)))
               for f in (daily_run, deadline_watch)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(s.is_completed() for s in states), [s.message for s in states]
    taken = sorted(f["path"] for s in states for f in s.result()["collect_inbox"]["files"])
    assert taken == [f"{n}/{n}.xlsx" for n in range(5)]
    assert len(submissions(home)) == 5


def test_transient_failures_are_retried_and_bugs_are_not(home, monkeypatch):
    from prefect import flow

    from insday.tasks.collect import collect_inbox
    from insday.tasks.common import is_transient

    assert is_transient(OperationalError("SELECT 1", {}, ConnectionRefusedError()))
    assert not is_transient(ValueError("a bug"))
    try:
        try:
            raise TimeoutError("smtp")
        except TimeoutError as inner:
            raise RuntimeError("deliver failed") from inner
    except RuntimeError as outer:
        assert is_transient(outer)

    from conftest import free_port

    monkeypatch.setenv("INSDAY_DATABASE_URL", f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/down")
    get_settings.cache_clear()
    quick = collect_inbox.with_options(retry_delay_seconds=0, retry_jitter_factor=None)

    @flow
    def attempt():
        return [quick(None, return_state=True)]

    [state] = attempt()
    assert state.is_failed()
    assert sum("Retry" in line for line in run_logs(state)) == 3  # the database is down: retried 3 times

    monkeypatch.setenv("INSDAY_DATABASE_URL", home.settings.database_url)
    get_settings.cache_clear()
    home.inbox_dir.parent.mkdir(parents=True, exist_ok=True)
    home.inbox_dir.write_text("a file where the inbox folder should be")
    [state] = attempt()
    assert state.is_failed() and not any("Retry" in line for line in run_logs(state))  # a mistake: not retried


def test_heartbeats_are_off_under_the_test_harness():
    from prefect import flow
    from prefect.settings import get_current_settings

    @flow
    def heartbeat_setting():
        return get_current_settings().flows.heartbeat_frequency

    assert heartbeat_setting() is None  # the engine sends heartbeats only when this is set


def test_parameters_are_typed_and_described_for_the_custom_run_form():
    from insday.flows.daily_run import daily_run
    from insday.flows.deadline_watch import deadline_watch
    from insday.flows.essay_awards import essay_awards
    from insday.flows.final_bulletin import final_bulletin

    for f in (daily_run, deadline_watch, essay_awards, final_bulletin):
        props = f.parameters.properties
        assert "ISO 8601" in props["as_of"]["description"] and "as_of" not in f.parameters.required
        assert props["dry_run"]["type"] == "boolean" and props["dry_run"]["default"] is False
        assert "试运行" in props["dry_run"]["description"]
    stage = essay_awards.parameters.properties["stage"]
    assert {"enum": ["shortlist", "results"], "type": "string"} in stage["anyOf"]


def test_flows_import_nothing_heavy_and_turn_prefect_analytics_off():
    code = ("import os, sys; import flows.daily_run, flows.deadline_watch, flows.essay_awards, flows.final_bulletin;"
            "heavy = [m for m in sys.modules if m.split('.')[0] in ('great_expectations', 'pandas', 'matplotlib')];"
            "print(heavy, os.environ['PREFECT_SERVER_ANALYTICS_ENABLED'])")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_SERVER_ANALYTICS_ENABLED"}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "false"]
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "true"  # a user's own choice stands
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "true"]


def test_failure_alert_names_the_run_and_escapes_the_error(campaign):
    from insday.orchestration import failure_alert

    subject, html, text = failure_alert(campaign, "daily_run 2019-06-30", "Failed",
                                        "failed: collect_inbox <script>", "http://127.0.0.1:4200/runs/flow-run/1")
    assert subject == "【insday】流程运行失败：daily_run 2019-06-30"
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "failed: collect_inbox <script>" in text and "http://127.0.0.1:4200/runs/flow-run/1" in text


def test_as_of_is_campaign_time_unless_it_says_otherwise(campaign):
    from insday.orchestration import parse_as_of, report_day, run_name

    assert parse_as_of("2019-06-30T10:30", campaign) == datetime(2019, 6, 30, 2, 30, tzinfo=timezone.utc)
    assert parse_as_of("2019-06-30T10:30+00:00", campaign) == datetime(2019, 6, 30, 10, 30, tzinfo=timezone.utc)
    assert parse_as_of("2019-06-30", campaign) == datetime(2019, 6, 29, 16, 0, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_as_of("30/6/2019", campaign)
    assert run_name("essay_awards", "2019-06-25T16:30", campaign, detail="shortlist") == \
        "essay_awards 2019-06-25 shortlist"
    # The daily run reports on the latest day whose reports were due (10:00 the next day).
    assert report_day(campaign, parse_as_of("2019-06-30T10:30", campaign)).isoformat() == "2019-06-29"
    assert report_day(campaign, parse_as_of("2019-06-30T09:59", campaign)).isoformat() == "2019-06-28"
    assert report_day(campaign, parse_as_of("2019-06-26T09:00", campaign)) is None


def test_daily_run_pulls_the_platform_and_a_backfill_skips_the_pull(home, monkeypatch):
    import stepdata

    from insday.flows.common import StageResults
    from insday.flows.daily_run import daily_run

    platform = stepdata.Platform()
    platform.payload = {"regions": [{"region": "吉林", "date": "2019-06-26", "steps": 12_345_678, "donations": 900}]}
    monkeypatch.setenv("INSDAY_STEPS_API_URL", platform.url("/aggregates"))
    get_settings.cache_clear()
    try:
        state = daily_run(as_of="2019-06-27T10:30", return_state=True)
        assert state.is_completed(), state.message
        check(json.loads(json.dumps(state.result())), StageResults)
        assert {"collect_inbox", "collect_imap", "pull_steps", "step_summary", "deadline_status", "send_reminders",
                "publish_bulletin", "deliver_mail"} == set(state.result())
        jilin = next(r for r in state.result()["step_summary"]["regions"] if r["name"] == "吉林")
        assert jilin["own_steps"] == 12_345_678
        assert platform.hits["/aggregates"] == 1

        backfill = daily_run(as_of="2019-06-26T10:30", return_state=True)
        assert backfill.is_completed(), backfill.message
        assert "按时间顺序" in backfill.result()["pull_steps"]["skipped"]
        check(json.loads(json.dumps(backfill.result())), StageResults)
        assert platform.hits["/aggregates"] == 2  # asked, but today's figures are not recorded as of the past
    finally:
        platform.stop()


def test_essay_awards_publishes_the_shortlist_of_the_sheets_in_the_inbox(home):
    from openpyxl import load_workbook

    from insday.flows.common import StageResults
    from insday.flows.essay_awards import essay_awards
    from insday.templates import DATA_SHEET, write_templates

    [template] = write_templates(home.campaign, home.settings.path("templates", home.campaign.name), ["scoring_sheet"])
    book = load_workbook(template)
    ws = book[DATA_SHEET]
    ws["B2"] = "人保财险"
    for i, row in enumerate(range(4, 4 + 33)):  # the 33 cases AL01..AL33: totals 0, 0.5, ... 16
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
    check(json.loads(json.dumps(state.result())), StageResults)
    assert flow_run(state).name == "essay_awards 2019-06-25 shortlist"
    page = (home.public_dir / "essays" / "shortlist" / "essay-shortlist.html").read_text(encoding="utf-8")
    assert all(f"AL{n:02d}" in page for n in range(24, 34))  # the ten highest
    assert "AL23" not in page
