"""Delivery of the outbox: SMTP, or .eml files without SMTP."""

from __future__ import annotations

from prefect import task

from tasks.common import RETRIES, current_env, run_label


def deliver_queued(env, label: str | None = None) -> dict:
    """Send the queued messages, one delivery at a time across overlapping runs."""
    from insday.lease import lease
    from insday.mail import deliver

    with lease(env.engine, "mail", wait=300, label=label):
        return deliver(env)


@task(name="deliver_mail", timeout_seconds=1800, **RETRIES)
def deliver_mail() -> dict:
    """Send the queued messages (SMTP, or .eml files without SMTP)."""
    from prefect import get_run_logger

    from insday.runreport import mail_line

    result = deliver_queued(current_env(), run_label())
    get_run_logger().info(mail_line(result))
    return result
