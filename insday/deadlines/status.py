"""Who has met each deadline, as of a moment: what ``insday status`` answers.

Only files received by ``as_of`` count, so the answer is the state as it was (or will
be) at that moment. For a deadline D and each unit expected to submit it:

- **on time**: its first valid (accepted) file arrived by ``D.closes`` (due + grace);
- **late**: its first valid file arrived after ``D.closes`` (accepted and flagged);
- **missing**: ``as_of`` is after ``D.closes`` and no valid file has arrived;
- **open**: ``as_of`` is not after ``D.closes`` and no valid file has arrived yet: the
  unit can still be on time, so it is not counted as missing;
- **excused** (免报): the association excused the unit (``insday excuse``), with a reason.

A unit the association gave more time (``insday extend``) is measured against its own due
time instead of ``D.closes``, from the moment the extension was recorded. So
``expected = on_time + late + missing + open + excused``. A rejected file counts for nothing
(the units that only sent rejected files are listed as ``rejected_units``), nor does a voided
one (``insday void``) from the moment it was voided; a later version of an accepted file does
not change when the unit first met the deadline.

Which file answers which deadline: a file of the deadline's report type for its
period (one per day for the daily report; any period for a single deadline). For
poverty-relief projects the dates the latest project report gives decide, as
``insday.deadlines.projects`` reads them: a claimant meets ``project_donation`` when every
project it claimed is donated and published by the due day, and
``project_results:<project>`` when that project's results are published in time.

Deadlines with ``who: association`` are the association's own and are not tracked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NotRequired, TypedDict

from sqlalchemy.engine import Connection

from insday.campaign import Campaign
from insday.deadlines import Deadline, registry
from insday.deadlines.projects import claimant_states, claims_of
from insday.env import Env
from insday.reports.projects import project_items
from insday.roster import effective, notes
from insday.sql import fetch

# What ``insday status --json`` prints (and the ``deadline_status`` task returns). Times are
# ISO 8601 strings in the campaign's time zone; unit lists are member codes in roster order.

# A unit measured differently from the deadline: extended, excused, added or retired.
DeadlineException = TypedDict("DeadlineException", {
    "unit": str,
    "kind": Literal["extend", "excuse", "add", "retire"],
    "until": str | None,  # the unit's own due time (extend); None otherwise
    "reason": str,
    "from": NotRequired[str],  # add / retire: when the roster change takes effect
})


class VoidedFile(TypedDict):
    """A file of the deadline voided by the association (``insday void``): it counts for nothing."""

    submission: int
    unit: str
    filename: str
    voided_at: str
    reason: str


class DeadlineCounts(TypedDict):
    """A deadline's counts as of a moment: ``expected = on_time + late + missing + open + excused``
    (status and the bulletins' deadline tables)."""

    id: str  # e.g. daily_report:2019-06-26, scoring_sheet
    title: str
    due: str
    closed: bool  # the moment is after due + grace: units without a valid file are missing, not open
    expected: int
    on_time: int
    late: int
    missing: int
    open: int
    excused: int
    missing_units: list[str]
    open_units: list[str]
    late_units: list[str]
    excused_units: list[str]


class DeadlineStatus(DeadlineCounts):
    """One deadline as of the moment, as status tells it."""

    report_type: str
    closes: str  # due + grace: a file after it is late
    rejected_units: list[str]  # units that sent only files that were rejected
    exceptions: list[DeadlineException]
    voided: list[VoidedFile]


# A change to the roster (``insday units add`` / ``retire``), effective ``from``.
RosterNote = TypedDict("RosterNote", {"unit": str, "name": str, "kind": Literal["add", "retire"], "from": str,
                                      "reason": str})


class StatusReport(TypedDict):
    """``insday status --json``: every tracked deadline as of ``as_of``."""

    as_of: str
    deadlines: list[DeadlineStatus]
    units: dict[str, str]  # code -> the roster's display name, for every unit named above
    roster_changes: list[RosterNote]


@dataclass(frozen=True)
class UnitProgress:
    code: str
    state: str  # on_time | late | missing | open | excused
    first_at: datetime | None = None  # first valid file received
    rejected_files: int = 0
    due: datetime | None = None  # the unit's own due time, when the association extended it
    reason: str | None = None  # why it was extended or excused


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


_PROJECT_STATE = {"met": "on_time", "met_late": "late", "overdue": "missing", "open": "open"}


def tracked_deadlines(campaign: Campaign, projects: list[dict]) -> list[Deadline]:
    """Every deadline the association tracks, given the project reports known so far (the
    per-project deadlines come from them; ``staging/projects_current``)."""
    return [d for d in registry(campaign, claims_of(projects)) if d.who != "association"]


def evaluate(conn: Connection, campaign: Campaign, as_of: datetime) -> list[DeadlineState]:
    """Every tracked deadline (as known at ``as_of``) with each expected unit's state, each
    unit measured against its own due time where the association extended it."""
    campaign = effective(conn, campaign, as_of)  # units.csv plus the roster changes known by then
    projects = fetch(conn, "staging/projects_current", as_of=as_of, campaign=campaign.name)
    deadlines = tracked_deadlines(campaign, projects)
    files: dict[tuple[str, str], list[dict]] = defaultdict(list)  # (report type, unit) -> per period
    for row in fetch(conn, "marts/deadlines/submission_times", as_of=as_of, campaign=campaign.name):
        files[(row["report_type"], row["unit_code"])].append(row)
    project_states = claimant_states(project_items(campaign, projects, as_of)) if projects else {}
    reported = {r["unit"]: r["received_at"] for r in projects}
    overrides = {(o["deadline_id"], o["unit_code"]): o
                 for o in fetch(conn, "marts/deadlines/unit_overrides", as_of=as_of, campaign=campaign.name)}

    states = []
    for d in deadlines:
        state = DeadlineState(d, as_of)
        for code in d.units:
            rows = [r for r in files.get((d.report_type, code), ())
                    if d.period is None or r["period_key"] == d.period.isoformat()]
            rejected = sum(r["rejected_files"] for r in rows)
            special = overrides.get((d.id, code))
            if special and special["kind"] == "excuse":
                state.units.append(UnitProgress(code, "excused", None, rejected, reason=special["reason"]))
                continue
            closes = special["until_at"] if special else d.closes
            if d.who == "claimants":  # met by the dates the project reports give
                progress = _PROJECT_STATE[project_states.get(d.id, {}).get(code, "overdue" if state.closed else "open")]
                first = reported.get(code) if progress in ("on_time", "late") else None
            else:
                first = min((r["first_accepted_at"] for r in rows if r["first_accepted_at"] is not None), default=None)
                progress = ("on_time" if first <= closes else "late") if first is not None else \
                    "missing" if as_of > closes else "open"
            state.units.append(UnitProgress(code, progress, first, rejected, due=special["until_at"] if special else None,
                                            reason=special["reason"] if special else None))
        states.append(state)
    return states


def deadline_status(env: Env, as_of: datetime) -> StatusReport:
    """The ``insday status --json`` document (:class:`StatusReport`). The roster is the effective
    one (:mod:`insday.roster`): units.csv plus the changes recorded by ``as_of``.
    """
    with env.engine.connect() as conn:
        campaign = effective(conn, env.campaign, as_of)
        states = evaluate(conn, campaign, as_of)
        voided = fetch(conn, "marts/deadlines/voided_submissions", as_of=as_of, campaign=campaign.name)
    return status_document(campaign, as_of, states, voided)


def status_document(campaign: Campaign, as_of: datetime, states: list[DeadlineState],
                    voided: list[dict] = ()) -> StatusReport:
    local = lambda t: campaign.local(t).isoformat()  # noqa: E731
    deadlines, named = [], set()
    for s in states:
        d = s.deadline
        named.update(d.units)
        period = d.period.isoformat() if d.period else None
        deadlines.append({
            "id": d.id, "report_type": d.report_type, "due": local(d.due), "expected": len(d.units),
            "on_time": len(s.codes("on_time")), "late": len(s.codes("late")), "missing": len(s.codes("missing")),
            "missing_units": s.codes("missing"),
            "title": d.title, "closes": local(d.closes), "closed": s.closed, "open": len(s.codes("open")),
            "open_units": s.codes("open"), "late_units": s.codes("late"),
            "rejected_units": [u.code for u in s.units if u.first_at is None and u.rejected_files],
            "excused": len(s.codes("excused")), "excused_units": s.codes("excused"),
            "exceptions": [*({"unit": u.code, "kind": "excuse" if u.state == "excused" else "extend",
                              "until": local(u.due) if u.due else None, "reason": u.reason}
                             for u in s.units if u.reason),
                           *({**n, "until": None, "from": local(n["from"])} for n in notes(campaign, d))],
            "voided": [{"submission": v["submission_id"], "unit": v["unit_code"], "filename": v["filename"],
                        "voided_at": local(v["voided_at"]), "reason": v["void_reason"]} for v in voided
                       if v["report_type"] == d.report_type and v["unit_code"] in d.units
                       and (period is None or v["period_key"] == period)],
        })
    named.update(c.unit for c in campaign.roster_changes)
    units = {u.code: u.display_name for u in campaign.units if u.code in named}
    roster = [{"unit": c.unit, "name": c.name, "kind": c.kind, "from": local(c.effective), "reason": c.reason}
              for c in campaign.roster_changes]
    return {"as_of": local(as_of), "deadlines": deadlines, "units": units, "roster_changes": roster}
