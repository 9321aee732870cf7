"""essays: the essay roster

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('essays',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['unit'], ['units.code'], name=op.f('fk_essays_unit_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_essays'))
    )
    with op.batch_alter_table('essays', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_essays_unit'), ['unit'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('essays', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_essays_unit'))

    op.drop_table('essays')
