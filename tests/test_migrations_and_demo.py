"""Migrations build exactly the models' schema and never cascade away rows; demo seeding."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import func, inspect, select, text

from learnapp import MIGRATIONS_DIR, demo
from learnapp.extensions import db
from learnapp.models import Entry, Team, User
from learnapp.search.index import include_object
from tests.databases import row_counts

FOLLOW_UP_MIGRATION = '''
"""test only: a batch change on the parent table users"""
from alembic import op
import sqlalchemy as sa

revision = "zz_test_batch"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", recreate="always") as batch_op:
        batch_op.add_column(sa.Column("nickname", sa.String(40), nullable=True))


def downgrade():
    with op.batch_alter_table("users", recreate="always") as batch_op:
        batch_op.drop_column("nickname")
'''


def test_migrations_build_exactly_the_models_schema(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


@pytest.mark.sqlite_only(
    "only SQLite recreates a table in batch mode; test_postgres_migrations covers PostgreSQL"
)
def test_batch_migration_on_a_parent_table_keeps_every_child_row(app, tmp_path):
    demo.seed()
    before = row_counts()
    assert before["entries"] > 0 and before["memberships"] > 0

    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, migrations)
    head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    (migrations / "versions" / "zz_test_batch.py").write_text(
        FOLLOW_UP_MIGRATION.replace("{head}", head)
    )
    db.session.commit()
    upgrade(directory=str(migrations))

    assert row_counts() == before
    db.session.commit()  # outside a request every transaction holds the write lock
    assert "nickname" in {c["name"] for c in inspect(db.engine).get_columns("users")}
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_seed_demo_is_idempotent_and_prints_the_login(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert "Demo data added" in first.output and demo.DEMO_EMAIL in first.output
    counts = (
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(func.count(Team.id))),
        db.session.scalar(select(func.count(Entry.id))),
    )
    assert counts == (6, 2, 40)
    second = runner.invoke(args=["seed-demo"])
    assert "not added" in second.output
    assert db.session.scalar(select(func.count(Entry.id))) == 40


def test_demo_entries_span_eight_weeks_with_markdown_and_tags(app):
    demo.seed()
    entries = db.session.scalars(select(Entry)).all()
    ages = [e.created_at for e in entries]
    assert (max(ages) - min(ages)).days >= 30
    assert all(e.tags for e in entries)
    assert any("**" in e.what_happened or "`" in e.what_happened for e in entries)


def test_demo_login_works(app, client):
    demo.seed()
    response = client.post("/login", {"email": demo.DEMO_EMAIL, "password": demo.DEMO_PASSWORD})
    assert response.status_code == 303
    assert client.get("/").status_code == 200


def test_migrations_directory_is_the_projects(app):
    assert Path(MIGRATIONS_DIR).name == "migrations"
