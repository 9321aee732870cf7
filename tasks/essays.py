"""The essay contest: shortlist and results."""

from __future__ import annotations

from datetime import datetime

from prefect import task

from tasks.common import RETRIES, current_env


@task(name="publish_essays", timeout_seconds=1800, **RETRIES)
def publish_essays(as_of: datetime, stage: str, dry_run: bool = False) -> dict:
    """Write the shortlist or the results (ranking, results page, certificates) as of ``as_of``.

    Under INSDAY_HOME/public/essays/<stage>/, or INSDAY_HOME/dry-run/essays/<stage>/ on a dry run.
    """
    from insday.essays.publish import publish_essays as publish

    env = current_env()
    out_dir = (env.settings.path("dry-run") if dry_run else env.settings.public_dir) / "essays" / stage
    return {"stage": stage, "files": [str(p) for p in publish(env, as_of, out_dir, stage)]}
