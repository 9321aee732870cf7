"""The step-run rules in plain Python, on small, already aggregated data.

Every number comes from the campaign (``campaign.steps`` and the ``step_run`` window):
the minimum steps, the double days and factor, the unlock threshold, the badges, the top
size and the regions with their helper pairs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, TypedDict

from insday.campaign import Badges, Campaign, Region, text_key

MAX_WINDOW_DAYS = 16  # a participant's days are bits of a BIGINT; every mask (2**days) gets statistics

# Why a donation record does not count -> what users read. A record gets the first reason that
# applies in this order (StepCalendar.reason); ``repeat_same_day`` comes last, decided by
# first_donation_order once a participant's records of a day are known. The keys are the
# ``rejected`` counts of ``insday steps import --json`` and the reasons stored in step_rejects.
REJECT_REASONS = {
    "malformed": "格式错误",
    "outside_window": "不在活动时间内",
    "unknown_region": "地区无法识别",
    "below_min_steps": "步数不足",
    "repeat_same_day": "同日重复捐步",
}


def first_donation_order(donated_at: datetime, record: int) -> tuple[datetime, int]:
    """"First donation of the day wins": of a participant's counted records on one local day,
    the one with the least key counts: the earliest ``donated_at``, at equal times the earlier
    record (earlier import, then earlier line); the others are ``repeat_same_day``. Applied by
    :class:`insday.steps.tally.Tally` within a file (NumPy, a stable sort by time),
    sql/steps/tmp_losers.sql across imports (``ORDER BY donated_at, record_id``) and the fake
    platform (:mod:`insday.fake.platform`)."""
    return donated_at, record


class StepsError(ValueError):
    """A step-data problem the user must fix; the message is Chinese and says how."""


class StepsOutOfOrder(StepsError):
    """Step data dated before what is already recorded: refused, so "as of" answers never change."""


@dataclass(frozen=True)
class StepCalendar:
    """The step-run window as local days; day i is bit i of a participant's ``days_mask``."""

    start: datetime
    end: datetime  # exclusive
    days: tuple[date, ...]
    double_mask: int  # bit i set when day i counts double
    double_factor: int
    min_steps: int

    def index(self, day: date) -> int:
        return (day - self.days[0]).days

    def factor(self, day: date) -> int:
        return self.double_factor if day in self.days and self.double_mask >> self.index(day) & 1 else 1

    def reason(self, donated_at: datetime, region: str | None, steps: int) -> str | None:
        """Why a well-formed record (its region resolved, None if unknown) does not count, the
        first of REJECT_REASONS that applies; None: it counts (unless a same-day repeat)."""
        if not self.start <= donated_at < self.end:
            return "outside_window"
        if region is None:
            return "unknown_region"
        return "below_min_steps" if steps < self.min_steps else None


def step_calendar(campaign: Campaign) -> StepCalendar:
    rules = campaign.steps
    window = campaign.window(rules.window)
    days = tuple(campaign.window_days(rules.window))
    if len(days) > MAX_WINDOW_DAYS:
        raise StepsError(f"公益跑时间窗口 {len(days)} 天，超过支持的 {MAX_WINDOW_DAYS} 天")
    mask = sum(1 << days.index(d) for d in rules.double_days if d in days)
    return StepCalendar(window.start, window.end, days, mask, rules.double_factor, rules.min_daily_steps)


class RegionResolver:
    """A region as written (short name 北京, full name 北京市, code 11, odd spacing or width) -> code."""

    def __init__(self, regions: tuple[Region, ...]):
        self.regions = {r.code: r for r in regions}
        self._keys = {text_key(s): r.code for r in regions for s in (r.code, r.name, r.full_name)}

    def resolve(self, written: str | None) -> str | None:
        return self._keys.get(text_key(written)) if written else None

    def spellings(self) -> dict[str, str]:
        """The canonical spellings exactly as the campaign writes them."""
        return {s: r.code for r in self.regions.values() for s in (r.code, r.name, r.full_name)}


@dataclass(frozen=True)
class MaskStats:
    donations: int
    first_on: date
    last_on: date
    current_streak: int  # consecutive days ending on last_on
    best_streak: int
    first_donation_on: date | None
    five_donations_on: date | None
    ten_consecutive_days_on: date | None


def mask_stats(mask: int, days: tuple[date, ...], badges: Badges) -> MaskStats:
    """Counts, streaks and badge days of a participant whose donation days are the set bits."""
    on = [i for i in range(len(days)) if mask >> i & 1]
    if not on:
        raise ValueError("empty day mask")
    run = best = 0
    previous = None
    streak_day = None
    for i in on:
        run = run + 1 if previous is not None and i == previous + 1 else 1
        best = max(best, run)
        if streak_day is None and run >= badges.consecutive_days:
            streak_day = days[i]
        previous = i

    def nth(n: int) -> date | None:
        return days[on[n - 1]] if len(on) >= n else None

    return MaskStats(len(on), days[on[0]], days[on[-1]], run, best, nth(badges.first_donation),
                     nth(badges.five_donations), streak_day)


