"""Reminders, overdue notices and the digest: only to units without a valid file, at most once
ever, at the right moments of the whole timeline, over real SMTP, through outages and overlaps."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import timedelta

from filemaker import daily_row, write_xlsx
from mailtools import at, by_header, mail_env, parse
from overlap import at_once
from sqlalchemy import func, select
from typer.testing import CliRunner

from insday.campaign import load_campaign
from insday.cli import app
from insday.db import session_scope
from insday.db.models import OutboxMessage
from insday.env import Env
from insday.intake.service import ingest_paths
from insday.paths import SHIPPED_CAMPAIGN
from insday.deadlines.reminders import plan_reminders, run_reminders

SECOND = timedelta(seconds=1)


def outbox_count(env):
    with session_scope(env.engine) as s:
        return s.scalar(select(func.count()).select_from(OutboxMessage))


def codes(env, who="members", without=()):
    return {u.code for u in env.campaign.members(who)} - set(without)


def test_reminders_go_only_to_units_without_a_valid_file_and_only_once(env, smtp_server, monkeypatch, tmp_path):
    menv = mail_env(env, monkeypatch, smtp_server)
    ingest_paths(menv, [write_xlsx(tmp_path / "ok.xlsx", [daily_row(unit="P01")])], received_at=at("2019-06-26 20:00"),
                 receipts=False)
    ingest_paths(menv, [write_xlsx(tmp_path / "bad.xlsx", [daily_row(unit="P02", steps="x")])],
                 received_at=at("2019-06-26 21:00"), receipts=False)
    moment = at("2019-06-27 08:30")  # 2h reminder of the 06-26 report (due 06-27 10:00) has come
    report = run_reminders(menv, moment)
    assert report["delivery"]["sent"] == report["counts"]["queued"] > 0
    reminders = by_header(by_header(smtp_server.messages, "X-Insday-Kind", "reminder"),
                          "X-Insday-Deadline", "daily_report:2019-06-26")
    assert {m["X-Insday-Unit"] for m in reminders} == codes(env, without={"P01"})
    assert len(reminders) == 62
    msg = next(m for m in reminders if m["X-Insday-Unit"] == "P02")
    assert msg["Subject"] == "【报送提醒】请于6月27日10:00前报送「每日参与情况（6月26日）」"
    assert msg["To"].addresses[0].addr_spec == "li.cai@pingan-p.example.com"
    text = msg.get_body(("plain",)).get_content()
    assert "2019年6月27日（星期四）10:00" in text and "还剩约 1小时30分钟" in text
    assert "此前报送的 1 份文件未通过校验" in text and "liulu@jiaia.example.org" in text
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "每日参与情况_模板.xlsx"

    total = len(smtp_server.messages)
    for rerun in (moment, moment + timedelta(minutes=30)):
        again = run_reminders(menv, rerun)
        assert again["counts"]["queued"] == 0 and again["counts"]["exists"] == report["counts"]["queued"]
    assert len(smtp_server.messages) == total
    assert len({m["Message-ID"] for m in smtp_server.messages}) == total


def kinds(env, moment, deadline_id):
    """{(kind, offset label or ''): count} of what is due at ``moment`` for one deadline (nothing queued)."""
    messages, _ = plan_reminders(env, moment, write_templates=False)
    out = Counter()
    for m in messages:
        if m.deadline_id == deadline_id:
            out[(m.kind, m.key.split(":")[-1] if m.kind == "reminder" else "")] += 1
    return dict(out)


TIMELINE = [
    # scoring sheets: 54 companies, due 06-25 16:00, reminders 3d/1d/2h, catch-up 1d
    ("scoring_sheet", "2019-06-22 15:59", {}),
    ("scoring_sheet", "2019-06-22 16:00", {("reminder", "3d"): 54}),
    ("scoring_sheet", "2019-06-24 15:59", {("reminder", "3d"): 54}),
    ("scoring_sheet", "2019-06-24 16:00", {("reminder", "1d"): 54}),
    ("scoring_sheet", "2019-06-25 14:00", {("reminder", "2h"): 54}),
    ("scoring_sheet", "2019-06-25 16:00", {}),
    ("scoring_sheet", "2019-06-25 16:00:01", {("overdue", ""): 54, ("digest", ""): 1}),
    ("scoring_sheet", "2019-06-26 16:00", {("overdue", ""): 54, ("digest", ""): 1}),
    ("scoring_sheet", "2019-06-26 16:00:01", {}),
    # one daily report: 63 members, due next day 10:00, reminders 16h (18:00) and 2h (08:00)
    ("daily_report:2019-06-26", "2019-06-26 17:59", {}),
    ("daily_report:2019-06-26", "2019-06-26 18:00", {("reminder", "16h"): 63}),
    ("daily_report:2019-06-26", "2019-06-27 08:00", {("reminder", "2h"): 63}),
    ("daily_report:2019-06-26", "2019-06-27 10:00", {}),
    ("daily_report:2019-06-26", "2019-06-27 10:00:01", {("overdue", ""): 63, ("digest", ""): 1}),
    ("daily_report:2019-06-26", "2019-06-28 10:00:01", {}),
    # campaign summary: 63 members, due 07-12 16:00
    ("summary", "2019-07-09 15:59", {}),
    ("summary", "2019-07-09 16:00", {("reminder", "3d"): 63}),
    ("summary", "2019-07-11 16:00", {("reminder", "1d"): 63}),
    ("summary", "2019-07-12 14:00", {("reminder", "2h"): 63}),
    ("summary", "2019-07-12 16:00", {}),
    ("summary", "2019-07-12 16:00:01", {("overdue", ""): 63, ("digest", ""): 1}),
    ("summary", "2019-07-13 16:00:01", {}),
]


def test_what_is_due_across_the_whole_timeline(env):
    for deadline_id, moment, expected in TIMELINE:
        assert kinds(env, at(moment), deadline_id) == expected, (deadline_id, moment)


def test_a_late_run_sends_the_latest_reminder_only_and_no_stale_notices(env, monkeypatch):
    menv = mail_env(env, monkeypatch)
    report = run_reminders(menv, at("2019-06-25 15:00"))  # every scoring-sheet reminder moment has passed
    keys = [m["key"] for m in report["messages"] if m["deadline_id"] == "scoring_sheet"]
    assert len(keys) == 54 and all(k.endswith(":2h") for k in keys)
    report = run_reminders(menv, at("2019-06-27 10:00"))  # a day and more after it closed: too late for notices
    assert not [m for m in report["messages"] if m["deadline_id"] == "scoring_sheet"]


def test_dry_run_queues_and_sends_nothing(env, monkeypatch):
    menv = mail_env(env, monkeypatch)
    moment = at("2019-06-25 18:30")  # scoring sheets overdue (54 + digest), 16h reminder of the 06-25 report (63)
    dry = run_reminders(menv, moment, dry_run=True)
    assert dry["delivery"] is None and dry["counts"]["planned"] == len(dry["messages"]) == 54 + 1 + 63
    assert outbox_count(menv) == 0 and not menv.settings.outbox_dir.exists()
    real = run_reminders(menv, moment)
    assert real["counts"]["queued"] == 118 and real["delivery"]["sent"] == 118
    again = run_reminders(menv, moment, dry_run=True)
    assert again["counts"] == {"planned": 0, "queued": 0, "exists": 118}


def test_digest_lists_every_missing_unit_including_those_without_email(env, monkeypatch, tmp_path):
    folder = tmp_path / "campaign"
    shutil.copytree(SHIPPED_CAMPAIGN, folder)
    roster = (folder / "units.csv").read_text(encoding="utf-8")
    roster = roster.replace("chunmei.wu@cpic-p.example.com", "").replace("wei.ding@taikang-l.example.com", "丁巍")
    (folder / "units.csv").write_text(roster, encoding="utf-8")
    base = mail_env(env, monkeypatch)
    menv = Env(base.settings, load_campaign(folder))
    report = run_reminders(menv, at("2019-06-25 16:30"))
    unreachable = {(u["unit"], u["kind"]) for u in report["unreachable"]}
    assert unreachable == {("P03", "overdue"), ("L05", "overdue")}
    overdue = {m["unit"] for m in report["messages"] if m["kind"] == "overdue" and m["deadline_id"] == "scoring_sheet"}
    assert overdue == codes(menv, "companies", without={"P03", "L05"})
    [digest] = [m for m in report["messages"] if m["key"] == "digest:scoring_sheet"]
    assert digest["to"] == "liulu@jiaia.example.org"
    assert digest["subject"] == "【未报送汇总】征文打分表（附件3-1）：54家单位未报送"
    [eml] = [p for p in menv.settings.outbox_dir.glob("*-digest.eml")
             if parse(p.read_bytes())["X-Insday-Deadline"] == "scoring_sheet"]
    msg = parse(eml.read_bytes())
    text = msg.get_body(("plain",)).get_content()
    lines = [line for line in text.splitlines() if line.strip().startswith(("P", "L"))]
    assert len(lines) == 54
    p03 = next(line for line in lines if line.strip().startswith("P03"))
    assert "太保财险" in p03 and "无可用邮箱" in p03 and "武春梅" in p03
    assert "无可用邮箱" in next(line for line in lines if line.strip().startswith("L05"))
    assert "其中 2 家单位没有可用的邮箱地址" in text
    assert msg["X-Insday-Kind"] == "digest" and msg["X-Insday-Unit"] is None


def test_overlapping_runs_queue_each_message_once(env, monkeypatch):
    menv = mail_env(env, monkeypatch)
    reports = at_once(lambda: run_reminders(menv, at("2019-06-25 18:30"), send=False))
    assert sum(r["counts"]["queued"] for r in reports) == 118 == outbox_count(menv)


def test_remind_cli_with_the_server_down_then_up(env, smtp_server, monkeypatch):
    mail_env(env, monkeypatch, smtp_server)
    runner = CliRunner()
    smtp_server.stop()
    result = runner.invoke(app, ["remind", "--as-of", "2019-06-25T18:30", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["counts"]["queued"] == 118 and report["delivery"]["sent"] == 0
    assert report["delivery"]["pending"] == 118 and report["delivery"]["error"]
    assert set(report["messages"][0]) == {"key", "kind", "deadline_id", "unit", "to_name", "to", "subject", "state"}

    smtp_server.start()
    result = runner.invoke(app, ["send", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["sent"] == 118
    result = runner.invoke(app, ["remind", "--as-of", "2019-06-25T18:40"])
    assert result.exit_code == 0 and "新加入队列 0，此前已加入 118" in result.output
    assert len(smtp_server.messages) == 118
    assert Counter(m["X-Insday-Kind"] for m in smtp_server.messages) == {"overdue": 54, "digest": 1, "reminder": 63}

    outbox = json.loads(runner.invoke(app, ["outbox", "--json", "--kind", "digest"]).stdout)
    assert outbox["counts"]["overdue"] == {"sent": 54}
    [digest] = outbox["messages"]
    assert (digest["key"], digest["status"], digest["attempts"]) == ("digest:scoring_sheet", "sent", 1)
    dry = runner.invoke(app, ["remind", "--as-of", "2019-06-25T18:30", "--dry-run"])
    assert dry.exit_code == 0 and "演练" in dry.output
    table = runner.invoke(app, ["outbox", "--status", "sent"])
    assert table.exit_code == 0 and "发件箱" in table.output and "逾期通知" in table.output


def test_remind_with_nothing_due_says_so(env, monkeypatch):
    mail_env(env, monkeypatch)
    result = CliRunner().invoke(app, ["remind", "--as-of", "2019-06-01T12:00"])
    assert result.exit_code == 0 and "此时没有需要发送的提醒" in result.output
    assert outbox_count(env) == 0
