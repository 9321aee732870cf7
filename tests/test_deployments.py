"""The run calendar: cron lines derived from the campaign definition, in its time zone, only on
the campaign's days; the deployments built from it; the prefect.yaml kept in step; the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from typer.testing import CliRunner

from insday.cli import app
from insday.orchestration import cron_lines, run_plan

TZ = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parent.parent


def crons(campaign) -> dict[str, list[tuple[str, dict]]]:
    return {p.flow: [(s.cron, s.parameters) for s in p.schedules] for p in run_plan(campaign)}


def test_the_2019_calendar(campaign):
    # Worked out by hand from campaign.yaml: daily reports 06-25..07-08 are due 10:00 the next
    # day; the watch runs from the first reminder (scoring sheets: 06-25 16:00 - 3 days = 06-22)
    # to the summaries (07-12 16:00), and around the project donation deadline (11-08 18:00,
    # reminders from 11-05; the 18:00 watch run is its overdue notice).
    assert crons(campaign) == {
        "daily_run": [("30 10 26-30 6 *", {}), ("30 10 1-9 7 *", {})],
        "deadline_watch": [("0 8-18 22-30 6 *", {}), ("0 8-18 1-12 7 *", {}), ("0 8-18 5-8 11 *", {})],
        "essay_awards": [("30 16 25 6 *", {"stage": "shortlist"}), ("0 17 8 7 *", {"stage": "results"})],
        "final_bulletin": [("0 17 12 7 *", {})],
    }
    assert {p.name for p in run_plan(campaign)} == {"jilin-2019"}


def test_the_calendar_follows_the_campaign_definition(campaign):
    specs = []
    for spec in campaign.deadlines:
        if spec.id == "summary":
            spec = spec.model_copy(update={"due": datetime(2019, 7, 15, 12, 0, tzinfo=TZ)})
        if spec.id == "daily_report":
            spec = spec.model_copy(update={"due_time": datetime(2019, 1, 1, 9, 15).time()})
        specs.append(spec)
    windows = {**campaign.windows, "daily_report": campaign.windows["daily_report"].model_copy(
        update={"end": datetime(2019, 7, 2, 0, 0, tzinfo=TZ)})}
    essays = campaign.essays.model_copy(update={"results_on": datetime(2019, 7, 10).date()})
    moved = campaign.model_copy(update={"deadlines": tuple(specs), "windows": windows, "essays": essays,
                                        "end": datetime(2019, 7, 15).date()})
    plan = crons(moved)
    assert plan["daily_run"] == [("45 9 26-30 6 *", {}), ("45 9 1-2 7 *", {})]
    assert plan["final_bulletin"] == [("0 13 15 7 *", {})]
    assert plan["essay_awards"][1] == ("0 17 10 7 *", {"stage": "results"})
    # no deadline between the indicators (07-03) and the summaries' first reminder (07-12)
    assert plan["deadline_watch"][1] == ("0 8-18 1-3,12-15 7 *", {})


def test_cron_lines_group_days_by_month():
    days = [datetime(2019, 6, d).date() for d in (1, 2, 3, 5, 9, 10)] + [datetime(2019, 7, 1).date()]
    assert cron_lines(days, 0, [8, 9, 10, 14]) == ["0 8-10,14 1-3,5,9-10 6 *", "0 8-10,14 1 7 *"]


def test_prefect_fires_the_lines_on_the_campaign_days_in_its_time_zone(campaign):
    from prefect.server.schemas.schedules import CronSchedule  # what the server's scheduler uses

    def fire_times(flow: str) -> list[datetime]:
        [plan] = [p for p in run_plan(campaign) if p.flow == flow]
        times = []
        for line in plan.schedules:
            schedule = CronSchedule(cron=line.cron, timezone=campaign.timezone)
            times += [d.astimezone(TZ) for d in
                      _dates(schedule, datetime(2019, 1, 1, tzinfo=TZ), datetime(2019, 12, 31, tzinfo=TZ))]
        return sorted(times)

    daily = fire_times("daily_run")
    assert daily == [datetime(2019, 6, 26, 10, 30, tzinfo=TZ) + timedelta(days=n) for n in range(14)]
    assert daily[0].utcoffset() == timedelta(hours=8)
    watch = fire_times("deadline_watch")
    assert len(watch) == (21 + 4) * 11 and watch[0] == datetime(2019, 6, 22, 8, 0, tzinfo=TZ)
    assert watch[-1] == datetime(2019, 11, 8, 18, 0, tzinfo=TZ)
    assert fire_times("final_bulletin") == [datetime(2019, 7, 12, 17, 0, tzinfo=TZ)]


def _dates(schedule, start, end) -> list[datetime]:
    import asyncio

    return asyncio.run(schedule.get_dates(n=1000, start=start, end=end))


def test_served_deployments_carry_cron_timezone_and_module_entrypoints(campaign):
    from deployments import build

    deployments = {d.flow_name: d for d in build(campaign)}
    assert set(deployments) == {"daily_run", "deadline_watch", "essay_awards", "final_bulletin", "approve_bulletin",
                                "extend_deadline", "excuse_unit", "void_submission", "resend_message"}
    assert all(not deployments[f].schedules for f in ("approve_bulletin", "extend_deadline", "void_submission"))
    form = deployments["void_submission"]._parameter_openapi_schema.properties
    assert (form["submission"]["title"], form["submission"]["type"], form["reason"]["title"]) == ("文件编号", "integer",
                                                                                                 "原因")
    daily = deployments["daily_run"]
    assert daily.name == "jilin-2019" and daily.entrypoint == "flows.daily_run.daily_run"
    assert [(s.schedule.cron, s.schedule.timezone) for s in daily.schedules] == [
        ("30 10 26-30 6 *", "Asia/Shanghai"), ("30 10 1-9 7 *", "Asia/Shanghai")]
    assert [s.parameters for s in deployments["essay_awards"].schedules] == [{"stage": "shortlist"},
                                                                              {"stage": "results"}]
    assert daily.work_pool_name is None  # served: no work pool


def test_the_shipped_prefect_yaml_is_the_generated_one(campaign, tmp_path, monkeypatch):
    monkeypatch.setenv("INSDAY_HOME", str(tmp_path))
    written = tmp_path / "prefect.yaml"
    result = CliRunner().invoke(app, ["schedule", "--prefect-yaml", str(written)])
    assert result.exit_code == 0, result.output
    shipped = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    generated = yaml.safe_load(written.read_text(encoding="utf-8"))
    shipped.pop("prefect-version"), generated.pop("prefect-version")
    assert shipped == generated, "run `insday schedule --prefect-yaml prefect.yaml` after changing the campaign"
    assert {d["work_pool"]["name"] for d in shipped["deployments"]} == {"insday"}
    daily = next(d for d in shipped["deployments"] if d["entrypoint"] == "flows.daily_run.daily_run")
    assert daily["schedules"][0] == {"cron": "30 10 26-30 6 *", "timezone": "Asia/Shanghai", "active": True}


def test_schedule_json(monkeypatch, tmp_path):
    monkeypatch.setenv("INSDAY_HOME", str(tmp_path))
    import json

    result = CliRunner().invoke(app, ["schedule", "--json"])
    payload = json.loads(result.stdout)
    assert [d["deployment"] for d in payload] == ["daily_run/jilin-2019", "deadline_watch/jilin-2019",
                                                  "essay_awards/jilin-2019", "final_bulletin/jilin-2019"]
    assert payload[2]["schedules"][0] == {"cron": "30 16 25 6 *", "timezone": "Asia/Shanghai",
                                          "parameters": {"stage": "shortlist"}}


def test_serve_refuses_without_a_prefect_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), INSDAY_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "insday", "serve"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert "未设置 PREFECT_API_URL" in done.stderr and "prefect server start" in done.stderr


@pytest.mark.parametrize("command", ["collect", "schedule", "serve"])
def test_help(command):
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
