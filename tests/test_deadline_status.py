"""`insday status`: who is on time, late, missing or still open, as of any moment, for each
deadline (daily reports, scoring sheets, summaries, poverty-relief projects)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import date, timedelta

from filemaker import daily_row, write_xlsx
from mailtools import at
from typer.testing import CliRunner

from insday.cli import app
from insday.db import session_scope
from insday.db.models import Submission
from insday.db.models.reports import ProjectRow
from insday.deadlines.status import deadline_status
from insday.intake.service import ingest_paths

REQUIRED = {"id", "report_type", "due", "expected", "on_time", "late", "missing", "missing_units"}
SECOND = timedelta(seconds=1)


def submit(env, unit, report_type, received, status="accepted", period=None, projects=()):
    """A submission row as intake stores it (for report types the foundation cannot parse yet)."""
    with session_scope(env.engine) as s:
        version = None
        if status == "accepted":
            version = 1 + s.query(Submission).filter_by(unit_code=unit, report_type=report_type,
                                                        period_key=period.isoformat() if period else "-",
                                                        status="accepted").count()
        sub = Submission(campaign=env.campaign.name, sha256=uuid.uuid4().hex * 2, filename=f"{unit}.xlsx", archive_path="-", size=1,
                         source="test", report_type=report_type, unit_code=unit, period=period,
                         period_key=period.isoformat() if period else "-", received_at=received, status=status,
                         version=version)
        s.add(sub)
        s.flush()
        for n, p in enumerate(projects, start=2):
            s.add(ProjectRow(campaign=env.campaign.name, submission_id=sub.id, row_no=n, unit=unit, region="甘肃", head_office="总公司",
                             coverage=15_000_000, people=600, term_months=12, **p))


def one(env, moment, deadline_id):
    doc = deadline_status(env, moment)
    return next((d for d in doc["deadlines"] if d["id"] == deadline_id), None)


def roster_without(env, *codes, who="members"):
    return [u.code for u in env.campaign.members(who) if u.code not in codes]


def counts(d):
    return {k: d[k] for k in ("expected", "on_time", "late", "missing", "open", "closed")}


def test_daily_report_before_at_and_after_its_deadline(env, tmp_path):
    def send(name, when, **row):
        return ingest_paths(env, [write_xlsx(tmp_path / name, [daily_row(**row)])], received_at=when,
                            receipts=False)

    send("p01.xlsx", at("2019-06-26 20:00"), unit="P01")
    send("c01a.xlsx", at("2019-06-27 09:59"), unit="C01")
    send("p02bad.xlsx", at("2019-06-27 09:30"), unit="P02", steps="很多")
    send("c01b.xlsx", at("2019-06-27 12:00"), unit="C01", steps=2_000_000)  # a correction, after due
    send("p02.xlsx", at("2019-06-27 11:00"), unit="P02")
    dl = "daily_report:2019-06-26"

    before = one(env, at("2019-06-26 19:00"), dl)
    assert counts(before) == {"expected": 63, "on_time": 0, "late": 0, "missing": 0, "open": 63, "closed": False}
    assert before["due"] == "2019-06-27T10:00:00+08:00" and before["missing_units"] == []

    at_due = one(env, at("2019-06-27 10:00"), dl)
    assert counts(at_due) == {"expected": 63, "on_time": 2, "late": 0, "missing": 0, "open": 61, "closed": False}
    assert at_due["open_units"] == roster_without(env, "C01", "P01")
    assert at_due["rejected_units"] == ["P02"]

    closed = one(env, at("2019-06-27 10:00") + SECOND, dl)
    assert counts(closed) == {"expected": 63, "on_time": 2, "late": 0, "missing": 61, "open": 0, "closed": True}
    assert closed["missing_units"] == roster_without(env, "C01", "P01")

    for moment in (at("2019-06-27 11:00"), at("2019-07-20 00:00")):
        later = one(env, moment, dl)
        assert counts(later) == {"expected": 63, "on_time": 2, "late": 1, "missing": 60, "open": 0, "closed": True}
        assert later["late_units"] == ["P02"] and later["rejected_units"] == []
        assert later["missing_units"] == roster_without(env, "C01", "P01", "P02")
    # the other days are untouched by these files
    assert one(env, at("2019-06-27 11:00"), "daily_report:2019-06-25")["missing"] == 63


def test_scoring_sheet_and_summary_before_at_and_after(env):
    submit(env, "P05", "scoring_sheet", at("2019-06-25 15:00"))
    submit(env, "L01", "scoring_sheet", at("2019-06-25 17:00"))
    submit(env, "C03", "summary", at("2019-07-12 10:00"))
    submit(env, "P01", "summary", at("2019-07-12 15:00"), status="rejected")
    submit(env, "C04", "summary", at("2019-07-13 09:00"))

    due = at("2019-06-25 16:00")
    assert counts(one(env, at("2019-06-25 12:00"), "scoring_sheet")) == {
        "expected": 54, "on_time": 0, "late": 0, "missing": 0, "open": 54, "closed": False}
    assert counts(one(env, due, "scoring_sheet")) == {
        "expected": 54, "on_time": 1, "late": 0, "missing": 0, "open": 53, "closed": False}
    after = one(env, due + SECOND, "scoring_sheet")
    assert counts(after) == {"expected": 54, "on_time": 1, "late": 0, "missing": 53, "open": 0, "closed": True}
    assert after["missing_units"] == roster_without(env, "P05", who="companies")
    late = one(env, at("2019-06-25 17:00"), "scoring_sheet")
    assert (late["late_units"], late["missing"]) == (["L01"], 52)

    due = at("2019-07-12 16:00")
    before = one(env, due - SECOND, "summary")
    assert counts(before) == {"expected": 63, "on_time": 1, "late": 0, "missing": 0, "open": 62, "closed": False}
    assert before["rejected_units"] == ["P01"]
    after = one(env, due + SECOND, "summary")
    assert counts(after) == {"expected": 63, "on_time": 1, "late": 0, "missing": 62, "open": 0, "closed": True}
    assert "P01" in after["missing_units"] and after["rejected_units"] == ["P01"]
    late = one(env, at("2019-07-13 09:00"), "summary")
    assert (late["late_units"], late["missing"]) == (["C04"], 61)

    doc = deadline_status(env, at("2019-07-13 09:00"))
    expected = {d["id"]: d["expected"] for d in doc["deadlines"]}
    assert expected == {**{f"daily_report:{date(2019, 6, 25) + timedelta(days=i)}": 63 for i in range(14)},
                        "scoring_sheet": 54, "indicators": 54, "summary": 63, "project_donation": 0}
    assert [d["due"] for d in doc["deadlines"]] == sorted(d["due"] for d in doc["deadlines"])


def test_project_deadlines_follow_the_claims_known_at_the_time(env):
    submit(env, "P01", "project", at("2019-07-20 10:00"), projects=[{"project_id": "FP-01"}])
    submit(env, "P01", "project", at("2019-08-15 10:00"),  # donated and published: the deadline is met
           projects=[{"project_id": "FP-01", "donated_on": date(2019, 8, 10), "published_on": date(2019, 8, 12)}])
    submit(env, "P02", "project", at("2019-07-25 10:00"),
           projects=[{"project_id": "FP-02", "donated_on": date(2019, 7, 25), "published_on": date(2019, 7, 25)},
                     {"project_id": "FP-03", "donated_on": date(2019, 7, 25)}])  # donated, never published
    submit(env, "P02", "project", at("2019-11-02 10:00"),
           projects=[{"project_id": "FP-02", "donated_on": date(2019, 7, 25), "published_on": date(2019, 7, 25),
                      "completed_on": date(2019, 10, 31), "results_published_on": date(2019, 11, 2)}])

    early = one(env, at("2019-07-01 00:00"), "project_donation")
    assert (early["expected"], early["missing_units"]) == (0, [])
    assert one(env, at("2019-11-01 00:00"), "project_results:FP-02") is None  # completion not yet reported

    donation = one(env, at("2019-11-08 18:00") + SECOND, "project_donation")
    assert counts(donation) == {"expected": 2, "on_time": 1, "late": 0, "missing": 1, "open": 0, "closed": True}
    assert donation["missing_units"] == ["P02"]  # FP-03 was never published
    results = one(env, at("2019-11-03 00:00"), "project_results:FP-02")
    assert results["due"] == "2019-11-30T00:00:00+08:00"
    assert counts(results) == {"expected": 1, "on_time": 1, "late": 0, "missing": 0, "open": 0, "closed": False}


def test_status_cli_json_table_and_filters(env, tmp_path):
    ingest_paths(env, [write_xlsx(tmp_path / "a.xlsx", [daily_row()])], received_at=at("2019-06-27 09:00"),
                 receipts=False)
    runner = CliRunner()
    result = runner.invoke(app, ["status", "--as-of", "2019-06-27T10:30", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["as_of"] == "2019-06-27T10:30:00+08:00"
    assert len(doc["deadlines"]) == 18 and all(REQUIRED <= set(d) for d in doc["deadlines"])
    d = next(d for d in doc["deadlines"] if d["id"] == "daily_report:2019-06-26")
    assert (d["report_type"], d["due"], d["expected"], d["on_time"], d["late"], d["missing"]) == (
        "daily_report", "2019-06-27T10:00:00+08:00", 63, 1, 0, 62)
    assert doc["units"]["P01"] == "人保财险"  # the roster's display name, as everywhere

    result = runner.invoke(app, ["status", "--as-of", "2019-06-27T10:30", "--deadline", "daily_report", "--json"])
    assert {d["id"].split(":")[0] for d in json.loads(result.stdout)["deadlines"]} == {"daily_report"}
    result = runner.invoke(app, ["status", "--as-of", "2019-06-27T10:30", "--deadline", "daily_report:2019-06-26"])
    assert result.exit_code == 0 and "未报送（62）" in result.output and "长春市协会(C01)" in result.output
    assert runner.invoke(app, ["status", "--deadline", "nope"]).exit_code == 2
    assert runner.invoke(app, ["status", "--as-of", "yesterday"]).exit_code == 2


def test_status_runs_as_a_subprocess_without_prefect_or_gx(env, tmp_path):
    ingest_paths(env, [write_xlsx(tmp_path / "a.xlsx", [daily_row()])], received_at=at("2019-06-27 09:00"),
                 receipts=False)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    environ = {**os.environ, "PYTHONPATH": root}
    args = ["status", "--as-of", "2019-06-28T12:00", "--json"]
    proc = subprocess.run([sys.executable, "-m", "insday", *args], capture_output=True, text=True, env=environ,
                          cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == deadline_status(env, at("2019-06-28 12:00"))
    probe = ("import sys\nfrom insday.cli import app\n"
             f"try:\n    app({args!r}, standalone_mode=False)\nexcept SystemExit:\n    pass\n"
             "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'great_expectations'))\n"
             "print('HEAVY', heavy, file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=environ, cwd=tmp_path,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stderr
