"""`insday steps ...`: JSON shapes, exit codes, and the member units ranking from daily reports."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import stepdata
from filemaker import daily_row, write_csv, write_xlsx
from typer.testing import CliRunner

from insday.cli import app
from insday.intake.service import ingest_paths
from insday.steps import step_summary

TZ = ZoneInfo("Asia/Shanghai")
runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_import_summary_reconcile_json(env, tmp_path):
    path = stepdata.write(tmp_path / "d.csv", [line for i, line in stepdata.dataset() if i < 3])
    result = run("steps", "import", str(path), "--received-at", "2019-06-28T10:00", "--json")
    assert result.exit_code == 0
    imported = json.loads(result.stdout)
    assert {"accepted", "rejected"} <= set(imported)
    assert set(imported["rejected"]) == {"below_min_steps", "outside_window", "unknown_region", "repeat_same_day",
                                         "malformed"}
    again = json.loads(run("steps", "import", str(path), "--json").stdout)
    assert again["duplicate"] and again["accepted"] == 0

    summary = json.loads(run("steps", "summary", "--as-of", "2019-06-28T12:00", "--json").stdout)
    assert {"as_of", "regions", "badges", "top", "units"} <= set(summary)
    assert summary["as_of"] == "2019-06-28T12:00:00+08:00"
    assert len(summary["regions"]) == 36
    assert {"name", "own_steps", "group_steps", "progress", "unlocked_on"} <= set(summary["regions"][0])
    assert set(summary["badges"]) == {"first_donation", "five_donations", "ten_consecutive_days"}
    assert {"participant", "steps"} <= set(summary["top"][0]) and "****" in summary["top"][0]["participant"]
    helpers = [r for r in summary["regions"] if r["helps"]]
    assert len(helpers) == 14 and all(r["group_steps"] is None and r["progress"] is None for r in helpers)

    reconciled = json.loads(run("steps", "reconcile", "--as-of", "2019-06-28T12:00", "--json").stdout)
    assert reconciled["counts"]["raw_only"] == len(reconciled["rows"]) > 0

    for command in ("summary", "reconcile"):  # the tables for people
        shown = run("steps", command, "--as-of", "2019-06-28T12:00")
        assert shown.exit_code == 0 and "北京" in shown.output


def test_import_errors_and_usage(env, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    result = run("steps", "import", str(bad))
    assert result.exit_code == 1 and "表头" in result.output
    assert run("steps", "import", str(tmp_path / "missing.csv")).exit_code == 2
    assert run("steps", "summary", "--as-of", "not a time").exit_code == 2
    assert run("steps", "pull").exit_code == 2  # no INSDAY_STEPS_API_URL and no --file
    good = stepdata.write(tmp_path / "ok.csv", ["2019-06-26 08:00:00,u1,北京,9000"])
    shown = run("steps", "import", str(good), "--received-at", "2019-06-27T10:00")
    assert shown.exit_code == 0 and "计入 1 条" in shown.output


def test_pull_file_cli(env, tmp_path):
    drop = write_csv(tmp_path / "p.csv", [["2019-06-26", "北京", 30000, 2]], header=["date", "region", "steps",
                                                                                    "donations"])
    result = run("steps", "pull", "--file", str(drop), "--received-at", "2019-06-27T10:00", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["regions"] == 1
    broken = write_csv(tmp_path / "b.csv", [["2019-06-26", "火星", 1]], header=["date", "region", "steps"])
    result = run("steps", "pull", "--file", str(broken), "--received-at", "2019-06-27T11:00")
    assert result.exit_code == 1 and "火星" in result.output


def test_units_ranking_from_the_latest_daily_reports(env, tmp_path):
    t1 = datetime(2019, 6, 27, 9, tzinfo=TZ)
    t2 = datetime(2019, 6, 27, 20, tzinfo=TZ)
    files = [write_xlsx(tmp_path / "a1.xlsx", [daily_row(day="2019-06-26", unit="人保财险", participants=100,
                                                         steps=1_000_000)]),
             write_xlsx(tmp_path / "a2.xlsx", [daily_row(day="2019-06-25", unit="人保财险", participants=50,
                                                         steps=400_000)]),
             write_xlsx(tmp_path / "b1.xlsx", [daily_row(day="2019-06-26", unit="中国人寿", participants=80,
                                                         steps=1_200_000)]),
             write_xlsx(tmp_path / "c1.xlsx", [daily_row(day="2019-06-26", unit="长春市协会", participants=10,
                                                         steps=1_400_000)])]
    ingest_paths(env, files, received_at=t1)
    # 中国人寿 corrects its 06-26 report in the evening: the new version replaces the old one.
    ingest_paths(env, [write_xlsx(tmp_path / "b2.xlsx", [daily_row(day="2019-06-26", unit="中国人寿",
                                                                   participants=90, steps=1_500_000)])],
                 received_at=t2)

    def ranking(as_of):
        units = step_summary(env, as_of)["units"]
        return [(u["rank"], u["code"], u["steps"], u["participants"], u["days_reported"]) for u in units[:3]]

    assert ranking(t1) == [(1, "C01", 1_400_000, 10, 1), (1, "P01", 1_400_000, 150, 2), (3, "L01", 1_200_000, 80, 1)]
    assert ranking(t2) == [(1, "L01", 1_500_000, 90, 1), (2, "C01", 1_400_000, 10, 1), (2, "P01", 1_400_000, 150, 2)]
    units = step_summary(env, t2)["units"]
    assert len(units) == len(env.campaign.units) and units[-1]["steps"] == 0 and units[-1]["days_reported"] == 0
