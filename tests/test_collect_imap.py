"""IMAP collection against a real IMAP server on 127.0.0.1 (pymap, in-memory backend), with
messages written byte by byte the way Chinese mail clients write them."""

from __future__ import annotations

import base64
import imaplib
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from conftest import free_port
from contracts import check
from faults import crash_at_insert
from filemaker import daily_row, write_csv, write_xlsx
from pydantic import SecretStr
from sqlalchemy import select

from insday.collect.imap import ImapReport, collect_imap, parse_message, unit_for_sender
from insday.db import session_scope
from insday.db.models import Submission

TZ = ZoneInfo("Asia/Shanghai")
USER, PASSWORD = "reports@jiaia.example.org", "imap-secret"
BOUNDARY = b"----=_insday_part"


class ImapServer:
    def __init__(self, port: int):
        self.port = port

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(USER, PASSWORD)
        conn.select("INBOX")
        return conn

    def append(self, raw: bytes, arrived: datetime) -> str:
        with self.client() as conn:
            typ, data = conn.append("INBOX", None, arrived, raw)
            assert typ == "OK", data
            return data[0].split(b"APPENDUID ")[1].split()[1].rstrip(b"]").decode()

    def unseen(self) -> set[str]:
        with self.client() as conn:
            return set(conn.uid("SEARCH", None, "UNSEEN")[1][0].decode().split())

    def empty(self) -> None:
        with self.client() as conn:
            if conn.uid("SEARCH", None, "ALL")[1][0]:
                conn.store("1:*", "+FLAGS", "(\\Deleted)")
                conn.expunge()


@pytest.fixture(scope="module")
def imap_server():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pymap.main import main; sys.argv[0] = 'pymap'; main()",
         "--host", "127.0.0.1", "--port", str(port), "--no-tls", "dict", "--demo-user", USER,
         "--demo-password", PASSWORD], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = ImapServer(port)
    for _ in range(100):
        try:
            server.client().logout()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("pymap IMAP server did not start")
    yield server
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def mailbox(env, imap_server):
    imap_server.empty()
    env.settings.imap_host, env.settings.imap_port, env.settings.imap_ssl = "127.0.0.1", imap_server.port, False
    env.settings.imap_user, env.settings.imap_password = USER, SecretStr(PASSWORD)
    return imap_server


# ----- raw messages -------------------------------------------------------------


def part(headers: list[bytes], data: bytes) -> bytes:
    return b"\r\n".join([*headers, b"Content-Transfer-Encoding: base64", b"",
                         base64.encodebytes(data).replace(b"\n", b"\r\n")])


def attachment(filename_header: bytes, data: bytes, ctype: bytes = b"application/octet-stream") -> bytes:
    return part([b"Content-Type: " + ctype, b"Content-Disposition: attachment; " + filename_header], data)


