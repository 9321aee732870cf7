"""What the association knows about the step run at a moment: ``step_summary`` and ``reconcile``."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Literal, NotRequired, TypedDict

from insday.env import Env
from insday.sql import fetch
from insday.steps.figures import region_figures, unlocked
from insday.steps.rules import RegionRow, mask_participant, region_table


class Badges(TypedDict):
    """Participants who earned each badge."""

    first_donation: int
    five_donations: int
    ten_consecutive_days: int


class TopParticipant(TypedDict):
    rank: int
    participant: str  # masked id, e.g. wx_****c0c
    steps: int


class UnitSteps(TypedDict):
    """A member unit's steps as its daily reports give them, beside the platform's figure."""

    rank: int  # equal steps share a rank (1, 2, 2, 4)
    code: str
    name: str
    steps: int
    participants: int
    days_reported: int
    platform_steps: int | None  # the platform's total for the unit's staff; None: never pulled


class StepSummary(TypedDict):
    """``insday steps summary --json`` and the ``step_summary`` task."""

    as_of: str
    threshold: int  # group steps that unlock a helped region
    has_data: bool  # any step figure known yet (false: every figure is 0 because nothing is known)
    data_received_at: str | None  # when the latest import or pull known then was recorded
    regions: list[RegionRow]
    badges: Badges
    top: list[TopParticipant]
    units: list[UnitSteps]
    region_days: NotRequired[dict[str, dict[str, int]]]  # by_day: region code -> day -> steps as donated
    unit_days: NotRequired[dict[str, dict[str, int]]]  # by_day: unit code -> day -> the platform's steps


ReconcileStatus = Literal["match", "mismatch", "raw_only", "pulled_only"]


class RegionDayComparison(TypedDict):
    """One region and day, as recomputed from raw records and as the platform gave it (steps as donated)."""

    region: str
    code: str
    day: str
    raw_steps: int | None  # None: no raw records for it
    pulled_steps: int | None  # None: the platform did not give it
    steps_diff: int | None  # raw - pulled, when both are known
    raw_donations: int | None
    pulled_donations: int | None
    donations_diff: int | None
    status: ReconcileStatus  # match: equal steps and equal donations (where the platform gave them)


class Reconciliation(TypedDict):
    """``insday steps reconcile --json``."""

    as_of: str
    counts: dict[ReconcileStatus, int]
    differences: list[RegionDayComparison]  # every row but the matches
    rows: list[RegionDayComparison]  # every region and day either source has


def _moment(as_of: datetime | None) -> datetime:
    return (as_of or datetime.now(timezone.utc)).astimezone(timezone.utc)


def step_summary(env: Env, as_of: datetime | None = None, *, by_day: bool = False) -> StepSummary:
    """Regions (own and group steps, progress, unlock day), badge counts, the top participants
    (masked ids) and the member units ranking, as known at ``as_of`` (default now).

    ``by_day`` adds the figures per day, as donated (not doubled): ``region_days``
    ({region code: {day: steps}}) and ``unit_days`` ({unit code: {day: the platform's steps
    for the unit's staff}}); ``has_data`` says whether any step figure is known at all, and
    ``data_received_at`` when the latest import or pull was recorded (None: no step data yet)."""
    campaign = env.campaign
    as_of = _moment(as_of)
    with env.engine.connect() as conn:
        key = campaign.name
        latest = _latest(conn, campaign, as_of)
        figures = region_figures(conn, campaign, as_of)
        unlocks = unlocked(conn, campaign, as_of)
        [badges] = fetch(conn, "marts/steps/badge_counts", as_of=as_of, campaign=key)
        top = fetch(conn, "marts/steps/top_participants", as_of=as_of, campaign=key)
        reports = {r["unit_code"]: r for r in fetch(conn, "marts/steps/unit_reports", as_of=as_of, campaign=key)}
        unit_days: dict[str, dict[str, int]] = defaultdict(dict)
        for r in fetch(conn, "marts/steps/unit_platform_days", as_of=as_of, campaign=key):
            unit_days[r["unit_code"]][r["day"].isoformat()] = int(r["steps"])
    units: list[UnitSteps] = []
    for unit in campaign.units:
        report = reports.get(unit.code, {})
        platform = unit_days.get(unit.code)
        units.append({"code": unit.code, "name": unit.display_name, "steps": report.get("steps") or 0,
                      "participants": report.get("participants") or 0,
                      "days_reported": report.get("days_reported") or 0,
                      "platform_steps": sum(platform.values()) if platform else None})
    units.sort(key=lambda u: (-u["steps"], u["code"]))
    for i, unit in enumerate(units):  # equal steps share a rank (1, 2, 2, 4)
        unit["rank"] = units[i - 1]["rank"] if i and unit["steps"] == units[i - 1]["steps"] else i + 1
    summary: StepSummary = {
        "as_of": as_of.astimezone(campaign.tz).isoformat(),
        "threshold": campaign.steps.unlock_threshold,
        "has_data": bool(figures),
        "data_received_at": latest.astimezone(campaign.tz).isoformat() if latest else None,
        "regions": region_table(campaign, figures, {c: u["unlocked_on"] for c, u in unlocks.items()}),
        "badges": {k: int(badges[k]) for k in ("first_donation", "five_donations", "ten_consecutive_days")},
        "top": [{"rank": t["rank"], "participant": mask_participant(t["participant_id"]), "steps": t["steps"]}
                for t in top],
        "units": units,
    }
    if by_day:
        region_days: dict[str, dict[str, int]] = defaultdict(dict)
        for f in figures:
            region_days[f.region_code][f.day.isoformat()] = f.steps
        summary["region_days"] = dict(region_days)
        summary["unit_days"] = dict(unit_days)
    return summary


def _latest(conn, campaign, as_of: datetime) -> datetime | None:
    [row] = fetch(conn, "marts/steps/latest_data", as_of=as_of, campaign=campaign.name)
    return row["latest_at"]


def latest_step_data(env: Env, as_of: datetime | None = None) -> datetime | None:
    """When the latest step data (an import of raw records or a pull of the platform's
    figures) was recorded, by ``as_of`` (default: ever); None when there is none."""
    with env.engine.connect() as conn:
        if as_of is None:
            [row] = fetch(conn, "marts/steps/latest_event", campaign=env.campaign.name)
            return row["latest_at"]
        return _latest(conn, env.campaign, _moment(as_of))


def reconcile(env: Env, as_of: datetime | None = None) -> Reconciliation:
    """Raw-record figures against pulled figures per region per day (steps as donated, not
    doubled). status: match, mismatch, raw_only, pulled_only; ``differences`` lists all but
    the matches."""
    as_of = _moment(as_of)
    regions = env.campaign.steps.by_code
    with env.engine.connect() as conn:
        figures = region_figures(conn, env.campaign, as_of)
    rows: list[RegionDayComparison] = []
    for f in figures:
        both = f.raw_steps is not None and f.pulled_steps is not None
        if both:
            same = f.raw_steps == f.pulled_steps and f.pulled_donations in (None, f.raw_donations)
            status = "match" if same else "mismatch"
        else:
            status = "raw_only" if f.raw_steps is not None else "pulled_only"
        rows.append({
            "region": regions[f.region_code].name, "code": f.region_code, "day": f.day.isoformat(),
            "raw_steps": f.raw_steps, "pulled_steps": f.pulled_steps,
            "steps_diff": f.raw_steps - f.pulled_steps if both else None,
            "raw_donations": f.raw_donations, "pulled_donations": f.pulled_donations,
            "donations_diff": f.raw_donations - f.pulled_donations if both and f.pulled_donations is not None
            else None,
            "status": status,
        })
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("match", "mismatch", "raw_only", "pulled_only")}
    return {"as_of": as_of.astimezone(env.campaign.tz).isoformat(), "counts": counts,
            "differences": [r for r in rows if r["status"] != "match"], "rows": rows}
