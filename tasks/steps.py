"""Step donations: pull the national platform's aggregates, then the aggregates as of a moment."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from prefect import get_run_logger, task

from insday.runreport import steps_line, summary_line
from insday.steps import StepsOutOfOrder, pull_aggregates, step_summary as summary
from insday.steps.pull import PullReport, PullSkipped
from insday.steps.summary import StepSummary
from insday.tasks.common import RETRIES, current_env


class StepsDeferred(TypedDict):
    """A back-fill: the platform serves today's figures, not those of the run's moment."""

    skipped: str  # why (Chinese)


@task(name="pull_steps", timeout_seconds=900, **RETRIES)
def pull_steps(as_of: datetime) -> PullReport | PullSkipped | StepsDeferred:
    """Pull the national platform's step aggregates (skipped when no platform URL is set, and in a
    back-fill: the platform serves today's figures, which must not be recorded as of an earlier moment)."""
    try:
        result = pull_aggregates(current_env(), as_of=as_of)
    except StepsOutOfOrder as exc:
        result: StepsDeferred = {"skipped": str(exc)}
        get_run_logger().warning(steps_line(result))
        return result
    get_run_logger().info(steps_line(result))
    return result


@task(name="step_summary", timeout_seconds=900, **RETRIES)
def step_summary(as_of: datetime) -> StepSummary:
    """Region totals, unlocks, badges, top participants and member units as of ``as_of``."""
    result = summary(current_env(), as_of)
    get_run_logger().info(summary_line(result))
    return result
