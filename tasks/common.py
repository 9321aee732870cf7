"""What every task shares: the environment and the retry policy."""

from __future__ import annotations

import imaplib
import smtplib

import httpx
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.tasks import exponential_backoff
from sqlalchemy import exc as sa

from insday.env import Env, load_env
from insday.lease import LeaseBusy

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
    return flow_run.name


def is_transient(exc: BaseException | None) -> bool:
    """A failure worth retrying, anywhere in the exception's chain: the database, a server or
    the network was away, or a lease was busy."""
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

