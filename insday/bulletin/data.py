"""The figures of a bulletin, as one JSON-able document, from what was received by its
knowledge time (its cut-off, or ``as_of`` for a what-if).

"Changes since the previous bulletin" are worked out by building the previous bulletin's
figures again at that bulletin's own cut-off (never later than this one's knowledge time)
rather than by reading a stored file: by the knowledge-time invariant that is exactly what
the previous bulletin said, it needs no state that could be missing or stale (a first
run, a dry run, another ``--out``), and both sides are computed by the same code.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Literal, NotRequired, TypedDict

from insday.bulletin.editions import Edition, edition, previous, rules, run_days
from insday.campaign import Campaign, UnitKind
from insday.deadlines.status import DeadlineCounts, RosterNote, evaluate
from insday.env import Env
from insday.reports.common import day_text
from insday.reports.media import GalleryLink, media_gallery
from insday.reports.outreach import Counts, KindCounts, outreach_summary
from insday.reports.videos import video_leaderboard
from insday.roster import effective, notes
from insday.safe import mask_phone, safe_url
from insday.sql import fetch
from insday.steps import reconcile, step_summary
from insday.steps.rules import step_calendar
from insday.steps.summary import Badges, TopParticipant

TOP_PARTICIPANTS = 10
TOP_OUTREACH_UNITS = 10
STATE_FIELDS = ("on_time", "late", "missing", "open", "excused")
class HomeRegion(TypedDict):
    """The campaign's own region in the step run."""

    name: str
    code: str
    own_steps: int
    group_steps: int | None
    progress: float | None  # percent of the unlock threshold
    unlocked_on: str | None


class Headline(TypedDict):
    """The bulletin's headline figures."""

    units: int  # on the roster at the knowledge time
    units_reporting: int  # that day (daily) or ever (final)
    participants_day: int | None  # None in the final bulletin
    steps_day: int | None
    participants: int
    steps: int
    counted_steps: int
    photos: int
    videos: int
    events: int
    people_reached: int
    video_submissions: int
    regions_unlocked: int
    home_region: HomeRegion


class PreviousEdition(TypedDict):
    kind: str
    day: str
    as_of: str
    title: str


class UnitDeadline(TypedDict):
    unit: str
    name: str
    deadline: str
    title: str


class NewUnlock(TypedDict):
    name: str
    unlocked_on: str


class Changes(TypedDict):
    """Since the previous bulletin: the headline totals' growth and the units whose standing changed."""

    previous: PreviousEdition
    participants: int
    steps: int
    photos: int
    videos: int
    events: int
    people_reached: int
    video_submissions: int
    newly_unlocked: list[NewUnlock]
    became_missing: list[UnitDeadline]
    became_late: list[UnitDeadline]
    caught_up: list[UnitDeadline]  # missing before, late now


class FirstEdition(TypedDict):
    """The first bulletin: nothing to compare with."""

    previous: None


class BulletinUnit(TypedDict):
    """A member unit in the bulletin's table, ranked by steps (equal steps share a rank)."""

    rank: int
    unit: str
    name: str
    full_name: str
    kind: UnitKind
    participants_day: int | None  # None: no report that day, and in the final bulletin
    steps_day: int | None
    participants: int
    steps: int  # as reported (walked)
    counted_steps: int  # the double days counted double, as the platform counts them
    photos: int
    videos: int
    days_reported: int
    on_time: int  # its deadlines covered by the bulletin, per state
    late: int
    missing: int
    open: int
    excused: int


class DayTotals(TypedDict):
    day: str
    units: int
    participants: int
    steps: int


class BulletinRegion(TypedDict):
    """A helped region toward the unlock line (own + helper's steps, double days counted)."""

    rank: int
    name: str
    code: str
    own_steps: int
    helper: str | None
    helper_steps: int | None
    group_steps: int
    progress: float  # percent of the threshold
    unlocked_on: str | None
    change: NotRequired[int]  # since the previous bulletin (none for the first)


class ReconcileRow(TypedDict):
    region: str
    day: str
    raw_steps: int
    pulled_steps: int


