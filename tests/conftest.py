"""Shared fixtures: a real database (SQLite and, with INSDAY_TEST_DATABASE_URL, PostgreSQL),
a real SMTP server (aiosmtpd on 127.0.0.1) and one Prefect test harness per session.

Every test that takes ``env`` runs once per database. Tables are emptied before each test.
"""

from __future__ import annotations

import os
import socket
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# Two campaigns are shipped: tests work on the 2019 Jilin one unless they name another.
os.environ.setdefault("INSDAY_CAMPAIGN", str(Path(__file__).resolve().parent.parent / "campaigns" / "jilin-2019"))

sys.path.insert(0, str(Path(__file__).parent))

from insday.campaign import get_campaign  # noqa: E402
from insday.db import get_engine, session_scope  # noqa: E402
from insday.db.migrate import load_reference_data, upgrade  # noqa: E402
from insday.db.models import Base  # noqa: E402
from insday.env import Env  # noqa: E402
from insday.paths import SHIPPED_CAMPAIGN  # noqa: E402
from insday.settings import Settings, get_settings  # noqa: E402
from mailtools import Keep, Server  # noqa: E402

PG_URL = os.environ.get("INSDAY_TEST_DATABASE_URL")
ARTIFACTS = Path(os.environ.get("INSDAY_TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"))


def _worker(request) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


def _fresh_postgres_database(base_url: str, name: str) -> str:
    """Drop and create database `name` on the server of base_url; return its URL."""
    from sqlalchemy import create_engine

    admin = create_engine(make_url(base_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(base_url: str, name: str) -> None:
    from sqlalchemy import create_engine

    get_engine.cache_clear()
    admin = create_engine(make_url(base_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request, tmp_path_factory):
    """A migrated database of each kind, once per session (per xdist worker). PostgreSQL
    databases are named per process, so parallel test runs on one server never collide."""
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("INSDAY_TEST_DATABASE_URL is not set")
        name = f"insday_test_{_worker(request)}_{os.getpid()}"
        url = _fresh_postgres_database(PG_URL, name)
        upgrade(get_engine(url))
        yield url
        _drop_postgres_database(PG_URL, name)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'insday.db'}"
        upgrade(get_engine(url))
        yield url


def empty_database(url: str) -> None:
    engine = get_engine(url)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def campaign():
    return get_campaign(SHIPPED_CAMPAIGN)


@pytest.fixture
def env(db_url, tmp_path, monkeypatch, campaign) -> Env:
    """A clean database with the roster loaded, a fresh INSDAY_HOME, and matching env vars
    (so CLI commands run in-process see the same setup)."""
    empty_database(db_url)
    with session_scope(get_engine(db_url)) as s:
        load_reference_data(s, campaign)
    home = tmp_path / "home"
    monkeypatch.setenv("INSDAY_HOME", str(home))
    monkeypatch.setenv("INSDAY_DATABASE_URL", db_url)
    monkeypatch.setenv("INSDAY_CAMPAIGN", str(SHIPPED_CAMPAIGN))
    for name in [k for k in os.environ if k.startswith(("INSDAY_SMTP", "INSDAY_IMAP", "INSDAY_STEPS"))]:
        monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield Env(Settings(home=home, database_url=db_url, campaign=SHIPPED_CAMPAIGN), campaign)
    get_settings.cache_clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPServer(Server):
    """A real SMTP server on 127.0.0.1 that keeps what it receives; can be stopped and restarted."""

    def __init__(self):
        super().__init__(Keep(), free_port())

    @property
    def messages(self) -> list:  # email.message.EmailMessage
        return self.handler.messages

    @property
    def envelopes(self) -> list:
        return self.handler.envelopes


@pytest.fixture
def smtp_server():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test harness (temporary server) for the whole session, heartbeats off."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}), prefect_test_harness(
            server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests keep screenshots and other artifacts for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def unique(prefix: str = "x") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
