"""rate-limit counters in the app's own database, shared by every worker (issue 18)

Revision ID: 0008_signin_attempts
Revises: 0007_data_generation
Create Date: 2026-12-05 09:50:00.000000

One row per counter (a limit's key and window), changed by atomic upserts; rows past
expires_at are deleted as counting goes on (learnapp/counters.py). A new table only: safe
on SQLite and PostgreSQL alike.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_signin_attempts'
down_revision = '0007_data_generation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rate_limit_counters',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counters')),
    )
    with op.batch_alter_table('rate_limit_counters', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_rate_limit_counters_expires_at'), ['expires_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('rate_limit_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_counters_expires_at'))
    op.drop_table('rate_limit_counters')
