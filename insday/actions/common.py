"""What the actions share: finding the unit and the deadline they are about."""

from __future__ import annotations

from datetime import datetime

from insday.actions import ActionError
from insday.campaign import Campaign, Unit
from insday.deadlines import Deadline
from insday.deadlines.status import tracked_deadlines
from insday.roster import effective
from insday.sql import fetch
from insday.units import UnitMatcher


def find_unit(campaign: Campaign, written: str) -> Unit:
    """A member unit by its code or any name the roster knows (人保财险, P01, the full name)."""
    match = UnitMatcher(list(campaign.units), campaign.province).resolve(written or "")
    if match.code is None:
        raise ActionError(f"单位「{written}」{match.problem}。{match.fix}")
    return campaign.unit_by_code[match.code]


def find_deadline(env, deadline_id: str, as_of: datetime) -> Deadline:
    """A deadline by its id as ``insday status --json`` prints it (daily_report:2019-06-26, summary)."""
    with env.engine.connect() as conn:
        projects = fetch(conn, "staging/projects_current", as_of=as_of, campaign=env.campaign.name)
        campaign = effective(conn, env.campaign, as_of)  # the roster as known then (insday units add/retire)
    deadlines = {d.id: d for d in tracked_deadlines(campaign, projects)}
    if deadline_id not in deadlines:
        near = [i for i in deadlines if i.startswith(deadline_id.split(":")[0])][:5]
        hint = f"例如 {'、'.join(near)}" if near else "用 insday status --json 查看各截止事项的编号"
        raise ActionError(f"没有编号为「{deadline_id}」的截止事项（{hint}）")
    return deadlines[deadline_id]
