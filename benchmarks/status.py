"""Time `insday status --json` (a fresh process, as a user runs it) on a full campaign's data.

    python benchmarks/status.py [--postgres URL] [--runs N] [--also CAMPAIGN]

The database holds what the whole 2019 campaign would: every member's daily report for
all 14 days (some late, some rejected first, some sent twice), every scoring sheet and
summary, and poverty-relief projects; status is asked as of the end of the campaign.
Target (issue 20): a median of at most 0.3 s per answer, start-up included, on a 2-core
machine. In the same run it times the floor every Python command pays (`python -c pass`,
`python -c "import sqlalchemy"`, both of which status needs) and lists the imports that cost
`insday status` most (`python -X importtime`, the best of the runs). SQLite by default;
--postgres takes a server URL and uses a scratch database created and dropped there.
--also guangdong-2020 fills that campaign's whole data into the same database too (campaigns
side by side: the answer for jilin-2019 should not take longer).
"""

from __future__ import annotations

import os

os.environ.setdefault("INSDAY_CAMPAIGN", "jilin-2019")  # the benchmarked campaign

import argparse
import re
import resource
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


def fill(url: str, name: str = "jilin-2019") -> int:
    """Submissions of a whole campaign, as intake stores them; returns how many."""
    from insday.campaign import get_campaign
    from insday.paths import CAMPAIGNS_DIR
    from insday.db import get_engine, session_scope
    from insday.db.migrate import load_reference_data, upgrade
    from insday.db.models import Submission
    from insday.db.models.reports import ProjectRow
    from insday.deadlines import registry

    campaign, engine = get_campaign(CAMPAIGNS_DIR / name), get_engine(url)
    upgrade(engine, campaign=campaign.name)
    rows = []
    for d in registry(campaign):
        for n, code in enumerate(d.units):
            if n % 17 == 0:
                continue  # never sent
            lateness = timedelta(hours=3) if n % 11 == 0 else -timedelta(hours=2 + n % 5)
            if n % 7 == 0:
                rows.append((code, d, d.due + lateness - timedelta(hours=1), "rejected", None))
            rows.append((code, d, d.due + lateness, "accepted", 1))
            if n % 5 == 0:
                rows.append((code, d, d.due + lateness + timedelta(hours=1), "accepted", 2))
    with session_scope(engine) as s:
        load_reference_data(s, campaign)
    with session_scope(engine) as s:
        s.add_all(Submission(campaign=campaign.name, sha256=uuid.uuid4().hex * 2, filename="f.xlsx", archive_path="-", size=1, source="bench",
                             report_type=d.report_type, unit_code=code, period=d.period,
                             period_key=d.period.isoformat() if d.period else "-", received_at=when, status=status,
                             version=version, deadline_id=d.id if version else None)
                  for code, d, when, status, version in rows)
        for i, code in enumerate(["P01", "P02", "P03", "L01", "L02"]):
            sub = Submission(campaign=campaign.name, sha256=uuid.uuid4().hex * 2, filename="p.xlsx", archive_path="-", size=1, source="bench",
                             report_type="project", unit_code=code, period_key="-", status="accepted", version=1,
                             received_at=campaign.at(campaign.end) + timedelta(days=10 + i))
            s.add(sub)
            s.flush()
            s.add(ProjectRow(campaign=campaign.name, submission_id=sub.id, row_no=2, project_id=f"FP-{i:02d}", unit=code, region="甘肃",
                             head_office="总公司", coverage=15_000_000, people=600, term_months=12,
                             donated_on=campaign.end + timedelta(days=10 + i) if i % 2 else None,
                             completed_on=campaign.end + timedelta(days=5 + i) if i % 3 == 0 else None))
    return len(rows) + 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="PostgreSQL server URL; a scratch database is created there")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--also", metavar="CAMPAIGN", help="fill this campaign's whole data into the database too")
    args = parser.parse_args()
    scratch = f"insday_bench_status_{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp:
        url = scratch_postgres(args.postgres, scratch) if args.postgres else f"sqlite:///{tmp}/insday.db"
        try:
            submissions = fill(url)
            others = fill(url, args.also) if args.also else 0
            # with its bytecode cached, as an installed package has it (pip compiles it)
            env = {**os.environ, "INSDAY_HOME": tmp, "INSDAY_DATABASE_URL": url}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            status = ["-m", "insday", "status", "--json", "--as-of", "2019-11-20T12:00"]
            runs = {"insday status --json": status, "python -c pass": ["-c", "pass"],
                    'python -c "import sqlalchemy"': ["-c", "import sqlalchemy"]}
            times = {name: [] for name in runs}
            for argv in runs.values():
                timed(argv, env)  # writes the bytecode
            for _ in range(args.runs):  # interleaved, so the machine's load falls alike on each
                for name, argv in runs.items():
                    times[name].append(timed(argv, env))
            imports = top_imports(status, env, args.runs)
        finally:
            if args.postgres:
                from insday.db import get_engine

                get_engine(url).dispose()
                scratch_postgres(args.postgres, scratch, drop=True)
    also = f" (and {others} of {args.also})" if args.also else ""
    print(f"{submissions} submissions{also}, {'PostgreSQL' if args.postgres else 'SQLite'}, {args.runs} runs each: "
          "wall median, best; CPU (user + system) median")
    for name, values in times.items():
        walls, cpus = [w for w, _ in values], [c for _, c in values]
        target = "  target: median <= 0.30 s" if name.startswith("insday") else ""
        print(f"  {name:30} {statistics.median(walls):.3f} s  {min(walls):.3f} s  CPU {statistics.median(cpus):.3f} s"
              f"{target}")
    print("imports of insday status costing most (cumulative, best run):")
    for name, seconds in imports:
        print(f"  {seconds:.3f} s  {name}")


def timed(argv: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU seconds of ``python ARGV``."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run([sys.executable, *argv], env=env, capture_output=True, text=True)
    elapsed, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return elapsed, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def top_imports(argv: list[str], env: dict, runs: int, shown: int = 12) -> list[tuple[str, float]]:
    """The costliest imports of ``python -X importtime ARGV``: the top level, each followed by
    what it imports directly (indented); the best of ``runs`` each, in the order they happen."""
    best: dict[str, float] = {}
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-X", "importtime", *argv], env=env, capture_output=True, text=True)
        children = []  # importtime prints what a module imports before the module itself
        for line in done.stderr.splitlines():
            if m := re.match(r"import time:\s+\d+ \|\s+(\d+) \| ((?:  )?\S+)$", line):
                if m[2].startswith(" "):
                    children.append((m[2], int(m[1]) / 1e6))
                    continue
                for name, seconds in [(m[2], int(m[1]) / 1e6), *children]:
                    best[name] = min(best.get(name, float("inf")), seconds)
                children = []
    costly = sorted(best, key=best.get, reverse=True)[:shown]
    return [(name, best[name]) for name in best if name in costly]

if __name__ == "__main__":
    main()
