"""indexes that serve each list's filter and order at 100,000 entries (issue 8)

Revision ID: 0006_list_indexes
Revises: 0005_digest
Create Date: 2026-11-21 12:40:00.000000

SQLite without statistics prefers any index whose first column is compared for equality:
`deleted_at IS NULL` and `status IN (...)` then beat the indexes that give the lists their
order, and every page sorted the whole table (the feed took 800 ms at 100,000 entries).
Those indexes go; the improvements get indexes led by the columns their lists sort on, and
the narratives' index leads with the status like its sibling, so it is the one chosen.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006_list_indexes'
down_revision = '0005_digest'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_index('ix_entries_deleted_at')
        batch_op.create_index('ix_entries_team_visibility', ['team_id', 'visibility'], unique=False)

    with op.batch_alter_table('improvements', schema=None) as batch_op:
        batch_op.drop_index('ix_improvements_backlog')
        batch_op.drop_index('ix_improvements_age')
        batch_op.drop_index('ix_improvements_done')
        batch_op.drop_index('ix_improvements_entry_id')
        batch_op.create_index('ix_improvements_priority', ['priority', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_improvements_created', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_improvements_done', ['done_at', 'id'], unique=False)
        batch_op.create_index('ix_improvements_entry', ['entry_id', 'status'], unique=False)

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_published')
        batch_op.create_index('ix_incidents_published', ['status', 'published_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_published')
        batch_op.create_index('ix_incidents_published', ['published_at', 'id'], unique=False)

    with op.batch_alter_table('improvements', schema=None) as batch_op:
        batch_op.drop_index('ix_improvements_entry')
        batch_op.drop_index('ix_improvements_done')
        batch_op.drop_index('ix_improvements_created')
        batch_op.drop_index('ix_improvements_priority')
        batch_op.create_index('ix_improvements_entry_id', ['entry_id'], unique=False)
        batch_op.create_index('ix_improvements_done', ['status', 'done_at'], unique=False)
        batch_op.create_index('ix_improvements_age', ['status', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_improvements_backlog', ['status', 'priority', 'created_at', 'id'], unique=False)

    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_index('ix_entries_team_visibility')
        batch_op.create_index('ix_entries_deleted_at', ['deleted_at'], unique=False)