class ReconcileNote(TypedDict):
    """Region-days where both sources have a figure and they differ (the first 10)."""

    mismatches: int
    rows: list[ReconcileRow]


class BulletinSteps(TypedDict):
    has_data: bool
    threshold: int
    regions: list[BulletinRegion]
    unlocks: list[NewUnlock]
    home: HomeRegion
    home_days: dict[str, int]  # the platform's figures for the home region, as donated
    unit_days: dict[str, dict[str, int]]  # unit -> day -> the platform's figure for its staff
    badges: Badges
    top: list[TopParticipant]
    reconcile: ReconcileNote


class MemberShare(TypedDict):
    unit: str
    name: str
    steps: int
    counted_steps: int
    platform_steps: int | None
    share: float | None  # percent of the home region's steps; None when the figures contradict each other


class DayOver(TypedDict):
    day: str
    members_steps: int
    region_steps: int


class UnitOver(TypedDict):
    unit: str
    name: str
    day: str
    reported: int
    platform: int


class HomeShare(TypedDict):
    """The member units' reported steps inside the home region's platform total."""

    region: str
    region_steps: int
    members: list[MemberShare]
    members_steps: int
    members_share: float | None
    others_steps: int | None
    consistent: bool  # the members' steps fit inside the region's: shares are given
    days_over: list[DayOver]  # days the members reported more than the region's total
    units_over: list[UnitOver]  # unit days reported above the platform's figure for the unit


class VideoEntry(TypedDict):
    rank: int
    title: str
    author: str
    unit: str
    unit_name: str
    votes: int
    link: str | None  # None: not an http(s) address, not linked


class VideoChampion(VideoEntry):
    day: str


class BulletinVideos(TypedDict):
    day: str | None
    entries: list[VideoEntry]
    champion: VideoEntry | None
    champions: list[VideoChampion]
    submissions: int
    units: int


class OutreachUnit(TypedDict):
    name: str
    unit: str
    events: int
    people_reached: int
    materials: int


class BulletinOutreach(TypedDict):
    totals: Counts
    by_kind: list[KindCounts]
    by_unit: list[OutreachUnit]  # the first 10


# A unit given more time or excused, or a roster change before the deadline was due.
ReportException = TypedDict("ReportException", {
    "unit": str,
    "name": str,
    "until": str | None,
    "reason": str,
    "kind": NotRequired[Literal["add", "retire"]],
    "from": NotRequired[str],
})


class DeadlineRow(DeadlineCounts):
    """A deadline the bulletin covers, with its counts and units."""

    exceptions: list[ReportException]
    this_edition: bool  # first covered by this bulletin


class LateMissing(TypedDict):
    """What a unit sent late and never sent (daily reports grouped by day)."""

    unit: str
    name: str
    contact: str
    phone: str | None  # masked
    late: list[str]
    missing: list[str]
    late_count: int
    missing_count: int


class BulletinDocument(TypedDict):
    """The bulletin's document (``bulletin.json``; what the page, workbook and email show)."""

    kind: Literal["daily", "final"]
    title: str
    day: str
    days: list[str]  # the run days it covers
    as_of: str  # its knowledge time
    cutoff: str
    what_if: bool
    headline: Headline
    units: list[BulletinUnit]
    daily: list[DayTotals]
    steps: BulletinSteps
    home_share: HomeShare
    videos: BulletinVideos | None  # None: no video submitted and no board published
    outreach: BulletinOutreach
    reports: list[DeadlineRow]
    roster_changes: list[RosterNote]
    late_missing: list[LateMissing]
    media: GalleryLink | None  # the day's gallery (None in the final bulletin or without media)
    changes: Changes | FirstEdition


HEADLINE_TOTALS = ("participants", "steps", "photos", "videos", "events", "people_reached", "video_submissions")


