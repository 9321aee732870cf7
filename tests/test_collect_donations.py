"""The inbox takes what the association receives: the national platform's raw donation exports
(gzipped or not, UTF-8, GBK or with a BOM) dropped in the inbox are told from report files by
their first line and imported as `insday steps import` imports them; archived, moved, never
twice. Files of other kinds get advice in Chinese. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from filemaker import daily_row, write_xlsx
from sqlalchemy import func, select
from typer.testing import CliRunner

from insday.cli import app
from insday.collect.inbox import collect_inbox
from insday.db import session_scope
from insday.db.models import StepImport, Submission, step_records
from insday.steps import import_aggregates_file, latest_step_data, step_summary
from insday.steps.records import first_line, first_line_of, is_header, looks_like_export

TZ = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2019, 6, 27, 8, 0, tzinfo=TZ)
HEADER = "donated_at,participant_id,region,steps"
DAY_26 = ["2019-06-26 07:12:33,wx_a81f03c2,北京,12034",
          "2019-06-26T07:15:00+08:00,wx_77b1c9d0,内蒙古自治区,9800",
          "2019-06-26 09:00:00,wx_0c99aa01,云南,7000"]  # below 7,800: stored, not counted
DAY_27 = ["2019-06-27 07:00:00,wx_a81f03c2,北京,20000",
          "2019-06-27 07:30:00,wx_5d1e0b11,吉林省,8800"]


def text(lines: list[str], header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def drop(env, rel: str, data: bytes, at: datetime = MORNING) -> Path:
    path = env.inbox_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (at.timestamp(), at.timestamp()))
    return path


def region(env, name: str, as_of: datetime | None = None) -> int:
    summary = step_summary(env, as_of or datetime(2019, 7, 31, tzinfo=TZ))
    return next(r["own_steps"] for r in summary["regions"] if r["name"] == name)


def imports(env) -> list:
    with env.engine.connect() as conn:
        return conn.execute(select(StepImport).order_by(StepImport.id)).all()


def stored_records(env) -> int:
    with env.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(step_records)).scalar()


def submissions(env) -> list[Submission]:
    with session_scope(env.engine) as s:
        return list(s.scalars(select(Submission).order_by(Submission.id)))


def test_the_header_is_known_gzipped_or_not_in_utf8_gbk_or_with_a_bom(tmp_path):
    assert is_header(b"donated_at,participant_id,region,steps\n")
    assert is_header(b"\xef\xbb\xbfdonated_at,participant_id,region,steps\r\n")  # Excel's "CSV UTF-8"
    assert is_header(b'"steps", "Region",participant_id,DONATED_AT\r\n')  # any order, quoted, any case
    assert is_header(HEADER.encode("gbk") + b"\r\n")
    assert not is_header("日期,单位名称,参与人数,步数\n".encode("gbk"))
    assert not is_header(b"donated_at,participant_id,region\n")
    gz = tmp_path / "x.gz"
    gz.write_bytes(gzip.compress(text(DAY_26).encode()))
    assert first_line(gz) == (HEADER + "\n").encode()
    assert first_line_of(gz.read_bytes()) == (HEADER + "\n").encode()
    broken = tmp_path / "broken.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00garbage")
    assert first_line(broken) == b"" and first_line_of(broken.read_bytes()) == b""
    # by the first line whatever the name; by the platform's name whatever the first line
    assert looks_like_export("平台数据.csv", b"donated_at,participant_id,region,steps\n")
    assert looks_like_export("donations-20190626.csv.gz", b"")
    assert not looks_like_export("人保0626.csv", "日期,单位名称\n".encode())
    assert not looks_like_export("donations-0626.xlsx", b"PK\x03\x04")


def test_a_big_export_is_sniffed_by_its_first_line_only(tmp_path):
    """A file cut off after 2 MB of its compressed stream: reading it whole fails, so a sniff
    that gets the header read only its beginning."""
    body = "".join(f"2019-06-26 07:12:{n % 60:02d},wx_{n:010d},北京,{8000 + n % 9000}\n" for n in range(400_000))
    data = gzip.compress((HEADER + "\n" + body).encode(), compresslevel=1)
    big = tmp_path / "donations-20190626.csv.gz"
    big.write_bytes(data[: 2 << 20])
    assert len(data) > 5 << 19
    try:
        gzip.decompress(big.read_bytes())
        raise AssertionError("a cut-off stream cannot be read whole")
    except EOFError:
        pass
    assert first_line(big) == (HEADER + "\n").encode()
    assert first_line_of(big.read_bytes()) == (HEADER + "\n").encode()


def test_exports_are_imported_archived_and_moved_beside_the_reports(env):
    write_xlsx(env.inbox_dir / "人保0626.xlsx", [daily_row()])
    os.utime(env.inbox_dir / "人保0626.xlsx", (MORNING.timestamp(), MORNING.timestamp()))
    gz = drop(env, "donations-20190626.csv.gz", gzip.compress(text(DAY_26).encode()), MORNING)
    # the same kind of file under any name, uncompressed, GBK with CRLF, or UTF-8 with a BOM
    gbk = drop(env, "平台/捐步记录0627.csv", text(DAY_27[:1]).replace("\n", "\r\n").encode("gbk"),
               MORNING + timedelta(days=1))
    bom = drop(env, "导出 0627b.txt", b"\xef\xbb\xbf" + text(DAY_27[1:]).encode(), MORNING + timedelta(days=1, hours=1))
    archived = {p: p.read_bytes() for p in (gz, gbk, bom)}

    result = collect_inbox(env)

    assert (result["accepted"], result["rejected"], result["duplicate"]) == (1, 0, 0)
    assert [f["path"] for f in result["files"]] == ["人保0626.xlsx"]  # reports and exports apart
    block = result["donations"]
    assert (block["imported"], block["duplicate"], block["rejected"], block["deferred"]) == (3, 0, 0, 0)
    entries = {f["path"]: f for f in block["files"]}
    assert list(entries) == ["donations-20190626.csv.gz", "平台/捐步记录0627.csv", "导出 0627b.txt"]  # time order
    first = entries["donations-20190626.csv.gz"]
    assert first["status"] == "imported" and first["received_at"] == "2019-06-27T08:00:00+08:00"
    assert (first["import"]["records"], first["import"]["accepted"], first["import"]["rejected"]["below_min_steps"]) \
        == (3, 2, 1)
    assert first["moved_to"] == "processed/jilin-2019/2019-06-27/donations-20190626.csv.gz"
    assert entries["平台/捐步记录0627.csv"]["moved_to"] == "processed/jilin-2019/2019-06-28/平台/捐步记录0627.csv"
    # what the steps import knows: the names they arrived under, when, and the figures
    assert [(i.filename, i.received_at, i.records) for i in imports(env)] == [
        ("donations-20190626.csv.gz", MORNING.astimezone(timezone.utc), 3),
        ("捐步记录0627.csv", (MORNING + timedelta(days=1)).astimezone(timezone.utc), 1),
        ("导出 0627b.txt", (MORNING + timedelta(days=1, hours=1)).astimezone(timezone.utc), 1)]
    assert region(env, "北京") == 12034 + 20000 and region(env, "内蒙古") == 9800 and region(env, "吉林") == 8800
    assert region(env, "北京", as_of=MORNING + timedelta(hours=1)) == 12034  # knowledge time: the file's
    # archived by hash, byte for byte; nothing left in the inbox
    for path, data in archived.items():
        entry = next(f for f in block["files"] if f["filename"] == path.name)
        suffix = path.suffix
        assert (env.settings.archive_dir / entry["sha256"][:2] / f"{entry['sha256']}{suffix}").read_bytes() == data
        assert (env.settings.home / entry["moved_to"]).read_bytes() == data
    assert [p for p in env.inbox_dir.rglob("*") if p.is_file()] == []
    assert [s.filename for s in submissions(env)] == ["人保0626.xlsx"]  # exports are not report submissions
    summary = step_summary(env, MORNING + timedelta(days=2))
    assert summary["has_data"] and summary["data_received_at"] == "2019-06-28T09:00:00+08:00"


def test_the_same_export_again_imports_nothing(env):
    data = gzip.compress(text(DAY_26).encode())
    drop(env, "donations-20190626.csv.gz", data)
    collect_inbox(env)
    before = stored_records(env)
    drop(env, "again/donations-20190626.csv.gz", data, MORNING + timedelta(hours=3))
    drop(env, "copy.csv.gz", data, MORNING + timedelta(hours=4))

    result = collect_inbox(env)

    block = result["donations"]
    assert (block["imported"], block["duplicate"]) == (0, 2)
    assert {f["import"]["duplicate"] for f in block["files"]} == {True}
    assert stored_records(env) == before == 3 and len(imports(env)) == 1
    assert region(env, "北京") == 12034
    assert sorted(f["moved_to"] for f in block["files"]) == [
        "processed/jilin-2019/2019-06-27/again/donations-20190626.csv.gz", "processed/jilin-2019/2019-06-27/copy.csv.gz"]


def test_files_of_other_kinds_get_advice(env):
    drop(env, "报表.xlsx.gz", gzip.compress(b"PK\x03\x04 an xlsx, gzipped"))
    drop(env, "人保财险活动总结.rar", b"Rar!\x1a\x07\x00junk")
    drop(env, "活动方案.doc", b"\xd0\xcf\x11\xe0 a Word file")
    drop(env, "现场.jpg", b"\xff\xd8\xff")
    # named as the platform names its exports, but not one: the import says what is wrong
    drop(env, "donations-20190628.csv.gz", gzip.compress("日期,地区,步数\n2019-06-28,北京,9000\n".encode()))
    drop(env, "donations-20190629.csv.gz", gzip.compress(text(DAY_27).encode())[:40])  # cut off in transfer

    result = collect_inbox(env)

    messages = {s.filename: s.errors[0]["message"] for s in submissions(env)}
    assert result["rejected"] == 4 and all(s.status == "rejected" for s in submissions(env))
    assert "「.gz」压缩文件只用于全国平台导出的捐步记录" in messages["报表.xlsx.gz"]
    assert "不要压缩" in messages["报表.xlsx.gz"]
    assert "不支持 .rar 压缩格式" in messages["人保财险活动总结.rar"] and "请改用 zip 格式" in messages["人保财险活动总结.rar"]
    assert "文档不能单独报送" in messages["活动方案.doc"] and ".xlsx 模板" in messages["活动方案.doc"]
    assert "照片、视频不能单独报送" in messages["现场.jpg"]
    block = result["donations"]
    assert block["rejected"] == 2 and block["imported"] == 0 and imports(env) == []
    errors = {f["filename"]: f["error"] for f in block["files"]}
    assert "第一行须为表头 donated_at,participant_id,region,steps" in errors["donations-20190628.csv.gz"]
    assert "不完整或已损坏的 gzip 压缩文件" in errors["donations-20190629.csv.gz"]
    assert "重新下载" in errors["donations-20190629.csv.gz"]
    # nothing lost: every file archived and moved out of the inbox
    assert [p for p in env.inbox_dir.rglob("*") if p.is_file()] == []
    for f in block["files"]:
        assert (env.settings.archive_dir / f["sha256"][:2] / f"{f['sha256']}.gz").exists()
        assert (env.settings.home / f["moved_to"]).exists()


def test_an_export_older_than_the_step_data_recorded_is_recorded_after_it(env, tmp_path):
    pulled_at = MORNING + timedelta(hours=2, minutes=30)  # the daily run's pull, 10:30
    pull = tmp_path / "national.csv"
    pull.write_text("日期,地区,步数\n2019-06-26,北京,50000000\n", encoding="utf-8")
    import_aggregates_file(env, pull, received_at=pulled_at)
    drop(env, "donations-20190626.csv.gz", gzip.compress(text(DAY_26).encode()), MORNING)  # copied with its mtime

    # a back-fill asked about 09:00 cannot record it then (10:30 is already recorded): left for later
    early = collect_inbox(env, as_of=MORNING + timedelta(hours=1))
    [entry] = early["donations"]["files"]
    assert entry["status"] == "deferred" and entry["moved_to"] is None and "留待之后的运行导入" in entry["error"]
    assert (env.inbox_dir / "donations-20190626.csv.gz").exists() and imports(env) == []

    later = collect_inbox(env)
    [entry] = later["donations"]["files"]
    assert entry["status"] == "imported" and entry["received_at"] == "2019-06-27T10:30:00+08:00"
    assert latest_step_data(env) == pulled_at.astimezone(timezone.utc)
    assert imports(env)[0].received_at == pulled_at.astimezone(timezone.utc)
    assert entry["moved_to"] == "processed/jilin-2019/2019-06-27/donations-20190626.csv.gz"


def test_dry_run_lists_exports_and_changes_nothing(env):
    drop(env, "donations-20190626.csv.gz", gzip.compress(text(DAY_26).encode()))
    result = collect_inbox(env, dry_run=True)
    [entry] = result["donations"]["files"]
    assert entry["status"] is None and entry["path"] == "donations-20190626.csv.gz" and len(entry["sha256"]) == 64
    assert imports(env) == [] and (env.inbox_dir / "donations-20190626.csv.gz").exists()
    assert not env.settings.archive_dir.exists()


def test_collect_command_reports_exports_apart(env):
    data = gzip.compress(text(DAY_26).encode())
    drop(env, "donations-20190626.csv.gz", data)
    drop(env, "donations-20190627.csv.gz", gzip.compress(b"not,the,header\n"), MORNING + timedelta(hours=1))
    result = CliRunner().invoke(app, ["collect", "--json"])
    assert result.exit_code == 1, result.output  # an export was refused
    inbox = json.loads(result.stdout)["inbox"]
    assert inbox["files"] == [] and inbox["accepted"] == inbox["rejected"] == 0
    assert (inbox["donations"]["imported"], inbox["donations"]["rejected"]) == (1, 1)
    shown = CliRunner().invoke(app, ["collect"])  # nothing left: both were taken
    assert shown.exit_code == 0
    drop(env, "copy.csv.gz", data, MORNING + timedelta(hours=2))
    shown = CliRunner().invoke(app, ["collect"])
    assert shown.exit_code == 0, shown.output
    assert re.search(r"重复\s+copy\.csv\.gz\s+已导入过（2019-06-27 08:00），本次未作任何改动", shown.output)
    assert "收件箱：全国平台捐步记录 1 个（导入 0，重复 1，未能导入 0，暂缓 0）" in shown.output
