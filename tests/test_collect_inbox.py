"""Inbox folder collection: complete files only, knowledge time from mtime, nothing lost or taken
twice, crashes and overlapping runs converge. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from faults import crash_at_insert
from filemaker import daily_row, write_csv, write_xlsx
from overlap import at_once
from sqlalchemy import func, select

from insday.collect.inbox import collect_inbox, move_no_clobber
from insday.db import session_scope
from insday.db.models import DailyReport, Submission
from insday.intake.service import ingest_paths

TZ = ZoneInfo("Asia/Shanghai")
EVENING = datetime(2019, 6, 26, 21, 0, tzinfo=TZ)


def set_mtime(path: Path, moment: datetime) -> Path:
    os.utime(path, (moment.timestamp(), moment.timestamp()))
    return path


def drop(env, rel: str, unit: str = "人保财险", day: str = "2019-06-26", at: datetime = EVENING) -> Path:
    path = write_xlsx(env.inbox_dir / rel, [daily_row(day=day, unit=unit)])
    return set_mtime(path, at)


def submissions(env) -> list[Submission]:
    with session_scope(env.engine) as s:
        return list(s.scalars(select(Submission).order_by(Submission.id)))


def inbox_files(env) -> list[str]:
    return sorted(p.relative_to(env.inbox_dir).as_posix()
                  for p in env.inbox_dir.rglob("*") if p.is_file() or p.is_symlink())


def processed_files(env) -> list[str]:
    return sorted(p.relative_to(env.processed_dir).as_posix()
                  for p in env.processed_dir.rglob("*") if p.is_file() or p.is_symlink())


def test_nested_files_are_ingested_with_their_mtime_and_moved_keeping_their_path(env):
    a = drop(env, "长春/6月26日/长春协会0626.xlsx", unit="长春市保险行业协会")
    b = drop(env, "人保0626.xlsx", at=EVENING + timedelta(hours=4))  # 01:00 on 06-27, local
    content = {a.name: a.read_bytes(), b.name: b.read_bytes()}

    result = collect_inbox(env)

    assert (result["accepted"], result["rejected"], result["duplicate"]) == (2, 0, 0)
    subs = {s.filename: s for s in submissions(env)}
    assert subs["长春协会0626.xlsx"].received_at == EVENING.astimezone(timezone.utc)
    assert subs["人保0626.xlsx"].received_at == datetime(2019, 6, 26, 17, 0, tzinfo=timezone.utc)
    assert {s.source for s in subs.values()} == {"inbox"}
    assert subs["长春协会0626.xlsx"].timeliness == "on_time"  # due 06-27 10:00
    assert inbox_files(env) == []
    assert list(env.inbox_dir.iterdir()) == [], "the emptied folders are gone, the inbox stays"
    # processed/<local date received>/<path inside the inbox>; the bytes untouched
    assert processed_files(env) == ["2019-06-26/长春/6月26日/长春协会0626.xlsx", "2019-06-27/人保0626.xlsx"]
    moved = env.processed_dir / "2019-06-26/长春/6月26日/长春协会0626.xlsx"
    assert moved.read_bytes() == content[a.name]
    assert {f["moved_to"] for f in result["files"]} == {
        "processed/jilin-2019/2019-06-26/长春/6月26日/长春协会0626.xlsx", "processed/jilin-2019/2019-06-27/人保0626.xlsx"}
    archived = list(env.settings.archive_dir.rglob("*.xlsx"))
    assert len(archived) == 2


def test_as_of_takes_only_files_received_by_then_and_leaves_later_ones(env):
    drop(env, "early.xlsx", day="2019-06-26", at=EVENING)
    drop(env, "late.xlsx", day="2019-06-27", at=EVENING + timedelta(days=1))

    first = collect_inbox(env, as_of=datetime(2019, 6, 27, 10, 30, tzinfo=TZ))
    assert [f["path"] for f in first["files"]] == ["early.xlsx"]
    assert first["later"] == ["late.xlsx"]
    assert inbox_files(env) == ["late.xlsx"]

    second = collect_inbox(env, as_of=datetime(2019, 6, 28, 10, 30, tzinfo=TZ))
    assert [f["path"] for f in second["files"]] == ["late.xlsx"] and second["later"] == []
    late = next(s for s in submissions(env) if s.filename == "late.xlsx")
    assert late.received_at == (EVENING + timedelta(days=1)).astimezone(timezone.utc)


def test_a_file_dated_in_the_future_is_taken_as_received_now(env):
    env.settings.inbox_stable_seconds = 0.2
    drop(env, "skewed.xlsx", at=datetime(2030, 1, 1, tzinfo=TZ))
    before = datetime.now(timezone.utc)
    result = collect_inbox(env)
    after = datetime.now(timezone.utc)
    assert result["accepted"] == 1
    [sub] = submissions(env)
    assert before <= sub.received_at <= after


def test_temporary_names_and_files_still_being_written_are_left(env):
    env.settings.inbox_stable_seconds = 0.3
    drop(env, "~$人保0626.xlsx")
    drop(env, "人保0626.xlsx.part")
    drop(env, ".hidden/人保0626.xlsx")
    growing = env.inbox_dir / "上传中/大文件.csv"
    growing.parent.mkdir(parents=True)
    growing.write_bytes(b"")
    stop = threading.Event()

    def writer():  # a slow upload: a chunk every 50 ms
        with growing.open("ab") as fh:
            while not stop.is_set():
                fh.write(b"x" * 100)
                fh.flush()
                time.sleep(0.05)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        result = collect_inbox(env)
    finally:
        stop.set()
        thread.join()
    assert result["files"] == [] and result["waiting"] == ["上传中/大文件.csv"]
    assert submissions(env) == []
    assert sorted(inbox_files(env)) == sorted([".hidden/人保0626.xlsx", "~$人保0626.xlsx", "人保0626.xlsx.part",
                                                "上传中/大文件.csv"])

    # The upload has finished: young, but the same size and mtime over the interval -> taken.
    done = collect_inbox(env)
    assert [f["path"] for f in done["files"]] == ["上传中/大文件.csv"] and done["rejected"] == 1


def test_partial_file_is_rejected_archived_and_moved_nothing_lost(env):
    whole = drop(env, "人保0626.xlsx")
    data = whole.read_bytes()[:300]  # a truncated copy, with an old mtime
    whole.unlink()
    partial = env.inbox_dir / "断开的上传.xlsx"
    partial.write_bytes(data)
    set_mtime(partial, EVENING)

    result = collect_inbox(env)

    [entry] = result["files"]
    assert entry["status"] == "rejected"
    [sub] = submissions(env)
    assert sub.status == "rejected" and "文件已损坏" in sub.errors[0]["message"]
    assert (env.settings.archive_dir / sub.archive_path).read_bytes() == data
    assert (env.processed_dir / "2019-06-26" / "断开的上传.xlsx").read_bytes() == data
    assert inbox_files(env) == []


def test_duplicates_in_one_run_and_across_runs_are_stored_once_and_moved(env, tmp_path):
    original = drop(env, "人保0626.xlsx")
    copy = env.inbox_dir / "转发/人保0626.xlsx"
    copy.parent.mkdir()
    shutil.copy2(original, copy)
    earlier = write_xlsx(tmp_path / "earlier.xlsx", [daily_row(unit="吉林市保险行业协会")])
    ingest_paths(env, [earlier], received_at=EVENING)  # came in by the CLI the day before
    resent = env.inbox_dir / "再次发送.xlsx"
    set_mtime(shutil.copy2(earlier, resent), EVENING + timedelta(hours=1))

    result = collect_inbox(env)

    statuses = {f["path"]: f["status"] for f in result["files"]}
    assert statuses == {"人保0626.xlsx": "accepted", "转发/人保0626.xlsx": "duplicate", "再次发送.xlsx": "duplicate"}
    assert len(submissions(env)) == 2
    with session_scope(env.engine) as s:
        assert s.scalar(select(func.count()).select_from(DailyReport)) == 2
    assert inbox_files(env) == []
    assert processed_files(env) == ["2019-06-26/人保0626.xlsx", "2019-06-26/再次发送.xlsx",
                                    "2019-06-26/转发/人保0626.xlsx"]


def test_unreadable_file_stays_in_the_inbox_and_the_others_go_on(env):
    env.settings.inbox_settle_seconds = 0
    drop(env, "人保0626.xlsx")
    bad = env.inbox_dir / "损坏的U盘文件.xlsx"
    if os.geteuid() == 0:  # root reads any mode: use a file the kernel refuses to read
        bad.symlink_to("/proc/self/mem")
    else:
        bad.write_bytes(b"secret")
        bad.chmod(0)

    result = collect_inbox(env)

    assert result["unreadable"] == ["损坏的U盘文件.xlsx"] and result["accepted"] == 1
    assert inbox_files(env) == ["损坏的U盘文件.xlsx"]
    again = collect_inbox(env)  # reported again on every run, until someone fixes it
    assert again["unreadable"] == ["损坏的U盘文件.xlsx"] and again["files"] == []


def test_an_existing_target_is_never_overwritten(env, tmp_path):
    target = env.processed_dir / "2019-06-26" / "人保0626.xlsx"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"kept")
    drop(env, "人保0626.xlsx")
    result = collect_inbox(env)
    assert result["files"][0]["moved_to"] == "processed/jilin-2019/2019-06-26/人保0626 (2).xlsx"
    assert target.read_bytes() == b"kept"

    src = tmp_path / "a.txt"
    src.write_text("3")
    assert move_no_clobber(src, target).name == "人保0626 (3).xlsx"


def test_crash_between_ingest_and_move_converges_on_rerun(env):
    drop(env, "人保0626.xlsx")
    drop(env, "吉林/吉林市协会0626.xlsx", unit="吉林市保险行业协会")
    env.processed_dir.parent.mkdir(parents=True, exist_ok=True)
    env.processed_dir.write_text("not a folder")  # the move fails after the ingest committed

    with pytest.raises(OSError):
        collect_inbox(env)
    assert len(submissions(env)) == 2 and len(inbox_files(env)) == 2

    env.processed_dir.unlink()
    rerun = collect_inbox(env)
    assert [f["status"] for f in rerun["files"]] == ["duplicate", "duplicate"]
    assert len(submissions(env)) == 2 and inbox_files(env) == []
    assert len(processed_files(env)) == 2


def test_crash_mid_ingest_converges_on_rerun(env):
    for n, unit in enumerate(["人保财险", "吉林市保险行业协会", "长春市保险行业协会"]):
        drop(env, f"{n}.xlsx", unit=unit)
    with crash_at_insert(env.engine, "submissions", nth=2):
        collect_inbox(env)
    assert len(submissions(env)) == 1 and len(inbox_files(env)) == 3

    rerun = collect_inbox(env)
    assert sorted(f["status"] for f in rerun["files"]) == ["accepted", "accepted", "duplicate"]
    assert len(submissions(env)) == 3 and inbox_files(env) == [] and len(processed_files(env)) == 3


def test_overlapping_runs_take_each_file_once(env):
    units = ["人保财险", "吉林市保险行业协会", "长春市保险行业协会", "四平市保险行业协会"]
    for n, unit in enumerate(units):
        drop(env, f"d{n}/{n}.xlsx", unit=unit)
    results = at_once(lambda: collect_inbox(env, wait=60))
    taken = [f["path"] for r in results for f in r["files"]]
    assert sorted(taken) == [f"d{n}/{n}.xlsx" for n in range(4)]  # each once, by one run or the other
    assert len(submissions(env)) == 4 and inbox_files(env) == [] and len(processed_files(env)) == 4


def test_a_big_inbox_is_ingested_in_batches(env, monkeypatch):
    import insday.collect.inbox

    monkeypatch.setattr(insday.collect.inbox, "BATCH_BYTES", 12_000)  # about two files a batch
    units = ["人保财险", "吉林市保险行业协会", "长春市保险行业协会", "四平市保险行业协会", "辽源市保险行业协会"]
    for n, unit in enumerate(units):
        drop(env, f"{n}.xlsx", unit=unit)
    result = collect_inbox(env)
    assert result["accepted"] == 5 and inbox_files(env) == [] and len(submissions(env)) == 5


def test_dry_run_changes_nothing(env):
    drop(env, "人保0626.xlsx")
    write_csv(env.inbox_dir / "gbk.csv", [daily_row(unit="吉林市保险行业协会")])
    set_mtime(env.inbox_dir / "gbk.csv", EVENING)
    result = collect_inbox(env, dry_run=True)
    assert sorted(f["path"] for f in result["files"]) == ["gbk.csv", "人保0626.xlsx"]
    assert submissions(env) == [] and len(inbox_files(env)) == 2
    assert not env.processed_dir.exists() and not env.settings.archive_dir.exists()


def test_collect_command(env):
    import json

    from typer.testing import CliRunner

    from insday.cli import app

    drop(env, "人保0626.xlsx")
    bad = write_csv(env.inbox_dir / "乱码.csv", [["x"]], header=["不认识的表头"])
    set_mtime(bad, EVENING)
    drop(env, "明天.xlsx", at=EVENING + timedelta(days=2))
    result = CliRunner().invoke(app, ["collect", "--json", "--as-of", "2019-06-27T10:30"])
    assert result.exit_code == 1  # a file was rejected
    payload = json.loads(result.stdout)
    assert payload["imap"] == {"enabled": False}
    inbox = payload["inbox"]
    assert (inbox["accepted"], inbox["rejected"], inbox["later"]) == (1, 1, ["明天.xlsx"])
    assert {f["path"]: f["status"] for f in inbox["files"]} == {"人保0626.xlsx": "accepted", "乱码.csv": "rejected"}
