"""The database server goes away mid-run (every connection of insday cut, as a PostgreSQL
restart does): the run fails with the database's error, and the next run converges — every
file stored once, the step import whole or not at all. PostgreSQL only. A command whose
database is away says so in one Chinese line (exit 5)."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import stepdata
from conftest import free_port
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import DBAPIError
from test_collect_inbox import drop, inbox_files, processed_files, submissions

from insday.collect.inbox import collect_inbox
from insday.db import session_scope
from insday.db.models import DailyReport
from insday.steps.importer import import_donations

TZ = ZoneInfo("Asia/Shanghai")
UNITS = ["人保财险", "吉林市保险行业协会", "长春市保险行业协会", "四平市保险行业协会", "辽源市保险行业协会",
         "通化市保险行业协会"]


@pytest.fixture
def pg(env):
    if env.engine.dialect.name != "postgresql":
        pytest.skip("a server restart is a PostgreSQL matter")
    return env


@contextmanager
def server_restart_at(engine, statement: str, *, nth: int = 1):
    """Within the block, just before the ``nth`` statement starting with ``statement``, every
    connection to the database is terminated by the server (pg_terminate_backend), as a
    restart would; the block must let the resulting database error out."""
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    seen = []

    def cut(conn, cursor, sql, parameters, *rest):
        if sql.lstrip().upper().startswith(statement.upper()):
            seen.append(sql)
            if len(seen) == nth:
                with admin.connect() as c:
                    c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND pid <> pg_backend_pid()"))

    event.listen(engine, "before_cursor_execute", cut)
    try:
        with pytest.raises(DBAPIError):
            yield
        assert len(seen) >= nth, "the restart never happened"
    finally:
        event.remove(engine, "before_cursor_execute", cut)
        admin.dispose()


def test_a_restart_mid_collect_loses_and_doubles_nothing(pg):
    for n, unit in enumerate(UNITS):
        drop(pg, f"{n}.xlsx", unit=unit)
    with server_restart_at(pg.engine, "INSERT INTO submissions", nth=4):
        collect_inbox(pg)
    stored = len(submissions(pg))
    assert stored == 3 and len(inbox_files(pg)) == len(UNITS)  # files move once their batch is done

    rerun = collect_inbox(pg)  # the pool's dead connections are replaced (pre-ping)
    assert sorted(f["status"] for f in rerun["files"]) == ["accepted"] * (len(UNITS) - stored) + ["duplicate"] * stored
    assert len(submissions(pg)) == len(UNITS) and inbox_files(pg) == [] and len(processed_files(pg)) == len(UNITS)
    with session_scope(pg.engine) as s:
        assert s.scalar(select(func.count()).select_from(DailyReport)) == len(UNITS)  # rows once each


def test_a_restart_mid_step_import_leaves_nothing_partial(pg, tmp_path):
    lines = [line for _, line in stepdata.dataset()]
    path = stepdata.write(tmp_path / "donations-20190626.csv", lines)
    received = datetime(2019, 7, 10, 12, tzinfo=TZ)
    with server_restart_at(pg.engine, "UPDATE step_imports"):  # after the records are written
        import_donations(pg, path, received_at=received)
    with session_scope(pg.engine) as s:
        assert s.scalar(text("SELECT count(*) FROM step_records")) == 0
        assert s.scalar(text("SELECT count(*) FROM step_imports")) == 0

    result = import_donations(pg, path, received_at=received)
    [expected] = stepdata.compute(pg.campaign, [lines]).outcomes
    assert result["accepted"] == expected["accepted"] > 0
    with session_scope(pg.engine) as s:
        assert s.scalar(text("SELECT count(*) FROM step_imports")) == 1


def test_a_command_whose_database_is_away_says_so_in_one_chinese_line(tmp_path):
    url = f"postgresql+psycopg://insday:db-Secret-9@127.0.0.1:{free_port()}/insday"  # nothing listens there
    done = subprocess.run([sys.executable, "-m", "insday", "collect"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "INSDAY_HOME": str(tmp_path), "INSDAY_DATABASE_URL": url})
    assert done.returncode == 5, done.stderr
    said = done.stderr.replace("\n", "")
    assert said.startswith("数据库不可用（") and "重复运行不会重复入库或发信" in said
    assert "Traceback" not in done.stderr and "db-Secret-9" not in done.stderr + done.stdout
