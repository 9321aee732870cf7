"""Bulletins (通报): daily and final."""

from __future__ import annotations

from datetime import date, datetime

from prefect import task

from tasks.common import RETRIES, built, current_env, not_built


@task(name="publish_bulletin", timeout_seconds=1800, **RETRIES)
def publish_bulletin(day: date, as_of: datetime, final: bool = False, dry_run: bool = False) -> dict:
    """Build the bulletin of ``day`` from what was received by ``as_of``; publish it and queue its email."""
    if not built("insday.bulletin"):
        return not_built("insday.bulletin")
    from insday.bulletin import publish_bulletin as publish

    return publish(current_env(), day, final=final, as_of=as_of, send=not dry_run, dry_run=dry_run)
