"""The deadline registry: every deadline of the campaign, derived from its definition.

Pure functions over the campaign; no database, no Prefect, no GX. Deadline ids are
``<spec id>`` for a single deadline, ``<spec id>:<YYYY-MM-DD>`` for one per day of a
window (``daily_report:2019-06-25``) and ``<spec id>:<project id>`` for one per
poverty-relief project (``project_results:FP-001``).

The moments of a deadline, in order: its reminders (``due - offset``), ``due``, and
``closes = due + grace``. A file received by ``closes`` is on time, later is late. The
overdue notices and the digest are sent while ``closes < as_of <= closes + catch_up``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from insday.campaign import Campaign, DeadlineSpec, add_months, parse_duration


@dataclass(frozen=True)
class Deadline:
    id: str
    title: str
    report_type: str
    who: str
    period: date | None
    due: datetime
    grace: timedelta
    reminders: tuple[timedelta, ...]  # offsets before due, longest first
    units: tuple[str, ...]  # member codes expected to submit
    catch_up: timedelta = timedelta(days=1)

    @property
    def closes(self) -> datetime:
        """Submissions received by this moment are on time."""
        return self.due + self.grace

    def timeliness(self, received_at: datetime) -> str:
        return "on_time" if received_at <= self.closes else "late"

    def is_closed(self, as_of: datetime) -> bool:
        """After ``closes`` a unit without a valid submission is missing (before, it is still open)."""
        return as_of > self.closes

    def current_reminder(self, as_of: datetime, due: datetime | None = None) -> timedelta | None:
        """The reminder offset to send at ``as_of``: the latest one whose moment has come, before
        due (``due``: a unit's own due time, where it was given more time).

        Earlier reminders whose moment has also passed are superseded, so a run after a
        missed schedule sends one reminder, not every one it missed.
        """
        due = due or self.due
        if as_of >= due:
            return None
        come = [r for r in self.reminders if due - r <= as_of]
        return min(come) if come else None

    def notices_due(self, as_of: datetime, closes: datetime | None = None) -> bool:
        """Whether overdue notices and the digest are sent at ``as_of`` (closed, within catch-up;
        ``closes``: a unit's own due time)."""
        closes = closes or self.closes
        return closes < as_of <= closes + self.catch_up


def duration_label(delta: timedelta) -> str:
    """The campaign.yaml spelling of a duration: 3d, 16h, 30m."""
    minutes = int(delta.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def duration_text(delta: timedelta) -> str:
    """A duration in Chinese, to the minute: 3天、16小时、1天2小时30分钟."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "", f"{mins}分钟" if mins else ""]
    return "".join(parts) or "不到1分钟"


@dataclass(frozen=True)
class ProjectClaim:
    """A claimed poverty-relief project, as far as the reports tell."""

    project_id: str
    unit: str
    completed_on: date | None = None


def _durations(spec: DeadlineSpec, campaign: Campaign) -> dict:
    defaults = campaign.deadline_defaults
    reminders = tuple(parse_duration(r) for r in (spec.reminders if spec.reminders is not None else defaults.reminders))
    return {"grace": parse_duration(spec.grace or defaults.grace),
            "reminders": tuple(sorted(reminders, reverse=True)),
            "catch_up": parse_duration(spec.catch_up or defaults.catch_up)}


def registry(campaign: Campaign, projects: Iterable[ProjectClaim] = ()) -> list[Deadline]:
    """All deadlines, ordered by due time. Project deadlines need the claims known so far."""
    projects = list(projects)
    out: list[Deadline] = []
    for spec in campaign.deadlines:
        if spec.who == "claimants":
            claimants = tuple(sorted({p.unit for p in projects}))
        else:
            claimants = tuple(u.code for u in campaign.members(spec.who))

        def expected(due: datetime, codes: tuple[str, ...] = claimants) -> tuple[str, ...]:
            # the effective roster: a unit added or retired from T counts only on its side of T
            return tuple(c for c in codes if campaign.expects(c, due))

        common = dict(title=spec.title, report_type=spec.report_type, who=spec.who, **_durations(spec, campaign))
        if spec.each_day_of:
            for day in campaign.window_days(spec.each_day_of):
                due = campaign.at(day + timedelta(days=spec.due_days_after), spec.due_time)
                out.append(Deadline(id=f"{spec.id}:{day.isoformat()}", period=day, due=due, units=expected(due),
                                    **{**common, "title": f"{spec.title}（{day.month}月{day.day}日）"}))
        elif spec.due_after_completion:
            months = parse_duration(spec.due_after_completion)
            for p in projects:
                if p.completed_on is None:
                    continue
                due = add_months(campaign.at(p.completed_on), months) if isinstance(months, int) \
                    else campaign.at(p.completed_on) + months
                out.append(Deadline(id=f"{spec.id}:{p.project_id}", period=None, due=due,
                                    units=expected(due, (p.unit,)),
                                    **{**common, "title": f"{spec.title}（{p.project_id}）"}))
        else:
            out.append(Deadline(id=spec.id, period=None, due=spec.due, units=expected(spec.due), **common))
    return sorted(out, key=lambda d: (d.due, d.id))


def deadline_for(campaign: Campaign, report_type: str, period: date | None) -> Deadline | None:
    """The deadline a submission of this type and period answers, if it has one.

    Project reports answer per-project deadlines, which need the project rows: see
    the deadline status code; intake leaves their timeliness to it.
    """
    for d in registry(campaign):
        if d.report_type == report_type and d.period == period and d.who != "claimants":
            return d
    return None
