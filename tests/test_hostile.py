"""Intruders and bad files (issue 21, item 4): every limit of README "Limits and hostile input"
and every hostile input it names, each a case, asserted on what users get (the rejection, the
receipt, the page, the Markdown, the inbox and the outbox)."""

from __future__ import annotations

import io
import os
import time
import zipfile
from datetime import datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from zoneinfo import ZoneInfo

import mistune
import pytest
from filemaker import DAILY_HEADER, daily_row, write_xlsx
from openpyxl import Workbook
from reportmaker import make_zip, summary_members
from sqlalchemy import select

from insday.collect.imap import parse_message
from insday.collect.inbox import collect_inbox
from insday.db import session_scope
from insday.db.models import OutboxMessage, Submission
from insday.intake import bundle, read
from insday.intake.files import archive
from insday.intake.pipeline import Received
from insday.intake.read import MAX_COLUMNS, MAX_ROWS, Unreadable, read_sheets
from insday.intake.service import ingest_paths, ingest_received
from insday.reports.common import md_cell

TZ = ZoneInfo("Asia/Shanghai")
ON_TIME = datetime(2019, 6, 27, 9, 0, tzinfo=TZ)


def one(env, path, **kw):
    [r] = ingest_paths(env, [path], received_at=ON_TIME, **kw)
    return r


def _xlsx_with_sheet(sheet_xml: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    """A real xlsx (openpyxl's) whose first sheet's XML is replaced, as a hand-made attack file would be."""
    book = Workbook()
    book.active.append(DAILY_HEADER)
    buf = io.BytesIO()
    book.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else src.read(info))
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.getvalue()


SHEET = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
         b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="%s"/><sheetData>%s'
         b'</sheetData></worksheet>')


# ----- sheets too big to be reports: refused quickly, never read whole -----------------------


def test_a_million_rows_are_refused_at_the_limit_not_cut_short():
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (n, n) for n in range(1, 1_000_001))
    data = _xlsx_with_sheet(SHEET % (b"A1:A1000000", rows))
    assert len(data) < 6 * 1024**2
    started = time.monotonic()
    with pytest.raises(Unreadable, match=f"数据超过 {MAX_ROWS:,} 行（上限）"):
        read_sheets(Path("x.xlsx"), data)
    assert time.monotonic() - started < 30
    # the same sheet with its last data row at the limit is read, its trailing blank rows dropped
    blank = b"".join(b'<row r="%d"><c r="B%d" s="0"/></row>' % (n, n) for n in range(MAX_ROWS + 1, MAX_ROWS + 50))
    [sheet] = read_sheets(Path("x.xlsx"), _xlsx_with_sheet(SHEET % (b"A1:B1", b'<row r="1"><c r="A1"><v>1</v></c>'
                                                                     b'</row>' + blank)))
    assert sheet.rows == [[1]]


def test_a_declared_million_by_16384_sheet_is_not_padded_out():
    # 4 KB that claim A1:XFD1048576: believed, every row would be 16,384 cells (tens of GB).
    cells = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
             b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row>')
    started = time.monotonic()
    with pytest.raises(Unreadable, match=f"第 1048576 行数据超过 {MAX_COLUMNS} 列（上限）"):
        read_sheets(Path("x.xlsx"), _xlsx_with_sheet(SHEET % (b"A1:XFD1048576", cells)))
    [sheet] = read_sheets(Path("x.xlsx"), _xlsx_with_sheet(SHEET % (b"A1:XFD1048576", cells.split(b"</row>")[0] + b"</row>")))
    assert sheet.rows == [["x"]] and time.monotonic() - started < 10


def test_wide_csv_and_an_xlsx_zip_bomb_are_refused(env, tmp_path, monkeypatch):
    wide = tmp_path / "人保财险宽.csv"
    wide.write_text(",".join(DAILY_HEADER) + "\n" + ",".join(["1"] * (MAX_COLUMNS + 1)) + "\n", encoding="utf-8")
    r = one(env, wide)
    assert r.status == "rejected" and f"第 2 行数据超过 {MAX_COLUMNS} 列（上限）" in r.errors[0]["message"]
    assert "人保财险宽.csv" in r.errors[0]["message"]
    # an xlsx is a zip: its parts' declared size is bounded (512 MB; 1 MB here, to stay fast)
    monkeypatch.setattr(read, "MAX_XLSX_XML_BYTES", 1024**2)
    bomb = tmp_path / "人保财险0626.xlsx"
    bomb.write_bytes(_xlsx_with_sheet(SHEET % (b"A1", b""), {"xl/media/pad.bin": b"\0" * (2 * 1024**2)}))
    r = one(env, bomb)
    assert r.status == "rejected" and "文件解压后超过 1 MB（上限）" in r.errors[0]["message"]


# ----- encodings and garbage ---------------------------------------------------------------


