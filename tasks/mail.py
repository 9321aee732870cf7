"""Reminders, overdue notices and digests; delivery of the outbox."""

from __future__ import annotations

from datetime import datetime

from prefect import task

from tasks.common import RETRIES, built, current_env, not_built, run_label


@task(name="send_reminders", timeout_seconds=900, **RETRIES)
def send_reminders(as_of: datetime, dry_run: bool = False) -> dict:
    """Queue what is due at ``as_of``: reminders, overdue notices and the digest (each at most once)."""
    if not built("insday.reminders"):
        return not_built("insday.reminders")
    from insday.reminders import run_reminders

    return run_reminders(current_env(), as_of, dry_run=dry_run)


def deliver_queued(env, label: str | None = None) -> dict:
    """Send the queued messages, one delivery at a time across overlapping runs."""
    from insday.lease import lease
    from insday.mail import deliver

    with lease(env.engine, "mail", wait=300, label=label):
        return deliver(env)


@task(name="deliver_mail", timeout_seconds=1800, **RETRIES)
def deliver_mail() -> dict:
    """Send the queued messages (SMTP, or .eml files without SMTP)."""
    if not built("insday.mail"):
        return not_built("insday.mail")
    return deliver_queued(current_env(), run_label())
