"""Reminders, overdue notices and digests; delivery of the outbox."""

from __future__ import annotations

from datetime import datetime

from prefect import task

from tasks.common import RETRIES, current_env, not_built, run_label


@task(name="send_reminders", timeout_seconds=900, **RETRIES)
def send_reminders(as_of: datetime, dry_run: bool = False) -> dict:
    """Queue what is due at ``as_of``: reminders, overdue notices and the digest (each at most once)."""
    try:
        from insday.reminders import run_reminders
    except ModuleNotFoundError as exc:
        return not_built(exc, "insday.reminders")
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
    try:
        import insday.mail  # noqa: F401
    except ModuleNotFoundError as exc:
        return not_built(exc, "insday.mail")
    return deliver_queued(current_env(), run_label())
