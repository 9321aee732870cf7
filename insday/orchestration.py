"""What the flows and deployments need that is not Prefect: the run calendar derived from
the campaign (when each flow runs, as recurrences in the campaign's time zone), the
``as_of`` of a run, the day a daily run reports on, and the failure alert's text.

The calendar follows the campaign definition, never fixed dates: the moments are
:mod:`insday.schedule`'s (the ``schedule:`` block of campaign.yaml applied to its deadlines),
the same moments the bulletins' and the shortlist's cut-offs are.

- ``daily_run``: ``daily_after_due`` after each day's reports are due (10:30, 06-26 .. 07-09 in 2019).
- ``deadline_watch``: hourly from ``watch_first`` to ``watch_last`` on every day from a
  deadline's first reminder to the first watch hour after it closes (its overdue notice), for
  every deadline with a known due time.
- ``essay_awards``: the shortlist ``shortlist_after_due`` after the scoring sheets are due, the
  results on ``essays.results_on`` at ``results_at``.
- ``final_bulletin``: ``final_after_due`` after the last deadline inside the campaign's dates
  (the summaries, 07-12 16:00 -> 17:00).

Each schedule is an RFC 5545 recurrence with a start and an end (``RRULE ... UNTIL`` or
``COUNT=1``) in the campaign's year: a campaign's deployments fire on its own days and never
again (a cron line has no year and would fire again next year with this year's rules).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from html import escape
from typing import Any, Literal, TypedDict

from dateutil.rrule import rrulestr

from insday.actions import ActionError
from insday.campaign import Campaign
from insday.deadlines import registry
from insday.schedule import daily_runs, final_run, next_watch, results_run, shortlist_run, watch_hours


# ----- as_of ------------------------------------------------------------------


def parse_as_of(text: str | datetime | None, campaign: Campaign) -> datetime:
    """ISO 8601 text or a datetime (a time without offset is campaign time; a date alone is its
    00:00) -> aware UTC. None or empty -> now."""
    if isinstance(text, datetime):
        moment = text
    elif text is None or not str(text).strip():
        return datetime.now(timezone.utc)
    else:
        try:
            moment = datetime.fromisoformat(str(text).strip())
        except ValueError:
            raise ValueError(f"as_of is not an ISO 8601 time: {text!r} (e.g. 2019-06-30T10:30)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=campaign.tz)
    return moment.astimezone(timezone.utc)


# How far before the campaign's first moment (its first day, or a deadline's first reminder if
# earlier) and after its last (its last day, or the last deadline's close if later) a run's
# ``as_of`` may be: a replay, a back-fill or a late catch-up fits; a typo of the year does not.
AS_OF_BEFORE = timedelta(days=30)
AS_OF_AFTER = timedelta(days=90)


def as_of_window(campaign: Campaign) -> tuple[datetime, datetime]:
    """The moments a flow run may be run as (aware, campaign time): see ``AS_OF_BEFORE`` / ``AS_OF_AFTER``."""
    deadlines = registry(campaign)
    first = min([campaign.at(campaign.start),
                 *(d.due - max(d.reminders, default=timedelta(0)) for d in deadlines)])
    last = max([campaign.at(campaign.end + timedelta(days=1)), *(d.closes for d in deadlines)])
    return campaign.local(first - AS_OF_BEFORE), campaign.local(last + AS_OF_AFTER)


def check_as_of(moment: datetime, campaign: Campaign) -> datetime:
    """``moment`` if it lies in :func:`as_of_window`; else :class:`insday.actions.ActionError`
    with a Chinese message (a refused input, not a failure: nobody in IT is alerted)."""
    first, last = as_of_window(campaign)
    if not first <= moment <= last:
        raise ActionError(f"运行时刻 {campaign.local(moment):%Y-%m-%d %H:%M} 不在「{campaign.title}」的运行范围内"
                          f"（{first:%Y-%m-%d} 至 {last:%Y-%m-%d}，北京时间），未执行任何操作。"
                          "请在运行表单中改选这个范围内的时刻，或留空表示现在。")
    return moment


def run_name(flow: str, as_of: str | datetime | None, campaign: Campaign, *, dry_run: bool = False,
             detail: str | None = None) -> str:
    """What a flow run is called: ``daily_run 2019-06-30``, ``essay_awards 2019-06-25 shortlist (dry run)``."""
    try:
        day = campaign.local(parse_as_of(as_of, campaign)).date().isoformat()
    except ValueError:
        day = str(as_of)
    return " ".join(filter(None, [flow, day, detail, "(dry run)" if dry_run else None]))


def report_day(campaign: Campaign, as_of: datetime) -> date | None:
    """The day a daily run reports on: the latest day whose daily reports are due by ``as_of``."""
    days = [d.period for d in registry(campaign) if d.period is not None and d.closes <= as_of]
    return max(days, default=None)


# ----- the run calendar -------------------------------------------------------


@dataclass(frozen=True)
class ScheduleLine:
    """When a deployment fires: an RFC 5545 recurrence (DTSTART and RRULE with an UNTIL or a
    COUNT) in the campaign's time zone, so it fires on its campaign's days of its year and never
    again; and the parameters of those runs."""

    rrule: str
    parameters: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Planned:
    """One deployment: which flow, its name, what it does, and when it runs."""

    flow: str
    name: str
    description: str
    schedules: tuple[ScheduleLine, ...]


class ScheduleRuns(TypedDict):
    """A schedule line and the runs it makes."""

    rrule: str  # DTSTART and RRULE, in the campaign's time zone
    timezone: str
    parameters: dict[str, Any]  # of every run it starts
    runs: int
    first: str
    last: str


class DeploymentSchedule(TypedDict):
    """``insday schedule --json``: one deployment and when it runs."""

    flow: str
    deployment: str  # <flow>/<campaign>
    state: Literal["upcoming", "running", "closed"]  # the campaign's
    schedules: list[ScheduleRuns]


def _stamp(moment: datetime) -> str:
    return f"{moment:%Y%m%dT%H%M%S}"


def _day_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """[06-26, 06-27, 06-28, 07-01] -> [(06-26, 06-28), (07-01, 07-01)]."""
    ranges: list[list[date]] = []
    for day in sorted(set(days)):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    return [(first, last) for first, last in ranges]


def daily_rules(days: Iterable[date], at: time) -> list[str]:
    """Recurrences firing at ``at`` (local time) on each of ``days``: one per run of consecutive days."""
    rules = []
    for first, last in _day_ranges(days):
        start, end = datetime.combine(first, at), datetime.combine(last, at)
        rules.append(f"DTSTART:{_stamp(start)}\nRRULE:FREQ=DAILY;UNTIL={_stamp(end)}" if end > start
                     else f"DTSTART:{_stamp(start)}\nRRULE:FREQ=DAILY;COUNT=1")
    return rules


def hourly_rules(days: Iterable[date], first_hour: int, last_hour: int) -> list[str]:
    """Recurrences firing on the hour from ``first_hour`` to ``last_hour`` on each of ``days``."""
    hours = ",".join(str(h) for h in range(first_hour, last_hour + 1))
    return [f"DTSTART:{_stamp(datetime.combine(first, time(first_hour)))}\nRRULE:FREQ=HOURLY;BYHOUR={hours};"
            f"UNTIL={_stamp(datetime.combine(last, time(last_hour)))}" for first, last in _day_ranges(days)]


def _at(moments: Iterable[datetime], campaign: Campaign) -> list[str]:
    """Recurrences that fire exactly at these moments (grouped by time of day)."""
    by_time: dict[time, list[date]] = defaultdict(list)
    for m in moments:
        local = campaign.local(m)
        by_time[local.time().replace(tzinfo=None)].append(local.date())
    return [rule for at, days in sorted(by_time.items()) for rule in daily_rules(days, at)]


def fires(line: ScheduleLine, campaign: Campaign) -> list[datetime]:
    """Every moment a schedule line fires (aware, in the campaign's time zone)."""
    return [m.replace(tzinfo=campaign.tz) for m in rrulestr(line.rrule)]


def watch_days(campaign: Campaign) -> list[date]:
    """Every day from a deadline's first reminder to the first watch hour after it closes.
    Deadlines known only from the data (a project's completion + 1 month) are not here."""
    days: set[date] = set()
    for d in registry(campaign):
        start = campaign.local(d.due - max(d.reminders, default=timedelta(0))).date()
        end = next_watch(campaign, d.closes).date()
        days.update(start + timedelta(days=i) for i in range((end - start).days + 1))
    return sorted(days)


def campaign_state(campaign: Campaign, now: datetime | None = None) -> str:
    """``upcoming`` before the first scheduled run, ``closed`` after the last one, else ``running``."""
    moments = [m for p in run_plan(campaign) for line in p.schedules for m in fires(line, campaign)]
    now = now or datetime.now(timezone.utc)
    return "upcoming" if now < min(moments) else "closed" if now > max(moments) else "running"


def run_plan(campaign: Campaign) -> list[Planned]:
    """The deployments of the campaign, with recurrences in its time zone that end with it."""
    shortlist = shortlist_run(campaign)
    first_hour, last_hour = watch_hours(campaign)
    return [
        Planned("daily_run", campaign.name,
                "每日运行：收取报表并入库、拉取步数、汇总、提醒、每日通报、发送邮件。"
                "Daily run after each day's reports are due: collect and ingest, steps, reminders, bulletin, mail.",
                tuple(ScheduleLine(r) for r in _at(daily_runs(campaign).values(), campaign))),
        Planned("deadline_watch", campaign.name,
                "截止时间监控：收取报表、发送截止前提醒和逾期通知（工作时间每小时）。"
                "Hourly in working hours around every deadline: collect, reminders and overdue notices, mail.",
                tuple(ScheduleLine(r) for r in hourly_rules(watch_days(campaign), first_hour, last_hour))),
        Planned("essay_awards", campaign.name,
                "征文评奖：打分表截止后公布入围名单，结果日公布获奖结果。"
                "Essay contest: the shortlist after the scoring sheets are due, the results on the results day.",
                tuple([ScheduleLine(r, {"stage": "shortlist"}) for r in _at([shortlist] if shortlist else [], campaign)]
                      + [ScheduleLine(r, {"stage": "results"}) for r in _at([results_run(campaign)], campaign)])),
        Planned("final_bulletin", campaign.name,
                "最终通报：活动总结截止后生成并发送最终通报。"
                "The final bulletin, after the last deadline of the campaign (the summaries).",
                tuple(ScheduleLine(r) for r in _at([final_run(campaign)], campaign))),
    ]


# ----- failure alert ------------------------------------------------------------


def failure_alert(campaign: Campaign, run: str, state: str, message: str | None,
                  url: str | None = None) -> tuple[str, str, str]:
    """(subject, html, text) of the email to the technical contact when a flow run fails."""
    subject = f"【insday】流程运行失败：{run}"
    lines = [f"流程「{run}」运行失败（状态：{state}）。", f"原因：{message or '未知'}"]
    if url:
        lines.append(f"查看运行详情：{url}")
    lines.append("修复后可在 Prefect 界面中对该流程选择“Run”重新运行（可指定 as_of），重复运行不会重复入库或重复发送。")
    text = "\n".join([f"{campaign.association.name} 技术联系人：", "", *lines])
    html = "".join([f"<p>{escape(campaign.association.name)} 技术联系人：</p>",
                    *(f"<p>{escape(line)}</p>" for line in lines)])
    return subject, html, text