BADGES = ("first_donation", "five_donations", "ten_consecutive_days")


def badge_masks(days: tuple[date, ...], badges: Badges) -> dict[str, list[bool]]:
    """For each badge, whether a participant with that day mask has earned it, for every mask
    1 .. 2**len(days) - 1 (at index mask - 1)."""
    stats = [mask_stats(m, days, badges) for m in range(1, 1 << len(days))]
    return {name: [getattr(s, f"{name}_on") is not None for s in stats] for name in BADGES}


def mask_participant(participant_id: str) -> str:
    """What may be published of a participant id: a few characters at each end."""
    keep = min(3, len(participant_id) // 4)
    return f"{participant_id[:keep]}****{participant_id[-keep:]}" if keep else "****"


# ----- the region table --------------------------------------------------------------

@dataclass(frozen=True)
class RegionDayFigure:
    """One region's figures for one day: from raw records and from the platform (None = none)."""

    region_code: str
    day: date
    raw_steps: int | None
    raw_donations: int | None
    pulled_steps: int | None
    pulled_donations: int | None

    @property
    def source(self) -> str | None:
        return "pulled" if self.pulled_steps is not None else ("raw" if self.raw_steps is not None else None)

    @property
    def steps(self) -> int:
        """The authoritative figure: the platform's where pulled, else the raw records'."""
        if self.pulled_steps is not None:
            return self.pulled_steps
        return self.raw_steps or 0


def group_members(campaign: Campaign) -> dict[str, list[str]]:
    """Helped region code -> the regions whose steps count toward its total (itself and its helper)."""
    groups = {r.code: [r.code] for r in campaign.steps.regions if r.helped}
    for r in campaign.steps.regions:
        if r.helps:
            groups[r.helps].append(r.code)
    return groups


def crossings(campaign: Campaign, figures: list[RegionDayFigure]) -> dict[str, tuple[date, int]]:
    """Helped region code -> (first local day its cumulative group total reached the threshold,
    the cumulative total on that day)."""
    cal = step_calendar(campaign)
    counted: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for f in figures:
        counted[f.region_code][f.day] += f.steps * cal.factor(f.day)
    result = {}
    for helped, members in group_members(campaign).items():
        per_day: dict[date, int] = defaultdict(int)
        for code in members:
            for day, steps in counted[code].items():
                per_day[day] += steps
        total = 0
        for day in sorted(per_day):
            total += per_day[day]
            if total >= campaign.steps.unlock_threshold:
                result[helped] = (day, total)
                break
    return result


class RegionRow(TypedDict):
    """A region's standing in the step run (double days counted)."""

    rank: int  # by own steps, largest first, ties by code
    name: str
    code: str
    full_name: str
    helps: str | None  # the region this one helps (a helper region), by short name
    helper: str | None  # the region helping this one (a helped region)
    own_steps: int
    group_steps: int | None  # helped regions: own plus helpers' steps; None for the others
    progress: float | None  # group steps in percent of the unlock threshold, 2 decimals
    unlocked_on: str | None
    source: Literal["pulled", "raw", "mixed"] | None  # where the figures came from; None: no figures


def region_table(campaign: Campaign, figures: list[RegionDayFigure], unlocked: dict[str, date]) -> list[RegionRow]:
    """One row per region, largest own total first: own and group steps (double days counted),
    progress toward the threshold in percent, the unlock day and which source the figures came from."""
    cal = step_calendar(campaign)
    own: dict[str, int] = defaultdict(int)
    sources: dict[str, set[str]] = defaultdict(set)
    for f in figures:
        own[f.region_code] += f.steps * cal.factor(f.day)
        if f.source:
            sources[f.region_code].add(f.source)
    groups = group_members(campaign)
    regions = campaign.steps.by_code
    rows = []
    for r in campaign.steps.regions:
        group = sum(own[c] for c in groups[r.code]) if r.helped else None
        helper = campaign.steps.helper_of(r.code) if r.helped else None
        used = sources[r.code]
        rows.append({
            "name": r.name,
            "code": r.code,
            "full_name": r.full_name,
            "helps": regions[r.helps].name if r.helps else None,
            "helper": helper.name if helper else None,
            "own_steps": own[r.code],
            "group_steps": group,
            "progress": round(100 * group / campaign.steps.unlock_threshold, 2) if group is not None else None,
            "unlocked_on": unlocked[r.code].isoformat() if r.code in unlocked else None,
            "source": "mixed" if len(used) > 1 else next(iter(used), None),
        })
    rows.sort(key=lambda row: (-row["own_steps"], row["code"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows
