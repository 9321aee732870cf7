"""A small raw-donation data set with deliberate edge cases, and a plain-Python reference
computation of every step aggregate (written independently of insday.steps).

Lines are written the way the national platform's export might look; ``days`` maps each line
to the local day file it belongs to (so the same records can be imported in one file, day by
day, or out of order).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import threading
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HEADER = "donated_at,participant_id,region,steps"
START = date(2019, 6, 25)
DAYS = [START + timedelta(days=i) for i in range(14)]


def day_line(day: date, clock: str, participant: str, region: str, steps) -> str:
    return f"{day.isoformat()} {clock},{participant},{region},{steps}"


def dataset(seed: int = 78) -> list[tuple[int, str]]:
    """(day index the line is filed under, line) in file order."""
    rnd = random.Random(seed)
    lines: list[tuple[int, str]] = []

    def add(i: int, clock: str, who: str, region: str, steps) -> None:
        lines.append((i, day_line(DAYS[i], clock, who, region, steps)))

    for i in range(14):  # every day: ten-day streak, five donations, double day
        add(i, "07:00:00", "wx_alice_000001", "北京", 12_000 + 100 * i)
    for i in (0, 1, 2, 3, 5, 6, 7, 8, 9):  # a gap on day 4 (filled late in one test)
        add(i, "08:15:00", "wx_bob_0000002", "北京市", 9_000)
    add(2, "09:00:00", "wx_carol_00003", "天津", 20_000)  # same day twice: the earlier time wins,
    add(2, "08:00:00", "wx_carol_00003", "河北", 15_000)  # although it comes later in the file
    add(3, "10:00:00", "wx_carol_00003", "河北", 15_000)
    add(3, "10:00:00", "wx_carol_00003", "山西", 16_000)  # same time: the earlier line wins
    for i in (11, 12, 13):
        add(i, "12:00:00", "wx_erin_000005", "大连", 30_000)  # helps 吉林; 07-08 counts double
    add(13, "17:59:59", "wx_erin2_00005", "吉林省", 25_000)
    add(13, "18:00:00", "wx_hank_000008", "吉林", 25_000)  # run closes at 18:00: outside
    add(0, "05:59:59", "wx_gina_000007", "北京", 10_000)  # run opens at 06:00: outside
    add(0, "06:00:00", "wx_gina_000007", "北京", 10_000)
    add(1, "11:00:00", "wx_frank_00006", "湖南", 7_799)  # below 7,800
    add(1, "12:00:00", "wx_frank_00006", "湖南", 7_800)
    add(0, "05:00:00", "wx_frank_00006", "湖南", 100)  # outside and below: outside
    add(4, "09:00:00", "wx_ivan_000009", "火星", 9_999)  # unknown region
    add(4, "09:30:00", "wx_judy_000010", " 北京 ", 8_888)  # odd spellings of known regions
    add(5, "09:30:00", "wx_judy_000010", "１１", 8_888)
    add(6, "09:30:00", "wx_judy_000010", "53", 8_888)
    lines.append((1, "2019-06-25T23:30:00Z,wx_kate_000011,云南省,11111"))  # 06-26 07:30 local
    lines.append((2, "2019-06-27 09:00:00+08:00,wx_kate_000011,云南,11111"))
    lines.append((3, '"2019-06-28 09:00:00","wx_kate_000011","云南",11111'))  # quoted fields
    lines.append((3, "2019-06-28 10:00:00,wx_lena_000012"))  # malformed: two fields
    lines.append((4, "2019-06-31 10:00:00,wx_lena_000012,北京,9000"))  # no such date
    lines.append((4, "2019-06-29 10:00:00,wx_lena_000012,北京,九千"))  # steps not digits
    lines.append((5, "2019-06-30 10:00:00,wx lena 12,北京,9000"))  # space in the id
    for i in (3, 7, 12):  # equal totals: the top list orders them by id
        add(i, "20:00:00", "wx_tie_b_00013", "浙江", 40_000)
        add(i, "20:30:00", "wx_tie_a_00014", "甘肃", 40_000)
    regions = ["北京", "天津", "河北", "山西", "内蒙古", "吉林", "大连", "甘肃", "浙江", "深圳", "广西", "四川"]
    for n in range(1, 81):  # filler, enough for the top-50 cut (two pairs tie exactly)
        who = f"wx_p{n:03d}_{rnd.getrandbits(24):06x}"
        steps = 8_000 + 1_000 * (n % 40) if n > 4 else 50_000
        for i in sorted(rnd.sample(range(14), rnd.randint(1, 6))):
            add(i, f"{rnd.randrange(6, 23):02d}:{rnd.randrange(60):02d}:00", who, rnd.choice(regions), steps)
    return lines


def write(path: Path, lines: list[str], *, gz: bool = False) -> Path:
    text = "\n".join([HEADER, *lines]) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# ----- reference ----------------------------------------------------------------------

@dataclass
class Winner:
    at: datetime
    order: tuple[int, int]  # (file, line)
    region: str
    steps: int


@dataclass
class Reference:
    outcomes: list[dict] = field(default_factory=list)  # per file: accepted, rejected, superseded
    winners: dict[tuple[str, date], Winner] = field(default_factory=dict)


def _key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def _fields(line: str) -> list[str] | None:
    fields = next(csv.reader(io.StringIO(line)))
    return fields if len(fields) == 4 else None


def compute(campaign, files: list[list[str]]) -> Reference:
    """Import the files in order the way the campaign's rules say."""
    rules = campaign.steps
    window = campaign.windows[rules.window]
    regions = {_key(s): r.code for r in rules.regions for s in (r.name, r.full_name, r.code)}
    ref = Reference()
    for k, lines in enumerate(files):
        outcome = {"accepted": 0, "superseded": 0,
                   "rejected": dict.fromkeys(("below_min_steps", "outside_window", "unknown_region", "repeat_same_day",
                                              "malformed"), 0)}
        for i, line in enumerate(lines):
            fields = _fields(line)
            at = None
            if fields:
                stamp, who, region, steps = fields[0].strip(), fields[1].strip(), fields[2], fields[3].strip()
                try:
                    at = datetime.fromisoformat(stamp)
                except ValueError:
                    pass
            if at is None or not who or any(c.isspace() for c in who) or not (steps.isascii() and steps.isdigit()):
                outcome["rejected"]["malformed"] += 1
                continue
            at = at if at.tzinfo else at.replace(tzinfo=campaign.tz)
            code = regions.get(_key(region))
            if not window.start <= at < window.end:
                outcome["rejected"]["outside_window"] += 1
            elif code is None:
                outcome["rejected"]["unknown_region"] += 1
            elif int(steps) < rules.min_daily_steps:
                outcome["rejected"]["below_min_steps"] += 1
            else:
                day = at.astimezone(campaign.tz).date()
                new = Winner(at, (k, i), code, int(steps))
                old = ref.winners.get((who, day))
                if old is None:
                    ref.winners[(who, day)] = new
                    outcome["accepted"] += 1
                elif (new.at, new.order) < (old.at, old.order):
                    ref.winners[(who, day)] = new
                    outcome["accepted"] += 1
                    if old.order[0] == k:  # the earlier line of this file loses
                        outcome["accepted"] -= 1
                        outcome["rejected"]["repeat_same_day"] += 1
                    else:
                        outcome["superseded"] += 1
                else:
                    outcome["rejected"]["repeat_same_day"] += 1
        ref.outcomes.append(outcome)
    return ref


