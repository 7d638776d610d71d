"""drop data generation: the page cache it served is gone (issue 19)

Revision ID: 0011_drop_data_generation
Revises: 0010_rendered_markdown
Create Date: 2026-12-05 14:40:00.000000

Every writing transaction raised this one row's counter, so on PostgreSQL all writers queued
on it; with no page cache left, nothing reads it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_drop_data_generation'
down_revision = '0010_rendered_markdown'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table('data_generation')


def downgrade():
    op.create_table(
        'data_generation',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_generation')),
    )
