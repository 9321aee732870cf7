"""The Alembic migrations build exactly the schema the models describe, on every database."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from insday.db import get_engine
from insday.db.bootstrap import head_revision
from insday.db.migrate import alembic_config, current_revision
from insday.db.models import Base


def test_head_revision_is_alembics():
    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_migrations_match_models(db_url):
    engine = get_engine(db_url)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
