"""Faults and load: each case runs real `insday` processes against real servers, injects a
fault at a random moment, reruns, and counts what users rely on.

    python benchmarks/faults.py [--times 20] [--cases collect,mail,...] [--postgres URL]
                                [--files 500] [--mails 500] [--records 300000] [--fuzz 30] [--seed N]

Cases (each trial starts from the same prepared state, copied):

- ``collect``: `insday collect` over an inbox of FILES report files (xlsx and GBK CSV, all
  different), SIGKILLed at a random moment, then rerun. Every file must be stored once
  (submissions by hash), be in processed/ once, and the inbox must be empty.
- ``mail``: `insday remind` queueing and sending MAILS reminders (a roster of MAILS units)
  to a real aiosmtpd server in its own process, which records every Message-ID it
  acknowledges (250); SIGKILLed, then rerun. Every message must be acknowledged once; the
  one whose send was cut (claimed, fate unknown) is not sent again (at most once) but flagged
  for a person (``in doubt``: `insday outbox`), and counts as lost only if it is neither.
- ``steps``: `insday steps import` of a RECORDS-record donation export, SIGKILLed, rerun. The
  import must be recorded once with every record, its tables equal to an uninterrupted import's.
- ``bulletin``: `insday bulletin --send` of 2019-06-26 (auto-approved), SIGKILLed, rerun. The
  published folder must hold every file, complete, and its email be queued once per recipient.
- ``fuzz``: FUZZ mutated report files per round in one `insday ingest` (every file answered,
  no reader broken).
- ``overlap-collect``, ``overlap-mail``: the collect and mail cases with two processes started
  at once instead of a kill (a manual command during a scheduled run).
- ``smtp``: the mail case with a server that, for about 3 % of the messages, receives the
  message and then drops the connection, or never replies (INSDAY_SMTP_TIMEOUT=1), before its
  250; then `insday send` with the server well. Every message acknowledged once.
- ``pg-restart`` (with --postgres): the collect case, but at the random moment the server cuts
  every connection of the run (pg_terminate_backend, as a restart does) instead of a kill.
- ``prefect``: `daily_run` as a flow process (what a served or deployed run is) against a real
  Prefect server (as of 2019-06-25 14:00: 63 report files in the inbox, their receipts, the
  scoring sheets' reminders, to the counting SMTP server); the server is SIGKILLed at a random
  moment and started again 1-20 s later. The run completes or fails; a second run must
  complete: every file stored once, every message acknowledged once.

Secrets: INSDAY_SMTP_PASSWORD, INSDAY_IMAP_PASSWORD (and, with --postgres, a password in
the database URL) are set for every process; every stdout, stderr and file written is
searched for them. A crash is a rerun that fails (an exit code other than 0 and 1, or a traceback).

Prints one table; exit 1 unless every count but cases (and the informative columns: in
doubt, hit mid-run) is 0.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

SECRETS = {"INSDAY_SMTP_PASSWORD": "faults-Smtp-Secret-51", "INSDAY_IMAP_PASSWORD": "faults-Imap-Secret-62"}
DB_SECRET = "faults-Db-Secret-73"
COLUMNS = ["cases", "crashes", "files lost", "files doubled", "mails lost", "mails doubled", "secrets leaked"]
FROM = "insday@jiaia.example.org"

COUNTER = r'''
import asyncio, random, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from email import message_from_bytes

out, control = open(sys.argv[2], "a", buffering=1), sys.argv[3]

class Count:
    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content or envelope.content)
        mid = msg.get("Message-ID") or "?"
        fault, _, share = open(control).read().partition(" ")
        if fault and random.random() < float(share):  # received whole, but no 250
            out.write("unanswered " + mid + "\n")
            if fault == "drop":
                server.transport.abort()
            await asyncio.sleep(3600)  # "hang": the client times out
        out.write("ack " + mid + "\n")
        return "250 OK"

def auth(server, session, envelope, mechanism, data):
    return AuthResult(success=True)

c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]), authenticator=auth, auth_require_tls=False)
c.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
'''

DAILY_RUN = ("import sys\nfrom insday.flows.daily_run import daily_run\n"
             "state = daily_run(as_of=sys.argv[1], return_state=True)\n"
             "print('flow run:', state.type.value, state.message)\nsys.exit(0 if state.is_completed() else 3)\n")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def argv(args: list[str]) -> list[str]:
    """``insday args``, or ``python -c CODE ...`` when args start with "-c"."""
    return [sys.executable, *args] if args[0] == "-c" else [sys.executable, "-m", "insday", *args]


class World:
    """Where a case runs: a campaign, INSDAY_HOME and a database; prepared once, copied per trial."""

    def __init__(self, root: Path, name: str, postgres: str | None, campaign: Path | None = None):
        from insday.paths import SHIPPED_CAMPAIGN

        self.root, self.name, self.postgres = root / name, name, postgres
        self.campaign = campaign or SHIPPED_CAMPAIGN
        self.template = self.root / "template"
        self.template.mkdir(parents=True)
        self.db_name = f"insday_faults_{name.replace('-', '_')}_{os.getpid()}"
        self.said: list[str] = []

    def folder(self, home: Path, name: str) -> Path:
        """The campaign's own folder ``name`` of INSDAY_HOME: inbox/<campaign>/, public/<campaign>/ ..."""
        from insday.campaign import get_campaign

        return home / name / get_campaign(self.campaign).name

    @property
    def inbox(self) -> Path:
        return self.folder(self.template, "inbox")

    def url(self, home: Path, db: str) -> str:
        if self.postgres:
            from sqlalchemy.engine import make_url

            return make_url(self.postgres).set(database=db, password=DB_SECRET).render_as_string(hide_password=False)
        return f"sqlite:///{home / 'insday.db'}"

    def env(self, home: Path, db: str, **extra) -> dict:
        return {**os.environ, "PYTHONPATH": str(ROOT), "INSDAY_HOME": str(home), "INSDAY_CAMPAIGN": str(self.campaign),
                "INSDAY_DATABASE_URL": self.url(home, db), "INSDAY_AUTO_APPROVE": "true", **SECRETS,
                "INSDAY_INBOX_SETTLE_SECONDS": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **extra}

    def admin(self, sql: str) -> None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        admin = create_engine(make_url(self.postgres).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(sql))
        admin.dispose()

    def prepare(self, **extra) -> dict:
        if self.postgres:
            self.admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            self.admin(f'CREATE DATABASE "{self.db_name}"')
        env = self.env(self.template, self.db_name, **extra)
        self.insday(["init"], env)
        return env

    def trial(self, n: int, **extra) -> tuple[Path, dict]:
        """A copy of the template: its own INSDAY_HOME and database."""
        home = self.root / f"trial-{n}"
        shutil.copytree(self.template, home, symlinks=True)
        db = f"{self.db_name}_{n}"
        if self.postgres:
            self.admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            self.admin(f'CREATE DATABASE "{db}" TEMPLATE "{self.db_name}"')
        return home, self.env(home, db, **extra)

    def done(self, n: int) -> None:
        shutil.rmtree(self.root / f"trial-{n}", ignore_errors=True)
        if self.postgres:
            self.admin(f'DROP DATABASE IF EXISTS "{self.db_name}_{n}" WITH (FORCE)')

    def close(self) -> None:
        if self.postgres:
            self.admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def start(self, args: list[str], env: dict) -> subprocess.Popen:
        return subprocess.Popen(argv(args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=ROOT)

    def insday(self, args: list[str], env: dict, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(argv(args), env=env, capture_output=True, text=True, cwd=ROOT, timeout=3600)
        self.said += [done.stdout, done.stderr]
        if check and done.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
        return done

    def ended(self, proc: subprocess.Popen, args: list[str], what: str) -> bool:
        """Wait for ``proc`` to end; False (said on stderr) if it crashed: an exit code other than
        0 and 1 (1: some input refused, said why) or a traceback."""
        out, err = proc.communicate(timeout=3600)
        self.said += [out, err]
        crashed = proc.returncode not in (0, 1) or "Traceback" in err
        if crashed:
            print(f"  crash ({what}): {' '.join(args)[:80]} exited {proc.returncode}: {err[-1500:]}", file=sys.stderr)
        return not crashed

    def interrupted(self, args: list[str], env: dict, after: float, fault=None) -> tuple[bool, int | None]:
        """Start ``args``; ``after`` seconds in, SIGKILL it (or call ``fault(env)`` and let it end).
        (Whether it was still running then, its exit code; None: it hung, killed after 15 minutes.)"""
        proc = self.start(args, env)
        try:
            proc.wait(after)
            hit = False
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL) if fault is None else fault(env)
            hit = True
        try:
            out, err = proc.communicate(timeout=900)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            print(f"  hung after the fault: {' '.join(args)[:80]}: {err[-1500:]}", file=sys.stderr)
            return hit, None
        self.said += [out, err]
        if fault and hit and proc.returncode not in (0, 1):
            last = err.strip().splitlines()[-1:] or ["(nothing on stderr)"]
            print(f"  failed at the fault, exit {proc.returncode}: {last[0][:300]}", file=sys.stderr)
        return hit, proc.returncode

    def scalars(self, env: dict, sql: str) -> list:
        from sqlalchemy import create_engine, text

        engine = create_engine(env["INSDAY_DATABASE_URL"])
        with engine.connect() as conn:
            rows = conn.execute(text(sql)).all()
        engine.dispose()
        return [r[0] if len(r) == 1 else tuple(r) for r in rows]

    def leaked(self, home: Path, *logs: Path) -> int:
        secrets = [*SECRETS.values(), DB_SECRET]
        texts = list(self.said)
        for path in [*home.rglob("*"), *logs]:
            if path.is_file() and path.suffix not in (".db", ".db-wal", ".db-shm"):
                texts.append(path.read_bytes().decode("utf-8", "replace"))
        self.said = []
        return sum(1 for t in texts for s in secrets if s in t)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----- the loop ---------------------------------------------------------------------------


def uninterrupted(world: World, args: list[str], extra: dict, measure=None) -> tuple[float, object]:
    """How long an uninterrupted run takes (faults are drawn from 0.2 s to this), and what
    ``measure(home, env)`` finds after it."""
    home, env = world.trial(-1, **extra)
    started = time.monotonic()
    world.insday(args, env)
    took = time.monotonic() - started
    found = measure(home, env) if measure else None
    world.done(-1)
    return took, found


def trials(world: World, times: int, rnd: random.Random, args: list[str], check, *, extra: dict | None = None,
           estimate: float | None = None, fault=None, overlap: bool = False, before=None, between=None,
           rerun=None) -> Counter:
    """``times`` trials, each from the prepared template: ``args`` hit at a random moment from
    0.2 s to ``estimate`` (SIGKILL, or ``fault(env)``; ``estimate`` None: run to its end), then
    ``rerun`` (default ``args``) to its end; or, with ``overlap``, two copies at once. Then
    ``check(home, env, row)`` counts what was lost or doubled. ``before()`` runs first,
    ``between()`` between the two runs."""
    extra = extra or {}
    row = Counter()
    for n in range(times):
        home, env = world.trial(n, **extra)
        row["cases"] += 1
        if before:
            before()
        if overlap:
            runs = [world.start(args, env) for _ in range(2)]
            row["crashes"] += sum(not world.ended(proc, args, "two at once") for proc in runs)
        else:
            if estimate is None:
                done = world.insday(args, env, check=False)
                if done.returncode not in (0, 1):
                    print(f"  the first run exited {done.returncode}: {done.stderr[-500:]}", file=sys.stderr)
            else:
                hit, code = world.interrupted(args, env, rnd.uniform(0.2, estimate), fault)
                row["hit mid-run"] += hit
                row["crashes"] += code is None
                if fault and hit:  # informative: the run stopped (said why) rather than rode the fault out
                    row["failed at the fault"] += code not in (0, 1)  # 1: some input refused
            if between:
                between()
            row["crashes"] += not world.ended(world.start(rerun or args, env), rerun or args, "rerun")
        check(home, env, row)
        row["secrets leaked"] += world.leaked(home)
        world.done(n)
    return row


def check_files(world: World, expected: set[str]):
    """Every file of ``expected`` (hashes) stored once, in processed/ once, the inbox empty."""

    def check(home: Path, env: dict, row: Counter) -> None:
        stored = Counter(world.scalars(env, "SELECT sha256 FROM submissions"))
        moved = Counter(sha(p) for p in (home / "processed").rglob("*") if p.is_file())
        left = [p for p in (home / "inbox").rglob("*") if p.is_file()]
        row["files lost"] += len(expected - set(stored)) + len(expected - set(moved)) + len(left)
        row["files doubled"] += sum(c - 1 for c in stored.values()) + sum(c - 1 for c in moved.values())
    return check


class Smtp:
    """The counting aiosmtpd server, in its own process: what it answered since ``reset()``;
    ``misbehave("drop"|"hang", share)`` for a share of the messages."""

    def __init__(self, root: Path):
        self.port, self.seen, self.control = free_port(), root / "smtp-seen.txt", root / "smtp-control.txt"
        self.control.write_text("")
        self.proc = subprocess.Popen([sys.executable, "-c", COUNTER, str(self.port), str(self.seen), str(self.control)],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"
        self.env = {"INSDAY_SMTP_HOST": "127.0.0.1", "INSDAY_SMTP_PORT": str(self.port), "INSDAY_SMTP_USER": "insday",
                    "INSDAY_SMTP_FROM": FROM}

    def reset(self) -> None:
        self.seen.write_text("")
        self.misbehave("", 0)

    def misbehave(self, how: str, share: float) -> None:
        self.control.write_text(f"{how} {share}" if how else "")

    def answered(self) -> tuple[Counter, int]:
        """The Message-IDs acknowledged (250), and how many messages got no 250 (dropped or hung)."""
        time.sleep(0.5)  # the server writes what it did
        lines = [line.split(" ", 1) for line in self.seen.read_text().splitlines()]
        return Counter(mid for kind, mid in lines if kind == "ack"), sum(1 for kind, _ in lines if kind == "unanswered")

    def check(self, world: World, reminders: int | None = None):
        """Every outbox message acknowledged once, but those in doubt (a killed run was sending
        them: never resent, flagged for a person); with ``reminders``, that many queued."""
        from insday.mail.delivery import message_id

        def check(home: Path, env: dict, row: Counter) -> None:
            got, unanswered = self.answered()
            row["no 250 (dropped, hung)"] += unanswered
            rows = world.scalars(env, "SELECT key, status, last_error FROM outbox")
            ids = {key: message_id(key, FROM) for key, *_ in rows}
            in_doubt = {key for key, status, error in rows if status == "failed" and error and "结果未知" in error}
            row["in doubt: arrived"] += sum(1 for key in in_doubt if got[ids[key]])
            row["in doubt: not arrived"] += sum(1 for key in in_doubt if not got[ids[key]])
            queued = sum(1 for key, *_ in rows if key.startswith("reminder:"))
            unqueued = abs(reminders - queued) if reminders is not None else 0
            lost = [(key, status, error) for key, status, error in rows if not got[ids[key]] and key not in in_doubt]
            if lost or unqueued:
                print(f"  {world.name}: {queued} reminders queued; not at the server: {lost[:5]}", file=sys.stderr)
            row["mails lost"] += unqueued + len(lost)
            row["mails doubled"] += sum(c - 1 for c in got.values() if c > 1)
            self.reset()
        return check

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def both(*checks):
    """One check doing each of ``checks``."""
    def check(home, env, row):
        for c in checks:
            c(home, env, row)
    return check


# ----- the cases --------------------------------------------------------------------------


def make_reports(folder: Path, n: int) -> None:
    from openpyxl import Workbook

    from insday.campaign import get_campaign
    from insday.paths import SHIPPED_CAMPAIGN

    header = ["日期", "单位名称", "参与人数", "步数", "图片数", "视频数", "图片视频链接", "联系人", "联系电话"]
    campaign = get_campaign(SHIPPED_CAMPAIGN)
    units = [u for u in campaign.units]
    days = [f"2019-06-{d:02d}" for d in range(20, 31)] + [f"2019-07-{d:02d}" for d in range(1, 13)]
    for i in range(n):
        unit, day = units[i % len(units)], days[i // len(units) % len(days)]
        row = [day, unit.name, 50 + i, 800_000 + 1000 * i, i % 5, i % 2, "", unit.contact, unit.phone]
        path = folder / unit.code / f"{day}-{i}.{'csv' if i % 3 == 0 else 'xlsx'}"
        path.parent.mkdir(parents=True, exist_ok=True)
        if i % 3 == 0:
            with path.open("w", encoding="gbk", newline="") as fh:
                csv.writer(fh).writerows([header, row])
        else:
            book = Workbook()
            book.active.append(header)
            book.active.append(row)
            book.save(path)


def collect_world(world: World, files: int) -> set[str]:
    """An inbox of ``files`` report files, all older than the settle time; their hashes."""
    world.prepare()
    make_reports(world.inbox, files)
    old = time.time() - 86_400
    for p in world.inbox.rglob("*"):
        os.utime(p, (old, old))
    expected = {sha(p) for p in world.inbox.rglob("*") if p.is_file()}
    assert len(expected) == files
    return expected


def case_collect(world: World, opts, rnd: random.Random, overlap: bool = False, fault=None) -> Counter:
    expected = collect_world(world, opts.files)
    args = ["collect", "--json"]
    estimate, _ = uninterrupted(world, args, {})
    return trials(world, opts.times, rnd, args, check_files(world, expected), estimate=estimate, fault=fault,
                  overlap=overlap)


def case_mail(world: World, opts, rnd: random.Random, overlap: bool = False, smtp_fault: bool = False) -> Counter:
    smtp = Smtp(world.root)
    try:
        extra = {**smtp.env, "INSDAY_SMTP_TIMEOUT": "1"}
        world.prepare(**extra)
        with (world.campaign / "units.csv").open(encoding="utf-8") as fh:  # every company gets one
            mails = sum(1 for r in csv.DictReader(fh) if r["kind"] in ("property", "life"))
        remind = ["remind", "--as-of", "2019-06-25T14:00", "--json"]
        if smtp_fault:  # no kill: the server drops or hangs on some messages, then is well for `insday send`
            return trials(world, opts.times, rnd, remind, smtp.check(world, mails), extra=extra,
                          before=lambda: smtp.misbehave(rnd.choice(["drop", "hang"]), 0.03),
                          between=lambda: smtp.misbehave("", 0), rerun=["send", "--json"])
        estimate, _ = uninterrupted(world, remind, extra)
        smtp.reset()
        return trials(world, opts.times, rnd, remind, smtp.check(world, mails), extra=extra, estimate=estimate,
                      overlap=overlap)
    finally:
        smtp.stop()


def case_fuzz(world: World, opts, rnd: random.Random) -> Counter:
    """Mutated report files (byte flips, truncations, inserted junk, other encodings) in one
    `insday ingest`: every file must get an answer (accepted or a Chinese rejection); a reader
    that broke on one (the generic "文件无法解析（Error）") or a failed process is a crash."""
    times, files = opts.times, opts.fuzz
    env = world.prepare()
    source = world.root / "good"
    make_reports(source, 60)
    good = sorted(p for p in source.rglob("*") if p.is_file())
    row = Counter()
    for n in range(times):
        folder = world.root / f"fuzz-{n}"
        folder.mkdir()
        for i in range(files):
            src = rnd.choice(good)
            data = bytearray(src.read_bytes())
            how = rnd.choice(["flip", "truncate", "junk", "encoding", "zero"])
            if how == "flip":
                for _ in range(rnd.randint(1, 20)):
                    data[rnd.randrange(len(data))] = rnd.randrange(256)
            elif how == "truncate":
                data = data[:rnd.randrange(len(data))]
            elif how == "junk":
                at = rnd.randrange(len(data))
                data[at:at] = os.urandom(rnd.randint(1, 512))
            elif how == "encoding" and src.suffix == ".csv":
                data = bytearray(data.decode("gbk").encode(rnd.choice(["utf-16", "utf-16-le", "utf-32", "big5"]),
                                                           errors="replace"))
            else:
                data[rnd.randrange(len(data)):] = b"\0" * rnd.randint(1, 64)
            (folder / f"{i:03d}-{src.name}").write_bytes(bytes(data))
        row["cases"] += files
        done = world.insday(["ingest", str(folder), "--received-at", "2019-06-27T09:00", "--json"], env, check=False)
        if done.returncode not in (0, 1):  # (a reader's error is logged with its traceback: counted below)
            row["crashes"] += files
            print(f"  fuzz: insday ingest exited {done.returncode}: {done.stderr[-1500:]}", file=sys.stderr)
            continue
        answers = json.loads(done.stdout)["files"]
        row["files lost"] += files - len(answers)
        broke = [a for a in answers if any("文件无法解析（" in e["message"] for e in a.get("errors", []))]
        row["crashes"] += len(broke)
        for a in broke[:3]:
            print(f"  fuzz: a reader broke on {a['path']}: {a['errors'][0]['message']}", file=sys.stderr)
        shutil.rmtree(folder)
    row["secrets leaked"] += world.leaked(world.template)
    return row




def _complete(folder: Path) -> bool:
    from openpyxl import load_workbook

    try:
        json.loads((folder / "bulletin.json").read_text(encoding="utf-8"))
        load_workbook(folder / "bulletin.xlsx", read_only=True).close()
        return (folder / "index.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    except Exception:
        return False


def case_pg_restart(world: World, opts, rnd: random.Random) -> Counter:
    """The collect case; at the random moment the server cuts every connection to the run's database."""
    from sqlalchemy.engine import make_url

    def cut(env: dict) -> None:
        db = make_url(env["INSDAY_DATABASE_URL"]).database
        world.admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'")

    return case_collect(world, opts, rnd, fault=cut)


def case_steps(world: World, opts, rnd: random.Random) -> Counter:
    from insday.campaign import get_campaign
    from steps import generate

    world.prepare()
    data = world.root / "data"
    data.mkdir()
    whole, days = generate(opts.records, data, get_campaign(world.campaign))
    for d in days:
        d.unlink()

    def fingerprint(home, env):
        return (world.scalars(env, "SELECT count(*), sum(records), sum(accepted) FROM step_imports"),
                world.scalars(env, "SELECT count(*), sum(steps), sum(donations) FROM step_region_days"),
                world.scalars(env, "SELECT count(*) FROM step_participants"))

    def check(home, env, row):
        got = fingerprint(home, env)
        if got != reference:
            doubled = got[0][0][0] > reference[0][0][0] or (got[1][0][1] or 0) > (reference[1][0][1] or 0)
            row["files doubled" if doubled else "files lost"] += 1
            print(f"  steps: {got} != {reference}", file=sys.stderr)

    args = ["steps", "import", str(whole), "--received-at", "2019-07-13T09:00", "--json"]
    estimate, reference = uninterrupted(world, args, {}, fingerprint)
    return trials(world, opts.times, rnd, args, check, estimate=estimate)


def case_bulletin(world: World, opts, rnd: random.Random) -> Counter:
    env = world.prepare()
    make_reports(world.root / "reports", 63)
    world.insday(["ingest", str(world.root / "reports"), "--received-at", "2019-06-26T21:00"], env)
    args = ["bulletin", "--date", "2019-06-26", "--send"]

    def published(home, env):
        folder = world.folder(home, "public") / "2019-06-26"
        files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) if folder.exists() else []
        return files, world.scalars(env, "SELECT to_addr FROM outbox WHERE kind = 'bulletin'")

    def check(home, env, row):
        files, queued = published(home, env)
        complete = files == reference[0] and _complete(world.folder(home, "public") / "2019-06-26")
        stray = [p for p in (home / "public").rglob("*") if p.name.startswith(".") or p.suffix in (".tmp", ".part")]
        row["files lost"] += 0 if complete else 1
        row["files doubled"] += len(stray)
        row["mails lost"] += len(set(reference[1]) - set(queued))
        row["mails doubled"] += len(queued) - len(set(queued))

    estimate, reference = uninterrupted(world, args, {}, published)
    assert reference[0] and reference[1], "the uninterrupted run published or queued nothing"
    return trials(world, opts.times, rnd, args, check, estimate=estimate)


class PrefectServer:
    """`prefect server start` on a free loopback port (SQLite under ``root``), in its own session."""

    def __init__(self, root: Path):
        self.root, self.port = root, free_port()
        self.api = f"http://127.0.0.1:{self.port}/api"
        self.log = root / "prefect-server.log"
        self.start()

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env.update(PREFECT_HOME=str(self.root / "prefect-server"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                          "--port", str(self.port)], env=env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        give_up = time.monotonic() + 300
        while time.monotonic() < give_up:
            try:
                with urllib.request.urlopen(f"{self.api}/health", timeout=5):
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"the Prefect server did not start: {self.log.read_text(errors='replace')[-2000:]}")

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def case_prefect(world: World, opts, rnd: random.Random) -> Counter:
    """daily_run with its Prefect server SIGKILLed at a random moment and started again 1-20 s later."""
    smtp = Smtp(world.root)
    server = None
    try:
        server = PrefectServer(world.root)
        extra = {**smtp.env, "PREFECT_API_URL": server.api, "PREFECT_HOME": str(world.root / "prefect-client")}
        world.prepare(**extra)
        make_reports(world.inbox, 63)
        sent = datetime(2019, 6, 24, 21, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
        for p in world.inbox.rglob("*"):
            os.utime(p, (sent, sent))
        expected = {sha(p) for p in world.inbox.rglob("*") if p.is_file()}
        args = ["-c", DAILY_RUN, "2019-06-25T14:00"]

        def restart(env: dict) -> None:
            server.kill()
            time.sleep(rnd.uniform(1, 20))
            server.start()

        estimate, _ = uninterrupted(world, args, extra)
        smtp.reset()
        row = trials(world, opts.times, rnd, args, both(check_files(world, expected), smtp.check(world)),
                     extra=extra, estimate=estimate, fault=restart)
        row["secrets leaked"] += world.leaked(world.root / "prefect-client", server.log)
        return row
    finally:
        if server:
            server.kill()
        smtp.stop()


CASES = {
    "collect": case_collect,
    "mail": case_mail,
    "steps": case_steps,
    "bulletin": case_bulletin,
    "fuzz": case_fuzz,
    "overlap-collect": lambda world, opts, rnd: case_collect(world, opts, rnd, overlap=True),
    "overlap-mail": lambda world, opts, rnd: case_mail(world, opts, rnd, overlap=True),
    "smtp": lambda world, opts, rnd: case_mail(world, opts, rnd, smtp_fault=True),
    "pg-restart": case_pg_restart,
    "prefect": case_prefect,
}
BIG_ROSTER = ("mail", "overlap-mail", "smtp")  # a roster of --mails units


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=20, help="trials per case (default 20)")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated, of: " + ", ".join(CASES))
    parser.add_argument("--fuzz", type=int, default=30, help="mutated files per fuzz round (one round per --times)")
    parser.add_argument("--postgres", help="PostgreSQL server URL (scratch databases are created there); "
                                           "default SQLite")
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--mails", type=int, default=500)
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=None)
    opts = parser.parse_args()
    seed = opts.seed if opts.seed is not None else random.randrange(10**6)
    rnd = random.Random(seed)
    results: dict[str, Counter] = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="insday-faults-") as tmp:
        root = Path(tmp)
        for case in opts.cases.split(","):
            if case not in CASES:
                sys.exit(f"unknown case {case!r}; the cases: {', '.join(CASES)}")
            if case == "pg-restart" and not opts.postgres:
                print("  pg-restart: skipped (needs --postgres)", file=sys.stderr)
                continue
            t = time.monotonic()
            campaign = None
            if case in BIG_ROSTER:
                import mail as mail_bench

                mail_bench.UNITS = opts.mails
                campaign = root / f"campaign-{case}"
                mail_bench.make_campaign(campaign)
            world = World(root, case, opts.postgres, campaign)
            try:
                results[case] = CASES[case](world, opts, rnd)
            finally:
                world.close()
            print(f"  {case}: {time.monotonic() - t:.0f} s {dict(results[case])}", file=sys.stderr, flush=True)
    extra = sorted({k for r in results.values() for k in r} - set(COLUMNS))
    heads = ["case", *COLUMNS, *extra]
    lines = [heads] + [[case, *(str(r.get(c, 0)) for c in COLUMNS + extra)] for case, r in results.items()]
    total = Counter()
    for r in results.values():
        total.update(r)
    lines.append(["total", *(str(total.get(c, 0)) for c in COLUMNS + extra)])
    widths = [max(len(line[i]) for line in lines) for i in range(len(heads))]
    print(f"faults and load ({'PostgreSQL' if opts.postgres else 'SQLite'}, seed {seed}, --times {opts.times}, "
          f"{time.monotonic() - started:.0f} s)")
    for i, line in enumerate(lines):
        print("| " + " | ".join(v.ljust(w) for v, w in zip(line, widths)) + " |")
        if i == 0:
            print("| " + " | ".join("-" * w for w in widths) + " |")
    sys.exit(1 if any(total.get(c, 0) for c in COLUMNS[1:]) else 0)


if __name__ == "__main__":
    main()
