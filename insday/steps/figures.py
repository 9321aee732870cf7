"""Region figures as of a moment, and the unlocks recorded from them."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict

from sqlalchemy import insert, text
from sqlalchemy.engine import Connection

from insday.campaign import Campaign
from insday.db.models import StepUnlock
from insday.sql import fetch, query
from insday.steps.rules import RegionDayFigure, StepsOutOfOrder, crossings


_LOCK = 78_0704  # PostgreSQL advisory lock key: a campaign's step data is recorded one import or pull at a time


def lock_step_data(conn: Connection, campaign: Campaign) -> None:
    """Take the campaign's step-data lock (two campaigns import at the same time)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key, hashtext(:campaign))"),
                     {"key": _LOCK, "campaign": campaign.name})


def run(conn: Connection, name: str, **params) -> None:
    """Execute a data-changing statement from sql/."""
    conn.execute(query(name, conn.dialect.name), params)


def check_time_order(conn: Connection, campaign: Campaign, moment: datetime) -> None:
    """Step data is recorded in time order, so "as of" answers never change after the fact."""
    [row] = fetch(conn, "marts/steps/latest_event", campaign=campaign.name)
    if row["latest_at"] is not None and moment < row["latest_at"]:
        raise StepsOutOfOrder(f"步数数据须按时间顺序记录：已有 {row['latest_at'].isoformat()} 的数据，"
                         f"不能再记为更早的 {moment.isoformat()}")


def region_figures(conn: Connection, campaign: Campaign, as_of: datetime) -> list[RegionDayFigure]:
    rows = fetch(conn, "marts/steps/region_day_figures", as_of=as_of, campaign=campaign.name)
    return [RegionDayFigure(**row) for row in rows]


def unlocked(conn: Connection, campaign: Campaign, as_of: datetime) -> dict[str, dict]:
    return {row["region_code"]: row for row in fetch(conn, "marts/steps/unlocks", as_of=as_of, campaign=campaign.name)}


class Unlock(TypedDict):
    """A helped region whose group total reached the threshold (newly, or on an earlier day than recorded)."""

    region: str  # short name
    code: str
    unlocked_on: str  # the local day the cumulative group total first reached the threshold
    group_steps: int
    corrects: str | None  # the day recorded before, when late data moved the unlock earlier


def refresh_unlocks(conn: Connection, campaign: Campaign, at: datetime, trigger: str) -> list[Unlock]:
    """Record helped regions whose group total has reached the threshold, as known at ``at``.

    The day recorded is the local day the cumulative group total first reached the
    threshold. Data for later days cannot move it; data arriving late for an earlier day
    can move it earlier, recorded as a new row (the old one stays, for "as of" answers).
    It never moves later and is never withdrawn.
    """
    known = unlocked(conn, campaign, at)
    new = []
    for code, (day, total) in sorted(crossings(campaign, region_figures(conn, campaign, at)).items()):
        previous: date | None = known[code]["unlocked_on"] if code in known else None
        if previous is None or day < previous:
            new.append({"campaign": campaign.name, "region_code": code, "unlocked_on": day, "group_steps": total, "previous_on": previous,
                        "recorded_at": at, "trigger": trigger})
    if new:
        conn.execute(insert(StepUnlock), new)
    regions = campaign.steps.by_code
    return [{"region": regions[u["region_code"]].name, "code": u["region_code"],
             "unlocked_on": u["unlocked_on"].isoformat(), "group_steps": u["group_steps"],
             "corrects": u["previous_on"].isoformat() if u["previous_on"] else None} for u in new]

