"""What the admin deployments' forms offer: the campaign's units and deadlines as choices (a
drop-down in the Prefect UI), an actor for the audit log, and the Chinese titles the forms show.

Choices are read from the campaign when the flows are imported (``insday serve`` or a worker
loads them for the configured campaign); a choice is ``<code> <name>`` and the code is what the
action receives. The units a roster change can retire also include the units added so far
(``insday units add``), as the database knows them at that moment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from sqlalchemy.engine import make_url

from insday.bulletin.editions import run_days
from insday.deadlines import registry
from insday.env import load_env
from insday.roster import current


def _choices() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    env = load_env()
    campaign = env.campaign
    units = tuple(f"{u.code} {u.display_name}" for u in campaign.units)
    deadlines = tuple(f"{d.id} {d.title}" for d in registry(campaign) if d.who != "association")
    editions = (*(d.isoformat() for d in run_days(campaign)), "final")
    roster = tuple(f"{u.code} {u.display_name}" for u in _known_roster(env).units if u.until is None)
    return units, deadlines, editions, roster


def _known_roster(env):
    """The roster with the changes recorded so far (``insday units add``), when the database is
    there to tell; else units.csv. Never creates a database."""
    url = make_url(env.settings.db_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return env.campaign
    try:
        return current(env)
    except Exception:  # no such table yet, the server is down: the roster is units.csv
        return env.campaign


UNITS, DEADLINES, EDITIONS, ROSTER = _choices()
UnitChoice = Literal[UNITS]  # type: ignore[valid-type]
RosterUnitChoice = Literal[ROSTER]  # type: ignore[valid-type]  # units that can retire (not yet retired)
DeadlineChoice = Literal[DEADLINES]  # type: ignore[valid-type]
EditionChoice = Literal[EDITIONS]  # type: ignore[valid-type]


def code(choice: str) -> str:
    """``P01 人保财险`` -> ``P01``; ``daily_report:2019-06-26 每日参与情况（6月26日）`` -> the id."""
    return choice.split(" ", 1)[0]


def actor(operator: str) -> str:
    """Who did it, for the audit log: the name typed in the form, else ``prefect``."""
    return f"prefect：{operator.strip()}" if operator and operator.strip() else "prefect"


# The titles each form shows above its fields (the Prefect UI shows a parameter's title; Prefect
# itself titles them by their Python names): applied to the served deployments by deployments.build.
TITLES = {
    "unit": "单位", "deadline": "截止事项", "until": "延期至", "reason": "原因", "operator": "操作人",
    "submission": "文件编号", "kind": "重发内容", "day": "通报", "edition": "通报", "decision": "审批结果",
    "note": "意见", "as_of": "运行时刻", "dry_run": "试运行", "stage": "阶段",
    "action": "名单变更", "effective": "生效时间", "unit_code": "单位代码", "name": "单位全称",
    "display_name": "简称", "unit_kind": "单位类型", "contact": "联系人", "email": "联系人邮箱", "phone": "联系电话",
}
