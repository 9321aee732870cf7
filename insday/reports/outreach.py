"""Outreach and publicity events (保险五进入, 职场宣传, 媒体宣传): how many events, people
reached and materials handed out, per unit and per kind, as known at a moment; the
workplace-publicity checklist (posters, LED screens, service desks) of the kind 职场; and
the association's own activities, counted as its own, never as a member unit's."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from insday.env import Env
from insday.reports.common import fetch_as_of, unit_info

FIGURES = ("events", "people_reached", "materials")
WORKPLACE_KIND = "职场"
WORKPLACE = ("posters", "led_screens", "service_desks")


def kinds(env: Env) -> list[str]:
    """The event kinds in the order the campaign lists them."""
    column = next(c for c in env.campaign.report_type("events").columns if c.key == "kind")
    return list(column.choices or ())


def _zeros(names=FIGURES) -> dict:
    return dict.fromkeys(names, 0)


def _site_zeros() -> dict:
    return {"sites": 0, **dict.fromkeys(WORKPLACE, 0)}


class Counts(TypedDict):
    events: int
    people_reached: int
    materials: int
    units: int  # member units with events


class KindCounts(TypedDict):
    """One kind of event, everyone's (the association's included)."""

    kind: str
    events: int
    people_reached: int
    materials: int
    posters: int
    led_screens: int
    service_desks: int


class Workplace(TypedDict):
    """The workplace-publicity checklist (kind 职场): sites and what they show."""

    sites: int
    posters: int
    led_screens: int
    service_desks: int


class UnitOutreach(TypedDict):
    """A member unit's (or the association's) events."""

    unit: str
    name: str
    short_name: str
    events: int
    people_reached: int
    materials: int
    by_kind: dict[str, int]  # events per kind, every kind of the campaign
    workplace: Workplace


class WorkplaceSites(Workplace):
    unit: str
    name: str
    short_name: str


class WorkplaceSummary(Workplace):
    kind: str  # 职场
    units: int  # member units with sites
    by_unit: list[WorkplaceSites]


class OutreachReport(TypedDict):
    """``insday outreach --json``."""

    as_of: str
    kinds: list[str]  # the event kinds, in the campaign's order
    totals: Counts
    by_kind: list[KindCounts]
    by_unit: list[UnitOutreach]  # the member units, most events first
    members: Counts  # totals without the association
    association: UnitOutreach  # its own events (zeros when it reported nothing)
    workplace: WorkplaceSummary


def outreach_summary(env: Env, as_of: datetime) -> OutreachReport:
    """Counts of events, people reached and materials, as known at ``as_of``.

    ``totals`` and ``by_kind`` count every event, the association's included; ``by_unit`` and
    ``totals.units`` are the member units (the association is ``association``, zeros when it
    has reported nothing); ``members`` is ``totals`` without the association. ``workplace``
    is the checklist of the kind 职场: one site per reported office or outlet and what it
    shows, for everyone (``units`` and ``by_unit``: the member units with sites). Blank
    figures count as 0.
    """
    campaign = env.campaign
    order = kinds(env)
    association = campaign.association.code
    rows = fetch_as_of(env, "marts/reports/outreach_by_unit_kind", as_of)
    by_kind = {k: _zeros(FIGURES + WORKPLACE) for k in order}
    lines: dict[str, dict] = {}

    def line(code: str) -> dict:
        return lines.setdefault(code, {**unit_info(campaign, code), **_zeros(), "by_kind": dict.fromkeys(order, 0),
                                       "workplace": _site_zeros()})

    own = line(association)
    for r in rows:
        unit = line(r["unit"])
        unit["by_kind"][r["kind"]] = unit["by_kind"].get(r["kind"], 0) + int(r["events"])
        for f in FIGURES:
            unit[f] += int(r[f])
        for f in FIGURES + WORKPLACE:
            by_kind.setdefault(r["kind"], _zeros(FIGURES + WORKPLACE))[f] += int(r[f])
        if r["kind"] == WORKPLACE_KIND:
            unit["workplace"]["sites"] += int(r["events"])
            for f in WORKPLACE:
                unit["workplace"][f] += int(r[f])
    by_unit = sorted((u for c, u in lines.items() if c != association), key=lambda u: (-u["events"], u["unit"]))
    members = {f: sum(u[f] for u in by_unit) for f in FIGURES}
    sites = sorted(({k: u[k] for k in ("unit", "name", "short_name")} | u["workplace"]
                    for u in by_unit if u["workplace"]["sites"]), key=lambda u: (-u["sites"], u["unit"]))
    everyone = [*by_unit, own]
    return {
        "as_of": as_of.isoformat(),
        "kinds": order,
        "totals": {f: members[f] + own[f] for f in FIGURES} | {"units": len(by_unit)},
        "by_kind": [{"kind": k, **v} for k, v in by_kind.items()],
        "by_unit": by_unit,
        "members": {**members, "units": len(by_unit)},
        "association": own,
        "workplace": {"kind": WORKPLACE_KIND, "units": len(sites),
                      **{f: sum(u["workplace"][f] for u in everyone) for f in ("sites", *WORKPLACE)},
                      "by_unit": sites},
    }


class UnitActivities(TypedDict):
    events: int
    people_reached: int
    materials: int
    workplace: Workplace


def unit_activities(summary: OutreachReport, code: str) -> UnitActivities:
    """One unit's (or the association's) figures in ``outreach_summary``: events, people
    reached, materials and its workplace sites with what they show (zeros without events)."""
    lines = [summary["association"], *summary["by_unit"]]
    found = next((u for u in lines if u["unit"] == code), None)
    if found is None:
        return {**_zeros(), "workplace": _site_zeros()}
    return {**{f: found[f] for f in FIGURES}, "workplace": dict(found["workplace"])}
