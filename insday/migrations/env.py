"""Alembic environment: runs on the connection insday.db.migrate hands over."""

from alembic import context
from sqlalchemy import JSON

from insday.db.models import Base
from insday.db.types import UTCDateTime

config = context.config
connection = config.attributes["connection"]
def render_item(type_, obj, autogen_context):
    """Write insday's column types as the plain types they store, so migrations need no app import."""
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
