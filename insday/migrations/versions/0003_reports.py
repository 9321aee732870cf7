"""reports: campaign-summary bundle parts; event titles, leaderboard links, project publication dates

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 07:55:18.655739
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('summary_parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('part', sa.String(length=32), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('link', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_summary_parts_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_parts'))
    )
    with op.batch_alter_table('summary_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_summary_parts_submission_id'), ['submission_id'], unique=False)

    with op.batch_alter_table('event_rows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.Text(), nullable=True))

    with op.batch_alter_table('project_rows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('results_published_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('link', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_project_rows_project_id'), ['project_id'], unique=False)

    with op.batch_alter_table('video_leaderboard_rows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link', sa.Text(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('video_leaderboard_rows', schema=None) as batch_op:
        batch_op.drop_column('link')

    with op.batch_alter_table('project_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_rows_project_id'))
        batch_op.drop_column('link')
        batch_op.drop_column('results_published_on')
        batch_op.drop_column('published_on')

    with op.batch_alter_table('event_rows', schema=None) as batch_op:
        batch_op.drop_column('title')

    with op.batch_alter_table('summary_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_summary_parts_submission_id'))

    op.drop_table('summary_parts')