def build_bulletin(env: Env, day: date | None, *, final: bool = False,
                   as_of: datetime | None = None) -> BulletinDocument:
    """The bulletin document of ``day`` (or the final one) as known at its cut-off, or at
    ``as_of`` when given (what-if)."""
    campaign = env.campaign
    this = edition(campaign, day, final)
    knows = as_of or this.cutoff
    doc = _figures(env, this, knows)
    before = previous(campaign, this)
    prior = _figures(env, before, min(before.cutoff, knows)) if before else None
    doc["changes"] = _changes(doc, prior)
    own = {r["id"] for r in doc["reports"]} - {r["id"] for r in (prior or {}).get("reports", ())}
    for r in doc["reports"]:
        r["this_edition"] = r["id"] in own
    return doc


def _local(campaign: Campaign, moment: datetime) -> str:
    return campaign.local(moment).isoformat()


def _figures(env: Env, this: Edition, knows: datetime) -> dict:
    days = [d for d in run_days(env.campaign) if this.final or d <= this.day]
    with env.engine.connect() as conn:
        campaign = effective(conn, env.campaign, knows)  # the roster as known at the knowledge time
        rows = fetch(conn, "marts/bulletin/unit_days", as_of=knows, through_date=days[-1], campaign=campaign.name)
        states = evaluate(conn, campaign, knows)
    covered = [s for s in states if (s.deadline.period is not None and s.deadline.period <= days[-1])
               or (s.deadline.period is None and s.deadline.closes <= knows)]
    units = _unit_table(campaign, this, rows, covered)
    steps = _steps(env, knows)
    videos = _videos(env, this, knows)
    outreach = _outreach(env, knows)
    totals = {f: sum(u[f] for u in units) for f in ("participants", "steps", "counted_steps", "photos", "videos")}
    day_rows = [r for r in rows if r["report_date"] == this.day]
    headline: Headline = {
        "units": sum(u.on_roster(knows) for u in campaign.units),
        "units_reporting": len({r["unit"] for r in (rows if this.final else day_rows)}),
        "participants_day": None if this.final else sum(r["participants"] for r in day_rows),
        "steps_day": None if this.final else sum(r["steps"] for r in day_rows),
        **totals,
        "events": outreach["totals"]["events"],
        "people_reached": outreach["totals"]["people_reached"],
        "video_submissions": videos["submissions"] if videos else 0,
        "regions_unlocked": len(steps["unlocks"]),
        "home_region": steps["home"],
    }
    return {
        "kind": "final" if this.final else "daily",
        "title": _title(campaign, this),
        "day": this.day.isoformat(),
        "days": [d.isoformat() for d in days],
        "as_of": _local(campaign, knows),
        "cutoff": _local(campaign, this.cutoff),
        "what_if": knows != this.cutoff,
        "headline": headline,
        "units": units,
        "daily": [{"day": d.isoformat(), "units": len({r["unit"] for r in rows if r["report_date"] == d}),
                   "participants": sum(r["participants"] for r in rows if r["report_date"] == d),
                   "steps": sum(r["steps"] for r in rows if r["report_date"] == d)} for d in days],
        "steps": steps,
        "home_share": _members_share(campaign, units, rows, steps),
        "videos": videos,
        "outreach": outreach,
        "reports": [_deadline_row(campaign, s) for s in covered],
        "roster_changes": [{"unit": c.unit, "name": c.name, "kind": c.kind, "from": _local(campaign, c.effective),
                            "reason": c.reason} for c in campaign.roster_changes],
        "late_missing": _late_missing(campaign, covered),
        "media": None if this.final else media_gallery(env, this.day, knows),  # the day's gallery page
    }


def _title(campaign: Campaign, this: Edition) -> str:
    if this.final:
        return f"{campaign.title}总结通报"
    number = run_days(campaign).index(this.day) + 1
    return f"{campaign.title}通报（第{number}期·{day_text(this.day)}）"


