"""The run calendar: recurrences derived from the campaign definition, in its time zone, only on
the campaign's days of its year; the deployments built from it; the prefect.yaml kept in step;
the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from typer.testing import CliRunner

from insday.cli import app
from insday.orchestration import campaign_state, daily_rules, fires, hourly_rules, run_plan

TZ = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parent.parent


def spans(campaign) -> dict[str, list[tuple[str, str, int, dict]]]:
    """Per flow, each schedule line as (first run, last run, runs, parameters), local times."""
    out = {}
    for p in run_plan(campaign):
        out[p.flow] = []
        for line in p.schedules:
            moments = fires(line, campaign)
            out[p.flow].append((f"{moments[0]:%m-%d %H:%M}", f"{moments[-1]:%m-%d %H:%M}", len(moments),
                                line.parameters))
    return out


def test_the_2019_calendar(campaign):
    # Worked out by hand from campaign.yaml: daily reports 06-25..07-08 are due 10:00 the next
    # day; the watch runs hourly 08-18 from the first reminder (scoring sheets: 06-25 16:00 - 3 days =
    # 06-22) to the summaries (07-12 16:00), and around the project donation deadline (11-08 18:00,
    # reminders from 11-05; the 18:00 watch run is its overdue notice).
    assert spans(campaign) == {
        "daily_run": [("06-26 10:30", "07-09 10:30", 14, {})],
        "deadline_watch": [("06-22 08:00", "07-12 18:00", 21 * 11, {}), ("11-05 08:00", "11-08 18:00", 4 * 11, {})],
        "essay_awards": [("06-25 16:30", "06-25 16:30", 1, {"stage": "shortlist"}),
                         ("07-08 17:00", "07-08 17:00", 1, {"stage": "results"})],
        "final_bulletin": [("07-12 17:00", "07-12 17:00", 1, {})],
    }
    assert {p.name for p in run_plan(campaign)} == {"jilin-2019"}
    # every line ends with the campaign: nothing in 2019 after 11-08, nothing in any later year
    assert max(m for p in run_plan(campaign) for line in p.schedules for m in fires(line, campaign)) == \
        datetime(2019, 11, 8, 18, 0, tzinfo=TZ)


def test_the_campaign_is_upcoming_running_then_closed(campaign):
    assert campaign_state(campaign, datetime(2019, 6, 1, tzinfo=TZ)) == "upcoming"
    assert campaign_state(campaign, datetime(2019, 7, 1, tzinfo=TZ)) == "running"
    assert campaign_state(campaign, datetime(2019, 11, 9, tzinfo=TZ)) == "closed"


def test_recurrences_cover_runs_of_consecutive_days():
    days = [datetime(2019, 6, d).date() for d in (1, 2, 3, 5)]
    assert daily_rules(days, datetime(2019, 1, 1, 10, 30).time()) == [
        "DTSTART:20190601T103000\nRRULE:FREQ=DAILY;UNTIL=20190603T103000",
        "DTSTART:20190605T103000\nRRULE:FREQ=DAILY;COUNT=1"]
    assert hourly_rules(days[:1], 8, 10) == ["DTSTART:20190601T080000\nRRULE:FREQ=HOURLY;BYHOUR=8,9,10;"
                                             "UNTIL=20190601T100000"]


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
    plan = spans(moved)
    assert plan["daily_run"] == [("06-26 09:45", "07-02 09:45", 7, {})]
    assert plan["final_bulletin"] == [("07-15 13:00", "07-15 13:00", 1, {})]
    assert plan["essay_awards"][1] == ("07-10 17:00", "07-10 17:00", 1, {"stage": "results"})
    # no deadline between the indicators (07-03) and the summaries' first reminder (07-12)
    assert [(first, last) for first, last, *_ in plan["deadline_watch"]][:2] == [("06-22 08:00", "07-03 18:00"),
                                                                                ("07-12 08:00", "07-15 18:00")]


def test_moving_a_deadline_or_the_schedule_moves_the_runs_and_the_cut_offs_together(tmp_path):
    # a copy of the campaign folder: the summaries due 07-11 14:00, every schedule value changed
    from insday.bulletin import edition
    from insday.campaign import load_campaign
    from insday.demo import schedule as demo_runs
    from insday.paths import SHIPPED_CAMPAIGN
    from insday.schedule import shortlist_run

    folder = tmp_path / "moved"
    shutil.copytree(SHIPPED_CAMPAIGN, folder)
    data = yaml.safe_load((folder / "campaign.yaml").read_text(encoding="utf-8"))
    next(d for d in data["deadlines"] if d["id"] == "summary")["due"] = "2019-07-11 14:00"
    data["schedule"] = {"daily_after_due": "45m", "watch_first": "09:00", "watch_last": "17:00",
                        "shortlist_after_due": "2h", "results_at": "15:00", "final_after_due": "90m"}
    (folder / "campaign.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    moved = load_campaign(folder)

    plan = spans(moved)
    assert plan["daily_run"] == [("06-26 10:45", "07-09 10:45", 14, {})]
    assert plan["final_bulletin"] == [("07-11 15:30", "07-11 15:30", 1, {})]
    assert plan["essay_awards"] == [("06-25 18:00", "06-25 18:00", 1, {"stage": "shortlist"}),
                                    ("07-08 15:00", "07-08 15:00", 1, {"stage": "results"})]
    assert plan["deadline_watch"][0] == ("06-22 09:00", "07-11 17:00", 20 * 9, {})
    # what the bulletins and the shortlist know ends where their runs are
    assert edition(moved, None, final=True).cutoff == datetime(2019, 7, 11, 15, 30, tzinfo=TZ)
    assert edition(moved, datetime(2019, 6, 26).date()).cutoff == datetime(2019, 6, 27, 10, 45, tzinfo=TZ)
    assert shortlist_run(moved) == datetime(2019, 6, 25, 18, 0, tzinfo=TZ)
    # the demo replays the same calendar, its watches inside the watch hours
    runs = demo_runs(moved, datetime(2019, 6, 1, tzinfo=TZ), datetime(2019, 7, 31, tzinfo=TZ))
    assert [r.at for r in runs if r.flow == "final_bulletin"] == [datetime(2019, 7, 11, 15, 30, tzinfo=TZ)]
    assert [r.at for r in runs if r.flow == "daily_run"][0] == datetime(2019, 6, 26, 10, 45, tzinfo=TZ)
    watches = [r.at for r in runs if r.flow == "deadline_watch"]
    assert {w.hour for w in watches} <= set(range(9, 18)) and 9 in {w.hour for w in watches}
    # the summaries' overdue notice: the first watch after 07-11 14:00
    assert datetime(2019, 7, 11, 14, 0, tzinfo=TZ) in watches


def test_prefect_fires_the_lines_on_the_campaign_days_in_its_time_zone(campaign):
    import asyncio

    from prefect.server.schemas.schedules import RRuleSchedule  # what the server's scheduler uses

    for p in run_plan(campaign):
        for line in p.schedules:
            schedule = RRuleSchedule(rrule=line.rrule, timezone=campaign.timezone)
            dates = asyncio.run(schedule.get_dates(n=1000, start=datetime(2019, 1, 1, tzinfo=TZ),
                                                   end=datetime(2030, 1, 1, tzinfo=TZ)))
            assert [d.astimezone(TZ) for d in dates] == fires(line, campaign), (p.flow, line.rrule)
            assert dates[0].utcoffset() == timedelta(hours=8)


def test_served_deployments_carry_recurrences_timezone_and_module_entrypoints(campaign):
    from insday.deployments import build

    deployments = {d.flow_name: d for d in build(campaign)}
    assert set(deployments) == {"daily_run", "deadline_watch", "essay_awards", "final_bulletin", "approve_bulletin",
                                "extend_deadline", "excuse_unit", "void_submission", "resend_message", "change_roster"}
    assert all(not deployments[f].schedules for f in ("approve_bulletin", "extend_deadline", "void_submission"))
    form = deployments["void_submission"]._parameter_openapi_schema.properties
    assert (form["submission"]["title"], form["submission"]["type"], form["reason"]["title"]) == ("文件编号", "integer",
                                                                                                 "原因")
    daily = deployments["daily_run"]
    assert daily.name == "jilin-2019" and daily.entrypoint == "insday.flows.daily_run.daily_run"
    assert [(s.schedule.rrule, s.schedule.timezone) for s in daily.schedules] == [
        ("DTSTART:20190626T103000\nRRULE:FREQ=DAILY;UNTIL=20190709T103000", "Asia/Shanghai")]
    assert [s.parameters for s in deployments["essay_awards"].schedules] == [{"stage": "shortlist"},
                                                                              {"stage": "results"}]
    assert daily.work_pool_name is None  # served: no work pool
    # the 2019 campaign is over: its scheduled deployments are paused, the admin forms are not
    assert daily.paused and not any(s.active for s in daily.schedules)
    assert not deployments["extend_deadline"].paused


def test_the_shipped_prefect_yaml_is_the_generated_one(campaign, tmp_path, monkeypatch):
    from insday.settings import get_settings

    monkeypatch.setenv("INSDAY_HOME", str(tmp_path))
    monkeypatch.delenv("INSDAY_CAMPAIGN", raising=False)  # --every-campaign: none need be selected
    get_settings.cache_clear()
    written = tmp_path / "prefect.yaml"
    result = CliRunner().invoke(app, ["schedule", "--every-campaign", "--prefect-yaml", str(written)])
    assert result.exit_code == 0, result.output
    shipped = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    generated = yaml.safe_load(written.read_text(encoding="utf-8"))
    shipped.pop("prefect-version"), generated.pop("prefect-version")
    assert shipped == generated, \
        "run `insday schedule --every-campaign --prefect-yaml prefect.yaml` after changing a campaign"
    assert {d["work_pool"]["name"] for d in shipped["deployments"]} == {"insday"}
    # every campaign on its own work queue, its runs told which campaign they are
    assert {(d["name"] if "admin" not in d["tags"] else d["tags"][1], d["work_pool"]["work_queue_name"],
             d["work_pool"]["job_variables"]["env"]["INSDAY_CAMPAIGN"]) for d in shipped["deployments"]} == {
        ("jilin-2019", "jilin-2019", "jilin-2019"), ("guangdong-2020", "guangdong-2020", "guangdong-2020")}
    daily = next(d for d in shipped["deployments"] if d["entrypoint"] == "insday.flows.daily_run.daily_run"
                 and d["name"] == "jilin-2019")
    # 2019 is over: the schedules are kept but inactive, and they would not fire after 07-09 anyway
    assert daily["schedules"] == [{"rrule": "DTSTART:20190626T103000\nRRULE:FREQ=DAILY;UNTIL=20190709T103000",
                                   "timezone": "Asia/Shanghai", "active": False}]


def test_schedule_json(monkeypatch, tmp_path):
    monkeypatch.setenv("INSDAY_HOME", str(tmp_path))
    import json

    result = CliRunner().invoke(app, ["schedule", "--json"])
    payload = json.loads(result.stdout)
    assert [d["deployment"] for d in payload] == ["daily_run/jilin-2019", "deadline_watch/jilin-2019",
                                                  "essay_awards/jilin-2019", "final_bulletin/jilin-2019"]
    assert payload[2]["state"] == "closed"
    assert payload[2]["schedules"][0] == {"rrule": "DTSTART:20190625T163000\nRRULE:FREQ=DAILY;COUNT=1",
                                          "timezone": "Asia/Shanghai", "parameters": {"stage": "shortlist"},
                                          "runs": 1, "first": "2019-06-25T16:30:00+08:00",
                                          "last": "2019-06-25T16:30:00+08:00"}


def test_serve_refuses_without_a_prefect_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), INSDAY_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "insday", "serve"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert "未设置 PREFECT_API_URL" in done.stderr and "prefect server start" in done.stderr

