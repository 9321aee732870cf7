"""Receipts: every ingested file gets an email (accepted with warnings, duplicate, rejected
with every error and its fix), queued in the file's own transaction, delivered over real SMTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from faults import crash_at_insert
from filemaker import DAILY_HEADER, daily_row, write_xlsx
from mailtools import at, mail_env
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from insday.cli import app
from insday.db import session_scope
from insday.db.models import OutboxMessage, Submission
from insday.intake.service import ingest_paths
from insday.mail import deliver

ON_TIME = at("2019-06-27 09:00")  # the 06-26 daily report is due 06-27 10:00
P01 = ("程红梅（人保财险）", "hongmei.cheng@picc-p.example.com")


@pytest.fixture
def smtp(env, smtp_server, monkeypatch):
    return mail_env(env, monkeypatch, smtp_server), smtp_server


def received(menv, server, start=0):
    report = deliver(menv)
    assert report["error"] is None and report["failed"] == 0
    return server.messages[start:]


def outbox_count(env):
    with session_scope(env.engine) as s:
        return s.scalar(select(func.count()).select_from(OutboxMessage))


def recipient(msg):
    [address] = msg["To"].addresses
    return address.display_name, address.addr_spec


def test_accepted_with_warnings_then_a_late_second_version(smtp, tmp_path):
    menv, server = smtp
    path = write_xlsx(tmp_path / "人保0626.xlsx", [daily_row(participants=100, steps=1000) + ["备注"]],
                      header=DAILY_HEADER + ["备注"])
    [r] = ingest_paths(menv, [path], received_at=ON_TIME)
    assert r.status == "accepted" and len(r.warnings) == 2
    [msg] = received(menv, server)
    assert (msg["X-Insday-Kind"], msg["X-Insday-Deadline"], msg["X-Insday-Unit"]) == (
        "receipt", "daily_report:2019-06-26", "P01")
    assert recipient(msg) == P01
    assert msg["Subject"] == "【回执】已受理：每日参与情况（人保财险，6月26日）"
    text = msg.get_body(("plain",)).get_content()
    assert "1 行数据" in text and "按时报送（截止时间 2019年6月27日（星期四）10:00）" in text
    for w in r.warnings:
        assert w["message"] in text
    assert "另有 2 条提示" in text
    assert list(msg.iter_attachments()) == []

    second = write_xlsx(tmp_path / "人保0626改.xlsx", [daily_row(steps=2_000_000)])
    [r2] = ingest_paths(menv, [second], received_at=at("2019-06-27 11:00"))
    [msg2] = received(menv, server, 1)
    text = msg2.get_body(("plain",)).get_content()
    assert r2.version == 2 and "第 2 版，替代此前报送的版本" in text and "逾期报送" in text


def test_duplicate_gets_one_receipt_naming_the_first(smtp, tmp_path):
    menv, server = smtp
    path = write_xlsx(tmp_path / "a.xlsx", [daily_row()])
    ingest_paths(menv, [path], received_at=ON_TIME)
    [dup] = ingest_paths(menv, [path], received_at=ON_TIME + timedelta(hours=1))
    ingest_paths(menv, [path], received_at=ON_TIME + timedelta(hours=2))  # a third copy: no third receipt
    assert dup.status == "duplicate"
    first, second = received(menv, server)
    assert second["Subject"] == "【回执】重复文件，未重复入库：a.xlsx"
    assert (second["X-Insday-Kind"], second["X-Insday-Deadline"], second["X-Insday-Unit"]) == (
        "receipt", "daily_report:2019-06-26", "P01")
    assert recipient(second) == P01
    text = second.get_body(("plain",)).get_content()
    assert "与 2019年6月27日（星期四）09:00 收到的文件「a.xlsx」内容完全相同" in text and "已受理" in text
    assert outbox_count(menv) == 2


def test_rejected_lists_every_error_escaped_and_attaches_the_template(smtp, tmp_path):
    menv, server = smtp
    path = write_xlsx(tmp_path / "平安.xlsx", [daily_row(unit="P02", steps="<b>很多</b>", participants=None)])
    [r] = ingest_paths(menv, [path], received_at=ON_TIME)
    assert r.status == "rejected" and len(r.errors) == 2
    [msg] = received(menv, server)
    assert msg["Subject"] == "【回执】未通过校验，请修改后重新报送：平安.xlsx（2处错误）"
    assert (msg["X-Insday-Kind"], msg["X-Insday-Deadline"], msg["X-Insday-Unit"]) == (
        "receipt", "daily_report:2019-06-26", "P02")
    assert recipient(msg) == ("蔡丽（平安财险）", "li.cai@pingan-p.example.com")
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for e in r.errors:
        assert e["message"] in text
    assert "「步数」" in text and "「参与人数」" in text and "未入库" in text
    assert "&lt;b&gt;很多&lt;/b&gt;" in html and "<b>很多</b>" not in html
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "每日参与情况_模板.xlsx"
    template = tmp_path / "t.xlsx"
    template.write_bytes(attachment.get_content())
    sheet = load_workbook(template).worksheets[0]
    assert [c.value for c in sheet[1]] == DAILY_HEADER

    [dup] = ingest_paths(menv, [path], received_at=ON_TIME + timedelta(hours=1))
    [again] = received(menv, server, 1)
    text = again.get_body(("plain",)).get_content()
    assert dup.status == "duplicate" and "未通过校验（退回）" in text
    for e in r.errors:
        assert e["message"] in text


def test_unknown_unit_goes_to_the_sender_else_to_the_association(smtp, tmp_path):
    menv, server = smtp
    one = write_xlsx(tmp_path / "x1.xlsx", [daily_row(unit="某某保险")])
    two = write_xlsx(tmp_path / "x2.xlsx", [daily_row(unit="某某保险", steps=1_234_567)])
    ingest_paths(menv, [one], received_at=ON_TIME, source="imap", sender="张三 <zhang.san@corp.example.com>")
    ingest_paths(menv, [two], received_at=ON_TIME)
    a, b = received(menv, server)
    assert recipient(a) == ("张三", "zhang.san@corp.example.com")
    assert recipient(b) == ("刘璐（省协会）", "liulu@jiaia.example.org")
    assert a["X-Insday-Unit"] is None and "不在会员单位名单中" in a.get_body(("plain",)).get_content()


def test_header_injection_through_filename_and_sender(smtp, tmp_path):
    menv, server = smtp
    path = write_xlsx(tmp_path / "evil\r\nBcc: spy@attacker.example.org.xlsx", [daily_row(unit="某某保险")])
    ingest_paths(menv, [path], received_at=ON_TIME, sender="x@corp.example.com\r\nBcc: spy@attacker.example.org")
    [msg] = received(menv, server)
    assert server.envelopes[0].rcpt_tos == ["liulu@jiaia.example.org"]  # the bad sender is not used
    assert msg["Bcc"] is None
    assert msg["Subject"].startswith("【回执】未通过校验，请修改后重新报送：evil Bcc: spy@attacker.example.org.xlsx")


def test_receipt_and_submission_commit_together(smtp, tmp_path):
    menv, server = smtp
    path = write_xlsx(tmp_path / "a.xlsx", [daily_row()])
    with crash_at_insert(menv.engine, "outbox", message="crash while queueing the receipt"):
        ingest_paths(menv, [path], received_at=ON_TIME)
    with session_scope(menv.engine) as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 0
    assert outbox_count(menv) == 0
    [r] = ingest_paths(menv, [path], received_at=ON_TIME)
    assert r.status == "accepted" and outbox_count(menv) == 1


def test_receipts_can_be_turned_off(env, tmp_path):
    ingest_paths(env, [write_xlsx(tmp_path / "a.xlsx", [daily_row()])], received_at=ON_TIME, receipts=False)
    assert outbox_count(env) == 0


def test_cli_ingest_queues_receipts_and_send_writes_eml(env, tmp_path):
    runner = CliRunner()
    path = write_xlsx(tmp_path / "a.xlsx", [daily_row()])
    assert runner.invoke(app, ["ingest", str(path), "--received-at", "2019-06-27T09:00"]).exit_code == 0
    result = runner.invoke(app, ["send", "--json"])
    assert result.exit_code == 0, result.output
    assert '"sent": 1' in result.stdout and '"transport": "eml"' in result.stdout
    [eml] = (env.settings.home / "outbox").glob("*.eml")
    assert eml.name == "000001-receipt-P01.eml"
