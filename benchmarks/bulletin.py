"""Time `insday bulletin` (a fresh process, as a user or a flow runs it) on a whole campaign.

    python benchmarks/bulletin.py [--postgres URL] [--runs N] [--step-records N]

The database holds the daily reports of every member for all 14 days (some late, some
corrected, some never sent), outreach events, videos and a daily leaderboard, stored as
intake stores them, and raw step donation records (300,000 by default; 3,000,000 is the
national scale) imported with `insday steps import`. Timed: the last daily bulletin with its email queued to all 64
recipients and delivered (as .eml files: no SMTP server), and the final bulletin without
email. Targets on a 2-core machine: under 10 s each, start-up included. SQLite by default;
--postgres takes a server URL and uses a scratch database created and dropped there.
"""

from __future__ import annotations

import os

os.environ.setdefault("INSDAY_CAMPAIGN", "jilin-2019")  # the benchmarked campaign

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mail import scratch_postgres  # noqa: E402
from steps import generate  # noqa: E402

KINDS = ("进学校", "进农村", "进社区", "进机关", "进企业", "职场", "媒体")


def fill(url: str) -> int:
    """A whole campaign's reports; returns how many submissions."""
    from insday.campaign import get_campaign
    from insday.db import get_engine, session_scope
    from insday.db.migrate import load_reference_data, upgrade
    from insday.db.models import Submission
    from insday.db.models.reports import DailyReport, EventRow, VideoLeaderboardRow, VideoRow
    from insday.deadlines import registry

    campaign, engine = get_campaign(), get_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        load_reference_data(s, campaign)
    count = 0

    def submission(s, report_type, unit, when, period=None, version=1):
        nonlocal count
        count += 1
        sub = Submission(campaign=campaign.name, sha256=uuid.uuid4().hex * 2, filename="f.xlsx", archive_path="-", size=1, source="bench",
                         report_type=report_type, unit_code=unit, period=period,
                         period_key=period.isoformat() if period else "-", received_at=when, status="accepted",
                         version=version)
        s.add(sub)
        s.flush()
        return sub.id

    with session_scope(engine) as s:
        daily = [d for d in registry(campaign) if d.report_type == "daily_report"]
        for d in daily:
            for n, code in enumerate(d.units):
                if (n + d.period.day) % 13 == 0:
                    continue  # never sent
                when = d.due + (timedelta(hours=2) if n % 11 == 0 else -timedelta(hours=3 + n % 7))
                for version in (1, 2) if n % 9 == 0 else (1,):
                    sid = submission(s, "daily_report", code, when + timedelta(hours=version - 1), d.period, version)
                    s.add(DailyReport(campaign=campaign.name, submission_id=sid, row_no=2, report_date=d.period, unit=code,
                                      participants=100 + n * 7 + version, steps=1_000_000 + n * 12_345 + d.period.day,
                                      photos=n % 5, videos=n % 3, contact="张三", phone="13912345678"))
            board = submission(s, "video_leaderboard", "ASSOC", d.due - timedelta(hours=12), d.period)
            s.add_all(VideoLeaderboardRow(campaign=campaign.name, submission_id=board, row_no=r + 1, board_date=d.period, rank=r,
                                          title=f"短视频作品{d.period.day}-{r}", unit=d.units[r], author=f"作者{r}",
                                          votes=2000 - 100 * r, link=f"https://v.example.org/{d.period}/{r}")
                      for r in range(1, 11))
        for n, unit in enumerate(campaign.units):
            when = campaign.at(campaign.end) - timedelta(days=n % 10)
            sid = submission(s, "events", unit.code, when)
            s.add_all(EventRow(campaign=campaign.name, submission_id=sid, row_no=i + 2, event_date=when.date() - timedelta(days=i), unit=unit.code,
                               kind=KINDS[(n + i) % 7], title="宣传活动", place=f"地点{i}", people_reached=200 + i,
                               materials=300) for i in range(5))
            sid = submission(s, "videos", unit.code, when)
            s.add_all(VideoRow(campaign=campaign.name, submission_id=sid, row_no=i + 2, unit=unit.code, title=f"作品{i}", author="作者",
                               platform="抖音", link=f"https://v.example.org/{unit.code}/{i}",
                               published_on=campaign.start + timedelta(days=i)) for i in range(3))
    return count


def timed(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "insday", *command], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"insday {' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="PostgreSQL server URL; a scratch database is created there")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--step-records", type=int, default=300_000, help="raw donation records to import [300000]")
    args = parser.parse_args()
    scratch = f"insday_bench_bulletin_{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp:
        url = scratch_postgres(args.postgres, scratch) if args.postgres else f"sqlite:///{tmp}/insday.db"
        try:
            submissions = fill(url)
            env = {k: v for k, v in os.environ.items() if not k.startswith("INSDAY_SMTP")}
            env.update(INSDAY_HOME=tmp, INSDAY_DATABASE_URL=url)
            if args.step_records:
                from insday.campaign import get_campaign

                records, _ = generate(args.step_records, Path(tmp), get_campaign())
                imported = timed(["steps", "import", str(records), "--received-at", "2019-07-08T20:00"], env)
                print(f"imported {args.step_records:,} step records in {imported:.1f} s")
            daily, final = [], []
            for run in range(args.runs):
                # a new outbox key each run (a fresh database would be needed otherwise): the final
                # bulletin is built first, then the daily one is sent to every recipient
                final.append(timed(["bulletin", "--final", "--json"], env))
                day = f"2019-07-0{8 - run}"
                daily.append(timed(["bulletin", "--date", day, "--send", "--json"], env))
            sent = len(list(Path(tmp, "outbox").rglob("*.eml")))
        finally:
            if args.postgres:
                from insday.db import get_engine

                get_engine(url).dispose()
                scratch_postgres(args.postgres, scratch, drop=True)
    db = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{submissions} submissions ({db}); {sent} emails written")
    print(f"daily bulletin with email to all recipients: median {statistics.median(daily):.2f} s, "
          f"best {min(daily):.2f} s; target < 10 s")
    print(f"final bulletin: median {statistics.median(final):.2f} s, best {min(final):.2f} s; target < 10 s")


if __name__ == "__main__":
    main()
