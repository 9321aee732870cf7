"""kill -9 anywhere converges: each case is a real `insday` process SIGKILLed at a random
moment, then rerun to completion, and what users rely on is counted.

    python benchmarks/faults.py [--times 20] [--cases collect,mail,steps,bulletin]
                                [--postgres URL] [--files 500] [--mails 500] [--records 300000] [--seed N]

Cases (each trial starts from the same prepared state, copied):

- ``collect``: `insday collect` over an inbox of FILES report files (xlsx and GBK CSV, all
  different). After the rerun every file must be stored once (submissions by hash), be in
  processed/ once, and the inbox must be empty.
- ``mail``: `insday remind` queueing and sending MAILS reminders (a roster of MAILS units)
  to a real aiosmtpd server in its own process, which records every Message-ID it accepts.
  The rerun is `insday send`. Every message must reach the server once; a message whose
  send was cut (claimed, fate unknown) must not be sent again (at most once) but flagged
  for a person (``in doubt``: `insday outbox`), and counts as lost only if it is neither.
- ``steps``: `insday steps import` of a RECORDS-record donation export. After the rerun the
  import must be recorded once with every record, and the step tables must equal those of
  an uninterrupted import.
- ``bulletin``: `insday bulletin --send` of 2019-06-26 (auto-approved). After the rerun the
  published folder must hold every file, complete, and its email be queued once per recipient.

- ``fuzz``: mutated report files in one `insday ingest` (every file answered, no reader broken).
- ``overlap-collect``, ``overlap-mail``: the collect and mail cases with two processes started
  at once instead of a kill (a manual command during a scheduled run): nothing lost or doubled.

Secrets: INSDAY_SMTP_PASSWORD, INSDAY_IMAP_PASSWORD (and, with --postgres, a password in
the database URL) are set for every process; every stdout, stderr and file written is
searched for them. A crash is a rerun that fails (anything but the kill).

Prints one table; exit 1 unless every count but cases is 0.
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
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

SECRETS = {"INSDAY_SMTP_PASSWORD": "faults-Smtp-Secret-51", "INSDAY_IMAP_PASSWORD": "faults-Imap-Secret-62"}
DB_SECRET = "faults-Db-Secret-73"
COLUMNS = ["cases", "crashes", "files lost", "files doubled", "mails lost", "mails doubled", "secrets leaked"]

COUNTER = r'''
import sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from email import message_from_bytes

out = open(sys.argv[2], "a", buffering=1)

class Count:
    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content or envelope.content)
        out.write((msg.get("Message-ID") or "?") + "\n")
        out.flush()
        return "250 OK"

def auth(server, session, envelope, mechanism, data):
    return AuthResult(success=True)

c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]), authenticator=auth, auth_require_tls=False)
c.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
'''


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class World:
    """Where a case runs: a campaign, INSDAY_HOME and a database; prepared once, copied per trial."""

    def __init__(self, root: Path, name: str, postgres: str | None, campaign: Path | None = None):
        from insday.paths import SHIPPED_CAMPAIGN

        self.root, self.name, self.postgres = root / name, name, postgres
        self.campaign = campaign or SHIPPED_CAMPAIGN
        self.template = self.root / "template"
        self.template.mkdir(parents=True)
        self.db_name = f"insday_faults_{name}_{os.getpid()}"
        self.said: list[str] = []

    def url(self, home: Path, db: str) -> str:
        if self.postgres:
            from sqlalchemy.engine import make_url

            return make_url(self.postgres).set(database=db, password=DB_SECRET).render_as_string(hide_password=False)
        return f"sqlite:///{home / 'insday.db'}"

    def env(self, home: Path, db: str, **extra) -> dict:
        return {**os.environ, "PYTHONPATH": str(ROOT), "INSDAY_HOME": str(home), "INSDAY_CAMPAIGN": str(self.campaign),
                "INSDAY_DATABASE_URL": self.url(home, db), "INSDAY_AUTO_APPROVE": "true", **SECRETS,
                "INSDAY_INBOX_SETTLE_SECONDS": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **extra}

    def _admin(self, sql: str) -> None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        admin = create_engine(make_url(self.postgres).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(sql))
        admin.dispose()

    def prepare(self, **extra) -> dict:
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{self.db_name}"')
        env = self.env(self.template, self.db_name, **extra)
        self.insday(["init"], env)
        return env

    def trial(self, n: int, **extra) -> tuple[Path, dict]:
        """A copy of the template: its own INSDAY_HOME and database."""
        home = self.root / f"trial-{n}"
        shutil.copytree(self.template, home, symlinks=True)
        db = f"{self.db_name}_{n}"
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{db}" TEMPLATE "{self.db_name}"')
        return home, self.env(home, db, **extra)

    def done(self, n: int) -> None:
        shutil.rmtree(self.root / f"trial-{n}", ignore_errors=True)
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}_{n}" WITH (FORCE)')

    def close(self) -> None:
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def insday(self, args: list[str], env: dict, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "insday", *args], env=env, capture_output=True, text=True,
                              cwd=ROOT, timeout=3600)
        self.said += [done.stdout, done.stderr]
        if check and done.returncode not in (0, 1):
            raise RuntimeError(f"insday {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
        return done

    def rerun(self, args: list[str], env: dict) -> bool:
        """Run ``insday args`` to its end; False if it crashed (said on stderr)."""
        done = self.insday(args, env, check=False)
        crashed = done.returncode not in (0, 1) or "Traceback" in done.stderr  # 1: some input refused, said why
        if crashed:
            print(f"  crash: insday {' '.join(args)} exited {done.returncode}: {done.stderr[-1500:]}", file=sys.stderr)
        return not crashed

    def together(self, args: list[str], env: dict, times: int = 2) -> int:
        """Run ``times`` copies of ``insday args`` at once, to their end; how many crashed."""
        procs = [subprocess.Popen([sys.executable, "-m", "insday", *args], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(times)]
        crashed = 0
        for proc in procs:
            out, err = proc.communicate(timeout=3600)
            self.said += [out, err]
            if proc.returncode not in (0, 1) or "Traceback" in err:
                crashed += 1
                print(f"  crash: two at once, insday {' '.join(args)} exited {proc.returncode}: {err[-1500:]}",
                      file=sys.stderr)
        return crashed

    def killed(self, args: list[str], env: dict, after: float) -> bool:
        """Start ``insday args`` and SIGKILL it ``after`` seconds in; whether it was still running."""
        proc = subprocess.Popen([sys.executable, "-m", "insday", *args], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=ROOT)
        try:
            proc.wait(after)
            hit = False
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            hit = True
        out, err = proc.communicate()
        self.said += [out, err]
        return hit

    def engine(self, home: Path, env: dict):
        from sqlalchemy import create_engine

        return create_engine(env["INSDAY_DATABASE_URL"])

    def leaked(self, home: Path) -> int:
        secrets = [*SECRETS.values(), DB_SECRET]
        texts = list(self.said)
        for path in home.rglob("*"):
            if path.is_file() and path.suffix not in (".db", ".db-wal", ".db-shm"):
                texts.append(path.read_bytes().decode("utf-8", "replace"))
        self.said = []
        return sum(1 for t in texts for s in secrets if s in t)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----- the cases --------------------------------------------------------------------------


def timed(world: World, args: list[str], env: dict) -> float:
    """How long an uninterrupted run takes: kills are drawn from 0.2 s to this."""
    started = time.monotonic()
    world.insday(args, env)
    return time.monotonic() - started


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


def case_collect(world: World, times: int, rnd: random.Random, files: int, overlap: bool = False) -> dict:
    from sqlalchemy import text

    world.prepare()
    make_reports(world.template / "inbox", files)
    old = time.time() - 86_400
    for p in (world.template / "inbox").rglob("*"):
        os.utime(p, (old, old))
    expected = {sha(p) for p in (world.template / "inbox").rglob("*") if p.is_file()}
    assert len(expected) == files
    home, env = world.trial(-1)
    estimate = timed(world, ["collect", "--json"], env)
    world.done(-1)
    row = Counter()
    for n in range(times):
        home, env = world.trial(n)
        row["cases"] += 1
        if overlap:  # a manual collect during a scheduled one: the second waits for the inbox lease
            row["crashes"] += world.together(["collect", "--json"], env)
        else:
            row["killed mid-run"] += world.killed(["collect", "--json"], env, rnd.uniform(0.2, estimate))
            if not world.rerun(["collect", "--json"], env):
                row["crashes"] += 1
        with world.engine(home, env).connect() as conn:
            stored = Counter(conn.scalars(text("SELECT sha256 FROM submissions")))
        moved = Counter(sha(p) for p in (home / "processed").rglob("*") if p.is_file())
        left = [p for p in (home / "inbox").rglob("*") if p.is_file()]
        row["files lost"] += len(expected - set(stored)) + len(expected - set(moved)) + len(left)
        row["files doubled"] += sum(c - 1 for c in stored.values()) + sum(c - 1 for c in moved.values())
        row["secrets leaked"] += world.leaked(home)
        world.done(n)
    return row


def case_mail(world: World, times: int, rnd: random.Random, mails: int, overlap: bool = False) -> dict:
    from sqlalchemy import text

    import mail as mail_bench

    mail_bench.UNITS = mails
    port = free_port()
    seen = world.root / "server-seen.txt"
    server = subprocess.Popen([sys.executable, "-c", COUNTER, str(port), str(seen)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready"
        smtp = {"INSDAY_SMTP_HOST": "127.0.0.1", "INSDAY_SMTP_PORT": str(port), "INSDAY_SMTP_USER": "insday",
                "INSDAY_SMTP_FROM": "insday@jiaia.example.org"}
        world.prepare(**smtp)
        with (world.campaign / "units.csv").open(encoding="utf-8") as fh:  # every company gets one
            mails = sum(1 for r in csv.DictReader(fh) if r["kind"] in ("property", "life"))
        remind = ["remind", "--as-of", "2019-06-25T14:00", "--json"]
        home, env = world.trial(-1, **smtp)
        estimate = timed(world, remind, env)
        world.done(-1)
        row = Counter()
        for n in range(times):
            home, env = world.trial(n, **smtp)
            seen.write_text("")
            row["cases"] += 1
            if overlap:  # two runs reminding and sending at once: each message claimed by one
                row["crashes"] += world.together(remind, env)
            else:
                row["killed mid-run"] += world.killed(remind, env, rnd.uniform(0.2, estimate))
                if not world.rerun(remind, env):
                    row["crashes"] += 1
            time.sleep(0.5)  # the server writes what it accepted
            got = Counter(line.strip() for line in seen.read_text().splitlines() if line.strip())
            with world.engine(home, env).connect() as conn:
                rows = conn.execute(text("SELECT key, status, message_id, last_error FROM outbox")).all()
            from insday.mail.delivery import message_id

            ids = {key: message_id(key, "insday@jiaia.example.org") for key, *_ in rows}
            in_doubt = {key for key, status, _, error in rows if status == "failed" and error and "结果未知" in error}
            row["in doubt: arrived"] += sum(1 for key in in_doubt if got[ids[key]])
            row["in doubt: not arrived"] += sum(1 for key in in_doubt if not got[ids[key]])
            reminders = [key for key, *_ in rows if key.startswith("reminder:")]
            if len(reminders) != mails:
                row["mails lost"] += abs(mails - len(reminders))  # not even queued
            lost = [(key, status, error) for key, status, _, error in rows if not got[ids[key]] and key not in in_doubt]
            if lost or len(reminders) != mails:
                print(f"  mail trial {n}: {len(reminders)} reminders queued of {mails}; not at the server: "
                      f"{lost[:5]}", file=sys.stderr)
            row["mails lost"] += sum(1 for key in ids if got[ids[key]] == 0 and key not in in_doubt)
            row["mails doubled"] += sum(c - 1 for c in got.values() if c > 1)
            row["secrets leaked"] += world.leaked(home)
            world.done(n)
        return row
    finally:
        server.kill()


def case_steps(world: World, times: int, rnd: random.Random, records: int) -> dict:
    from sqlalchemy import text

    from insday.campaign import get_campaign
    from steps import generate

    world.prepare()
    data = world.root / "data"
    data.mkdir()
    whole, days = generate(records, data, get_campaign(world.campaign))
    for d in days:
        d.unlink()

    def fingerprint(home, env):
        with world.engine(home, env).connect() as conn:
            return (conn.execute(text("SELECT count(*), sum(records), sum(accepted) FROM step_imports")).one(),
                    conn.execute(text("SELECT count(*), sum(steps), sum(donations) FROM step_region_days")).one(),
                    conn.scalar(text("SELECT count(*) FROM step_participants")))

    args = ["steps", "import", str(whole), "--received-at", "2019-07-13T09:00", "--json"]
    home, env = world.trial(-1)
    estimate = timed(world, args, env)
    reference = fingerprint(home, env)
    world.done(-1)
    row = Counter()
    for n in range(times):
        home, env = world.trial(n)
        row["cases"] += 1
        row["killed mid-run"] += world.killed(args, env, rnd.uniform(0.2, estimate))
        if not world.rerun(args, env):
            row["crashes"] += 1
        got = fingerprint(home, env)
        if got != reference:
            doubled = got[0][0] > reference[0][0] or (got[1][1] or 0) > (reference[1][1] or 0)
            row["files doubled" if doubled else "files lost"] += 1
            print(f"  steps trial {n}: {got} != {reference}", file=sys.stderr)
        row["secrets leaked"] += world.leaked(home)
        world.done(n)
    return row


def case_bulletin(world: World, times: int, rnd: random.Random) -> dict:
    from sqlalchemy import text

    env = world.prepare()
    make_reports(world.root / "reports", 63)
    world.insday(["ingest", str(world.root / "reports"), "--received-at", "2019-06-26T21:00"], env)
    args = ["bulletin", "--date", "2019-06-26", "--send"]
    home, env = world.trial(-1)
    estimate = timed(world, args, env)
    folder = home / "public" / "2019-06-26"
    reference = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    with world.engine(home, env).connect() as conn:
        mails = conn.scalar(text("SELECT count(*) FROM outbox WHERE kind = 'bulletin'"))
    world.done(-1)
    row = Counter()
    for n in range(times):
        home, env = world.trial(n)
        row["cases"] += 1
        row["killed mid-run"] += world.killed(args, env, rnd.uniform(0.2, estimate))
        if not world.rerun(args, env):
            row["crashes"] += 1
        folder = home / "public" / "2019-06-26"
        got = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) if folder.exists() else []
        complete = got == reference and _complete(folder)
        stray = [p for p in (home / "public").rglob("*") if p.name.startswith(".") or p.suffix in (".tmp", ".part")]
        row["files lost"] += 0 if complete else 1
        row["files doubled"] += len(stray)
        with world.engine(home, env).connect() as conn:
            queued = Counter(conn.scalars(text("SELECT to_addr FROM outbox WHERE kind = 'bulletin'")))
        row["mails lost"] += max(0, mails - len(queued))
        row["mails doubled"] += sum(c - 1 for c in queued.values())
        row["secrets leaked"] += world.leaked(home)
        world.done(n)
    return row


def case_fuzz(world: World, times: int, rnd: random.Random, files: int) -> dict:
    """Mutated report files (byte flips, truncations, inserted junk, other encodings) in one
    `insday ingest`: every file must get an answer (accepted or a Chinese rejection); a reader
    that broke on one (the generic "文件无法解析（Error）") or a failed process is a crash."""
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=20, help="kills per case (default 20)")
    parser.add_argument("--cases", default="collect,mail,steps,bulletin,fuzz,overlap-collect,overlap-mail")
    parser.add_argument("--fuzz", type=int, default=30, help="mutated files per fuzz round (one round per --times)")
    parser.add_argument("--postgres", help="PostgreSQL server URL (scratch databases are created there); "
                                           "default SQLite")
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--mails", type=int, default=500)
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    rnd = random.Random(seed)
    results: dict[str, Counter] = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="insday-faults-") as tmp:
        root = Path(tmp)
        for case in args.cases.split(","):
            t = time.monotonic()
            campaign = None
            if case in ("mail", "overlap-mail"):
                import mail as mail_bench

                mail_bench.UNITS = args.mails
                campaign = root / "campaign-500"
                mail_bench.make_campaign(campaign)
            world = World(root, case, args.postgres, campaign)
            try:
                if case == "collect":
                    results[case] = case_collect(world, args.times, rnd, args.files)
                elif case == "mail":
                    results[case] = case_mail(world, args.times, rnd, args.mails)
                elif case == "steps":
                    results[case] = case_steps(world, args.times, rnd, args.records)
                elif case == "bulletin":
                    results[case] = case_bulletin(world, args.times, rnd)
                elif case == "overlap-collect":
                    results[case] = case_collect(world, args.times, rnd, args.files, overlap=True)
                elif case == "overlap-mail":
                    results[case] = case_mail(world, args.times, rnd, args.mails, overlap=True)
                elif case == "fuzz":
                    results[case] = case_fuzz(world, args.times, rnd, args.fuzz)
                else:
                    sys.exit(f"unknown case {case!r}")
            finally:
                world.close()
            print(f"  {case}: {time.monotonic() - t:.0f} s", file=sys.stderr)
    extra = sorted({k for r in results.values() for k in r} - set(COLUMNS))
    heads = ["case", *COLUMNS, *extra]
    lines = [heads] + [[case, *(str(r.get(c, 0)) for c in COLUMNS + extra)] for case, r in results.items()]
    total = Counter()
    for r in results.values():
        total.update(r)
    lines.append(["total", *(str(total.get(c, 0)) for c in COLUMNS + extra)])
    widths = [max(len(line[i]) for line in lines) for i in range(len(heads))]
    print(f"kill -9 at a random moment then rerun, fuzz, two at once ({'PostgreSQL' if args.postgres else 'SQLite'}, seed {seed}, "
          f"{time.monotonic() - started:.0f} s)")
    for i, line in enumerate(lines):
        print("| " + " | ".join(v.ljust(w) for v, w in zip(line, widths)) + " |")
        if i == 0:
            print("| " + " | ".join("-" * w for w in widths) + " |")
    bad = sum(total.get(c, 0) for c in COLUMNS[1:])
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
