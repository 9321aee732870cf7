"""Send 500 reminders to a local aiosmtpd server in one `insday remind` run and print the time.

    python benchmarks/mail.py [--postgres URL]

The campaign is the shipped one with a roster of 500 member companies, none of which has
returned its scoring sheet: at 2019-06-25 14:00 each gets the 2-hour reminder, with the
blank scoring sheet (62 essays) attached. Timed: the whole command (start-up, status,
rendering, queueing in the outbox, one SMTP connection, 500 deliveries).
Target: under 2 s on a 2-core machine (issue 20). Printed next to it, measured in the same run
against the same server: a bare smtplib client in a fresh Python sending 500 copies of one of
those messages over one connection (the floor of the SMTP part). SQLite by default;
--postgres takes a server URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)
and uses a scratch database created and dropped there.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

UNITS = 500


def make_campaign(folder: Path) -> None:
    from insday.paths import SHIPPED_CAMPAIGN

    shutil.copytree(SHIPPED_CAMPAIGN, folder)
    with (SHIPPED_CAMPAIGN / "units.csv").open(encoding="utf-8") as fh:
        shipped = [r for r in csv.DictReader(fh) if r["kind"] in ("property", "life")]
    with (folder / "units.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(shipped[0]))
        w.writeheader()
        w.writerows(shipped)
        for i in range(UNITS - len(shipped)):
            w.writerow({"code": f"X{i:03d}", "name": f"测试保险股份有限公司第{i}吉林分公司", "short_names": f"测试{i}号",
                        "kind": "property", "contact": f"联系人{i}", "email": f"contact{i}@unit{i}.example.org",
                        "phone": "0431-85000312"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Count:
    def __init__(self):
        self.n = 0
        self.sample: bytes | None = None  # the first message received, for the bare client

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        self.sample = self.sample or envelope.original_content
        return "250 OK"


BARE = """import smtplib, sys
port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
data = open(path, "rb").read()
with smtplib.SMTP("127.0.0.1", port) as smtp:
    for i in range(n):
        smtp.sendmail("insday@jiaia.example.org", [f"contact{i}@unit{i}.example.org"], data)
"""


def timed(command: list[str], env: dict | None = None) -> tuple[subprocess.CompletedProcess, float, float]:
    """A child process run to its end: (it, wall seconds, CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return done, elapsed, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def scratch_postgres(url: str, name: str, drop: bool = False) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not drop:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="PostgreSQL server URL; a scratch database is created there")
    args = parser.parse_args()
    from aiosmtpd.controller import Controller

    handler, port = Count(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    scratch = f"insday_bench_mail_{os.getpid()}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            make_campaign(Path(tmp) / "campaign")
            env = {**os.environ, "INSDAY_HOME": str(Path(tmp) / "home"), "INSDAY_CAMPAIGN": str(Path(tmp) / "campaign"),
                   "INSDAY_SMTP_HOST": "127.0.0.1", "INSDAY_SMTP_PORT": str(port),
                   "INSDAY_SMTP_FROM": "insday@jiaia.example.org"}
            if args.postgres:
                env["INSDAY_DATABASE_URL"] = scratch_postgres(args.postgres, scratch)
            subprocess.run([sys.executable, "-m", "insday", "init"], env=env, check=True, capture_output=True)
            done, elapsed, cpu = timed([sys.executable, "-m", "insday", "remind", "--as-of", "2019-06-25T14:00",
                                        "--json"], env)
            received = handler.n
            sample = Path(tmp) / "sample.eml"
            sample.write_bytes(handler.sample or b"")
            bare, bare_elapsed, bare_cpu = timed([sys.executable, "-c", BARE, str(port), str(sample), str(UNITS)])
    finally:
        controller.stop()
        if args.postgres:
            scratch_postgres(args.postgres, scratch, drop=True)
    if done.returncode != 0:
        sys.exit(f"insday remind failed ({done.returncode}):\n{done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    delivery = report["delivery"]
    print(f"{report['counts']['queued']} queued, {delivery['sent']} sent, {received} received by the server, "
          f"{len(report['unreachable'])} unreachable")
    print(f"insday remind: {elapsed:.2f} s wall, {cpu:.2f} s CPU ({'PostgreSQL' if args.postgres else 'SQLite'}); "
          f"target < 2 s")
    if bare.returncode:
        sys.exit(f"the bare client failed:\n{bare.stderr[-2000:]}")
    print(f"baseline, same run: a bare smtplib client sending {UNITS} copies of one of them "
          f"({len(handler.sample or b'') // 1024} KB): {bare_elapsed:.2f} s wall, {bare_cpu:.2f} s CPU")
    if received != UNITS:
        sys.exit(f"expected {UNITS} messages at the server, got {received}")


if __name__ == "__main__":
    main()