def _unit_table(campaign: Campaign, this: Edition, rows: list[dict], covered) -> list[dict]:
    """Every member unit: the day's and cumulative figures, its deadlines, rank by steps.

    ``steps`` is what the unit reported (as walked); ``counted_steps`` the same with the
    double days counted as the platform counts them: each is computed here and only here."""
    factor = step_calendar(campaign).factor
    per_unit: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        per_unit[r["unit"]].append(r)
    table = []
    for u in campaign.units:
        mine = per_unit.get(u.code, [])
        today = [r for r in mine if r["report_date"] == this.day]
        states = Counter(s.progress(u.code).state for s in covered if u.code in s.deadline.units)
        table.append({
            "unit": u.code, "name": u.display_name, "full_name": u.name, "kind": u.kind,
            "participants_day": sum(r["participants"] for r in today) if today else None,  # None: no report
            "steps_day": sum(r["steps"] for r in today) if today else None,
            "participants": sum(r["participants"] for r in mine),
            "steps": sum(r["steps"] for r in mine),
            "photos": sum(r["photos"] for r in mine),
            "videos": sum(r["videos"] for r in mine),
            "days_reported": len(mine),
            **{f: states.get(f, 0) for f in STATE_FIELDS},
            "counted_steps": sum(r["steps"] * factor(r["report_date"]) for r in mine),
        })
    table.sort(key=lambda u: (-u["steps"], u["unit"]))
    for i, u in enumerate(table):  # equal steps share a rank (1, 2, 2, 4)
        u["rank"] = table[i - 1]["rank"] if i and u["steps"] == table[i - 1]["steps"] else i + 1
    return table


def _deadline_row(campaign: Campaign, state) -> dict:
    """A deadline's counts and units; ``exceptions`` are the units the association gave more
    time (``until``) or excused (免报), with the reason, and the roster changes before it was due
    (``kind`` add: 新增 / retire: 退出, ``from``)."""
    d = state.deadline
    return {"id": d.id, "title": d.title, "due": _local(campaign, d.due), "closed": state.closed,
            "expected": len(d.units), **{f: len(state.codes(f)) for f in STATE_FIELDS},
            **{f"{f}_units": state.codes(f) for f in ("late", "missing", "open", "excused")},
            "exceptions": [*({"unit": u.code, "name": campaign.display_name(u.code),
                              "until": _local(campaign, u.due) if u.due else None, "reason": u.reason}
                             for u in state.units if u.reason),
                           *({"unit": n["unit"], "name": campaign.display_name(n["unit"]), "until": None,
                              "reason": n["reason"], "kind": n["kind"], "from": _local(campaign, n["from"])}
                             for n in notes(campaign, d))]}


def _late_missing(campaign: Campaign, covered) -> list[dict]:
    """Per unit, what it sent late and what it never sent (daily reports grouped by day)."""
    found: dict[str, dict[str, list]] = defaultdict(lambda: {"late": [], "missing": []})
    for s in covered:
        for u in s.units:
            if u.state in ("late", "missing"):
                found[u.code][u.state].append(s.deadline)
    out = []
    for code, lists in found.items():
        unit = campaign.unit_by_code.get(code)
        if unit is None:
            continue
        out.append({"unit": code, "name": unit.display_name, "contact": unit.contact,
                    "phone": mask_phone(unit.phone),
                    "late": _deadline_names(campaign, lists["late"]),
                    "missing": _deadline_names(campaign, lists["missing"]),
                    "late_count": len(lists["late"]), "missing_count": len(lists["missing"])})
    return sorted(out, key=lambda u: (-u["missing_count"], -u["late_count"], u["unit"]))


def _deadline_names(campaign: Campaign, deadlines) -> list[str]:
    """每日参与情况（6月26日、6月27日）for daily deadlines, the title for the others."""
    by_spec: dict[str, list] = {}
    for d in deadlines:
        by_spec.setdefault(d.id.split(":")[0], []).append(d)
    names = []
    for spec_id, group in by_spec.items():
        spec = campaign.deadline_spec(spec_id)
        if spec.each_day_of:
            names.append(f"{spec.title}（{'、'.join(day_text(d.period) for d in group)}）")
        else:
            names.extend(d.title for d in group)
    return names


# ----- the step run (insday.steps) ---------------------------------------------------------


