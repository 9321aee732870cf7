"""The deadline registry: every deadline of the campaign, derived from its definition.

Pure functions over the campaign; no database, no Prefect, no GX.
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
    reminders: tuple[timedelta, ...]
    units: tuple[str, ...]  # member codes expected to submit

    @property
    def closes(self) -> datetime:
        """Submissions received by this moment are on time."""
        return self.due + self.grace

    def timeliness(self, received_at: datetime) -> str:
        return "on_time" if received_at <= self.closes else "late"


@dataclass(frozen=True)
class ProjectClaim:
    """A claimed poverty-relief project, as far as the reports tell."""

    project_id: str
    unit: str
    completed_on: date | None = None


def _durations(spec: DeadlineSpec, campaign: Campaign) -> tuple[timedelta, tuple[timedelta, ...]]:
    defaults = campaign.deadline_defaults
    grace = parse_duration(spec.grace or defaults.grace)
    reminders = tuple(parse_duration(r) for r in (spec.reminders if spec.reminders is not None else defaults.reminders))
    return grace, tuple(sorted(reminders, reverse=True))


def registry(campaign: Campaign, projects: Iterable[ProjectClaim] = ()) -> list[Deadline]:
    """All deadlines, ordered by due time. Project deadlines need the claims known so far."""
    projects = list(projects)
    out: list[Deadline] = []
    for spec in campaign.deadlines:
        grace, reminders = _durations(spec, campaign)
        if spec.who == "claimants":
            claimants = tuple(sorted({p.unit for p in projects}))
        else:
            claimants = tuple(u.code for u in campaign.members(spec.who))
        common = dict(title=spec.title, report_type=spec.report_type, who=spec.who, grace=grace, reminders=reminders)
        if spec.each_day_of:
            for day in campaign.window_days(spec.each_day_of):
                due = campaign.at(day + timedelta(days=spec.due_days_after), spec.due_time)
                out.append(Deadline(id=f"{spec.id}:{day.isoformat()}", period=day, due=due, units=claimants,
                                    **{**common, "title": f"{spec.title}（{day.month}月{day.day}日）"}))
        elif spec.due_after_completion:
            months = parse_duration(spec.due_after_completion)
            for p in projects:
                if p.completed_on is None:
                    continue
                due = add_months(campaign.at(p.completed_on), months) if isinstance(months, int) \
                    else campaign.at(p.completed_on) + months
                out.append(Deadline(id=f"{spec.id}:{p.project_id}", period=None, due=due, units=(p.unit,),
                                    **{**common, "title": f"{spec.title}（{p.project_id}）"}))
        else:
            out.append(Deadline(id=spec.id, period=None, due=spec.due, units=claimants, **common))
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
