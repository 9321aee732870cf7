"""publishing and audit: approvals of outputs before they go out, the audit log of actions

Both tables carry the campaign's name from the start, so several campaigns can share a database.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table('approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign', sa.String(length=64), nullable=False),
    sa.Column('output', sa.String(length=32), nullable=False),
    sa.Column('edition', sa.String(length=32), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('checks_passed', sa.Boolean(), nullable=False),
    sa.Column('checks', JSON, nullable=False),
    sa.Column('preview', sa.Text(), nullable=True),
    sa.Column('flow_run_id', sa.String(length=64), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approvals')),
    sa.UniqueConstraint('campaign', 'output', 'edition', 'digest',
                        name=op.f('uq_approvals_campaign_output_edition_digest'))
    )
    op.create_index('ix_approvals_lookup', 'approvals', ['campaign', 'output', 'edition', 'requested_at'])
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('unit_code', sa.String(length=16), nullable=True),
    sa.Column('deadline_id', sa.String(length=64), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('detail', JSON, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_log_campaign_at', 'audit_log', ['campaign', 'at'])


def downgrade() -> None:
    op.drop_index('ix_audit_log_campaign_at', table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_index('ix_approvals_lookup', table_name='approvals')
    op.drop_table('approvals')
