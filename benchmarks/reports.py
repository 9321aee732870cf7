"""Time the report types end to end, each step one `insday` process (imports included):

    python benchmarks/reports.py [--database-url URL] [--responses 3000] [--bundle-mb 200]

1. ingest 54 indicator files; 2. `insday whitepaper`; 3. ingest a survey export of N
responses (GBK CSV); 4. `insday survey report`; 5. ingest one campaign-summary zip of
about M MB (incompressible "videos" and photos). Uses a throwaway INSDAY_HOME and SQLite,
or --database-url pointing at an empty scratch database.
"""

from __future__ import annotations

import os

os.environ.setdefault("INSDAY_CAMPAIGN", "jilin-2019")  # the benchmarked campaign

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from openpyxl import Workbook

INDICATORS = ["单位名称", "赔款支出(万元)", "纳税额(万元)", "员工人数", "代理人数", "扶贫保障金额(万元)", "扶贫覆盖人数"]
SURVEY = ["答卷编号", "提交时间", "被评价公司", "理赔服务", "销售服务", "柜面服务", "电话服务", "总体满意度", "意见建议"]


def run(env: dict, *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "insday", *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr)
    return elapsed, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--responses", type=int, default=3000)
    parser.add_argument("--bundle-mb", type=int, default=200)
    args = parser.parse_args()
    from insday.campaign import get_campaign

    companies = get_campaign().members("companies")
    rng = random.Random(78)
    with tempfile.TemporaryDirectory() as tmp:
        home, files = Path(tmp) / "home", Path(tmp) / "files"
        (files / "indicators").mkdir(parents=True)
        env = {**os.environ, "INSDAY_HOME": str(home)}
        if args.database_url:
            env["INSDAY_DATABASE_URL"] = args.database_url
        subprocess.run([sys.executable, "-m", "insday", "init"], env=env, check=True, capture_output=True)

        for unit in companies:
            book = Workbook()
            book.active.append(INDICATORS)
            book.active.append([unit.name, rng.randint(1000, 300000), rng.randint(100, 50000), rng.randint(50, 3000),
                                rng.randint(0, 40000), rng.randint(0, 2000000), rng.randint(0, 400000)])
            book.save(files / "indicators" / f"{unit.code}.xlsx")
        with (files / "survey.csv").open("w", encoding="gbk", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(SURVEY)
            for n in range(1, args.responses + 1):
                unit = rng.choice(companies)
                writer.writerow([n, f"2019-04-{rng.randint(1, 30):02d} {rng.randint(8, 22)}:{rng.randint(0, 59):02d}",
                                 unit.name, *[rng.choice([3, 4, 4, 5, 5]) for _ in range(5)], ""])
        bundle = files / "人保财险活动总结.zip"
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as book:
            book.writestr("活动方案.docx", os.urandom(200_000))
            book.writestr("活动总结.docx", os.urandom(300_000))
            for i in range(40):
                book.writestr(f"照片/IMG_{i:03d}.jpg", os.urandom(1_000_000))
            for i in range(max(1, (args.bundle_mb - 40) // 50)):
                book.writestr(f"视频/video{i}.mp4", os.urandom(50_000_000))

        at = "--received-at"
        steps = [
            (f"ingest {len(companies)} indicator files", ["ingest", str(files / "indicators"), at, "2019-07-02T10:00",
                                                          "--json"]),
            ("whitepaper (xlsx, md, html, 4 charts)", ["whitepaper", "--out", str(Path(tmp) / "wp"), "--json"]),
            (f"ingest survey export ({args.responses} responses, GBK CSV)",
             ["ingest", str(files / "survey.csv"), at, "2019-05-02T09:00", "--json"]),
            ("survey report (xlsx, md, html, 2 charts)", ["survey", "report", "--out", str(Path(tmp) / "s"), "--json"]),
            (f"ingest summary zip ({bundle.stat().st_size / 1e6:.0f} MB)",
             ["ingest", str(bundle), at, "2019-07-12T10:00", "--json"]),
        ]
        for title, command in steps:
            elapsed, output = run(env, *command)
            payload = json.loads(output)
            outcome = f"{payload['accepted']} accepted, {payload['rejected']} rejected" if "accepted" in payload \
                else "written"
            print(f"{title}: {elapsed:.2f} s ({outcome})")


if __name__ == "__main__":
    main()
