"""Poverty-relief projects' deadlines: the claims the registry derives them from, and each
claimant's state. The claimant of a project is the company that reported it; it meets
``project_donation`` when every project it claimed is donated and published by the due day,
``project_results:<project>`` when that project's results are published in time (a month
after completion). What the latest report of a project says decides."""

from __future__ import annotations

from datetime import date, datetime

from insday.campaign import Campaign
from insday.deadlines import Deadline, ProjectClaim


def claims_of(rows: list[dict]) -> list[ProjectClaim]:
    """The claims in ``sql/staging/projects_current.sql`` rows, for ``insday.deadlines.registry``."""
    return [ProjectClaim(project_id=r["project_id"], unit=r["unit"], completed_on=r["completed_on"])
            for r in sorted(rows, key=lambda r: r["project_id"])]


def deadline_state(campaign: Campaign, deadline: Deadline, done_on: date | None, as_of: datetime) -> str:
    """``met`` / ``met_late`` by the date the report gives (the deadline's local day
    counts), else ``overdue`` once the deadline has closed at ``as_of``, else ``open``."""
    if done_on is not None:
        return "met" if done_on <= campaign.local(deadline.closes).date() else "met_late"
    return "overdue" if as_of > deadline.closes else "open"


def claimant_states(items: list[dict]) -> dict[str, dict[str, str]]:
    """Deadline id -> {claimant: the worst state of its projects}, from ``project_items``."""
    rank = {"overdue": 3, "open": 2, "met_late": 1, "met": 0}
    states: dict[str, dict[str, str]] = {}
    for p in items:
        for d in p["deadlines"]:
            units = states.setdefault(d["id"], {})
            current = units.get(p["unit"])
            if current is None or rank[d["state"]] > rank[current]:
                units[p["unit"]] = d["state"]
    return states