def test_excel_unicode_text_utf16_is_read_other_utf16_and_garbage_refused(env, tmp_path):
    text = "\t".join(DAILY_HEADER) + "\n" + "\t".join(map(str, daily_row())) + "\n"
    ok = tmp_path / "人保财险0626.txt"
    ok.write_bytes(text.encode("utf-16"))  # Excel's "Unicode text": UTF-16LE with BOM, tab-separated
    r = one(env, ok)
    assert (r.status, r.unit) == ("accepted", "P01"), r.errors
    for name, data in [("a.csv", text.encode("utf-16-le")), ("b.csv", text.encode("utf-16-be")),
                       ("c.csv", os.urandom(4096) + b"\0"), ("d.csv", b"\x00\x01\x02MZ\x90\x00" * 100)]:
        path = tmp_path / name
        path.write_bytes(data)
        r = one(env, path)
        assert r.status == "rejected" and "无法识别文件编码" in r.errors[0]["message"] and name in r.errors[0]["message"]


# ----- zip bombs and paths ------------------------------------------------------------------


def test_zip_over_the_size_or_member_limits_is_refused(env, tmp_path, monkeypatch):
    # ratio: see test_summary.py::test_zip_bomb_is_refused; declared size 8 GB (2 MB here, to stay fast)
    monkeypatch.setattr(bundle, "MAX_TOTAL_BYTES", 2 * 1024**2)
    members = {**summary_members(), "人保财险活动总结/照片/big.jpg": os.urandom(3 * 1024**2)}
    r = one(env, make_zip(tmp_path / "a/人保财险活动总结.zip", members))
    assert r.status == "rejected" and "压缩包解压后超过" in r.errors[0]["message"]
    many = {**summary_members(), **{f"人保财险活动总结/照片/{n}.jpg": b"x" for n in range(bundle.MAX_MEMBERS)}}
    r = one(env, make_zip(tmp_path / "b/人保财险活动总结.zip", many))
    assert r.status == "rejected" and f"上限 {bundle.MAX_MEMBERS} 个" in r.errors[0]["message"]


@pytest.mark.parametrize("name", ["../../etc/cron.d/人保财险0626.xlsx", "..\\..\\Windows\\人保财险0626.xlsx",
                                  "/etc/passwd", "C:\\Users\\x\\人保财险0626.xlsx", ".."])
def test_attachment_names_never_carry_a_folder(env, name):
    raw = ("From: x@example.org\r\nSubject: t\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"
           "\r\n--b\r\nContent-Type: application/octet-stream\r\n"
           f'Content-Disposition: attachment; filename="{name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
           "eA==\r\n--b--\r\n").encode()
    _, _, [att] = parse_message(raw)
    assert "/" not in att.filename and "\\" not in att.filename
    # whatever the name, the stored copy is named by its hash inside the archive
    rel = archive(env.settings.archive_dir, att.data, "ab" * 32, Path(att.filename).suffix)
    stored = (env.settings.archive_dir / rel).resolve()
    assert stored.parent.parent == env.settings.archive_dir.resolve() and stored.read_bytes() == b"x"


