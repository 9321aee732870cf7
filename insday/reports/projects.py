"""Poverty-relief projects (保险扶贫项目): the claims known at a moment, what the deadline
registry derives from them, and where each project stands against its deadlines.

The claimant of a project is the company that reported it. Its deadlines come from the
registry (``insday.deadlines.registry(campaign, project_claims(...))``):
``project_donation`` (donated and published, for every claimant) and
``project_results:<project_id>`` (results published, due a month after completion).
A deadline is *met* by what the latest report of the project says: donation and
publication dates for the first, the results publication date for the second.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, TypedDict

from sqlalchemy.engine import Connection

from insday.campaign import Campaign
from insday.deadlines import ProjectClaim, registry
from insday.deadlines.projects import claims_of, deadline_state
from insday.env import Env
from insday.reports.common import fetch_as_of, jsonable, money, unit_info
from insday.sql import fetch

STATE_ZH = {"open": "未到期", "met": "按时完成", "met_late": "逾期完成", "overdue": "已逾期"}


def project_claims(conn: Connection, campaign: Campaign, as_of: datetime) -> list[ProjectClaim]:
    """Every project of the campaign claimed as of ``as_of``."""
    return claims_of(fetch(conn, "staging/projects_current", as_of=as_of, campaign=campaign.name))


def _latest(*days: date | None) -> date | None:
    return None if any(d is None for d in days) else max(days)


def projects(env: Env, as_of: datetime) -> list[dict]:
    """Every project as last reported by ``as_of``, with its deadlines and their state."""
    return project_items(env.campaign, fetch_as_of(env, "staging/projects_current", as_of), as_of)


def project_items(campaign: Campaign, rows: list[dict], as_of: datetime) -> list[dict]:
    """The projects of ``sql/staging/projects_current.sql`` rows, with their deadlines' states."""
    claims = claims_of(rows)
    deadlines = {d.id: d for d in registry(campaign, claims) if d.report_type == "project"}
    donation_spec = next((s for s in campaign.deadlines if s.report_type == "project" and s.due), None)
    results_spec = next((s for s in campaign.deadlines if s.report_type == "project" and s.due_after_completion),
                        None)
    out = []
    for r in sorted(rows, key=lambda r: r["project_id"]):
        claimant = unit_info(campaign, r["unit"])
        item = {
            "project_id": r["project_id"], **claimant, "region": r["region"], "head_office": r["head_office"],
            "coverage": money(r["coverage"]), "people": r["people"], "term_months": r["term_months"],
            "donated_on": r["donated_on"], "published_on": r["published_on"], "claims_paid": money(r["claims_paid"]),
            "completed_on": r["completed_on"], "results_published_on": r["results_published_on"],
            "link": r["link"], "reported_at": r["received_at"], "deadlines": [],
        }
        for spec, done_on in ((donation_spec, _latest(r["donated_on"], r["published_on"])),
                              (results_spec, r["results_published_on"])):
            if spec is None:
                continue
            deadline = deadlines.get(spec.id if spec.due else f"{spec.id}:{r['project_id']}")
            if deadline is None:
                continue  # results are due only once the project is completed
            state = deadline_state(campaign, deadline, done_on, as_of)
            item["deadlines"].append({"id": deadline.id, "title": spec.title, "due": deadline.due,
                                      "done_on": done_on, "state": state})
        out.append(item)
    return out


class ProjectDeadline(TypedDict):
    id: str  # project_donation, project_results:<project_id>
    title: str
    due: str
    done_on: str | None  # the day the latest report says it was done
    state: Literal["open", "met", "met_late", "overdue"]


class Project(TypedDict):
    """A project as last reported (:func:`projects`, in JSON)."""

    project_id: str
    unit: str  # the claimant
    name: str
    short_name: str
    region: str
    head_office: str | None
    coverage: float | None  # yuan
    people: int | None
    term_months: int | None
    donated_on: str | None
    published_on: str | None
    claims_paid: float | None
    completed_on: str | None
    results_published_on: str | None
    link: str | None
    reported_at: str
    deadlines: list[ProjectDeadline]


class ProjectsReport(TypedDict):
    """``insday projects --json``."""

    as_of: str
    projects: list[Project]
    overdue: int  # project deadlines overdue


def projects_report(env: Env, as_of: datetime) -> ProjectsReport:
    items = projects(env, as_of)
    overdue = sum(1 for p in items for d in p["deadlines"] if d["state"] == "overdue")
    return jsonable({"as_of": as_of, "projects": items, "overdue": overdue})
