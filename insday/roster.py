"""The effective roster: the campaign's units.csv plus the roster changes recorded by a moment.

A unit added from T (``insday units add``) is on the roster from T and expected only for
deadlines due after T; a unit retired from T (``insday units retire``) is expected only for
deadlines due by T and is off the roster from T. Everything before T is unchanged: a retired
unit's earlier files still count and its earlier lateness stays. A change is known from the
moment it was recorded, so a question asked as of an earlier moment (a published bulletin)
gets the answer it got then.

:func:`effective` is the one place this is worked out; status, reminders, bulletins, intake and
the admin actions all ask it for the campaign they work with.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from sqlalchemy.engine import Connection

from insday.campaign import Campaign, RosterChange, Unit
from insday.sql import fetch

CHANGE_ZH = {"add": "新增", "retire": "退出"}


def display_name(name: str, short_names: tuple[str, ...] = (), display: str | None = None) -> str:
    """The name a unit is shown by: ``display``, else its shortest Chinese short name, else its name
    (as units.csv rows are read)."""
    chinese = [n for n in short_names if re.search(r"[\u4e00-\u9fff]", n)]
    return display or (min(chinese, key=len) if chinese else name)


def apply(campaign: Campaign, rows: list[dict], as_of: datetime | None = None) -> Campaign:
    """``campaign`` with the roster changes ``rows`` (``sql/marts/roster/roster_changes``) applied to
    its units.csv roster: added units appended (``since``), retired ones given ``until``."""
    base = campaign.roster_base if campaign.roster_base is not None else campaign.units
    units = {u.code: u for u in base}
    changes = []
    for r in rows:
        code = r["unit_code"]
        if r["kind"] == "add":
            u = json.loads(r["unit"]) if isinstance(r["unit"], str) else r["unit"]  # SQLite: JSON as text
            units[code] = Unit(code=code, name=u["name"], display_name=u["display_name"],
                               short_names=tuple(u.get("short_names") or ()), kind=u["kind"], contact=u["contact"],
                               email=u["email"], phone=u.get("phone") or "", since=r["effective_at"])
        elif code in units:
            units[code] = units[code].model_copy(update={"until": r["effective_at"]})
        else:
            continue
        changes.append(RosterChange(id=r["id"], kind=r["kind"], unit=code, name=units[code].display_name,
                                    effective=r["effective_at"], reason=r["reason"], actor=r["actor"],
                                    created_at=r["created_at"]))
    copy = campaign.model_copy(update={"units": tuple(units.values()), "roster_changes": tuple(changes),
                                       "roster_base": base, "roster_as_of": as_of})
    copy.__dict__.pop("unit_by_code", None)  # a cached lookup of the units it was copied from
    return copy


def effective(conn: Connection, campaign: Campaign, as_of: datetime | None = None) -> Campaign:
    """The campaign with its roster as known at ``as_of`` (default: now)."""
    as_of = as_of or datetime.now(timezone.utc)
    if campaign.roster_as_of == as_of:
        return campaign
    return apply(campaign, fetch(conn, "marts/roster/roster_changes", campaign=campaign.name, as_of=as_of), as_of)


def current(env, as_of: datetime | None = None) -> Campaign:
    """``env.campaign`` with its roster as known at ``as_of`` (default: now)."""
    with env.engine.connect() as conn:
        return effective(conn, env.campaign, as_of)


def notes(campaign: Campaign, deadline) -> list[dict]:
    """The roster changes that concern one deadline, as shown beside its extensions and
    exemptions: a unit retired before it is due (``retire``: no longer expected) or added before
    it is due and expected (``add``). ``{"unit", "kind", "from", "reason"}``, ``from`` aware."""
    out = []
    for c in campaign.roster_changes:
        if deadline.due <= c.effective:
            continue
        if c.kind == "add" and c.unit not in deadline.units:
            continue
        if c.kind == "retire" and deadline.who in ("claimants", "association"):
            continue  # project deadlines are the claimants' own: a retired claimant simply has none
        if c.kind == "retire" and deadline.who == "companies" and \
                campaign.unit_by_code[c.unit].kind not in ("property", "life"):
            continue
        out.append({"unit": c.unit, "kind": c.kind, "from": c.effective, "reason": c.reason})
    return out
