"""Delivery of the outbox: SMTP, or .eml files without SMTP."""

from __future__ import annotations

from prefect import get_run_logger, task

from insday.mail import deliver
from insday.mail.delivery import DeliveryReport
from insday.runreport import mail_line
from insday.tasks.common import RETRIES, current_env, run_label


@task(name="deliver_mail", timeout_seconds=1800, **RETRIES)
def deliver_mail() -> DeliveryReport:
    """Send the queued messages (SMTP, or .eml files without SMTP), one delivery at a time."""
    result = deliver(current_env(), label=run_label())
    get_run_logger().info(mail_line(result))
    return result
