"""The association's decisions end to end, on both databases: extend, excuse, void, resend and
the log. Each changes status, reminders and the bulletin from the moment it is decided (never
before), tells who needs to know, writes one log row in the same transaction, and converges on
a rerun."""

from __future__ import annotations

import json
from datetime import date

import pytest
from filemaker import daily_row, write_xlsx
from mailtools import at
from sqlalchemy import select
from typer.testing import CliRunner

from insday.actions import ActionError
from insday.actions.deadline import excuse, extend
from insday.actions.resend import resend
from insday.actions.void import void
from insday.bulletin import build_bulletin
from insday.cli import app
from insday.db import session_scope
from insday.db.models import OutboxMessage
from insday.deadlines.status import deadline_status
from insday.intake.service import ingest_paths
from insday.deadlines.reminders import run_reminders

DAY = "daily_report:2019-06-26"  # due 2019-06-27 10:00


def deadline(doc: dict, deadline_id: str) -> dict:
    return next(d for d in doc["deadlines"] if d["id"] == deadline_id)


def keys(env, kind: str | None = None) -> list[str]:
    with session_scope(env.engine) as s:
        query = select(OutboxMessage.key).order_by(OutboxMessage.id)
        return list(s.scalars(query.where(OutboxMessage.kind == kind) if kind else query))


def log(env, *args) -> list[dict]:
    result = CliRunner().invoke(app, ["log", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def send_daily(env, tmp_path, name: str, unit: str, steps: int, when: str):
    [r] = ingest_paths(env, [write_xlsx(tmp_path / name, [daily_row(day="2019-06-26", unit=unit, steps=steps)])],
                       received_at=at(when), receipts=False)
    assert r.status == "accepted", r.errors
    return r


def test_a_unit_given_more_time_is_measured_reminded_and_chased_against_its_own_due_time(env):
    done = extend(env, "人保财险", DAY, at("2019-06-28 12:00"), "系统故障，经省协会同意", "刘璐", at=at("2019-06-27 09:00"))
    assert (done["unit"], done["until"], done["log"] > 0) == ("P01", "2019-06-28T12:00:00+08:00", True)

    before = deadline(deadline_status(env, at("2019-06-27 08:59")), DAY)  # not yet decided: as it was
    assert before["exceptions"] == [] and "P01" in before["open_units"]
    after = deadline(deadline_status(env, at("2019-06-27 10:30")), DAY)
    assert "P01" in after["open_units"] and "P01" not in after["missing_units"] and after["missing"] == 62
    assert after["exceptions"] == [{"unit": "P01", "kind": "extend", "until": "2019-06-28T12:00:00+08:00",
                                    "reason": "系统故障，经省协会同意"}]

    run_reminders(env, at("2019-06-27 10:30"), send=False)  # everyone else is chased, P01 is not
    overdue = [k for k in keys(env, "overdue") if k.startswith(f"overdue:{DAY}:")]
    assert len(overdue) == 62 and f"overdue:{DAY}:P01" not in overdue
    run_reminders(env, at("2019-06-28 10:00"), send=False)  # 2 h before its own due time
    assert keys(env, "reminder")[-1] == f"reminder:{DAY}:P01:2h@20190628T1200"
    with session_scope(env.engine) as s:
        msg = s.scalars(select(OutboxMessage).where(OutboxMessage.key == keys(env, "reminder")[-1])).one()
        assert msg.subject == "【报送提醒】请于6月28日12:00前报送「每日参与情况（6月26日）」"
        assert "省协会已同意人保财险延期报送（系统故障，经省协会同意）" in msg.text
    run_reminders(env, at("2019-06-28 12:30"), send=False)
    run_reminders(env, at("2019-06-28 12:30"), send=False)  # a rerun queues nothing twice
    assert keys(env, "overdue").count(f"overdue:{DAY}:P01@20190628T1200") == 1
    assert "P01" in deadline(deadline_status(env, at("2019-06-28 12:30")), DAY)["missing_units"]

    doc = build_bulletin(env, date(2019, 6, 26))  # cut-off 06-27 10:30: after the decision
    [row] = [r for r in doc["reports"] if r["id"] == DAY]
    assert row["open"] == 1 and row["exceptions"] == [{"unit": "P01", "name": "人保财险",
                                                       "until": "2019-06-28T12:00:00+08:00",
                                                       "reason": "系统故障，经省协会同意"}]
    [entry] = log(env, "--unit", "人保财险")
    assert (entry["action"], entry["actor"], entry["unit"], entry["deadline"], entry["reason"]) == (
        "extend", "刘璐", "P01", DAY, "系统故障，经省协会同意")
    assert entry["detail"] == {"until": "2019-06-28T12:00:00+08:00"}


def test_an_excused_unit_is_free_not_missing(env):
    excuse(env, "中国人寿", "scoring_sheet", "本单位无评审小组成员", "刘璐", at=at("2019-06-24 09:00"))
    state = deadline(deadline_status(env, at("2019-06-26 09:00")), "scoring_sheet")
    assert state["excused_units"] == ["L01"] and "L01" not in state["missing_units"]
    assert state["expected"] == state["on_time"] + state["late"] + state["missing"] + state["open"] + state["excused"]
    run_reminders(env, at("2019-06-25 14:00"), send=False)
    assert not [k for k in keys(env) if ":L01:" in k or k.endswith(":L01")]
    doc = build_bulletin(env, date(2019, 6, 26))
    [row] = [r for r in doc["reports"] if r["id"] == "scoring_sheet"]
    assert row["excused"] == 1 and row["exceptions"][0]["reason"] == "本单位无评审小组成员"
    assert next(u for u in doc["units"] if u["unit"] == "L01")["excused"] == 1


@pytest.mark.parametrize("call, message", [
    (lambda env: extend(env, "火星保险", DAY, at("2019-06-28 12:00"), "x", "a"), "不在会员单位名单中"),
    (lambda env: extend(env, "人保财险", "daily_report:2019-09-01", at("2019-06-28 12:00"), "x", "a"), "没有编号为"),
    (lambda env: extend(env, "人保财险", DAY, at("2019-06-27 09:00"), "x", "a"), "须晚于原截止时间"),
    (lambda env: extend(env, "人保财险", DAY, at("2019-06-28 12:00"), " ", "a"), "请写明原因"),
    (lambda env: excuse(env, "长春市协会", "scoring_sheet", "x", "a"), "不在「征文打分表（附件3-1）」的应报单位中"),
])
def test_a_decision_that_cannot_be_is_refused_in_chinese_and_leaves_nothing(env, call, message):
    with pytest.raises(ActionError, match=message):
        call(env)
    assert log(env) == []


def test_a_voided_file_stops_counting_its_previous_version_counts_again_and_the_unit_is_told(env, tmp_path):
    first = send_daily(env, tmp_path, "v1.xlsx", "人保财险", 1_000_000, "2019-06-26 20:00")
    second = send_daily(env, tmp_path, "v2.xlsx", "人保财险", 9_000_000, "2019-06-26 21:00")
    result = CliRunner().invoke(app, ["void", str(second.submission_id), "--reason", "误报了全公司的步数", "--json"])
    assert result.exit_code == 0, result.output
    done = json.loads(result.stdout)
    assert (done["counts_again"], done["told"]) == (first.submission_id, True)

    now = build_bulletin(env, date(2019, 6, 26), as_of=at("2030-01-01 00:00"))
    assert next(u for u in now["units"] if u["unit"] == "P01")["steps"] == 1_000_000
    earlier = build_bulletin(env, date(2019, 6, 26))  # as of its cut-off, before the void: as published
    assert next(u for u in earlier["units"] if u["unit"] == "P01")["steps"] == 9_000_000
    with session_scope(env.engine) as s:
        [notice] = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "notice")).all()
        assert (notice.key, notice.unit_code, notice.to_addr) == (
            f"void:{second.submission_id}", "P01", "hongmei.cheng@picc-p.example.com")
        assert "误报了全公司的步数" in notice.text and "「v1.xlsx」重新计入" in notice.text

    void(env, first.submission_id, "重复报送", "刘璐")  # nothing valid is left: missing once the day closes
    later = deadline(deadline_status(env, at("2030-01-01 00:00")), DAY)
    assert "P01" in later["missing_units"] and [v["submission"] for v in later["voided"]] == [
        second.submission_id, first.submission_id]
    with pytest.raises(ActionError, match="已于 .* 作废"):
        void(env, first.submission_id, "again", "刘璐")
    assert [e["action"] for e in log(env)] == ["void", "void"]


