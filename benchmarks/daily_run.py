"""A full `daily_run` for 60 units' files against a running Prefect server, and the same flow
with every task made a no-op (Prefect's own overhead); prints both.

    python benchmarks/daily_run.py [--units 60] [--database-url URL]

Uses PREFECT_API_URL when set, otherwise starts `prefect server start` on a free loopback
port with a throwaway PREFECT_HOME (and stops it after). Each run is a fresh process that
imports the flow and times the flow call (wall and the process's CPU), as a served run would.
Targets: full run under 4 s (issue 20); overhead under a third of it. Also prints how much
of the overhead is the flow-run heartbeat's shutdown (the no-op flow once more with
heartbeats off).
"""

from __future__ import annotations

import os

os.environ.setdefault("INSDAY_CAMPAIGN", "jilin-2019")  # the benchmarked campaign

import argparse
import csv
import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["日期", "单位名称", "参与人数", "步数", "图片数", "视频数", "图片视频链接", "联系人", "联系电话"]
AS_OF = "2019-06-27T10:30"
RECEIVED = datetime(2019, 6, 26, 21, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()


def make_inbox(inbox: Path, units: list) -> None:
    """One daily report per unit for 06-26, in a folder per unit; every third one a GBK CSV."""
    from openpyxl import Workbook

    for i, unit in enumerate(units):
        folder = inbox / unit.code
        folder.mkdir(parents=True)
        row = ["2019-06-26", unit.name, 50 + i, 800_000 + 1000 * i, i % 5, i % 2, "", unit.contact, unit.phone]
        if i % 3 == 0:
            path = folder / f"{unit.short_names[0] if unit.short_names else unit.code}0626.csv"
            with path.open("w", encoding="gbk", newline="") as fh:
                csv.writer(fh).writerows([[f"{unit.name}每日参与情况"], HEADER, row])
        else:
            path = folder / f"{unit.code}-0626.xlsx"
            book = Workbook()
            book.active.append(HEADER)
            book.active.append(row)
            book.save(path)
        os.utime(path, (RECEIVED, RECEIVED))


def child(mode: str) -> None:
    """Run the flow once in this process and print its timing as JSON."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from insday.flows.daily_run import daily_run

    if mode.startswith("noop"):
        import functools
        import importlib
        import pkgutil

        import insday.tasks
        from prefect import Task

        for info in pkgutil.iter_modules(insday.tasks.__path__):
            for task in vars(importlib.import_module(f"insday.tasks.{info.name}")).values():
                if isinstance(task, Task):
                    task.fn = functools.wraps(task.fn)(lambda *args, **kwargs: {})
    heartbeats = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None} if mode == "noop-no-heartbeats" else {}
    with temporary_settings(heartbeats):
        start, cpu = time.perf_counter(), time.process_time()
        state = daily_run(as_of=AS_OF, return_state=True)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    result = state.result(raise_on_failure=False)
    inbox = result.get("collect_inbox", {}) if isinstance(result, dict) else {}
    print(json.dumps({"seconds": elapsed, "cpu": cpu, "state": state.type.value, "accepted": inbox.get("accepted")}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_API_URL": api, "PREFECT_UI_API_URL": api,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port",
                             str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    for _ in range(360):
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return proc, api
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit("the Prefect server did not start within 180 s")


def timed(mode: str, env: dict) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", mode], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{mode} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=60)
    parser.add_argument("--database-url", help="an empty scratch database [default: SQLite in a temp folder]")
    parser.add_argument("--child", choices=["full", "noop", "noop-no-heartbeats"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)

    sys.path.insert(0, str(ROOT))
    from insday.campaign import get_campaign

    server = None
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "INSDAY_HOME": str(tmp / "home"), "PYTHONPATH": str(ROOT),
               "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING",
               "INSDAY_AUTO_APPROVE": "true"}  # the bulletin approved at once, as in a replay: no one to wait for
        if args.database_url:
            env["INSDAY_DATABASE_URL"] = args.database_url
        if not os.environ.get("PREFECT_API_URL"):
            server, env["PREFECT_API_URL"] = start_server(tmp / "prefect")
        try:
            subprocess.run([sys.executable, "-m", "insday", "init"], env=env, check=True, capture_output=True)
            campaign = get_campaign()
            make_inbox(tmp / "home" / "inbox" / campaign.name, list(campaign.units)[: args.units])
            noop = timed("noop", env)
            bare = timed("noop-no-heartbeats", env)
            full = timed("full", env)
        finally:
            if server:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(30)
    if full["state"] != "COMPLETED" or full["accepted"] != args.units:
        raise SystemExit(f"full run did not ingest every file: {full}")
    print(f"daily_run, {args.units} units' files ingested: {full['seconds']:.2f} s ({full['cpu']:.2f} s CPU)  "
          f"(target < 4 s)")
    print(f"baseline, same run: daily_run with its tasks as no-ops (Prefect's overhead): {noop['seconds']:.2f} s "
          f"({noop['cpu']:.2f} s CPU) = {noop['seconds'] / full['seconds']:.0%} of the full run  (target < 33%)")
    print(f"  of which the flow-run heartbeat's shutdown: {noop['seconds'] - bare['seconds']:.2f} s")


if __name__ == "__main__":
    main()
