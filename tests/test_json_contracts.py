"""Every JSON the CLI prints, from the real commands on a filled database, held to its declared
type (exact keys, no coercion: tests/contracts.py). The types are what docs/ names and what the
doc examples are checked against (test_doc_examples.py)."""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Literal, NotRequired, TypedDict
from zoneinfo import ZoneInfo

import stepdata
from contracts import check, violations
from filemaker import daily_row, write_csv, write_xlsx
from typer.testing import CliRunner

from insday.actions.deadline import OverrideDone
from insday.actions.resend import ResendDone
from insday.actions.roster import RosterChangeDone, RosterUnit
from insday.actions.void import VoidDone
from insday.audit import LogEntry
from insday.campaigns import CampaignInvalid, CampaignListed
from insday.cli import app
from insday.collect.inbox import CollectReport
from insday.deadlines.reminders import RemindReport
from insday.deadlines.status import StatusReport
from insday.essays.service import EssayListed
from insday.fake.generate import ArrivalRecord
from insday.intake.pages import DocsReport
from insday.intake.pipeline import IngestReport
from insday.mail.delivery import DeliveryReport
from insday.mail.outbox import OutboxListing
from insday.orchestration import DeploymentSchedule
from insday.steps.importer import ImportReport
from insday.steps.pull import PullReport
from insday.steps.summary import Reconciliation, StepSummary

TZ = ZoneInfo("Asia/Shanghai")
runner = CliRunner()


def run_json(*args: str, exit_code: int = 0):
    result = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == exit_code, result.output
    return json.loads(result.stdout)


class Inner(TypedDict):
    n: int
    kind: Literal["a", "b"]


class Outer(TypedDict):
    items: list[Inner]
    note: str | None
    extra: NotRequired[float]


def test_the_checker_refuses_what_the_type_does_not_declare():
    assert violations({"items": [{"n": 1, "kind": "a"}], "note": None}, Outer) == []
    assert violations({"items": [{"n": 1, "kind": "a"}], "note": "x", "extra": 2}, Outer) == []
    assert violations({"items": [{"n": True, "kind": "c"}], "note": None, "more": 1}, Outer) == [
        "$: undeclared key 'more' (Outer)", "$.items[0].n: True is not int",
        "$.items[0].kind: 'c' is not one of ('a', 'b')"]
    assert violations({"items": [{"n": "1"}]}, Outer) == [
        "$: missing key 'note' (Outer)", "$.items[0]: missing key 'kind' (Inner)", "$.items[0].n: '1' is not int"]


def test_intake_deadlines_and_mail(env, tmp_path):
    folder = tmp_path / "in"
    write_xlsx(folder / "good.xlsx", [daily_row()])
    write_xlsx(folder / "bad.xlsx", [daily_row(unit="中国人寿", steps="很多")])
    ingested = run_json("ingest", str(folder), "--received-at", "2019-06-27T09:00", exit_code=1)
    check(ingested, IngestReport)
    assert (ingested["accepted"], ingested["rejected"], ingested["duplicate"]) == (1, 1, 0)
    late = write_xlsx(tmp_path / "late.xlsx", [daily_row(unit="太平洋财险")])
    [later] = run_json("ingest", str(late), "--received-at", "2019-06-27T11:00")["files"]
    assert later["timeliness"] == "late"

    check(run_json("extend", "人保寿险", "daily_report:2019-06-26", "--until", "2019-06-28T12:00", "--reason", "系统故障"),
          OverrideDone)
    check(run_json("excuse", "中华财险", "daily_report:2019-06-26", "--reason", "无人参加"), OverrideDone)
    check(run_json("void", str(later["submission"]), "--reason", "误报"), VoidDone)
    check(run_json("units", "retire", "长春市协会", "--from", "2019-06-26T12:00", "--reason", "撤销"), RosterChangeDone)
    added = run_json("units", "add", "P40", "--name", "吉林新保险股份有限公司", "--kind", "property", "--contact", "王五",
                     "--email", "wang@xin.example.com", "--from", "2019-06-27T00:00", "--reason", "新会员")
    check(added, RosterChangeDone)
    units = run_json("units")
    check(units, list[RosterUnit])
    assert [u["changes"][0]["kind"] for u in units if "changes" in u] == ["retire", "add"]
    status = run_json("status")  # now: the decisions above are known (recorded now)
    check(status, StatusReport)
    day = next(d for d in status["deadlines"] if d["id"] == "daily_report:2019-06-26")
    assert {x["kind"] for x in day["exceptions"]} == {"extend", "excuse", "retire", "add"}
    assert [v["reason"] for v in day["voided"]] == ["误报"] and day["rejected_units"] == ["L01"]

    reminded = run_json("remind", "--as-of", "2019-06-27T11:30")
    check(reminded, RemindReport)
    assert reminded["counts"]["queued"] > 0 and reminded["delivery"]["transport"] == "eml"
    check(run_json("remind", "--as-of", "2019-06-27T11:30", "--dry-run"), RemindReport)
    check(run_json("send"), DeliveryReport)
    check(run_json("resend", "receipt", str(later["submission"]), "--reason", "没收到"), ResendDone)
    log = run_json("log")
    check(log, list[LogEntry])
    assert [e["action"] for e in log] == ["resend", "unit_add", "unit_retire", "void", "excuse", "extend"]
    outbox = run_json("outbox", "--limit", "5")
    check(outbox, OutboxListing)
    assert outbox["counts"]["receipt"] == {"sent": 3, "queued": 1} and len(outbox["messages"]) == 5  # 1: resent
    docs = run_json("docs")
    check(docs, DocsReport)
    assert docs["files"] == 3 and docs["rejected"] == 1


