"""data generation: a counter every writing transaction raises, for the page cache (issue 8)

Revision ID: 0007_data_generation
Revises: 0006_list_indexes
Create Date: 2026-11-21 15:00:00.000000

One row, written by the first commit that changes anything (an upsert); pages cached under
an older value are never served again (learnapp/pagecache.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_data_generation'
down_revision = '0006_list_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'data_generation',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_generation')),
    )


def downgrade():
    op.drop_table('data_generation')
