"""Outreach and publicity events (保险五进入, 职场宣传, 媒体宣传): how many events, people
reached and materials handed out, per unit and per kind, as known at a moment."""

from __future__ import annotations

from datetime import datetime

from insday.env import Env
from insday.reports.common import fetch_as_of, unit_info

FIGURES = ("events", "people_reached", "materials")


def kinds(env: Env) -> list[str]:
    """The event kinds in the order the campaign lists them."""
    column = next(c for c in env.campaign.report_type("events").columns if c.key == "kind")
    return list(column.choices or ())


def outreach_summary(env: Env, as_of: datetime) -> dict:
    """Counts of events, people reached and materials, as known at ``as_of``::

        {"as_of": "2019-07-12T08:00:00+00:00",
         "kinds": ["进学校", ..., "媒体"],
         "totals": {"events": 12, "people_reached": 5300, "materials": 2100, "units": 4},
         "by_kind": [{"kind": "进学校", "events": 3, "people_reached": 900, "materials": 700}, ...],
         "by_unit": [{"unit": "P01", "name": "...", "short_name": "人保财险", "events": 5,
                      "people_reached": 2000, "materials": 800, "by_kind": {"进学校": 2, ...}}, ...]}

    ``by_kind`` lists every kind (zeros included); ``by_unit`` only units with events,
    most events first. Blank people/materials figures count as 0.
    """
    campaign = env.campaign
    order = kinds(env)
    rows = fetch_as_of(env, "reports/outreach_by_unit_kind", as_of)
    by_kind = {k: dict.fromkeys(FIGURES, 0) for k in order}
    by_unit: dict[str, dict] = {}
    for r in rows:
        unit = by_unit.setdefault(r["unit"], {**unit_info(campaign, r["unit"]), **dict.fromkeys(FIGURES, 0),
                                              "by_kind": dict.fromkeys(order, 0)})
        unit["by_kind"][r["kind"]] += int(r["events"])
        for f in FIGURES:
            unit[f] += int(r[f])
            by_kind.setdefault(r["kind"], dict.fromkeys(FIGURES, 0))[f] += int(r[f])
    totals = {f: sum(k[f] for k in by_kind.values()) for f in FIGURES}
    return {
        "as_of": as_of.isoformat(),
        "kinds": order,
        "totals": {**totals, "units": len(by_unit)},
        "by_kind": [{"kind": k, **v} for k, v in by_kind.items()],
        "by_unit": sorted(by_unit.values(), key=lambda u: (-u["events"], u["unit"])),
    }
