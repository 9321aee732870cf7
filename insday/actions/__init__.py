"""What the association's contact person can decide, each a plain function that the CLI, the
Prefect admin deployments and the tests call alike, each recorded in the audit log in the same
transaction as its effect (:mod:`insday.audit`):

- :func:`insday.actions.deadline.extend` / :func:`~insday.actions.deadline.excuse`: one unit's
  own due time for a deadline, or not expected at all (免报);
- :func:`insday.actions.void.void`: an accepted file stops counting (its previous version
  counts again), and the unit is told;
- :func:`insday.actions.resend.resend`: a receipt, a reminder or a bulletin again, on purpose.

Bad input raises :class:`ActionError` with a Chinese message saying what to fix.
"""


class ActionError(ValueError):
    """An action that cannot be taken as asked; the message (Chinese) says why and what to do."""