def factor(campaign, day: date) -> int:
    return campaign.steps.double_factor if day in campaign.steps.double_days else 1


def region_days(campaign, ref: Reference) -> dict[tuple[str, date], tuple[int, int]]:
    """(region code, day) -> (steps as donated, donations)."""
    totals: dict = defaultdict(lambda: [0, 0])
    for (_, day), w in ref.winners.items():
        totals[(w.region, day)][0] += w.steps
        totals[(w.region, day)][1] += 1
    return {k: tuple(v) for k, v in totals.items()}


def participants(campaign, ref: Reference) -> dict[str, dict]:
    days: dict[str, list[date]] = defaultdict(list)
    steps: dict[str, int] = defaultdict(int)
    for (who, day), w in ref.winners.items():
        days[who].append(day)
        steps[who] += w.steps * factor(campaign, day)
    badges = campaign.steps.badges
    result = {}
    for who, ds in days.items():
        ds.sort()
        runs, streak_on = [], None
        for d in ds:
            runs.append(runs[-1] + 1 if runs and d - timedelta(days=1) == prev else 1)
            if streak_on is None and runs[-1] >= badges.consecutive_days:
                streak_on = d
            prev = d
        result[who] = {
            "donations": len(ds), "total_steps": steps[who], "first_on": ds[0], "last_on": ds[-1],
            "current_streak": runs[-1], "best_streak": max(runs),
            "first_donation_on": ds[badges.first_donation - 1] if len(ds) >= badges.first_donation else None,
            "five_donations_on": ds[badges.five_donations - 1] if len(ds) >= badges.five_donations else None,
            "ten_consecutive_days_on": streak_on,
        }
    return result


