"""What every task shares: the environment, retry policy, and stages built in other branches."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from prefect import get_run_logger
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from insday.env import Env, load_env

_READY: set[str] = set()


def current_env() -> Env:
    """Settings, campaign and database of this process; the schema is brought up to date once."""
    env = load_env()
    if env.settings.db_url not in _READY:
        env.ensure_db()
        _READY.add(env.settings.db_url)
    return env


def run_label() -> str | None:
    """The flow run's name, for lease holders and log lines."""
    from prefect.runtime import flow_run

    return flow_run.name


def is_transient(exc: BaseException | None) -> bool:
    """A failure worth retrying, anywhere in the exception's chain: the database, a server or
    the network was away, or a lease was busy."""
    import imaplib
    import smtplib

    import httpx
    from sqlalchemy import exc as sa

    from insday.lease import LeaseBusy

    kinds = (sa.OperationalError, sa.InterfaceError, sa.TimeoutError, ConnectionError, TimeoutError,
             imaplib.IMAP4.abort, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, httpx.TransportError,
             LeaseBusy)
    for _ in range(10):
        if exc is None:
            return False
        if isinstance(exc, kinds):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def retry_if_transient(task, task_run, state) -> bool:
    return is_transient(state.result(raise_on_failure=False))


# Tasks that touch the database or the network: three retries after 10, 20 and 40 s
# (with jitter) when the failure is transient; a bug fails at once. No result caching:
# a rerun always does the work again (and converges, by the idempotency keys).
RETRIES = dict(retries=3, retry_delay_seconds=exponential_backoff(backoff_factor=10), retry_jitter_factor=0.5,
               retry_condition_fn=retry_if_transient, cache_policy=NO_CACHE)


def built(module: str) -> bool:
    """Whether ``module``, a capability built in a parallel branch, is part of this checkout of
    insday (found next to ``insday`` itself, not merely importable from another install)."""
    import insday

    spec = importlib.util.find_spec(module)
    return bool(spec and spec.origin) and Path(spec.origin).is_relative_to(Path(insday.__file__).parent)


def not_built(module: str) -> dict:
    """Skip a stage whose capability is not in this build yet. After the branches of issues 3,
    4, 5 and 7 are merged every capability is built and this is never reached."""
    get_run_logger().warning("stage skipped: %s is not part of this build", module)
    return {"skipped": f"{module} is not part of this build"}