def test_steps(env, tmp_path):
    path = stepdata.write(tmp_path / "d.csv", [line for i, line in stepdata.dataset() if i < 3])
    imported = run_json("steps", "import", str(path), "--received-at", "2019-06-28T10:00")
    check(imported, ImportReport)
    assert imported["unlocks"] == [] and imported["accepted"] > 0
    check(run_json("steps", "import", str(path)), ImportReport)  # the duplicate
    drop = write_csv(tmp_path / "p.csv", [["2019-06-26", "云南", 90_000_000, 2]],
                     header=["date", "region", "steps", "donations"])
    pulled = run_json("steps", "pull", "--file", str(drop), "--received-at", "2019-06-28T11:00")
    check(pulled, PullReport)
    assert [u["region"] for u in pulled["unlocks"]] == ["云南"]
    summary = run_json("steps", "summary", "--as-of", "2019-06-28T12:00")
    check(summary, StepSummary)
    assert {r["source"] for r in summary["regions"]} >= {"raw", "mixed"}
    reconciled = run_json("steps", "reconcile", "--as-of", "2019-06-28T12:00")
    check(reconciled, Reconciliation)
    assert reconciled["counts"]["mismatch"] == 1


def test_collect(env, tmp_path):
    moment = datetime(2019, 6, 26, 21, tzinfo=TZ).timestamp()
    report = write_xlsx(env.inbox_dir / "人保/0626.xlsx", [daily_row()])
    export = stepdata.write(env.inbox_dir / "donations-20190626.csv",
                            [line for i, line in stepdata.dataset() if i < 1])
    for p in (report, export):
        os.utime(p, (moment, moment))
    check(run_json("collect", "--dry-run"), CollectReport)
    collected = run_json("collect", "--as-of", "2019-06-27T10:00")
    check(collected, CollectReport)
    assert [f["status"] for f in collected["inbox"]["files"]] == ["accepted"]
    assert collected["inbox"]["donations"]["imported"] == 1 and collected["imap"] == {"enabled": False}



def test_campaigns():
    campaigns = run_json("campaigns")
    check(campaigns, list[CampaignListed | CampaignInvalid])
    assert [c["name"] for c in campaigns] == ["guangdong-2020", "jilin-2019"]


def test_schedule_essays_and_fake(env, tmp_path):
    schedule = run_json("schedule")
    check(schedule, list[DeploymentSchedule])
    assert {d["flow"] for d in schedule} >= {"daily_run", "deadline_watch", "final_bulletin", "essay_awards"}
    essays = run_json("essays", "list")
    check(essays, list[EssayListed])
    assert len(essays) == 62
    arrivals = run_json("fake", "generate", "--out", str(tmp_path / "fake"), "--until", "2019-06-21",
                        "--participants", "10")
    check(arrivals, list[ArrivalRecord])
    assert arrivals and all(a["at"] <= "2019-06-22" for a in arrivals)