def _steps(env: Env, knows: datetime) -> dict:
    """The helped regions toward the unlock line, the helper regions, unlocks, the home
    region, badges, the top participants and the raw-vs-pulled reconciliation."""
    campaign = env.campaign
    summary = step_summary(env, knows, by_day=True)
    own = {r["name"]: r["own_steps"] for r in summary["regions"]}
    regions = sorted(({"name": r["name"], "code": r["code"], "own_steps": r["own_steps"], "helper": r["helper"],
                       "helper_steps": own[r["helper"]] if r["helper"] else None, "group_steps": r["group_steps"],
                       "progress": r["progress"], "unlocked_on": r["unlocked_on"]}
                      for r in summary["regions"] if r["group_steps"] is not None),
                     key=lambda r: (-r["group_steps"], r["code"]))
    for rank, r in enumerate(regions, start=1):
        r["rank"] = rank
    home = next(r for r in summary["regions"] if r["code"] == rules(campaign).home_region)
    return {
        "has_data": summary["has_data"],
        "threshold": summary["threshold"],
        "regions": regions,
        "unlocks": sorted(({"name": r["name"], "unlocked_on": r["unlocked_on"]} for r in regions if r["unlocked_on"]),
                          key=lambda u: (u["unlocked_on"], u["name"])),
        "home": {k: home[k] for k in ("name", "code", "own_steps", "group_steps", "progress", "unlocked_on")},
        "home_days": summary["region_days"].get(home["code"], {}),
        "unit_days": summary["unit_days"],
        "badges": summary["badges"],
        "top": [{k: t[k] for k in ("rank", "participant", "steps")} for t in summary["top"][:TOP_PARTICIPANTS]],
        "reconcile": _reconcile_note(reconcile(env, knows)),
    }


def _reconcile_note(result: dict) -> dict:
    """Where the platform's aggregates and the raw donation records disagree (region, day); a
    day only one source has is not a disagreement (raw records are imported for audits)."""
    rows = [r for r in result["differences"] if r["status"] == "mismatch"]
    return {"mismatches": len(rows),
            "rows": [{k: r[k] for k in ("region", "day", "raw_steps", "pulled_steps")} for r in rows[:10]]}


def _members_share(campaign: Campaign, units: list[dict], rows: list[dict], steps: dict) -> dict:
    """The member units' reported steps inside the home region's platform total.

    Both sides count the double days double (``counted_steps``; the platform's region
    figure). The member units' staff are among the region's donors, so their steps can be
    at most the region's: where the reports say more than the platform counted, that is a
    discrepancy, listed as one (the days whose reported total exceeds the region's, the unit
    days whose report exceeds the platform's own figure for the unit) and no share is given,
    so no share is ever above 100 %."""
    factor = step_calendar(campaign).factor
    region_days = {date.fromisoformat(d): v * factor(date.fromisoformat(d)) for d, v in steps["home_days"].items()}
    total = steps["home"]["own_steps"]
    reported = [u for u in units if u["counted_steps"]]
    counted = sum(u["counted_steps"] for u in units)
    by_day: dict[date, int] = defaultdict(int)
    for r in rows:
        by_day[r["report_date"]] += r["steps"] * factor(r["report_date"])
    days_over = [{"day": d.isoformat(), "members_steps": v, "region_steps": region_days.get(d, 0)}
                 for d, v in sorted(by_day.items()) if v > region_days.get(d, 0) and steps["has_data"]]
    names = {u["unit"]: u["name"] for u in units}
    units_over = []
    for r in rows:
        platform = steps["unit_days"].get(r["unit"], {}).get(r["report_date"].isoformat())
        if platform is not None and r["steps"] > platform:
            units_over.append({"unit": r["unit"], "name": names.get(r["unit"], r["unit"]),
                               "day": r["report_date"].isoformat(), "reported": r["steps"], "platform": platform})
    units_over.sort(key=lambda x: (x["day"], x["unit"]))
    consistent = steps["has_data"] and counted <= total
    share = (lambda v: round(100 * v / total, 2) if consistent and total else None)  # noqa: E731
    members = [{"unit": u["unit"], "name": u["name"], "steps": u["steps"], "counted_steps": u["counted_steps"],
                "platform_steps": _platform_counted(steps["unit_days"].get(u["unit"]), factor),
                "share": share(u["counted_steps"])} for u in reported]
    members.sort(key=lambda m: (-m["counted_steps"], m["unit"]))
    return {"region": steps["home"]["name"], "region_steps": total, "members": members,
            "members_steps": counted, "members_share": share(counted),
            "others_steps": total - counted if consistent else None, "consistent": consistent,
            "days_over": days_over, "units_over": units_over}


