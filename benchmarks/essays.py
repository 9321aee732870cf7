"""The essay contest at full size: every company returns a complete scoring sheet (62 essays,
from the real template) in one `insday ingest` run, then the vote export, then
`insday essays results --out` writes the ranking, results page and certificates.

    python benchmarks/essays.py [--database-url URL]

Targets (2 cores): all sheets ingested in < 15 s; `essays results --json` < 5 s and
`essays results --out` (with the PDF when Chromium is installed) < 10 s, each one process
including imports. Uses a throwaway INSDAY_HOME and SQLite, or --database-url pointing at
an empty scratch database.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook, load_workbook

os.environ.setdefault("INSDAY_CAMPAIGN", "jilin-2019")  # the benchmarked campaign


def make_sheets(folder: Path, campaign) -> int:
    from insday.templates import DATA_SHEET, write_templates

    [template] = write_templates(campaign, folder / "template", ["scoring_sheet"])
    rng = random.Random(78)
    maxima = [int(c.max) for c in campaign.essays.rubric]
    companies = campaign.members("companies")
    for unit in companies:
        book = load_workbook(template)
        ws = book[DATA_SHEET]
        ws["B2"] = unit.name
        for row in range(4, 4 + len(campaign.essay_list)):
            for col, top in enumerate(maxima, start=4):
                ws.cell(row=row, column=col, value=rng.randint(top // 2, top))
        book.save(folder / "sheets" / f"{unit.code}-打分表.xlsx")
    return len(companies)


def make_votes(path: Path, essay_ids: list[str]) -> None:
    rng = random.Random(8)
    book = Workbook()
    book.active.append(["作品编号", "票数"])
    for essay_id in essay_ids:
        book.active.append([essay_id, rng.randint(100, 20_000)])
    book.save(path)


def timed(env: dict, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "insday", *args], env=env, capture_output=True, text=True)
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    args = parser.parse_args()
    from insday.campaign import get_campaign

    campaign = get_campaign()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "sheets").mkdir()
        companies = make_sheets(tmp, campaign)
        env = {**os.environ, "INSDAY_HOME": str(tmp / "home")}
        if args.database_url:
            env["INSDAY_DATABASE_URL"] = args.database_url
        subprocess.run([sys.executable, "-m", "insday", "init"], env=env, check=True, capture_output=True)

        elapsed, done = timed(env, "ingest", str(tmp / "sheets"), "--json", "--received-at", "2019-06-25T15:00")
        summary = json.loads(done.stdout)
        print(f"insday ingest ({companies} scoring sheets x {len(campaign.essay_list)} essays): {elapsed:.2f} s "
              f"({summary['accepted']} accepted)  (target < 15 s)")

        _, done = timed(env, "essays", "shortlist", "--as-of", "2019-06-26", "--json")
        listed = [e["id"] for rows in json.loads(done.stdout)["categories"].values() for e in rows if e["shortlisted"]]
        make_votes(tmp / "votes.xlsx", listed)
        timed(env, "ingest", str(tmp / "votes.xlsx"), "--received-at", "2019-07-05T09:00")

        elapsed, done = timed(env, "essays", "results", "--as-of", "2019-07-08T18:00", "--json")
        prizes = sum(1 for rows in json.loads(done.stdout)["categories"].values() for e in rows if e["prize"])
        print(f"insday essays results --json: {elapsed:.2f} s ({prizes} prizes decided)  (target < 5 s)")
        elapsed, done = timed(env, "essays", "results", "--as-of", "2019-07-08T18:00", "--out", str(tmp / "out"))
        pdf = (tmp / "out" / "certificates" / "certificates.pdf").exists()
        print(f"insday essays results --out: {elapsed:.2f} s (certificates PDF: {'yes' if pdf else 'no'})  "
              f"(target < 10 s)")


if __name__ == "__main__":
    main()
