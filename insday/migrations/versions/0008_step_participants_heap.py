"""steps: step_participants on PostgreSQL without a primary key index, pages 70 % full

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint('pk_step_participants', 'step_participants', type_='primary')
        op.execute('ALTER TABLE step_participants SET (fillfactor = 70)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE step_participants SET (fillfactor = 50)')
        op.create_primary_key('pk_step_participants', 'step_participants', ['participant_id'])
