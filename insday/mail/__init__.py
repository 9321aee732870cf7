"""Email: the outbox and its delivery.

``enqueue(session, ...)`` queues a message inside the caller's transaction (insert-or-
ignore on its idempotency key); ``deliver(env)`` sends what is due, by SMTP or as .eml
files. Receipts (``insday.mail.receipts``) and reminders (``insday.deadlines.reminders``) are built
on these two; so is any other sender (bulletins).
"""

from insday.mail.delivery import deliver
from insday.mail.outbox import enqueue

__all__ = ["deliver", "enqueue"]
