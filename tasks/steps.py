"""Step donations: pull the national platform's aggregates, then the aggregates as of a moment."""

from __future__ import annotations

from datetime import datetime

from prefect import task

from tasks.common import RETRIES, built, current_env, not_built


@task(name="pull_steps", timeout_seconds=900, **RETRIES)
def pull_steps(as_of: datetime) -> dict:
    """Pull the step aggregates from the national platform (HTTP or file drop)."""
    if not built("insday.steps"):
        return not_built("insday.steps")
    from insday.steps import pull_aggregates

    return pull_aggregates(current_env(), as_of=as_of)


@task(name="step_summary", timeout_seconds=900, **RETRIES)
def step_summary(as_of: datetime) -> dict:
    """Region totals, unlocks, badges, top participants and member units as of ``as_of``."""
    if not built("insday.steps"):
        return not_built("insday.steps")
    from insday.steps import step_summary as summary

    return summary(current_env(), as_of)
