"""roster changes: a unit joins or leaves the campaign's roster from an effective moment

Carries the campaign's name from the start, as audit_log and approvals do.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table('roster_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('unit_code', sa.String(length=16), nullable=False),
    sa.Column('effective_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('unit', JSON, nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_changes'))
    )
    op.create_index('ix_roster_changes_lookup', 'roster_changes', ['campaign', 'unit_code', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_roster_changes_lookup', table_name='roster_changes')
    op.drop_table('roster_changes')
