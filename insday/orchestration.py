"""What the flows and deployments need that is not Prefect: the run calendar derived from
the campaign (when each flow runs, as cron lines in the campaign's time zone), the
``as_of`` of a run, the day a daily run reports on, and the failure alert's text.

The calendar follows the campaign definition, never fixed dates:

- ``daily_run``: each day's reports are due (``each_day_of`` deadlines, 10:00 the next
  day): the run starts ``DAILY_AFTER_DUE`` later (10:30, 06-26 .. 07-09 in 2019).
- ``deadline_watch``: hourly in ``WATCH_HOURS`` on every day from a deadline's first
  reminder to the first watch hour after it closes (its overdue notice), for every
  deadline with a known due time.
- ``essay_awards``: the shortlist ``AFTER_DUE`` after the scoring sheets are due, the
  results on ``essays.results_on`` at ``RESULTS_AT``.
- ``final_bulletin``: ``AFTER_DUE`` after the last deadline inside the campaign's dates
  (the summaries, 07-12 16:00 -> 17:00).

Cron has no year: the lines repeat on the same days in later years, so a campaign's
deployments are served during its campaign and replaced by the next campaign's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from html import escape

from insday.campaign import Campaign
from insday.deadlines import registry

DAILY_AFTER_DUE = timedelta(minutes=30)
AFTER_DUE = timedelta(hours=1)
SHORTLIST_AFTER_DUE = timedelta(minutes=30)
RESULTS_AT = time(17, 0)
WATCH_HOURS = (8, 18)  # first and last hour (inclusive) of the hourly deadline watch


# ----- as_of ------------------------------------------------------------------


def parse_as_of(text: str | None, campaign: Campaign) -> datetime:
    """ISO 8601 (a time without offset is campaign time; a date alone is its 00:00) -> aware UTC.
    None or empty -> now."""
    if text is None or not str(text).strip():
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"as_of is not an ISO 8601 time: {text!r} (e.g. 2019-06-30T10:30)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=campaign.tz)
    return moment.astimezone(timezone.utc)


def run_name(flow: str, as_of: str | None, campaign: Campaign, *, dry_run: bool = False,
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
class CronLine:
    cron: str
    parameters: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Planned:
    """One deployment: which flow, its name, what it does, and when it runs."""

    flow: str
    name: str
    description: str
    schedules: tuple[CronLine, ...]


def _ranges(numbers: Iterable[int]) -> str:
    """[1, 2, 3, 5, 8, 9] -> '1-3,5,8-9'."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ",".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def cron_lines(days: Iterable[date], minute: int, hours: Iterable[int]) -> list[str]:
    """One cron line per month covering ``days``, at ``minute`` past each of ``hours``."""
    by_month: dict[int, list[int]] = defaultdict(list)
    for day in sorted(set(days)):
        by_month[day.month].append(day.day)
    hour_field = _ranges(hours)
    return [f"{minute} {hour_field} {_ranges(ds)} {month} *" for month, ds in by_month.items()]


def _at(moments: Iterable[datetime], campaign: Campaign) -> list[str]:
    """Cron lines that fire exactly at these moments (grouped by time of day)."""
    by_time: dict[tuple[int, int], list[date]] = defaultdict(list)
    for m in moments:
        local = campaign.local(m)
        by_time[(local.hour, local.minute)].append(local.date())
    return [line for (h, mi), days in sorted(by_time.items()) for line in cron_lines(days, mi, [h])]


def watch_days(campaign: Campaign) -> list[date]:
    """Every day from a deadline's first reminder to the first watch hour after it closes.
    Deadlines known only from the data (a project's completion + 1 month) are not here."""
    last_hour = WATCH_HOURS[1]
    days: set[date] = set()
    for d in registry(campaign):
        start = campaign.local(d.due - max(d.reminders, default=timedelta(0))).date()
        after = campaign.local(d.closes)
        slot = after.replace(minute=0, second=0, microsecond=0)
        if slot < after:
            slot += timedelta(hours=1)
        end = slot.date() if slot.hour <= last_hour else slot.date() + timedelta(days=1)
        days.update(start + timedelta(days=i) for i in range((end - start).days + 1))
    return sorted(days)


def run_plan(campaign: Campaign) -> list[Planned]:
    """The deployments of the campaign, with cron lines in its time zone."""
    deadlines = registry(campaign)
    daily = [d.closes + DAILY_AFTER_DUE for d in deadlines if d.period is not None]
    sheets = [d for d in deadlines if d.report_type == "scoring_sheet"]
    last = max((d for d in deadlines if d.period is None and campaign.local(d.closes).date() <= campaign.end),
               key=lambda d: d.closes)
    results_at = datetime.combine(campaign.essays.results_on, RESULTS_AT, campaign.tz)
    first_hour, last_hour = WATCH_HOURS
    return [
        Planned("daily_run", campaign.name,
                "每日运行：收取报表并入库、拉取步数、汇总、提醒、每日通报、发送邮件。"
                "Daily run after each day's reports are due: collect and ingest, steps, reminders, bulletin, mail.",
                tuple(CronLine(c) for c in _at(daily, campaign))),
        Planned("deadline_watch", campaign.name,
                "截止时间监控：收取报表、发送截止前提醒和逾期通知（工作时间每小时）。"
                "Hourly in working hours around every deadline: collect, reminders and overdue notices, mail.",
                tuple(CronLine(c) for c in cron_lines(watch_days(campaign), 0, range(first_hour, last_hour + 1)))),
        Planned("essay_awards", campaign.name,
                "征文评奖：打分表截止后公布入围名单，结果日公布获奖结果。"
                "Essay contest: the shortlist after the scoring sheets are due, the results on the results day.",
                tuple([CronLine(c, {"stage": "shortlist"}) for c in _at([d.closes + SHORTLIST_AFTER_DUE
                                                                          for d in sheets], campaign)]
                      + [CronLine(c, {"stage": "results"}) for c in _at([results_at], campaign)])),
        Planned("final_bulletin", campaign.name,
                "最终通报：活动总结截止后生成并发送最终通报。"
                "The final bulletin, after the last deadline of the campaign (the summaries).",
                tuple(CronLine(c) for c in _at([last.closes + AFTER_DUE], campaign))),
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