def test_resend_queues_one_more_copy_each_time_it_is_asked(env, tmp_path):
    [r] = ingest_paths(env, [write_xlsx(tmp_path / "r.xlsx", [daily_row(day="2019-06-26", unit="P02")])],
                       received_at=at("2019-06-26 20:00"))
    [original] = keys(env, "receipt")
    one = resend(env, "receipt", "刘璐", submission=r.submission_id, reason="单位说没收到")
    two = CliRunner().invoke(app, ["resend", "receipt", str(r.submission_id), "--json"])
    assert two.exit_code == 0, two.output
    assert keys(env, "receipt") == [original, one["key"], json.loads(two.stdout)["key"]]
    assert one["key"].startswith(original + ":resend:") and one["to"] == "li.cai@pingan-p.example.com"
    with pytest.raises(ActionError, match="没有可以重发的提醒"):
        resend(env, "reminder", "刘璐", unit="P02", deadline=DAY)
    assert [e["action"] for e in log(env)] == ["resend", "resend"]


def test_cli_refuses_bad_input_with_exit_2(env):
    result = CliRunner().invoke(app, ["extend", "火星保险", DAY, "--until", "2019-06-28T12:00", "--reason", "x"])
    assert result.exit_code == 2 and "不在会员单位名单中" in result.output
    result = CliRunner().invoke(app, ["void", "999", "--reason", "x"])
    assert result.exit_code == 2 and "没有编号为 999 的报送文件" in result.output
