"""notice gaps: video durations and withdrawals, workplace-publicity counts, daily-report media

New tables carry the campaign's name from the start, so several campaigns can share a database.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('video_withdrawals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign', sa.String(length=64), nullable=False),
    sa.Column('link', sa.Text(), nullable=False),
    sa.Column('unit_code', sa.String(length=16), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('author', sa.String(length=100), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_video_withdrawals')),
    sa.UniqueConstraint('campaign', 'link', name=op.f('uq_video_withdrawals_campaign_link'))
    )
    op.create_table('report_media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign', sa.String(length=64), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('archive_path', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'],
                            name=op.f('fk_report_media_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_media'))
    )
    with op.batch_alter_table('report_media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_media_submission_id'), ['submission_id'], unique=False)

    with op.batch_alter_table('event_rows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('posters', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('led_screens', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('service_desks', sa.Integer(), nullable=True))

    with op.batch_alter_table('video_rows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duration', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('video_rows', schema=None) as batch_op:
        batch_op.drop_column('duration')

    with op.batch_alter_table('event_rows', schema=None) as batch_op:
        batch_op.drop_column('service_desks')
        batch_op.drop_column('led_screens')
        batch_op.drop_column('posters')

    with op.batch_alter_table('report_media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_media_submission_id'))

    op.drop_table('report_media')
    op.drop_table('video_withdrawals')