def test_a_symbolic_link_in_the_inbox_is_not_followed(env, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text(",".join(DAILY_HEADER) + "\n" + ",".join(map(str, daily_row())) + "\n", encoding="utf-8")
    inbox = env.inbox_dir
    inbox.mkdir(parents=True)
    (inbox / "人保财险0626.csv").symlink_to(secret)
    (inbox / "folder").symlink_to(tmp_path, target_is_directory=True)
    summary = collect_inbox(env, wait=5, sleep=lambda s: None)
    assert summary["files"] == [] and summary["unreadable"] == ["人保财险0626.csv"]
    assert (inbox / "人保财险0626.csv").is_symlink() and secret.exists()
    with session_scope(env.engine) as s:
        assert s.scalars(select(Submission)).all() == []


# ----- formulas and HTML in what submitters write -------------------------------------------

HOSTILE = ['=HYPERLINK("http://evil.example","点我")', "=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3",
           "@SUM(A1:A9)", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[点我](javascript:alert(1))",
           "www.evil.example"]


def test_markdown_cells_carry_no_live_html_or_link():
    render = mistune.create_markdown(plugins=["table", "url"], escape=False)  # raw HTML would pass through
    table = "| 作品 |\n| --- |\n" + "\n".join(f"| {md_cell(t)} |" for t in HOSTILE) + "\n"
    html = render(table)
    assert "<a " not in html and "<script" not in html and "<img" not in html
    for t in HOSTILE:  # people still read exactly what was written
        assert t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") in html


def test_hostile_text_in_a_report_reaches_the_receipt_escaped(env, tmp_path, monkeypatch):
    """A rejected value is quoted back in the receipt: the HTML part and the .eml are escaped."""
    from insday.mail.delivery import deliver

    path = write_xlsx(tmp_path / "人保财险0626.xlsx", [daily_row(steps=HOSTILE[5], participants=HOSTILE[6],
                                                                  photos=HOSTILE[1])])
    r = one(env, path)
    assert r.status == "rejected"
    assert any("<script>alert(1)</script>" in e["message"] for e in r.errors)
    report = deliver(env)
    assert report["sent"] == 1
    [eml] = list(env.settings.outbox_dir.glob("*.eml"))
    msg = BytesParser(policy=policy.default).parse(eml.open("rb"))
    html = msg.get_body(("html",)).get_content()
    assert "<script" not in html and "<img src=x" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" in msg.get_body(("plain",)).get_content()  # plain text shows it as written


# ----- a file from an address that is not the unit's contact --------------------------------


def _received(env, tmp_path, name: str, sender: str, steps: int) -> Received:
    path = write_xlsx(tmp_path / name, [daily_row(steps=steps)])
    data = path.read_bytes()
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    item = Received(Path("imap", "1", name), data, sha, name, received_at=ON_TIME, sender=sender)
    item.archive_path = archive(env.settings.archive_dir, data, sha, ".xlsx")
    return item


def test_a_file_from_a_foreign_address_is_accepted_and_flagged_to_the_unit_and_the_association(env, tmp_path, caplog):
    campaign = env.campaign
    p01, l01 = campaign.unit_by_code["P01"], campaign.unit_by_code["L01"]
    own = _received(env, tmp_path, "a.xlsx", p01.email.upper(), 1_000_000)
    forwarded = _received(env, tmp_path, "b.xlsx", f"协会 <{campaign.association_unit.email}>", 1_100_000)
    other = _received(env, tmp_path, "c.xlsx", f"<{l01.email}>", 1_200_000)
    stranger = _received(env, tmp_path, "d.xlsx", "Evil <evil@attacker.example.org>", 1_300_000)
    with caplog.at_level("WARNING", logger="insday.intake"):
        results = ingest_received(env, [own, forwarded, other, stranger], source="imap")
    assert [r.status for r in results] == ["accepted"] * 4
    flagged = [[w["message"] for w in r.warnings if "登记的联系人邮箱" in w["message"]] for r in results]
    assert flagged[0] == [] and flagged[1] == []
    assert f"由 {l01.email}（{l01.display_name}的联系人邮箱）发送" in flagged[2][0]
    assert "由 evil@attacker.example.org发送，不是「人保财险」登记的联系人邮箱" in flagged[3][0]
    assert "已告知省协会核实" in flagged[3][0]
    assert sum("evil@attacker.example.org, not its registered contact" in r.getMessage() for r in caplog.records) == 1
    with session_scope(env.engine) as s:
        out = {m.key: (m.kind, m.to_addr, m.text) for m in s.scalars(select(OutboxMessage))}
    # every receipt goes to P01's registered contact, never to the foreign sender
    receipts = [v for k, v in out.items() if k.startswith("receipt:")]
    assert len(receipts) == 4 and {to for _, to, _ in receipts} == {p01.email}
    assert sum("evil@attacker.example.org" in text for _, _, text in receipts) == 1
    notices = {k: v for k, v in out.items() if k.startswith("sender:")}
    assert set(notices) == {f"sender:{other.sha256}", f"sender:{stranger.sha256}"}
    assert all(kind == "notice" and to == campaign.association.email for kind, to, _ in notices.values())
    assert "evil@attacker.example.org" in notices[f"sender:{stranger.sha256}"][2]
    # the same bytes again: a duplicate, no second notice
    again = Received(stranger.path, stranger.data, stranger.sha256, "d.xlsx", stranger.archive_path, ON_TIME,
                     "evil@attacker.example.org")
    assert ingest_received(env, [again], source="imap")[0].status == "duplicate"
    with session_scope(env.engine) as s:
        assert len([m for m in s.scalars(select(OutboxMessage)) if m.key.startswith("sender:")]) == 2


def test_damaged_xlsx_of_every_kind_is_one_chinese_refusal():
    """Byte flips, truncations and inserted junk (seeded): the reader answers Unreadable, never
    zlib.error, NotImplementedError (a flipped zip version) or an XML ParseError."""
    import random

    book = Workbook()
    book.active.append(DAILY_HEADER)
    book.active.append(daily_row())
    buf = io.BytesIO()
    book.save(buf)
    good, rnd = buf.getvalue(), random.Random(21)
    for _ in range(300):
        data = bytearray(good)
        how = rnd.choice(["flip", "truncate", "junk"])
        if how == "flip":
            for _ in range(rnd.randint(1, 20)):
                data[rnd.randrange(len(data))] = rnd.randrange(256)
        elif how == "truncate":
            data = data[:rnd.randrange(len(data))]
        else:
            at = rnd.randrange(len(data))
            data[at:at] = rnd.randbytes(rnd.randint(1, 300))
        try:
            read_sheets(Path("x.xlsx"), bytes(data))
        except Unreadable:
            pass
    data = bytearray(good)
    central = data.rindex(b"PK\x01\x02")
    data[central + 6] = 102  # "needs zip version 10.2" in the first central directory entry
    with pytest.raises(Unreadable, match="文件已损坏"):
        read_sheets(Path("x.xlsx"), bytes(data))
