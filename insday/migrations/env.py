"""Alembic environment: runs on the connection insday.db.migrate hands over."""

from alembic import context

from insday.db.models import Base

config = context.config
connection = config.attributes["connection"]
def render_item(type_, obj, autogen_context):
    """Write insday's column types as the plain types they store, so migrations need no app import."""
    # lazy: a migration runs inside Alembic; it imports what it needs when it runs
    from sqlalchemy import JSON

    # lazy: a migration runs inside Alembic; it imports what it needs when it runs
    from insday.db.types import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, JSON):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
    return False


context.configure(
    render_item=render_item,
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
