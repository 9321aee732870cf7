"""Import raw donation records on PostgreSQL: `insday steps import` against a bare COPY.

    python benchmarks/steps.py [--rows 3000000] [--repeats PCT] [--iso] [--with-other-campaign]
                               [--database-url URL] [--repeat N] [--skip-days]

Generates ROWS records over the 14 run days (about ROWS/5 participants, a tenth of them
donating every day; the 36 regions written as short name, full name or code; about 1.5 %
below the minimum steps, 0.1 % with an unknown region, PCT % same-day repeats (default 1)
and a few before 06:00 on the first day or after 18:00 on the last), in time order as a
platform export; 5 % of the times are ISO with +08:00, all of them with --iso (as a real
export writes them). Then, each on its own scratch database (created and dropped on the
server of --database-url), it times:

  (a) `insday steps import FILE` in its own process, every aggregate refreshed;
  (b) a bare COPY of the same file into a logged, typed, unindexed table, in its own process;

and prints both, their ratio (target <= 1.3) and the peak RSS of the import process
(target < 400 MB). Then it imports the same records day by day into a fresh database and
prints the day-14 import against the day-1 import (target <= 1.2). Each timed run starts
after a CHECKPOINT. --repeat N runs (a) and (b) N times and keeps the fastest of each (the
machine may be shared).

--with-other-campaign also times (a) on a database where the other shipped campaign
(guangdong-2020) was filled first with a full-size import of its own (ROWS records, the same
way generated), prints it against (a) on the empty database (target within 10 %), and runs
the day-by-day import on such a database too.
"""

from __future__ import annotations

import os

os.environ.setdefault("INSDAY_CAMPAIGN", "jilin-2019")  # the benchmarked campaign

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

BARE_COPY = """
import sys, psycopg
with psycopg.connect(sys.argv[1]) as conn, conn.cursor() as cur:
    cur.execute("CREATE TABLE bare_copy (donated_at timestamptz, participant_id text, region text, steps integer)")
    with cur.copy("COPY bare_copy FROM STDIN (FORMAT csv, HEADER true)") as copy, open(sys.argv[2], "rb") as fh:
        while block := fh.read(1 << 20):
            copy.write(block)
"""