def _platform_counted(days: dict[str, int] | None, factor) -> int | None:
    """The platform's figure for one unit's staff over the run, double days counted double."""
    if not days:
        return None
    return sum(v * factor(date.fromisoformat(d)) for d, v in days.items())


# ----- videos and outreach -----------------------------------------------------------------


def _videos(env: Env, this: Edition, knows: datetime) -> dict | None:
    """The day's leaderboard (the final bulletin: the last one) and every champion so far;
    None when no video was submitted and no board published."""
    campaign = env.campaign
    board = video_leaderboard(env, knows, day=None if this.final else this.day)
    if not board["days"] and not board["submissions"]["videos"]:
        return None

    def entry(e: dict) -> dict:
        return {"rank": e["rank"], "title": e["title"], "author": e["author"], "unit": e["unit"],
                "unit_name": campaign.display_name(e["unit"]), "votes": e["votes"], "link": safe_url(e.get("link"))}

    return {"day": board["day"], "entries": [entry(e) for e in board["entries"]],
            "champion": entry(board["champion"]) if board["champion"] else None,
            "champions": [{"day": c["day"], **entry(c)} for c in board["champions"]],
            "submissions": board["submissions"]["videos"], "units": board["submissions"]["units"]}


def _outreach(env: Env, knows: datetime) -> dict:
    s = outreach_summary(env, knows)
    return {"totals": s["totals"], "by_kind": s["by_kind"],
            "by_unit": [{"name": env.campaign.display_name(u["unit"]),
                         **{k: u[k] for k in ("unit", "events", "people_reached", "materials")}}
                        for u in s["by_unit"][:TOP_OUTREACH_UNITS]]}


# ----- changes since the previous bulletin ------------------------------------------------


def _changes(doc: dict, prior: dict | None) -> Changes | FirstEdition:
    if prior is None:
        return {"previous": None}
    now_h, before_h = doc["headline"], prior["headline"]
    unlocked_before = {u["name"] for u in prior["steps"]["unlocks"]}
    before_regions = {r["name"]: r["group_steps"] for r in prior["steps"]["regions"]}
    for r in doc["steps"]["regions"]:
        r["change"] = r["group_steps"] - before_regions[r["name"]]
    names = {u["unit"]: u["name"] for u in doc["units"]}

    def states(d: dict) -> dict[tuple[str, str], str]:
        return {(code, r["id"]): state for r in d["reports"] for state in ("late", "missing")
                for code in r[f"{state}_units"]}

    now, before = states(doc), states(prior)
    titles = {r["id"]: r["title"] for r in doc["reports"]}

    def listed(keys) -> list[dict]:
        return [{"unit": code, "name": names.get(code, code), "deadline": d, "title": titles[d]}
                for code, d in sorted(keys, key=lambda k: (k[1], k[0]))]

    return {
        "previous": {"kind": prior["kind"], "day": prior["day"], "as_of": prior["as_of"], "title": prior["title"]},
        **{f: now_h[f] - before_h[f] for f in HEADLINE_TOTALS},
        "newly_unlocked": [u for u in doc["steps"]["unlocks"] if u["name"] not in unlocked_before],
        "became_missing": listed(k for k, s in now.items() if s == "missing" and before.get(k) != "missing"),
        "became_late": listed(k for k, s in now.items() if s == "late" and before.get(k) is None),
        "caught_up": listed(k for k, s in now.items() if s == "late" and before.get(k) == "missing"),
    }
