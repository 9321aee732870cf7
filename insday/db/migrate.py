"""Schema migrations (Alembic) and loading the campaign's reference data."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, select, text

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(connection=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema. Concurrent callers on PostgreSQL wait for each other."""
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(78078)"))
        command.upgrade(alembic_config(conn), revision)


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (None before the first migration)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def load_reference_data(session, campaign) -> dict[str, int]:
    """Upsert the roster (and the association itself) and the essay roster; units and essays
    no longer listed become inactive."""
    from insday.db.models import Essay, Unit

    rows = [*campaign.units, campaign.association_unit]
    existing = {u.code: u for u in session.scalars(select(Unit))}
    for u in rows:
        unit = existing.pop(u.code, None) or Unit(code=u.code)
        unit.name, unit.short_names, unit.kind = u.name, list(u.short_names), u.kind
        unit.contact, unit.email, unit.phone, unit.active = u.contact, u.email, u.phone, True
        session.add(unit)
    from insday.db.models import RosterChange

    added = set(session.scalars(select(RosterChange.unit_code).where(  # `insday units add`: still members
        RosterChange.campaign == campaign.name, RosterChange.kind == "add")))
    for stale in existing.values():
        stale.active = stale.code in added
    session.flush()  # essays refer to units
    essays = {e.id: e for e in session.scalars(select(Essay))}
    for e in campaign.essay_list:
        essay = essays.pop(e.id, None) or Essay(id=e.id)
        essay.title, essay.author, essay.unit, essay.category, essay.active = e.title, e.author, e.unit, e.category, True
        session.add(essay)
    for stale in essays.values():
        stale.active = False
    return {"units": len(campaign.units), "inactive": len(set(existing) - added), "essays": len(campaign.essay_list)}