def message(sender: bytes, parts: list[bytes], subject: bytes = b"=?UTF-8?B?" +
            base64.b64encode("6月26日报表".encode()) + b"?=") -> bytes:
    head = [b"From: " + sender, b"To: " + USER.encode(), b"Subject: " + subject, b"MIME-Version: 1.0",
            b'Content-Type: multipart/mixed; boundary="' + BOUNDARY + b'"', b""]
    body = [b"--" + BOUNDARY + b"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + "报表见附件。".encode()]
    body += [b"--" + BOUNDARY + b"\r\n" + p for p in parts]
    return b"\r\n".join(head) + b"\r\n" + b"\r\n".join(body) + b"\r\n--" + BOUNDARY + b"--\r\n"


def rfc2231(name: str) -> bytes:
    return b"filename*=UTF-8''" + quote(name).encode()


def rfc2047_gb2312(name: str) -> bytes:
    return b'filename="=?GB2312?B?' + base64.b64encode(name.encode("gb2312")) + b'?="'


def raw_gbk(name: str) -> bytes:
    return b'filename="' + name.encode("gbk") + b'"'


def xlsx_bytes(tmp_path: Path, unit: str, day: str = "2019-06-26") -> bytes:
    return write_xlsx(tmp_path / f"{unit}-{day}.xlsx", [daily_row(day=day, unit=unit)]).read_bytes()


def email_of(campaign, code: str) -> str:
    return campaign.unit_by_code[code].email


# ----- parsing real message bytes (no server) ------------------------------------


def test_chinese_filenames_in_every_encoding_clients_use():
    data = b"x"
    continued = (b"filename*0*=gb18030''" + quote("人保".encode("gb18030")).encode() + b";\r\n filename*1*="
                 + quote("财险0627.csv".encode("gb18030")).encode())
    raw = message(b"=?GBK?B?" + base64.b64encode("张三".encode("gbk")) + b"?= <Zhang.San@PICC.example.org>", [
        attachment(rfc2231("人保财险0626.xlsx"), data),
        attachment(rfc2047_gb2312("吉林市协会0626.csv"), data),
        attachment(raw_gbk("长春协会0626.xlsx"), data),
        attachment("filename=\"人保寿险0626.xls\"".encode(), data),  # raw UTF-8
        attachment(continued, data),
        attachment(rfc2231("C:\\报表\\四平协会0626.xlsx"), data),  # a client that sent its folder too
        part([b"Content-Type: image/png; name=\"logo.png\"", b"Content-Disposition: inline; filename=\"logo.png\"",
              b"Content-ID: <logo@example>"], b"\x89PNG"),
    ])
    sender, subject, attachments = parse_message(raw)
    assert sender == "zhang.san@picc.example.org"
    assert subject == "6月26日报表"
    assert [a.filename for a in attachments] == ["人保财险0626.xlsx", "吉林市协会0626.csv", "长春协会0626.xlsx",
                                                 "人保寿险0626.xls", "人保财险0627.csv", "四平协会0626.xlsx"]
    assert all(a.data == data for a in attachments)


def test_attachments_of_a_forwarded_message_are_found():
    inner = message(b"someone@example.org", [attachment(rfc2231("松原协会0626.xlsx"), b"inner")])
    raw = message(b"forwarder@example.org", [b"Content-Type: message/rfc822\r\n\r\n" + inner])
    assert [(a.filename, a.data) for a in parse_message(raw)[2]] == [("松原协会0626.xlsx", b"inner")]


def test_sender_is_matched_to_a_units_contact(campaign):
    assert unit_for_sender(campaign, email_of(campaign, "P01").upper()) == "P01"
    assert unit_for_sender(campaign, campaign.association.email) == campaign.association.code
    assert unit_for_sender(campaign, "stranger@example.org") is None


def test_without_a_mailbox_nothing_happens(env):
    assert collect_imap(env) == {"enabled": False}


# ----- against the server ---------------------------------------------------------


def test_unseen_attachments_are_ingested_then_flagged_seen(env, mailbox, campaign, tmp_path):
    p01, c01 = email_of(campaign, "P01"), email_of(campaign, "C01")
    gbk_csv = write_csv(tmp_path / "c.csv", [daily_row(unit="吉林市保险行业协会")]).read_bytes()
    forwarded = message(f"张三 <{c01}>".encode(), [attachment(raw_gbk("长春协会0626.xlsx"),
                                                             xlsx_bytes(tmp_path, "长春市保险行业协会"))])
    a = mailbox.append(message(f"人保财险 <{p01}>".encode(), [attachment(
        rfc2231("人保财险0626.xlsx"), xlsx_bytes(tmp_path, "人保财险"))]), datetime(2019, 6, 26, 21, 0, tzinfo=TZ))
    b = mailbox.append(message(b"clerk@gmail.example.com", [
        attachment(rfc2047_gb2312("吉林市协会0626.csv"), gbk_csv),
        part([b"Content-Type: image/png", b"Content-Disposition: inline; filename=\"sig.png\"",
              b"Content-ID: <sig@x>"], b"\x89PNG")]), datetime(2019, 6, 26, 22, 0, tzinfo=TZ))
    question = mailbox.append(message(f"<{p01}>".encode(), []), datetime(2019, 6, 26, 23, 0, tzinfo=TZ))
    late = mailbox.append(message(f"<{p01}>".encode(), [attachment(
        rfc2231("人保财险0627.xlsx"), xlsx_bytes(tmp_path, "人保财险", "2019-06-27"))]),
        datetime(2019, 6, 28, 9, 0, tzinfo=TZ))
    fwd = mailbox.append(message(f"<{c01}>".encode(), [b"Content-Type: message/rfc822\r\n\r\n" + forwarded]),
                         datetime(2019, 6, 27, 8, 0, tzinfo=TZ))

    result = collect_imap(env, as_of=datetime(2019, 6, 27, 10, 30, tzinfo=TZ))

    check(result, ImapReport)
    assert (result["accepted"], result["rejected"], result["later"], result["without_attachments"]) == (3, 0, 1, 1)
    with session_scope(env.engine) as s:
        subs = {x.filename: x for x in s.scalars(select(Submission))}
    assert set(subs) == {"人保财险0626.xlsx", "吉林市协会0626.csv", "长春协会0626.xlsx"}
    assert {x.source for x in subs.values()} == {"imap"}
    assert subs["人保财险0626.xlsx"].sender == p01.lower()
    assert subs["人保财险0626.xlsx"].received_at == datetime(2019, 6, 26, 13, 0, tzinfo=timezone.utc)
    assert subs["吉林市协会0626.csv"].sender == "clerk@gmail.example.com"
    assert (subs["吉林市协会0626.csv"].unit_code, subs["长春协会0626.xlsx"].unit_code) == ("C02", "C01")
    assert {m["uid"]: m["sender_unit"] for m in result["messages"]} == {a: "P01", b: None, fwd: "C01"}
    assert mailbox.unseen() == {question, late}  # the question is for a person; the late one for later

    again = collect_imap(env, as_of=datetime(2019, 6, 29, 10, 30, tzinfo=TZ))
    assert again["accepted"] == 1 and [m["uid"] for m in again["messages"]] == [late]
    assert mailbox.unseen() == {question}


def test_a_crash_before_flagging_converges_on_rerun(env, mailbox, campaign, tmp_path):
    uid = mailbox.append(message(f"<{email_of(campaign, 'P01')}>".encode(),
                                 [attachment(rfc2231("人保财险0626.xlsx"), xlsx_bytes(tmp_path, "人保财险")),
                                  attachment(rfc2231("吉林市协会0626.xlsx"), xlsx_bytes(tmp_path, "吉林市保险行业协会"))]),
                         datetime(2019, 6, 26, 21, 0, tzinfo=TZ))
    with crash_at_insert(env.engine, "submissions", where="吉林市"):
        collect_imap(env)
    assert mailbox.unseen() == {uid}  # not every attachment stored: still unseen

    rerun = collect_imap(env)
    statuses = sorted(f["status"] for f in rerun["messages"][0]["files"])
    assert statuses == ["accepted", "duplicate"] and mailbox.unseen() == set()
    with session_scope(env.engine) as s:
        assert len(list(s.scalars(select(Submission)))) == 2



def test_dry_run_stores_and_flags_nothing(env, mailbox, campaign, tmp_path):
    uid = mailbox.append(message(f"<{email_of(campaign, 'P01')}>".encode(),
                                 [attachment(rfc2231("人保财险0626.xlsx"), xlsx_bytes(tmp_path, "人保财险"))]),
                         datetime(2019, 6, 26, 21, 0, tzinfo=TZ))
    result = collect_imap(env, dry_run=True)
    check(result, ImapReport)
    assert [f["filename"] for f in result["messages"][0]["files"]] == ["人保财险0626.xlsx"]
    assert mailbox.unseen() == {uid}
    with session_scope(env.engine) as s:
        assert list(s.scalars(select(Submission))) == []


def test_attached_donation_exports_go_to_the_steps_import(env, mailbox, campaign, tmp_path):
    import gzip

    from insday.db.models import StepImport
    from insday.steps import step_summary

    export = gzip.compress("donated_at,participant_id,region,steps\n2019-06-26 07:12:33,wx_a81f03c2,北京,12034\n"
                           "2019-06-26 08:00:00,wx_77b1c9d0,云南省,9800\n".encode(), mtime=0)
    both = mailbox.append(message(b"platform@example.org", [
        attachment(rfc2231("donations-20190626.csv.gz"), export, b"application/gzip"),
        attachment(rfc2231("人保财险0626.xlsx"), xlsx_bytes(tmp_path, "人保财险"))]),
        datetime(2019, 6, 27, 8, 0, tzinfo=TZ))
    # the same export forwarded again under another name: the same bytes, a duplicate
    again = mailbox.append(message(b"someone@example.org", [attachment(rfc2231("捐步.gz"), export)]),
                           datetime(2019, 6, 27, 9, 0, tzinfo=TZ))

    result = collect_imap(env)

    check(result, ImapReport)
    assert (result["accepted"], result["rejected"]) == (1, 0)  # the report; the export is counted apart
    files = {m["uid"]: m["files"] for m in result["messages"]}
    [stored] = files[both]
    assert files == {both: [{"filename": "人保财险0626.xlsx", "status": "accepted", "report_type": "daily_report",
                             "unit": "P01", "submission": stored["submission"], "errors": []}], again: []}
    with session_scope(env.engine) as s:  # the id the void form asks for: the stored file's
        assert s.scalars(select(Submission.id).where(Submission.filename == "人保财险0626.xlsx")).all() == \
            [stored["submission"]]
    block = result["donations"]
    assert (block["imported"], block["duplicate"], block["rejected"], block["deferred"]) == (1, 1, 0, 0)
    [first, second] = block["files"]
    assert (first["uid"], first["filename"], first["status"], first["received_at"]) == (
        both, "donations-20190626.csv.gz", "imported", "2019-06-27T08:00:00+08:00")
    assert (first["import"]["records"], first["import"]["accepted"]) == (2, 2)
    assert (second["uid"], second["status"], second["import"]["duplicate"]) == (again, "duplicate", True)
    assert (env.settings.archive_dir / first["sha256"][:2] / f"{first['sha256']}.gz").read_bytes() == export
    with session_scope(env.engine) as s:
        assert [(i.filename, i.received_at) for i in s.scalars(select(StepImport))] == [
            ("donations-20190626.csv.gz", datetime(2019, 6, 27, 0, 0, tzinfo=timezone.utc))]
    regions = {r["name"]: r["own_steps"] for r in step_summary(env, datetime(2019, 6, 28, tzinfo=TZ))["regions"]}
    assert (regions["北京"], regions["云南"]) == (12034, 9800)
    assert mailbox.unseen() == set()
