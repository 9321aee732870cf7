"""Engine and sessions. One engine per URL per process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event

from insday.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    if url is None:
        url = get_settings().db_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on any exception."""
    # lazy: sqlalchemy.orm costs about 0.08 s; `insday status` asks with Core only
    from sqlalchemy.orm import sessionmaker

    factory = sessionmaker(engine or get_engine(), expire_on_commit=False)
    with factory() as session, session.begin():
        yield session
