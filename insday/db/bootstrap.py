"""Bring a database to the current schema and campaign: what `insday init` does."""

from __future__ import annotations

from sqlalchemy import Engine

from insday.campaign import Campaign
from insday.db import session_scope


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    from insday.db.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def init_database(engine: Engine, campaign: Campaign) -> dict:
    """Create or upgrade the schema, then upsert the campaign's reference data. Safe to rerun."""
    from insday.db.migrate import current_revision, load_reference_data, upgrade

    before = current_revision(engine)
    upgrade(engine)
    with session_scope(engine) as s:
        loaded = load_reference_data(s, campaign)
    return {"revision_before": before, "revision": current_revision(engine), **loaded}


def ensure_database(engine: Engine, campaign: Campaign) -> None:
    from insday.db.migrate import current_revision

    if current_revision(engine) != head_revision():
        init_database(engine, campaign)
