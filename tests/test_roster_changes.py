"""Roster changes with an effective moment, end to end on both databases: a unit added from T is
expected, reminded (by real SMTP), accepted by intake and shown in the bulletins for what is due
after T; a unit retired from T is not, while everything before T stays as it was. Each change
writes one roster row and one log row, a rerun records nothing twice, bad input is refused in
Chinese."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from filemaker import daily_row, write_xlsx
from mailtools import at, mail_env
from sqlalchemy import func, select
from typer.testing import CliRunner

from insday.actions import ActionError
from insday.actions.deadline import extend
from insday.actions.roster import add_unit, retire_unit
from insday.bulletin import build_bulletin
from insday.bulletin.publish import publish_bulletin
from insday.cli import app
from insday.db import session_scope
from insday.db.models import AuditEntry, OutboxMessage, RosterChange
from insday.deadlines.status import deadline_status
from insday.intake.service import ingest_paths
from insday.deadlines.reminders import run_reminders

BEFORE = "daily_report:2019-06-26"  # due 2019-06-27 10:00: before T
AFTER = "daily_report:2019-06-27"  # due 2019-06-28 10:00: after T
T = "2019-06-28 00:00"
DECIDED = "2019-06-27 12:00"
MEMBERS = 63
NEW = dict(code="P40", name="吉林测试财产保险股份有限公司", kind="property", contact="王敏",
           email="min.wang@test-p.example.com", display="测试财险", short_names=("测试财险", "测试保险"),
           phone="0431-88000000")


def deadline(doc: dict, deadline_id: str) -> dict:
    return next(d for d in doc["deadlines"] if d["id"] == deadline_id)


def cli(*args):
    return CliRunner().invoke(app, list(args))


def outbox(env, kind: str) -> list[OutboxMessage]:
    with session_scope(env.engine) as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)).all()
        s.expunge_all()
        return rows


def count(env, model) -> int:
    with session_scope(env.engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def daily(env, tmp_path, name: str, unit: str, day: str, when: str, participants: int = 120):
    [r] = ingest_paths(env, [write_xlsx(tmp_path / name, [daily_row(day=day, unit=unit, participants=participants)])],
                       received_at=at(when), receipts=False)
    return r


def add(env, start: str = T, reason: str = "新加入吉林省保险行业协会", **changes):
    return add_unit(env, **{**NEW, **changes}, effective=at(start), reason=reason, actor="刘璐", at=at(DECIDED))


def test_a_retired_unit_is_not_expected_after_its_date_and_everything_before_stays(env, tmp_path, smtp_server,
                                                                                   monkeypatch):
    late = daily(env, tmp_path, "p02-26.xlsx", "平安财险", "2019-06-26", "2019-06-27 11:00")  # late for BEFORE
    assert late.status == "accepted"
    done = retire_unit(env, "平安财险", at(T), "已撤销在吉分支机构", "刘璐", at=at(DECIDED))
    assert (done["unit"], done["from"], done["repeated"], done["log"] > 0) == (
        "P02", "2019-06-28T00:00:00+08:00", False, True)

    earlier = deadline_status(env, at("2019-06-27 11:59"))  # not yet decided: as it was
    assert "P02" in deadline(earlier, AFTER)["open_units"] and earlier["roster_changes"] == []
    doc = deadline_status(env, at("2019-06-29 12:00"))
    before, after = deadline(doc, BEFORE), deadline(doc, AFTER)
    assert "P02" in before["late_units"] and before["expected"] == MEMBERS  # its earlier lateness stays
    assert before["exceptions"] == []
    assert after["expected"] == MEMBERS - 1 and "P02" not in after["missing_units"] + after["late_units"]
    assert after["missing"] == MEMBERS - 1
    assert after["exceptions"] == [{"unit": "P02", "kind": "retire", "from": "2019-06-28T00:00:00+08:00",
                                    "reason": "已撤销在吉分支机构", "until": None}]
    assert doc["roster_changes"] == [{"unit": "P02", "name": "平安财险", "kind": "retire",
                                      "from": "2019-06-28T00:00:00+08:00", "reason": "已撤销在吉分支机构"}]

    menv = mail_env(env, monkeypatch, smtp_server)
    run_reminders(menv, at("2019-06-27 18:00"))  # 16 h before AFTER is due: everyone still expected is reminded
    reminded = {m.unit_code for m in outbox(env, "reminder") if m.deadline_id == AFTER}
    assert len(reminded) == MEMBERS - 1 and "P02" not in reminded
    assert not [m for m in smtp_server.messages if m["To"] and "li.cai@pingan-p.example.com" in m["To"]]
    run_reminders(menv, at("2019-06-28 10:30"))  # AFTER has closed: overdue notices, P02 not among them
    overdue = {m.unit_code for m in outbox(env, "overdue") if m.deadline_id == AFTER}
    assert len(overdue) == MEMBERS - 1 and "P02" not in overdue
    [digest] = [m for m in outbox(env, "digest") if m.deadline_id == AFTER]
    assert f"{MEMBERS - 1}家单位未报送" in digest.subject and "li.cai@pingan-p.example.com" not in digest.text

    refused = daily(env, tmp_path, "p02-28.xlsx", "平安财险", "2019-06-28", "2019-06-29 09:00")
    assert refused.status == "rejected"
    assert "「中国平安财产保险股份有限公司吉林分公司」已于 2019-06-28 00:00 起退出本次活动，无需再报送" in refused.errors[0]["message"]

    bulletin = build_bulletin(env, date(2019, 6, 27))  # cut-off 06-28 10:30
    [row] = [r for r in bulletin["reports"] if r["id"] == AFTER]
    assert row["expected"] == MEMBERS - 1 and row["exceptions"] == [
        {"unit": "P02", "name": "平安财险", "until": None, "reason": "已撤销在吉分支机构", "kind": "retire",
         "from": "2019-06-28T00:00:00+08:00"}]
    assert next(u for u in bulletin["units"] if u["unit"] == "P02")["late"] == 1  # still listed, with its past
    published = publish_bulletin(env, date(2019, 6, 28), send=True, dry_run=True)
    assert all(c["success"] for c in published["checks"]), [c for c in published["checks"] if not c["success"]]
    assert published["mail"]["planned"] == MEMBERS - 1 + 1  # no longer to P02; the association still

    again = retire_unit(env, "P02", at(T), "已撤销在吉分支机构", "刘璐")
    assert again["repeated"] and count(env, RosterChange) == 1
    with pytest.raises(ActionError, match="平安财险已于 2019-06-28 00:00 起退出，不能再次退出"):
        retire_unit(env, "P02", at("2019-06-30 00:00"), "x", "刘璐")
    log = json.loads(cli("log", "--json", "--unit", "平安财险").stdout)
    assert [(e["action"], e["actor"], e["unit"], e["reason"], e["detail"]) for e in log] == [
        ("unit_retire", "刘璐", "P02", "已撤销在吉分支机构", {"from": "2019-06-28T00:00:00+08:00"})]


def test_an_added_unit_is_expected_reminded_accepted_and_in_the_bulletin_from_its_date(env, tmp_path, smtp_server,
                                                                                      monkeypatch):
    done = add(env)
    assert (done["unit"], done["name"], done["from"], done["repeated"]) == (
        "P40", "测试财险", "2019-06-28T00:00:00+08:00", False)

    doc = deadline_status(env, at("2019-06-27 13:00"))
    assert "P40" not in deadline(doc, BEFORE)["open_units"] + deadline(doc, BEFORE)["missing_units"]
    assert deadline(doc, BEFORE)["expected"] == MEMBERS and deadline(doc, AFTER)["expected"] == MEMBERS + 1
    assert "P40" in deadline(doc, AFTER)["open_units"] and doc["units"]["P40"] == "测试财险"
    assert deadline(doc, AFTER)["exceptions"] == [{"unit": "P40", "kind": "add", "from": "2019-06-28T00:00:00+08:00",
                                                   "reason": "新加入吉林省保险行业协会", "until": None}]
    assert deadline(doc, BEFORE)["exceptions"] == []

    menv = mail_env(env, monkeypatch, smtp_server)
    run_reminders(menv, at("2019-06-27 18:00"))
    [reminder] = [m for m in outbox(env, "reminder") if m.unit_code == "P40"]
    assert (reminder.key, reminder.to_addr, reminder.status) == (f"reminder:{AFTER}:P40:16h", NEW["email"], "sent")
    [mail] = [m for m in smtp_server.messages if NEW["email"] in m["To"]]
    assert mail["Subject"] == "【报送提醒】请于6月28日10:00前报送「每日参与情况（6月27日）」"

    early = daily(env, tmp_path, "p40-27a.xlsx", "测试财险", "2019-06-27", "2019-06-27 20:00", 99)
    assert early.status == "rejected" and "自 2019-06-28 00:00 起参加本次活动" in early.errors[0]["message"]
    sent = daily(env, tmp_path, "p40-27.xlsx", "测试财险", "2019-06-27", "2019-06-28 09:00")
    assert (sent.status, sent.unit, sent.timeliness) == ("accepted", "P40", "on_time")
    after = deadline(deadline_status(env, at("2019-06-28 12:00")), AFTER)
    assert after["on_time"] == 1 and "P40" not in after["missing_units"]

    bulletin = build_bulletin(env, date(2019, 6, 27))
    mine = next(u for u in bulletin["units"] if u["unit"] == "P40")
    assert (mine["name"], mine["steps"], mine["on_time"]) == ("测试财险", 1_500_000, 1)
    assert bulletin["headline"]["units"] == MEMBERS + 1 and bulletin["headline"]["units_reporting"] == 1
    assert bulletin["roster_changes"][0]["unit"] == "P40"
    earlier = build_bulletin(env, date(2019, 6, 26))  # cut-off 06-27 10:30, before it was decided: as published
    assert "P40" not in {u["unit"] for u in earlier["units"]} and earlier["headline"]["units"] == MEMBERS
    final = build_bulletin(env, None, final=True)
    assert next(u for u in final["units"] if u["unit"] == "P40")["steps"] == 1_500_000
    published = publish_bulletin(env, date(2019, 6, 27), send=True, dry_run=True)
    assert all(c["success"] for c in published["checks"]), [c for c in published["checks"] if not c["success"]]
    assert published["mail"]["planned"] == MEMBERS + 1 + 1
    html = Path(published["files"]["html"]).read_text(encoding="utf-8")
    assert "测试财险：自 2019年6月28日 00:00 起新增（新加入吉林省保险行业协会）" in html
    md = Path(published["files"]["md"]).read_text(encoding="utf-8")
    assert "测试财险自 2019年6月28日 00:00 起新增（新加入吉林省保险行业协会）" in md

    # an added unit is a unit like the others: it can be given more time
    extend(env, "测试财险", AFTER, at("2019-06-29 12:00"), "新加入，熟悉报表", "刘璐", at=at("2019-06-28 08:00"))

    again = add(env)
    assert again["repeated"] and count(env, RosterChange) == 1
    with pytest.raises(ActionError, match="单位代码 P40 已于 2019-06-28 00:00 新增为「吉林测试财产保险股份有限公司」"):
        add(env, name="另一家财产保险公司", short_names=(), display="另一家")
    with pytest.raises(ActionError, match="测试财险自 2019-06-28 00:00 起才加入，退出时间须晚于加入时间"):
        retire_unit(env, "P40", at("2019-06-27 00:00"), "x", "刘璐")
    assert count(env, RosterChange) == 1
    listed = json.loads(cli("units", "list", "--json").stdout)
    assert len(listed) == MEMBERS + 1 and listed[-1] == {
        "code": "P40", "name": NEW["name"], "display_name": "测试财险", "short_names": ["测试财险", "测试保险"],
        "kind": "property", "contact": "王敏", "email": NEW["email"], "phone": "0431-88000000",
        "changes": [{"kind": "add", "from": "2019-06-28T00:00:00+08:00", "reason": "新加入吉林省保险行业协会"}]}
    log = json.loads(cli("log", "--json", "--unit", "P40").stdout)
    assert [e["action"] for e in log] == ["extend", "unit_add"]
    assert log[1]["detail"]["from"] == "2019-06-28T00:00:00+08:00" and log[1]["detail"]["email"] == NEW["email"]


@pytest.mark.parametrize("call, message", [
    (lambda env: add(env, code="P01"), "单位代码 P01 已被「中国人民财产保险股份有限公司吉林省分公司」使用"),
    (lambda env: add(env, short_names=("人保财险",)), "单位名称「人保财险」同时属于"),
    (lambda env: add(env, start="2019-08-01 00:00"), "不在活动期间（2019-06-20 至 2019-07-12）"),
    (lambda env: add(env, email="王敏"), "不是可用的邮箱地址"),
    (lambda env: add(env, contact=" "), "请填写联系人"),
    (lambda env: add(env, kind="bank"), "单位类型须为"),
    (lambda env: add(env, reason=" "), "请写明原因"),
    (lambda env: retire_unit(env, "火星保险", at(T), "x", "a"), "不在会员单位名单中"),
    (lambda env: retire_unit(env, "P01", at("2019-05-01 00:00"), "x", "a"), "不在活动期间"),
])
def test_a_roster_change_that_cannot_be_is_refused_in_chinese_and_leaves_nothing(env, call, message):
    with pytest.raises(ActionError, match=message):
        call(env)
    assert count(env, RosterChange) == 0 and count(env, AuditEntry) == 0


def test_the_cli_adds_and_retires_and_refuses_with_exit_2(env):
    result = cli("units", "add", "P40", "--name", NEW["name"], "--display-name", "测试财险", "--kind", "property",
                 "--contact", "王敏", "--email", NEW["email"], "--from", "2019-06-28T00:00", "--reason", "新会员")
    assert result.exit_code == 0, result.output
    assert "测试财险（P40）自 2019-06-28 00:00 起新增（新会员），已记入操作日志" in result.output
    result = cli("units", "retire", "测试财险", "--from", "2019-07-01T00:00", "--reason", "合并", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["action"] == "unit_retire"
    result = cli("units", "retire", "测试财险", "--from", "2019-07-02T00:00", "--reason", "合并")
    assert result.exit_code == 2 and "不能再次退出" in result.output
    status = cli("status")  # as of now: the changes were recorded now
    assert "名单变更" not in cli("status", "--as-of", "2019-07-03T12:00").output  # not known then
    assert status.exit_code == 0, status.output
    assert "名单变更：测试财险(P40) 自 2019-06-28 00:00 起新增（新会员）" in status.output
    assert "名单变更：测试财险(P40) 自 2019-07-01 00:00 起退出（合并）" in status.output
    detailed = cli("status", "--deadline", "daily_report:2019-07-01")
    assert "测试财险自 2019-07-01 00:00 起退出（合并）" in detailed.output
    table = cli("log")
    assert "新增单位" in table.output and "单位退出" in table.output
    expected = {d["id"]: d["expected"] for d in json.loads(cli("status", "--json").stdout)["deadlines"]}
    assert (expected["daily_report:2019-06-26"], expected["daily_report:2019-06-28"],
            expected["daily_report:2019-07-01"]) == (MEMBERS, MEMBERS + 1, MEMBERS)
