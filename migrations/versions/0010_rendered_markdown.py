"""rendered markdown: sanitised HTML stored beside each Markdown column, and its version

Revision ID: 0010_rendered_markdown
Revises: 0009_team_membership
Create Date: 2026-12-05 10:30:00.000000

Markdown is rendered once, when written, so readers never parse it (learnapp/markdown.py).
Adding a column with a constant default needs no table rebuild on SQLite, so no batch mode
(and none of its cascading DROP). Existing rows are rendered here, by the renderer of this
checkout, and marked with its version.
"""
from alembic import op
import sqlalchemy as sa

from learnapp.markdown import RENDERER_VERSION, render_stored


# revision identifiers, used by Alembic.
revision = '0010_rendered_markdown'
down_revision = '0009_team_membership'
branch_labels = None
depends_on = None

FIELDS = {
    'entries': ('what_happened', 'what_we_learned', 'what_we_will_change'),
    'improvements': ('details',),
    'incidents': ('impact', 'summary', 'learnings', 'narrative'),
    'analyses': ('saw_and_did', 'surprised', 'themes'),
}
BATCH = 500


def _render_existing(connection, table, fields):
    sources = sa.table(table, sa.column('id'), *(sa.column(f) for f in fields))
    update = (
        sa.table(table, sa.column('id'), sa.column('markdown_version'),
                 *(sa.column(f'{f}_html') for f in fields))
        .update()
        .where(sa.column('id') == sa.bindparam('row_id'))
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(sources).where(sources.c.id > last).order_by(sources.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(update, [
            {'row_id': row.id, 'markdown_version': RENDERER_VERSION,
             **{f'{f}_html': str(render_stored(getattr(row, f))) for f in fields}}
            for row in rows
        ])
        last = rows[-1].id


def upgrade():
    for table, fields in FIELDS.items():
        for field in fields:
            op.add_column(table, sa.Column(f'{field}_html', sa.Text(), server_default='',
                                           nullable=False))
        op.add_column(table, sa.Column('markdown_version', sa.Integer(), server_default='0',
                                       nullable=False))
    connection = op.get_bind()
    for table, fields in FIELDS.items():
        _render_existing(connection, table, fields)


def downgrade():
    for table, fields in FIELDS.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('markdown_version')
            for field in reversed(fields):
                batch_op.drop_column(f'{field}_html')
