"""team membership and display names: invitations to a team; no two active people share a name

Revision ID: 0009_team_membership
Revises: 0008_signin_attempts
Create Date: 2026-12-05 09:30:00.000000

``invitations.team_id``: the team that accepting an invitation makes its person a member of
(none for an admin's invitation to an account only).

``users.display_name_key`` holds each name as readers compare it (learnapp.models.name_key:
trimmed, whitespace collapsed, case folded, NFKC, no invisible characters); a partial unique
index keeps it unique among active people. Existing active people who share a name keep it
in order of their id: the first keeps it as it is, each later one gets " (2)", " (3)"… —
the first such suffix that no active person has. The downgrade keeps those names.
"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_team_membership'
down_revision = '0008_signin_attempts'
branch_labels = None
depends_on = None

MAX_NAME = 80


def name_key(name):
    # A copy of learnapp.models.name_key as it is at this revision: a migration must not
    # change when the app's code does.
    visible = "".join(c for c in name if unicodedata.category(c) != "Cf")
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).casefold())
    return " ".join(folded.split())


def _unique_names(rows):
    """{id: (name, key)} for ``rows`` of (id, name, active), active duplicates renamed."""
    taken = {name_key(name) for _, name, active in rows if active}
    kept, seen = {}, set()
    for user_id, name, active in sorted(rows):
        key = name_key(name)
        if active and key in seen:
            base, number = name.strip(), 1
            while key in taken:
                number += 1
                suffix = f" ({number})"
                name = base[: MAX_NAME - len(suffix)].rstrip() + suffix
                key = name_key(name)
            taken.add(key)
        if active:
            seen.add(key)
        kept[user_id] = (name, key)
    return kept


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_invitations_team_id_teams'), 'teams', ['team_id'], ['id'],
            ondelete='CASCADE',
        )

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_name_key', sa.String(length=320), nullable=True))

    users = sa.table(
        'users',
        sa.column('id', sa.Integer()),
        sa.column('display_name', sa.String()),
        sa.column('display_name_key', sa.String()),
        sa.column('is_active', sa.Boolean()),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.display_name, users.c.is_active))
    for user_id, (name, key) in _unique_names([tuple(row) for row in rows]).items():
        connection.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(display_name=name, display_name_key=key)
        )

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('display_name_key', existing_type=sa.String(length=320), nullable=False)
        batch_op.create_index(
            'uq_users_display_name_key',
            ['display_name_key'],
            unique=True,
            sqlite_where=sa.text('is_active'),
            postgresql_where=sa.text('is_active'),
        )


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invitations_team_id_teams'), type_='foreignkey')
        batch_op.drop_column('team_id')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('uq_users_display_name_key')
        batch_op.drop_column('display_name_key')
