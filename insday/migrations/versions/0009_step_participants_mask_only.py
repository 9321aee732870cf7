"""steps: step_participants keeps the day mask, counted steps and badge imports; counts, streaks
and badge days are the mask's

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

DERIVED = (('donations', sa.Integer()), ('first_on', sa.Date()), ('last_on', sa.Date()),
           ('current_streak', sa.Integer()), ('best_streak', sa.Integer()), ('first_donation_on', sa.Date()),
           ('five_donations_on', sa.Date()), ('ten_consecutive_days_on', sa.Date()))


def upgrade() -> None:
    with op.batch_alter_table('step_participants', schema=None) as batch_op:
        for name, _ in DERIVED:
            batch_op.drop_column(name)


def downgrade() -> None:
    # Nullable: the values are the day mask's, written again as each participant's state moves on.
    with op.batch_alter_table('step_participants', schema=None) as batch_op:
        for name, type_ in DERIVED:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
