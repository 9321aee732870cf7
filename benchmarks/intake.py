"""Ingest 70 daily-report files (xlsx and GBK CSV) in one `insday ingest` run and print the time.

    python benchmarks/intake.py [--database-url URL]

Target: under 10 s on a 2-core machine, GX imported once. Uses a throwaway INSDAY_HOME and
SQLite, or --database-url pointing at an empty scratch database.
"""

from __future__ import annotations

import os

os.environ.setdefault("INSDAY_CAMPAIGN", "jilin-2019")  # the benchmarked campaign

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

HEADER = ["日期", "单位名称", "参与人数", "步数", "图片数", "视频数", "图片视频链接", "联系人", "联系电话"]


def make_files(folder: Path, units: list, n: int = 70) -> None:
    for i in range(n):
        unit = units[i % len(units)]
        day = f"2019-06-{25 + i // len(units)}"
        row = [day, unit.name, 50 + i, 800_000 + 1000 * i, i % 5, i % 2, "", unit.contact, unit.phone]
        if i % 3 == 0:
            with (folder / f"{i:02d}-{unit.code}.csv").open("w", encoding="gbk", newline="") as fh:
                w = csv.writer(fh)
                w.writerow([f"{unit.name}每日参与情况"])
                w.writerow(HEADER)
                w.writerow(row)
        else:
            book = Workbook()
            book.active.append(HEADER)
            book.active.append(row)
            book.save(folder / f"{i:02d}-{unit.code}.xlsx")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    args = parser.parse_args()
    from insday.campaign import get_campaign

    with tempfile.TemporaryDirectory() as tmp:
        home, inbox = Path(tmp) / "home", Path(tmp) / "files"
        inbox.mkdir()
        make_files(inbox, list(get_campaign().units))
        env = {**os.environ, "INSDAY_HOME": str(home)}
        if args.database_url:
            env["INSDAY_DATABASE_URL"] = args.database_url
        subprocess.run([sys.executable, "-m", "insday", "init"], env=env, check=True, capture_output=True)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "insday", "ingest", str(inbox), "--json",
                               "--received-at", "2019-06-26T20:00"], env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        import json

        summary = json.loads(done.stdout)
        print(f"ingested {len(summary['files'])} files: {summary['accepted']} accepted, "
              f"{summary['rejected']} rejected, {summary['duplicate']} duplicate")
        print(f"insday ingest (70 files, one process incl. imports): {elapsed:.2f} s  (target < 10 s)")


if __name__ == "__main__":
    main()
