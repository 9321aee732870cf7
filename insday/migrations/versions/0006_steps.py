"""steps: donation records, participant state, region figures, pulls, unlocks

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('step_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_record_id', sa.BigInteger(), nullable=True),
    sa.Column('last_record_id', sa.BigInteger(), nullable=True),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
    sa.Column('superseded', sa.Integer(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=True),
    sa.Column('last_day', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_step_imports')),
    sa.UniqueConstraint('sha256', name=op.f('uq_step_imports_sha256'))
    )
    with op.batch_alter_table('step_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_step_imports_received_at'), ['received_at'], unique=False)

    op.create_table('step_participants',
    sa.Column('participant_id', sa.Text().with_variant(sa.Text(collation='C'), 'postgresql'), nullable=False),
    sa.Column('days_mask', sa.BigInteger(), nullable=False),
    sa.Column('donations', sa.Integer(), nullable=False),
    sa.Column('total_steps', sa.BigInteger(), nullable=False),
    sa.Column('first_on', sa.Date(), nullable=False),
    sa.Column('last_on', sa.Date(), nullable=False),
    sa.Column('current_streak', sa.Integer(), nullable=False),
    sa.Column('best_streak', sa.Integer(), nullable=False),
    sa.Column('first_donation_on', sa.Date(), nullable=True),
    sa.Column('first_donation_import_id', sa.Integer(), nullable=True),
    sa.Column('five_donations_on', sa.Date(), nullable=True),
    sa.Column('five_donations_import_id', sa.Integer(), nullable=True),
    sa.Column('ten_consecutive_days_on', sa.Date(), nullable=True),
    sa.Column('ten_consecutive_days_import_id', sa.Integer(), nullable=True),
    sa.Column('updated_import_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('participant_id', name=op.f('pk_step_participants')),
    postgresql_with={'fillfactor': 70}
    )
    op.create_table('step_pulls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('location', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('pulled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('platform_as_of', sa.DateTime(timezone=True), nullable=True),
    sa.Column('region_rows', sa.Integer(), nullable=False),
    sa.Column('unit_rows', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_step_pulls'))
    )
    with op.batch_alter_table('step_pulls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_step_pulls_pulled_at'), ['pulled_at'], unique=False)

    op.create_table('step_records',
    sa.Column('record_id', sa.BigInteger(), sa.Identity(always=False, cache=1000), nullable=False),
    sa.Column('donated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('participant_id', sa.Text().with_variant(sa.Text(collation='C'), 'postgresql'), nullable=True),
    sa.Column('region', sa.Text(), nullable=True),
    sa.Column('steps', sa.Integer(), nullable=True),
    sa.Column('raw_line', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('step_records', schema=None) as batch_op:
        batch_op.create_index('ix_step_records_record_id', ['record_id'], unique=False, postgresql_using='brin')

    op.create_table('step_region_aliases',
    sa.Column('spelling', sa.Text(), nullable=False),
    sa.Column('region_code', sa.String(length=8), nullable=False),
    sa.PrimaryKeyConstraint('spelling', name=op.f('pk_step_region_aliases'))
    )
    op.create_table('step_rejects',
    sa.Column('record_id', sa.BigInteger(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_step_rejects'))
    )
    op.create_table('step_unlocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=8), nullable=False),
    sa.Column('unlocked_on', sa.Date(), nullable=False),
    sa.Column('group_steps', sa.BigInteger(), nullable=False),
    sa.Column('previous_on', sa.Date(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('trigger', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_step_unlocks'))
    )
    with op.batch_alter_table('step_unlocks', schema=None) as batch_op:
        batch_op.create_index('ix_step_unlocks_region_recorded', ['region_code', 'recorded_at'], unique=False)

    op.create_table('step_pulled_regions',
    sa.Column('pull_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=8), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('steps', sa.BigInteger(), nullable=False),
    sa.Column('donations', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['pull_id'], ['step_pulls.id'], name=op.f('fk_step_pulled_regions_pull_id_step_pulls')),
    sa.PrimaryKeyConstraint('pull_id', 'region_code', 'day', name=op.f('pk_step_pulled_regions'))
    )
    with op.batch_alter_table('step_pulled_regions', schema=None) as batch_op:
        batch_op.create_index('ix_step_pulled_regions_region_day', ['region_code', 'day'], unique=False)

    op.create_table('step_pulled_units',
    sa.Column('pull_id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('steps', sa.BigInteger(), nullable=False),
    sa.Column('donations', sa.Integer(), nullable=True),
    sa.Column('participants', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['pull_id'], ['step_pulls.id'], name=op.f('fk_step_pulled_units_pull_id_step_pulls')),
    sa.ForeignKeyConstraint(['unit_code'], ['units.code'], name=op.f('fk_step_pulled_units_unit_code_units')),
    sa.PrimaryKeyConstraint('pull_id', 'unit_code', 'day', name=op.f('pk_step_pulled_units'))
    )
    op.create_table('step_region_days',
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=8), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('donations', sa.Integer(), nullable=False),
    sa.Column('steps', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['step_imports.id'], name=op.f('fk_step_region_days_import_id_step_imports')),
    sa.PrimaryKeyConstraint('import_id', 'region_code', 'day', name=op.f('pk_step_region_days'))
    )
    op.create_table('step_top_entries',
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Text().with_variant(sa.Text(collation='C'), 'postgresql'), nullable=False),
    sa.Column('steps', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['step_imports.id'], name=op.f('fk_step_top_entries_import_id_step_imports')),
    sa.PrimaryKeyConstraint('import_id', 'rank', name=op.f('pk_step_top_entries'))
    )


def downgrade() -> None:
    op.drop_table('step_top_entries')
    op.drop_table('step_region_days')
    op.drop_table('step_pulled_units')
    with op.batch_alter_table('step_pulled_regions', schema=None) as batch_op:
        batch_op.drop_index('ix_step_pulled_regions_region_day')

    op.drop_table('step_pulled_regions')
    with op.batch_alter_table('step_unlocks', schema=None) as batch_op:
        batch_op.drop_index('ix_step_unlocks_region_recorded')

    op.drop_table('step_unlocks')
    op.drop_table('step_rejects')
    op.drop_table('step_region_aliases')
    with op.batch_alter_table('step_records', schema=None) as batch_op:
        batch_op.drop_index('ix_step_records_record_id', postgresql_using='brin')

    op.drop_table('step_records')
    with op.batch_alter_table('step_pulls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_step_pulls_pulled_at'))

    op.drop_table('step_pulls')
    op.drop_table('step_participants')
    with op.batch_alter_table('step_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_step_imports_received_at'))

    op.drop_table('step_imports')