def generate(rows: int, folder: Path, campaign, repeats: float = 0.01, iso: bool = False) -> tuple[Path, list[Path]]:
    """The whole file and one file per local day (records dated outside go to the first/last
    day), written day by day so the generator stays small. ``repeats``: the share of records
    that repeat their participant's donation of the day (each donation of a day is followed by
    another with that probability, so some participants donate three times or more)."""
    rnd = random.Random(78)
    days = campaign.window_days(campaign.steps.window)
    regions = campaign.steps.regions
    spellings = [[r.name] * 17 + [r.full_name] * 2 + [r.code] for r in regions]
    participants = max(rows // 5, 1)
    ids = [f"o{rnd.getrandbits(60):015x}" for _ in range(participants)]
    home = bytes(rnd.randrange(len(regions)) for _ in range(participants))
    share = int(1000 * (rows * (1 - repeats) / participants - 0.1 * len(days)) / (0.9 * len(days)))
    min_steps = campaign.steps.min_daily_steps
    header = "donated_at,participant_id,region,steps\n"
    whole = folder / f"donations-{campaign.name}-{rows}.csv"
    day_files = []
    with whole.open("w", encoding="utf-8") as out:
        out.write(header)
        for d, day in enumerate(days):
            first = 6 * 3600 if d == 0 else 0
            last = 18 * 3600 if d == len(days) - 1 else 86_400
            midnight = datetime.combine(day, datetime.min.time())
            records = []
            for i in range(participants):
                if i % 10 and (i * 2_654_435_761 + d * 40_503) % 1000 >= share:  # a tenth donate daily
                    continue
                again = True
                while again:
                    again = rnd.random() < repeats  # another donation that day
                    second = rnd.randrange(first, last)
                    if rnd.random() < 0.003 and d in (0, len(days) - 1):  # outside the window
                        second = rnd.randrange(0, first) if d == 0 else rnd.randrange(last, 86_400)
                    moment = midnight + timedelta(seconds=second)
                    stamp = (moment.strftime("%Y-%m-%dT%H:%M:%S+08:00") if iso or rnd.random() < 0.05
                             else moment.strftime("%Y-%m-%d %H:%M:%S"))
                    region = "火星" if rnd.random() < 0.001 else rnd.choice(
                        spellings[home[i] if rnd.random() < 0.9 else rnd.randrange(len(regions))])
                    low = rnd.random() < 0.015  # below the minimum
                    steps = rnd.randrange(1_000, min_steps) if low else rnd.randrange(min_steps, 40_000)
                    records.append((second, f"{stamp},{ids[i]},{region},{steps}\n"))
            records.sort()
            day_file = folder / f"donations-{campaign.name}-{rows}-day{d + 1:02d}.csv"
            with day_file.open("w", encoding="utf-8") as part:
                part.write(header)
                part.writelines(r for _, r in records)
            out.writelines(r for _, r in records)
            day_files.append(day_file)
    return whole, day_files


class Scratch:
    """A scratch database on the server, created on enter and dropped on exit."""

    def __init__(self, base_url: str, name: str):
        self.admin = create_engine(make_url(base_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        self.name = name
        self.url = make_url(base_url).set(database=name).render_as_string(hide_password=False)

    def __enter__(self) -> str:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        return self.url

    def checkpoint(self) -> None:
        """Write out what earlier runs left in the server's buffers, so a timed run does not pay
        for them (needs a superuser or pg_checkpoint; skipped without)."""
        try:
            with self.admin.connect() as conn:
                conn.execute(text("CHECKPOINT"))
        except DBAPIError:
            pass

    def __exit__(self, *exc) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def timed(args: list[str], env: dict) -> tuple[float, float, str]:
    """Run a child process; return its wall time, its peak RSS in MB (VmHWM, read from /proc
    while it runs) and its stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(args, env=env, stdout=out, stderr=err, cwd=ROOT)
        peak = 0
        while child.poll() is None:
            try:
                status = Path(f"/proc/{child.pid}/status").read_text()
                peak = max(peak, int(status.split("VmHWM:")[1].split()[0]))
            except (FileNotFoundError, IndexError, ProcessLookupError):
                pass
            time.sleep(0.02)
        elapsed = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if child.returncode:
            raise SystemExit(f"{' '.join(args[:5])} failed (exit code {child.returncode}):\n"
                             f"{err.read().decode()[-2000:]}")
        return elapsed, peak / 1024, out.read().decode()


OTHER_CAMPAIGN = "guangdong-2020"


def insday(url: str, home: Path, *args: str, campaign: str | None = None) -> tuple[float, float, str]:
    env = {**os.environ, "INSDAY_DATABASE_URL": url, "INSDAY_HOME": str(home), "PYTHONPATH": str(ROOT)}
    if campaign:
        env["INSDAY_CAMPAIGN"] = campaign
    return timed([sys.executable, "-m", "insday", *args], env)


def fresh(url: str, home: Path, other: Path | None) -> None:
    """Create the schema; with ``other``, fill the other campaign with that file first."""
    insday(url, home, "init")
    if other is not None:
        insday(url, home, "init", campaign=OTHER_CAMPAIGN)
        insday(url, home, "steps", "import", str(other), "--received-at", "2020-07-09T10:00", campaign=OTHER_CAMPAIGN)


def import_whole(scratch: Scratch, url: str, home: Path, whole: Path, other: Path | None):
    fresh(url, home, other)
    scratch.checkpoint()
    wall, rss, out = insday(url, home, "steps", "import", str(whole), "--json", "--received-at", "2019-07-09T10:00")
    return wall, rss, json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_000_000, help="records to generate [3000000]")
    parser.add_argument("--repeats", type=float, default=1.0, help="percent of same-day repeats [1]")
    parser.add_argument("--iso", action="store_true", help="every time ISO with +08:00, as a real export")
    parser.add_argument("--with-other-campaign", action="store_true",
                        help=f"also time the import with {OTHER_CAMPAIGN} filled first (full size)")
    parser.add_argument("--database-url", default=os.environ.get("INSDAY_TEST_DATABASE_URL", DEFAULT_URL),
                        help="a PostgreSQL server (scratch databases are created and dropped there)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of (a) and (b), fastest kept [1]")
    parser.add_argument("--skip-days", action="store_true", help="skip the day-by-day import")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from insday.campaign import get_campaign

    campaign = get_campaign()
    tag = f"insday_bench_steps_{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp:
        folder, home = Path(tmp), Path(tmp) / "home"
        started = time.perf_counter()
        whole, day_files = generate(args.rows, folder, campaign, args.repeats / 100, args.iso)
        records = sum(1 for _ in whole.open("rb")) - 1
        print(f"generated {records:,} records ({whole.stat().st_size / 2**20:.0f} MB, {args.repeats:g} % same-day "
              f"repeats, {'all' if args.iso else '5 % of'} times ISO +08:00) in {time.perf_counter() - started:.1f} s")
        other = None
        if args.with_other_campaign:
            other_campaign = get_campaign(ROOT / "campaigns" / OTHER_CAMPAIGN)
            other, other_days = generate(args.rows, folder, other_campaign, args.repeats / 100, args.iso)
            for path in other_days:
                path.unlink()

        imports, copies, beside = [], [], []
        for run in range(args.repeat):
            with (scratch := Scratch(args.database_url, f"{tag}_import")) as url:
                imports.append(import_whole(scratch, url, home, whole, None))
            with (scratch := Scratch(args.database_url, f"{tag}_copy")) as url:
                scratch.checkpoint()
                wall, _, _ = timed([sys.executable, "-c", BARE_COPY, url.replace("+psycopg", ""), str(whole)],
                                   dict(os.environ))
                copies.append(wall)
            line = f"run {run + 1}: import {imports[-1][0]:.2f} s, bare COPY {copies[-1]:.2f} s"
            if other is not None:
                with (scratch := Scratch(args.database_url, f"{tag}_beside")) as url:
                    beside.append(import_whole(scratch, url, home, whole, other))
                line += f", import beside {OTHER_CAMPAIGN} {beside[-1][0]:.2f} s"
            print(line)
        wall, rss, result = min(imports, key=lambda r: r[0])
        copy = min(copies)
        rejected = ", ".join(f"{k} {v:,}" for k, v in result["rejected"].items())
        print(f"accepted {result['accepted']:,}, rejected: {rejected}; superseded {result['superseded']}")
        print(f"(a) insday steps import (process):   {wall:6.2f} s  (inside the import: {result['seconds']:.2f} s)")
        print(f"(b) bare COPY, unindexed (process):  {copy:6.2f} s")
        print(f"ratio (a)/(b):                       {wall / copy:6.2f}   (target <= 1.3)")
        print(f"peak RSS of the import process:      {rss:6.0f} MB (target < 400 MB)")
        if beside:
            wall2, rss2, result2 = min(beside, key=lambda r: r[0])
            print(f"(a') the same beside {OTHER_CAMPAIGN} ({args.rows:,} records imported first): {wall2:6.2f} s "
                  f"(inside {result2['seconds']:.2f} s), RSS {rss2:.0f} MB")
            print(f"ratio (a')/(a): {wall2 / wall:.2f} (target <= 1.1), (a')/(b): {wall2 / copy:.2f}")

        if not args.skip_days:
            with (scratch := Scratch(args.database_url, f"{tag}_days")) as url:
                fresh(url, home, other)
                times = []
                for d, path in enumerate(day_files):
                    scratch.checkpoint()
                    at = (campaign.window_days(campaign.steps.window)[d] + timedelta(days=1)).isoformat() + "T10:00"
                    wall, _, out = insday(url, home, "steps", "import", str(path), "--json", "--received-at", at)
                    times.append((wall, json.loads(out)["seconds"]))
            (w1, s1), (w14, s14) = times[0], times[-1]
            where = f" (beside {OTHER_CAMPAIGN})" if other is not None else ""
            print(f"day by day{where} (inside the import, s): " + " ".join(f"{s:.2f}" for _, s in times))
            print(f"day 14 vs day 1: {s14:.2f} s / {s1:.2f} s = {s14 / s1:.2f} inside the import, "
                  f"{w14:.2f} s / {w1:.2f} s = {w14 / w1:.2f} as processes   (target <= 1.2)")


if __name__ == "__main__":
    main()