def mask(participant_id: str) -> str:
    keep = min(3, len(participant_id) // 4)
    return participant_id[:keep] + "****" + participant_id[-keep:] if keep else "****"


def summary(campaign, ref: Reference) -> dict:
    """The region table, badge counts and top list as step_summary shows them (raw records only)."""
    people = participants(campaign, ref)
    own: dict[str, int] = defaultdict(int)
    per_day: dict[tuple[str, date], int] = defaultdict(int)
    for (code, day), (steps, _) in region_days(campaign, ref).items():
        own[code] += steps * factor(campaign, day)
        per_day[(code, day)] += steps * factor(campaign, day)
    rules = campaign.steps
    regions = {}
    for r in rules.regions:
        if r.helps:
            regions[r.code] = {"own_steps": own[r.code], "group_steps": None, "progress": None, "unlocked_on": None}
            continue
        members = [r.code] + [h.code for h in rules.regions if h.helps == r.code]
        total, unlocked = 0, None
        for day in DAYS:
            total += sum(per_day[(m, day)] for m in members)
            if unlocked is None and total >= rules.unlock_threshold:
                unlocked = day.isoformat()
        group = sum(own[m] for m in members)
        regions[r.code] = {"own_steps": own[r.code], "group_steps": group,
                           "progress": round(100 * group / rules.unlock_threshold, 2), "unlocked_on": unlocked}
    ranked = sorted(people.items(), key=lambda kv: (-kv[1]["total_steps"], kv[0]))[: rules.top_n]
    return {
        "regions": regions,
        "badges": {name: sum(1 for p in people.values() if p[f"{name}_on"]) for name in
                   ("first_donation", "five_donations", "ten_consecutive_days")},
        "top": [{"rank": i, "participant": mask(who), "steps": p["total_steps"]} for i, (who, p) in
                enumerate(ranked, start=1)],
    }


class Platform:
    """A real HTTP server on 127.0.0.1 playing the national platform."""

    def __init__(self):
        self.payload: object = {"regions": []}
        self.hits: dict[str, int] = {}
        self.headers: list[dict] = []
        self.fail_first = 0
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                path = self.path.split("?")[0]
                platform.hits[path] = platform.hits.get(path, 0) + 1
                platform.headers.append(dict(self.headers))
                if path == "/slow":
                    time.sleep(1.5)
                if path == "/fail" or (path == "/flaky" and platform.hits[path] <= platform.fail_first):
                    return self._send(500, b"internal error")
                if path == "/denied":
                    return self._send(401, b"no")
                body = b'{"regions": [' if path == "/broken" else json.dumps(platform.payload).encode()
                self._send(200, body)

            def _send(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}?key=not-for-logs"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
