"""Who has met each deadline, as of a moment: what ``insday status`` answers.

Only files received by ``as_of`` count, so the answer is the state as it was (or will
be) at that moment. For a deadline D and each unit expected to submit it:

- **on time**: its first valid (accepted) file arrived by ``D.closes`` (due + grace);
- **late**: its first valid file arrived after ``D.closes`` (accepted and flagged);
- **missing**: ``as_of`` is after ``D.closes`` and no valid file has arrived;
- **open**: ``as_of`` is not after ``D.closes`` and no valid file has arrived yet: the
  unit can still be on time, so it is not counted as missing.

So ``expected = on_time + late + missing + open``; before D closes ``late`` and
``missing`` are 0, after it ``open`` is 0. A rejected file counts for nothing (the
units that only sent rejected files are listed as ``rejected_units``); a later version
of an accepted file does not change when the unit first met the deadline.

Which file answers which deadline: a file of the deadline's report type for its
period (one per day for the daily report; any period for a single deadline). For
poverty-relief projects (reports in append mode, one row per project): a claimant meets
``project_donation`` once a report giving the donation date has arrived for each of
its projects, and ``project_results:<project>`` with the first report of that project
received on or after its completion day.

Deadlines with ``who: association`` are the association's own and are not tracked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Connection

from insday.campaign import Campaign
from insday.deadlines import Deadline, ProjectClaim, registry
from insday.env import Env
from insday.sql import fetch

@dataclass(frozen=True)
class UnitProgress:
    code: str
    state: str  # on_time | late | missing | open
    first_at: datetime | None = None  # first valid file received
    rejected_files: int = 0


@dataclass
class DeadlineState:
    deadline: Deadline
    as_of: datetime
    units: list[UnitProgress] = field(default_factory=list)  # in the order of deadline.units

    @property
    def closed(self) -> bool:
        return self.deadline.is_closed(self.as_of)

    def codes(self, state: str) -> list[str]:
        return [u.code for u in self.units if u.state == state]

    def progress(self, code: str) -> UnitProgress:
        return next(u for u in self.units if u.code == code)


def _project_times(campaign: Campaign, reports: list[dict], claims: list[ProjectClaim]) -> tuple[dict, dict]:
    """When each claimant met its donation deadline ({unit: time}) and each project its results one."""
    donated: dict[str, datetime] = {}
    results: dict[str, datetime] = {}
    for r in reports:  # in the order received
        pid = r["project_id"]
        if r["donated_on"] is not None:
            donated.setdefault(pid, r["received_at"])
        if r["completed_on"] is not None and r["received_at"] >= campaign.at(r["completed_on"]):
            results.setdefault(pid, r["received_at"])
    by_unit: dict[str, list[str]] = defaultdict(list)
    for c in claims:
        by_unit[c.unit].append(c.project_id)
    donation = {unit: max(donated[p] for p in pids) for unit, pids in by_unit.items()
                if all(p in donated for p in pids)}
    return donation, results


def evaluate(conn: Connection, campaign: Campaign, as_of: datetime) -> list[DeadlineState]:
    """Every tracked deadline (as known at ``as_of``) with each expected unit's state."""
    claims = [ProjectClaim(r["project_id"], r["unit"], r["completed_on"])
              for r in fetch(conn, "project_claims", as_of=as_of)]
    deadlines = [d for d in registry(campaign, claims) if d.who != "association"]
    files: dict[tuple[str, str], list[dict]] = defaultdict(list)  # (report type, unit) -> per period
    for row in fetch(conn, "deadlines/submission_times", as_of=as_of):
        files[(row["report_type"], row["unit_code"])].append(row)
    donation, results = _project_times(campaign, fetch(conn, "deadlines/project_reports", as_of=as_of), claims) \
        if claims else ({}, {})

    states = []
    for d in deadlines:
        spec_id, _, project = d.id.partition(":")
        per_project = d.who == "claimants" and campaign.deadline_spec(spec_id).due_after_completion is not None
        state = DeadlineState(d, as_of)
        for code in d.units:
            rows = [r for r in files.get((d.report_type, code), ())
                    if d.period is None or r["period_key"] == d.period.isoformat()]
            if d.who == "claimants":
                first = results.get(project) if per_project else donation.get(code)
            else:
                first = min((r["first_accepted_at"] for r in rows if r["first_accepted_at"] is not None), default=None)
            if first is not None:
                progress = d.timeliness(first)
            else:
                progress = "missing" if state.closed else "open"
            state.units.append(UnitProgress(code, progress, first, sum(r["rejected_files"] for r in rows)))
        states.append(state)
    return states


def deadline_status(env: Env, as_of: datetime) -> dict:
    """The ``insday status --json`` document.

    ``{"as_of", "deadlines": [{"id", "report_type", "due", "expected", "on_time", "late",
    "missing", "missing_units", "title", "closes", "closed", "open", "open_units",
    "late_units", "rejected_units"}], "units": {code: name}}``; times are ISO 8601 in the
    campaign's time zone, unit lists are member codes in roster order.
    """
    with env.engine.connect() as conn:
        states = evaluate(conn, env.campaign, as_of)
    return status_document(env.campaign, as_of, states)


def status_document(campaign: Campaign, as_of: datetime, states: list[DeadlineState]) -> dict:
    local = lambda t: campaign.local(t).isoformat()  # noqa: E731
    deadlines, named = [], set()
    for s in states:
        d = s.deadline
        named.update(d.units)
        deadlines.append({
            "id": d.id, "report_type": d.report_type, "due": local(d.due), "expected": len(d.units),
            "on_time": len(s.codes("on_time")), "late": len(s.codes("late")), "missing": len(s.codes("missing")),
            "missing_units": s.codes("missing"),
            "title": d.title, "closes": local(d.closes), "closed": s.closed, "open": len(s.codes("open")),
            "open_units": s.codes("open"), "late_units": s.codes("late"),
            "rejected_units": [u.code for u in s.units if u.first_at is None and u.rejected_files],
        })
    units = {u.code: u.name for u in campaign.units if u.code in named}
    return {"as_of": local(as_of), "deadlines": deadlines, "units": units}
