"""foundation: units, submissions, report rows

Revision ID: 0001
Revises: 
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('units',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('short_names', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('contact', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=50), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_units'))
    )
    op.create_table('submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.Text(), nullable=False),
    sa.Column('archive_path', sa.Text(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('sender', sa.String(length=320), nullable=True),
    sa.Column('report_type', sa.String(length=32), nullable=True),
    sa.Column('unit_code', sa.String(length=16), nullable=True),
    sa.Column('period', sa.Date(), nullable=True),
    sa.Column('period_key', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('timeliness', sa.String(length=8), nullable=True),
    sa.Column('deadline_id', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('warnings', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_code'], ['units.code'], name=op.f('fk_submissions_unit_code_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions')),
    sa.UniqueConstraint('sha256', name=op.f('uq_submissions_sha256')),
    sa.UniqueConstraint('unit_code', 'report_type', 'period_key', 'version', name=op.f('uq_submissions_unit_code_report_type_period_key_version'))
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_lookup', ['report_type', 'unit_code', 'period_key', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_received_at'), ['received_at'], unique=False)

    op.create_table('daily_reports',
    sa.Column('report_date', sa.Date(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=False),
    sa.Column('steps', sa.BigInteger(), nullable=False),
    sa.Column('photos', sa.Integer(), nullable=True),
    sa.Column('videos', sa.Integer(), nullable=True),
    sa.Column('media_links', sa.Text(), nullable=True),
    sa.Column('contact', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_daily_reports_submission_id_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit'], ['units.code'], name=op.f('fk_daily_reports_unit_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_reports'))
    )
    with op.batch_alter_table('daily_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_daily_reports_submission_id'), ['submission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_daily_reports_unit'), ['unit'], unique=False)

    op.create_table('event_rows',
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('place', sa.Text(), nullable=True),
    sa.Column('people_reached', sa.Integer(), nullable=True),
    sa.Column('materials', sa.Integer(), nullable=True),
    sa.Column('media_links', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_event_rows_submission_id_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit'], ['units.code'], name=op.f('fk_event_rows_unit_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_rows'))
    )
    with op.batch_alter_table('event_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_rows_submission_id'), ['submission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_rows_unit'), ['unit'], unique=False)

    op.create_table('indicator_rows',
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('claims_paid', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('tax_paid', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('employees', sa.Integer(), nullable=False),
    sa.Column('agents', sa.Integer(), nullable=False),
    sa.Column('poverty_coverage', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('poverty_people', sa.Integer(), nullable=False),
    sa.Column('contact', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_indicator_rows_submission_id_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit'], ['units.code'], name=op.f('fk_indicator_rows_unit_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_rows'))
    )
    with op.batch_alter_table('indicator_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_rows_submission_id'), ['submission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_indicator_rows_unit'), ['unit'], unique=False)

    op.create_table('project_rows',
    sa.Column('project_id', sa.String(length=32), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('head_office', sa.Text(), nullable=False),
    sa.Column('coverage', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('donated_on', sa.Date(), nullable=True),
    sa.Column('claims_paid', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_project_rows_submission_id_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit'], ['units.code'], name=op.f('fk_project_rows_unit_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_rows'))
    )
    with op.batch_alter_table('project_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_rows_submission_id'), ['submission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_rows_unit'), ['unit'], unique=False)

    op.create_table('scoring_sheet_rows',
    sa.Column('essay_id', sa.String(length=16), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('s_case', sa.Float(), nullable=True),
    sa.Column('s_person', sa.Float(), nullable=True),
    sa.Column('s_theme', sa.Float(), nullable=True),
    sa.Column('s_emotion', sa.Float(), nullable=True),
    sa.Column('s_structure', sa.Float(), nullable=True),
    sa.Column('s_language', sa.Float(), nullable=True),
    sa.Column('total', sa.Float(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_scoring_sheet_rows_submission_id_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit'], ['units.code'], name=op.f('fk_scoring_sheet_rows_unit_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_sheet_rows'))
    )
    with op.batch_alter_table('scoring_sheet_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scoring_sheet_rows_submission_id'), ['submission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scoring_sheet_rows_unit'), ['unit'], unique=False)

    op.create_table('survey_rows',
    sa.Column('response_id', sa.String(length=64), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('company', sa.String(length=16), nullable=False),
    sa.Column('q_claims', sa.Integer(), nullable=False),
    sa.Column('q_sales', sa.Integer(), nullable=False),
    sa.Column('q_counter', sa.Integer(), nullable=False),
    sa.Column('q_phone', sa.Integer(), nullable=False),
    sa.Column('q_overall', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company'], ['units.code'], name=op.f('fk_survey_rows_company_units')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_survey_rows_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_rows'))
    )
    with op.batch_alter_table('survey_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_rows_company'), ['company'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_rows_submission_id'), ['submission_id'], unique=False)

    op.create_table('video_leaderboard_rows',
    sa.Column('board_date', sa.Date(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('votes', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_video_leaderboard_rows_submission_id_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit'], ['units.code'], name=op.f('fk_video_leaderboard_rows_unit_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_video_leaderboard_rows'))
    )
    with op.batch_alter_table('video_leaderboard_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_video_leaderboard_rows_submission_id'), ['submission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_video_leaderboard_rows_unit'), ['unit'], unique=False)

    op.create_table('video_rows',
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('platform', sa.String(length=50), nullable=True),
    sa.Column('link', sa.Text(), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_video_rows_submission_id_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit'], ['units.code'], name=op.f('fk_video_rows_unit_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_video_rows'))
    )
    with op.batch_alter_table('video_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_video_rows_submission_id'), ['submission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_video_rows_unit'), ['unit'], unique=False)

    op.create_table('vote_rows',
    sa.Column('essay_id', sa.String(length=16), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('votes', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_vote_rows_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_rows'))
    )
    with op.batch_alter_table('vote_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_rows_submission_id'), ['submission_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('vote_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_rows_submission_id'))

    op.drop_table('vote_rows')
    with op.batch_alter_table('video_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_video_rows_unit'))
        batch_op.drop_index(batch_op.f('ix_video_rows_submission_id'))

    op.drop_table('video_rows')
    with op.batch_alter_table('video_leaderboard_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_video_leaderboard_rows_unit'))
        batch_op.drop_index(batch_op.f('ix_video_leaderboard_rows_submission_id'))

    op.drop_table('video_leaderboard_rows')
    with op.batch_alter_table('survey_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_rows_submission_id'))
        batch_op.drop_index(batch_op.f('ix_survey_rows_company'))

    op.drop_table('survey_rows')
    with op.batch_alter_table('scoring_sheet_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scoring_sheet_rows_unit'))
        batch_op.drop_index(batch_op.f('ix_scoring_sheet_rows_submission_id'))

    op.drop_table('scoring_sheet_rows')
    with op.batch_alter_table('project_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_rows_unit'))
        batch_op.drop_index(batch_op.f('ix_project_rows_submission_id'))

    op.drop_table('project_rows')
    with op.batch_alter_table('indicator_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_rows_unit'))
        batch_op.drop_index(batch_op.f('ix_indicator_rows_submission_id'))

    op.drop_table('indicator_rows')
    with op.batch_alter_table('event_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_rows_unit'))
        batch_op.drop_index(batch_op.f('ix_event_rows_submission_id'))

    op.drop_table('event_rows')
    with op.batch_alter_table('daily_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_daily_reports_unit'))
        batch_op.drop_index(batch_op.f('ix_daily_reports_submission_id'))

    op.drop_table('daily_reports')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submissions_received_at'))
        batch_op.drop_index('ix_submissions_lookup')

    op.drop_table('submissions')
    op.drop_table('units')
