"""campaigns side by side: a ``campaign`` column on every table, part of every key that is unique
per campaign (unit codes, essay ids, file hashes, mail idempotency keys, record ids, leases)

Existing rows belong to the one campaign the database held: the campaign being installed
(``insday init``), else the settings' campaign (INSDAY_CAMPAIGN). A unit column refers to the
unit of the same campaign (a foreign key on campaign and code).

On PostgreSQL the column is added with the campaign as its default and the default dropped at
once: existing rows keep the value without being rewritten (no rewrite of step_records). On
SQLite each table is rebuilt (batch mode) with foreign keys off (insday.db.migrate.upgrade), so
that dropping a parent table cascades nowhere.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TABLES = ('units', 'submissions', 'essays', 'outbox', 'leases',
          'daily_reports', 'scoring_sheet_rows', 'vote_rows', 'indicator_rows', 'event_rows', 'video_rows',
          'video_leaderboard_rows', 'project_rows', 'survey_rows', 'summary_parts',
          'step_imports', 'step_records', 'step_rejects', 'step_region_aliases', 'step_participants',
          'step_region_days', 'step_top_entries', 'step_pulls', 'step_pulled_regions', 'step_pulled_units',
          'step_unlocks')

# table -> its unit column (a foreign key to units.code before, to units(campaign, code) after)
UNIT_COLUMNS = {'submissions': 'unit_code', 'essays': 'unit', 'daily_reports': 'unit', 'event_rows': 'unit',
                'indicator_rows': 'unit', 'project_rows': 'unit', 'scoring_sheet_rows': 'unit',
                'survey_rows': 'company', 'video_leaderboard_rows': 'unit', 'video_rows': 'unit',
                'step_pulled_units': 'unit_code'}
# Row tables whose unit index gains the campaign.
UNIT_INDEXES = ('essays', 'daily_reports', 'event_rows', 'indicator_rows', 'project_rows', 'scoring_sheet_rows',
                'survey_rows', 'video_leaderboard_rows', 'video_rows')

PRIMARY_KEYS = {'units': ['code'], 'essays': ['id'], 'leases': ['name'], 'step_rejects': ['record_id'],
                'step_region_aliases': ['spelling'], 'step_participants': ['participant_id']}
# table -> [(old name, old columns, new name)] of unique constraints (the campaign leads the new one)
UNIQUES = {'submissions': [('uq_submissions_sha256', ['sha256'], 'uq_submissions_campaign_sha256'),
                           ('uq_submissions_unit_code_report_type_period_key_version',
                            ['unit_code', 'report_type', 'period_key', 'version'],
                            'uq_submissions_campaign_unit_version')],
           'outbox': [('uq_outbox_key', ['key'], 'uq_outbox_campaign_key')],
           'step_imports': [('uq_step_imports_sha256', ['sha256'], 'uq_step_imports_campaign_sha256')]}
# index name -> (table, old columns); the new index leads with the campaign
INDEXES = {'ix_submissions_lookup': ('submissions', ['report_type', 'unit_code', 'period_key', 'received_at']),
           'ix_outbox_status_next': ('outbox', ['status', 'next_attempt_at']),
           'ix_step_pulled_regions_region_day': ('step_pulled_regions', ['region_code', 'day']),
           'ix_step_unlocks_region_recorded': ('step_unlocks', ['region_code', 'recorded_at'])}


def _campaign_name() -> str:
    """The campaign existing rows belong to (none needed when there are no rows)."""
    name = op.get_context().config.attributes.get('campaign')
    if name:
        return name
    # lazy: a migration imports the application only where it must (rows that need a campaign)
    from insday.campaign import CampaignError, get_campaign

    try:
        return get_campaign().name
    except CampaignError:
        bind = op.get_bind()
        if any(bind.execute(sa.text(f'SELECT 1 FROM {table} LIMIT 1')).first() for table in TABLES):
            raise
        return '-'  # an empty database: no row gets it


def _unit_fk(table: str) -> str:
    return f'fk_{table}_{UNIT_COLUMNS[table]}_units'


def upgrade() -> None:
    name = _campaign_name()
    pg = op.get_bind().dialect.name == 'postgresql'
    if pg:  # the foreign keys depend on units' primary key
        for table in UNIT_COLUMNS:
            op.drop_constraint(_unit_fk(table), table, type_='foreignkey')
    for table in TABLES:
        op.add_column(table, sa.Column('campaign', sa.String(length=64), nullable=False, server_default=name))
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('campaign', server_default=None, existing_type=sa.String(length=64),
                                  existing_nullable=False)
            if not pg and table in UNIT_COLUMNS:
                batch_op.drop_constraint(_unit_fk(table), type_='foreignkey')
            if table in PRIMARY_KEYS and not (pg and table == 'step_participants'):  # no key there (0008)
                batch_op.drop_constraint(f'pk_{table}', type_='primary')
                batch_op.create_primary_key(f'pk_{table}', ['campaign', *PRIMARY_KEYS[table]])
            for old, columns, new in UNIQUES.get(table, ()):
                batch_op.drop_constraint(old, type_='unique')
                batch_op.create_unique_constraint(new, ['campaign', *columns])
            for index, (owner, columns) in INDEXES.items():
                if owner == table:
                    batch_op.drop_index(index)
                    batch_op.create_index(index, ['campaign', *columns], unique=False)
            if table in UNIT_INDEXES:
                column = UNIT_COLUMNS[table]
                batch_op.drop_index(f'ix_{table}_{column}')
                batch_op.create_index(f'ix_{table}_{column}', ['campaign', column], unique=False)
            if not pg and table in UNIT_COLUMNS:
                batch_op.create_foreign_key(f'fk_{table}_campaign_units', 'units', ['campaign', UNIT_COLUMNS[table]],
                                            ['campaign', 'code'])
    if pg:
        for table, column in UNIT_COLUMNS.items():
            op.create_foreign_key(f'fk_{table}_campaign_units', table, 'units', ['campaign', column],
                                  ['campaign', 'code'])


def downgrade() -> None:
    """Back to one campaign per database: only possible while the database holds one campaign."""
    bind = op.get_bind()
    pg = bind.dialect.name == 'postgresql'
    held = {row[0] for table in TABLES for row in bind.execute(sa.text(f'SELECT DISTINCT campaign FROM {table}'))}
    if len(held) > 1:
        raise RuntimeError(f'the database holds {len(held)} campaigns ({", ".join(sorted(held))}); '
                           'revision 0012 holds one')
    if pg:
        for table in UNIT_COLUMNS:
            op.drop_constraint(f'fk_{table}_campaign_units', table, type_='foreignkey')
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            if not pg and table in UNIT_COLUMNS:
                batch_op.drop_constraint(f'fk_{table}_campaign_units', type_='foreignkey')
            if table in UNIT_INDEXES:
                column = UNIT_COLUMNS[table]
                batch_op.drop_index(f'ix_{table}_{column}')
                batch_op.create_index(f'ix_{table}_{column}', [column], unique=False)
            for index, (owner, columns) in INDEXES.items():
                if owner == table:
                    batch_op.drop_index(index)
                    batch_op.create_index(index, columns, unique=False)
            for old, columns, new in UNIQUES.get(table, ()):
                batch_op.drop_constraint(new, type_='unique')
                batch_op.create_unique_constraint(old, columns)
            if table in PRIMARY_KEYS and not (pg and table == 'step_participants'):
                batch_op.drop_constraint(f'pk_{table}', type_='primary')
                batch_op.create_primary_key(f'pk_{table}', PRIMARY_KEYS[table])
            batch_op.drop_column('campaign')
            if not pg and table in UNIT_COLUMNS:
                batch_op.create_foreign_key(_unit_fk(table), 'units', [UNIT_COLUMNS[table]], ['code'])
    if pg:
        for table, column in UNIT_COLUMNS.items():
            op.create_foreign_key(_unit_fk(table), table, 'units', [column], ['code'])
