"""Migration 0013 moves a single-campaign database (0012) over to campaign keys without loss.

Every table of revision 0012 is filled (two rows each, through the schema as it was then, so
every column is covered), the database is upgraded, and every row comes back unchanged with
the installed campaign's name; then the keys are per campaign: a second campaign may reuse a
unit code, a file hash, a mail key and a record id, one campaign may not, and a unit column
refers to the unit of its own campaign. Downgrading (one campaign) gives the rows back too.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from conftest import PG_URL, _drop_postgres_database, _fresh_postgres_database
from insday.db import get_engine
from insday.db.migrate import current_revision, downgrade, upgrade

CAMPAIGN = "jilin-2019"
FK_VALUES = {"submission_id": "submissions", "import_id": "step_imports", "pull_id": "step_pulls"}
UNIT_COLUMNS = {"unit", "unit_code", "company"}


@pytest.fixture(params=["sqlite", "postgresql"])
def old_engine(request, tmp_path):
    """A database at revision 0012."""
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("INSDAY_TEST_DATABASE_URL is not set")
        name = f"insday_test_mig13_{os.getpid()}"
        url = _fresh_postgres_database(PG_URL, name)
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = get_engine(url)
    upgrade(engine, "0012")
    yield engine
    engine.dispose()
    get_engine.cache_clear()
    if request.param == "postgresql":
        _drop_postgres_database(PG_URL, name)


def _value(table: str, column: sa.Column, i: int):
    """Row i's value of a column, by its type; references point at row i of the referred table."""
    if column.name == "campaign":  # the tables made with the campaign key (0010-0012)
        return CAMPAIGN
    if column.name in FK_VALUES or (table == "report_media" and column.name == "submission_id"):
        return i
    if column.name in UNIT_COLUMNS or (table == "units" and column.name == "code") or \
            (table == "essays" and column.name == "unit"):
        return f"U{i}"
    t = column.type
    if isinstance(t, sa.Boolean):
        return i % 2 == 1
    if isinstance(t, (sa.Integer, sa.BigInteger, sa.SmallInteger)):
        return i
    if isinstance(t, sa.Numeric) and not isinstance(t, sa.Float):
        return Decimal(f"{i}.50")
    if isinstance(t, sa.Float):
        return i + 0.25
    if isinstance(t, sa.DateTime):
        return datetime(2019, 6, 25, 2, 0, tzinfo=timezone.utc) + timedelta(hours=i)
    if isinstance(t, sa.Date):
        return date(2019, 6, 25) + timedelta(days=i)
    if isinstance(t, sa.JSON) or t.__class__.__name__ in ("JSONB", "JSON"):
        return {"n": i}
    length = getattr(t, "length", None) or 64
    return f"{column.name}-{i}"[:length]


def _fill(engine) -> sa.MetaData:
    meta = sa.MetaData()
    meta.reflect(engine)
    with engine.begin() as conn:
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = [{c.name: _value(table.name, c, i) for c in table.columns} for i in (1, 2)]
            conn.execute(table.insert(), rows)
            if engine.dialect.name == "postgresql" and "id" in table.c and table.c.id.autoincrement:
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), 2)"))
    return meta


def _rows(engine, without: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    meta = sa.MetaData()
    meta.reflect(engine)
    out = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            columns = sorted(c.name for c in table.columns if c.name not in without)
            rows = conn.execute(sa.select(*(table.c[c] for c in columns))).all()
            out[table.name] = sorted((tuple(zip(columns, (_plain(v) for v in r))) for r in rows), key=repr)
    return out


def _plain(value):
    if isinstance(value, datetime) and value.tzinfo is None:  # SQLite keeps the UTC text
        return value.replace(tzinfo=timezone.utc)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] in " T":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return value


