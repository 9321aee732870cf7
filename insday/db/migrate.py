"""Schema migrations (Alembic) and loading the campaign's reference data."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, select, text

from insday.db.models import Essay, RosterChange, Unit

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(connection=None, campaign: str | None = None):
    # lazy: Alembic costs 0.3-0.7 s; only an upgrade needs it, the schema check does not
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    cfg.attributes["campaign"] = campaign  # the campaign rows stored before 0013 belong to
    return cfg


def upgrade(engine: Engine, revision: str = "head", campaign: str | None = None) -> None:
    """Create or upgrade the schema. Concurrent callers on PostgreSQL wait for each other.

    ``campaign``: the name rows stored before migration 0013 get (default: the settings'
    campaign). On SQLite the migrations run with foreign keys off (a batch rebuild drops and
    recreates tables; with them on, dropping ``submissions`` would delete its rows' rows), and
    the foreign keys are checked afterwards."""
    # lazy: Alembic costs 0.3-0.7 s; only an upgrade needs it, the schema check does not
    from alembic import command

    _migrate(engine, lambda cfg: command.upgrade(cfg, revision), campaign)


def downgrade(engine: Engine, revision: str) -> None:
    """Go back to ``revision`` (0013 -> 0012 only while the database holds one campaign)."""
    # lazy: Alembic costs 0.3-0.7 s; only an upgrade needs it, the schema check does not
    from alembic import command

    _migrate(engine, lambda cfg: command.downgrade(cfg, revision), None)


def _migrate(engine: Engine, run, campaign: str | None) -> None:
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # outside any transaction, or SQLite ignores it
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(78078)"))
                run(alembic_config(conn, campaign))
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
        finally:
            if sqlite:
                conn.rollback()
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (None before the first migration)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def load_reference_data(session, campaign) -> dict[str, int]:
    """Upsert the campaign's roster (and the association itself) and essay roster; units and
    essays no longer listed become inactive. Other campaigns' units and essays are not touched."""
    rows = [*campaign.units, campaign.association_unit]
    existing = {u.code: u for u in session.scalars(select(Unit).where(Unit.campaign == campaign.name))}
    for u in rows:
        unit = existing.pop(u.code, None) or Unit(campaign=campaign.name, code=u.code)
        unit.name, unit.short_names, unit.kind = u.name, list(u.short_names), u.kind
        unit.contact, unit.email, unit.phone, unit.active = u.contact, u.email, u.phone, True
        session.add(unit)

    added = set(session.scalars(select(RosterChange.unit_code).where(  # `insday units add`: still members
        RosterChange.campaign == campaign.name, RosterChange.kind == "add")))
    for stale in existing.values():
        stale.active = stale.code in added
    session.flush()  # essays refer to units
    essays = {e.id: e for e in session.scalars(select(Essay).where(Essay.campaign == campaign.name))}
    for e in campaign.essay_list:
        essay = essays.pop(e.id, None) or Essay(campaign=campaign.name, id=e.id)
        essay.title, essay.author, essay.unit, essay.category, essay.active = e.title, e.author, e.unit, e.category, True
        session.add(essay)
    for stale in essays.values():
        stale.active = False
    return {"units": len(campaign.units), "inactive": len(set(existing) - added), "essays": len(campaign.essay_list)}
