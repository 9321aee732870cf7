"""What the admin deployments' forms offer: the campaign's units and deadlines as choices (a
drop-down in the Prefect UI), an actor for the audit log, and the Chinese titles the forms show.

Choices are read from the campaign when the flows are imported (``insday serve`` or a worker
loads them for the configured campaign); a choice is ``<code> <name>`` and the code is what the
action receives.
"""

from __future__ import annotations

from typing import Literal

from insday.env import load_env


def _choices() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    from insday.bulletin.editions import run_days
    from insday.deadlines import registry

    campaign = load_env().campaign
    units = tuple(f"{u.code} {u.display_name}" for u in campaign.units)
    deadlines = tuple(f"{d.id} {d.title}" for d in registry(campaign) if d.who != "association")
    editions = (*(d.isoformat() for d in run_days(campaign)), "final")
    return units, deadlines, editions


UNITS, DEADLINES, EDITIONS = _choices()
UnitChoice = Literal[UNITS]  # type: ignore[valid-type]
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
}