def test_upgrade_keeps_every_row_and_keys_it_by_campaign(old_engine):
    meta = _fill(old_engine)
    before = _rows(old_engine, without=("campaign",))
    assert len(before) == len(meta.sorted_tables) - 1 >= 30
    assert all(len(rows) == 2 for rows in before.values())

    upgrade(old_engine, campaign=CAMPAIGN)
    assert current_revision(old_engine) == "0014"  # and on to the head: roster_changes (0014) is new

    after = _rows(old_engine, without=("campaign",))
    assert after.pop("roster_changes") == []
    assert after == before  # nothing lost, nothing changed
    with old_engine.connect() as conn:
        for table in after:
            values = conn.execute(sa.text(f"SELECT DISTINCT campaign FROM {table}")).scalars().all()
            assert values == [CAMPAIGN], table
        # The keys now lead with the campaign.
        inspector = sa.inspect(conn)
        assert inspector.get_pk_constraint("units")["constrained_columns"] == ["campaign", "code"]
        assert inspector.get_pk_constraint("step_rejects")["constrained_columns"] == ["campaign", "record_id"]
        uniques = {u["name"]: u["column_names"] for u in inspector.get_unique_constraints("outbox")}
        assert uniques == {"uq_outbox_campaign_key": ["campaign", "key"]}
        fks = {tuple(f["constrained_columns"]): f["referred_columns"]
               for f in inspector.get_foreign_keys("daily_reports") if f["referred_table"] == "units"}
        assert fks == {("campaign", "unit"): ["campaign", "code"]}

    # Per campaign: another campaign reuses a unit code, a file, a mail key, a record id ...
    with old_engine.begin() as conn:
        if old_engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.execute(sa.text("INSERT INTO units (campaign, code, name, short_names, kind, contact, email, phone, active)"
                             " SELECT 'guangdong-2020', code, name, short_names, kind, contact, email, phone, active"
                             " FROM units WHERE code = 'U1'"))
        conn.execute(sa.text("INSERT INTO submissions (campaign, sha256, filename, archive_path, size, source,"
                             " unit_code, period_key, received_at, status, row_count, errors, warnings, created_at)"
                             " SELECT 'guangdong-2020', sha256, filename, archive_path, size, source, unit_code,"
                             " period_key, received_at, status, row_count, errors, warnings, created_at"
                             " FROM submissions WHERE id = 1"))
        conn.execute(sa.text("INSERT INTO outbox (campaign, key, kind, to_name, to_addr, subject, html, text,"
                             " attachments, inline_images, status, attempts, created_at)"
                             " SELECT 'guangdong-2020', key, kind, to_name, to_addr, subject, html, text,"
                             " attachments, inline_images, status, attempts, created_at FROM outbox WHERE id = 1"))
        conn.execute(sa.text("INSERT INTO step_rejects (campaign, record_id, import_id, reason)"
                             " VALUES ('guangdong-2020', 1, 1, 'x')"))
    # ... but not twice in one campaign,
    for statement in ("INSERT INTO step_rejects (campaign, record_id, import_id, reason) VALUES ('guangdong-2020', 1, 1, 'y')",
                      "INSERT INTO outbox (campaign, key, kind, to_name, to_addr, subject, html, text, attachments,"
                      " inline_images, status, attempts, created_at) SELECT campaign, key, kind, to_name, to_addr,"
                      " subject, html, text, attachments, inline_images, status, attempts, created_at"
                      " FROM outbox WHERE campaign = 'guangdong-2020'",
                      # and a unit column refers to a unit of the row's own campaign (U2 is only 2019's).
                      "INSERT INTO essays (campaign, id, title, author, unit, category, active)"
                      " VALUES ('guangdong-2020', 'E1', 't', 'a', 'U2', 'c', true)"):
        with pytest.raises(IntegrityError), old_engine.begin() as conn:
            if old_engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.execute(sa.text(statement))


def test_downgrade_gives_the_rows_back(old_engine):
    _fill(old_engine)
    before = _rows(old_engine)
    upgrade(old_engine, campaign=CAMPAIGN)
    downgrade(old_engine, "0012")
    assert current_revision(old_engine) == "0012"
    assert _rows(old_engine) == before
