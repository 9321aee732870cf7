"""Campaign summaries (活动总结): which unit has sent which parts, as known at a moment, and
the members of a unit's bundle extracted from the archived zip when someone needs them."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Literal, TypedDict

from insday.env import Env
from insday.intake.bundle import member_name, safe_path
from insday.reports.common import fetch_as_of, jsonable, unit_info
from insday.reports.outreach import UnitActivities, outreach_summary, unit_activities


def _bundle_type(env: Env):
    return next(rt for rt in env.campaign.report_types.values() if rt.kind == "bundle")


class SummaryPart(TypedDict):
    key: str  # e.g. plan
    title: str  # e.g. 活动方案
    required: bool


class PartCount(TypedDict):
    files: int
    links: int


class Refusal(TypedDict):
    filename: str
    received_at: str
    errors: list[str]  # the sentences the receipt gave


class UnitSummary(TypedDict):
    """A member unit's campaign summary; the file keys are None while it is missing."""

    unit: str
    name: str
    short_name: str
    status: Literal["accepted", "missing"]
    received_at: str | None
    timeliness: Literal["on_time", "late"] | None
    version: int | None
    filename: str | None
    submission_id: int | None
    parts: dict[str, PartCount]  # part key -> files and links sent for it
    rejected: Refusal | None  # its latest attempt, when it was refused
    activities: UnitActivities


class OwnActivities(TypedDict):
    unit: str
    name: str
    short_name: str
    activities: UnitActivities


class SummaryStatus(TypedDict):
    """``insday summary status --json``."""

    as_of: str
    expected: int
    submitted: int
    missing: int
    parts: list[SummaryPart]
    units: list[UnitSummary]
    association: OwnActivities  # the association's own events, beside the members'


def summary_status(env: Env, as_of: datetime) -> SummaryStatus:
    """Every member unit's summary as known at ``as_of``.

    ``rejected`` is the unit's latest attempt when it was refused (e.g. photos missing).
    ``activities`` is what the unit reported of its events and workplace publicity by then
    (``insday.reports.outreach``), beside its summary; ``association`` the association's own.
    """
    rt = _bundle_type(env)
    outreach = outreach_summary(env, as_of)
    rows = fetch_as_of(env, "staging/summary_parts_current", as_of)
    refused = {r["unit"]: r for r in fetch_as_of(env, "marts/reports/latest_rejections", as_of)
               if r["report_type"] == rt.key}
    units = []
    for unit in env.campaign.members(rt.who):
        mine = [r for r in rows if r["unit"] == unit.code]
        item = {**unit_info(env.campaign, unit.code), "status": "accepted" if mine else "missing",
                "received_at": None, "timeliness": None, "version": None, "filename": None, "submission_id": None,
                "parts": {p.key: {"files": 0, "links": 0} for p in rt.parts}, "rejected": None,
                "activities": unit_activities(outreach, unit.code)}
        if mine:
            first = mine[0]
            item.update({k: first[k] for k in ("received_at", "timeliness", "version", "filename", "submission_id")})
            for r in mine:
                counts = item["parts"].setdefault(r["part"], {"files": 0, "links": 0})
                counts["links" if r["link"] else "files"] += 1
        if unit.code in refused:
            r = refused[unit.code]
            errors = json.loads(r["errors"]) if isinstance(r["errors"], str) else r["errors"]
            item["rejected"] = {"filename": r["filename"], "received_at": r["received_at"],
                                "errors": [e["message"] for e in errors]}
        units.append(item)
    submitted = sum(1 for u in units if u["status"] == "accepted")
    return jsonable({"as_of": as_of, "expected": len(units), "submitted": submitted, "missing": len(units) - submitted,
                     "parts": [{"key": p.key, "title": p.title, "required": p.required} for p in rt.parts],
                     "units": units,
                     "association": {**unit_info(env.campaign, env.campaign.association.code),
                                     "activities": unit_activities(outreach, env.campaign.association.code)}})


def extract_summary(env: Env, unit: str, out: Path, as_of: datetime) -> Path:
    """Extract the unit's current summary bundle (as of ``as_of``) from the archive into
    ``out/<code>-<short name>/``; member paths are checked again, nothing lands outside."""
    rows = [r for r in fetch_as_of(env, "staging/summary_parts_current", as_of) if r["unit"] == unit]
    if not rows:
        raise LookupError(f"no accepted summary from {unit} as of {as_of.isoformat()}")
    info = unit_info(env.campaign, unit)
    target = out / f"{unit}-{info['short_name']}"
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    with zipfile.ZipFile(env.settings.archive_dir / rows[0]["archive_path"]) as book:
        for member in book.infolist():
            if member.is_dir():
                continue
            path = (root / safe_path(member_name(member))).resolve()
            if not path.is_relative_to(root):
                raise ValueError(f"unsafe member path {member.filename!r}")
            path.parent.mkdir(parents=True, exist_ok=True)
            with book.open(member) as src, path.open("wb") as dst:
                while chunk := src.read(1024**2):
                    dst.write(chunk)
    return target
