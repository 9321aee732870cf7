"""admin actions: voided submissions, a unit's own deadline (extension or exemption)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sa.Text(), nullable=True))
    op.create_table('deadline_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign', sa.String(length=64), nullable=False),
    sa.Column('unit_code', sa.String(length=16), nullable=False),
    sa.Column('deadline_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_overrides'))
    )
    op.create_index('ix_deadline_overrides_lookup', 'deadline_overrides',
                    ['campaign', 'deadline_id', 'unit_code', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_deadline_overrides_lookup', table_name='deadline_overrides')
    op.drop_table('deadline_overrides')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('void_reason')
        batch_op.drop_column('voided_at')
