"""Migrations on a seeded database keep every row: PostgreSQL's in-place path, both backends'
downgrade and upgrade of the revisions after the first."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from learnapp import MIGRATIONS_DIR
from learnapp.extensions import db
from learnapp.search.index import include_object
from tests.conftest import make_app
from tests.databases import row_counts

# What autogenerate writes (render_as_batch) for changes to parent tables: on PostgreSQL
# batch mode alters in place, where a recreated table would be refused or lose children.
FOLLOW_UP_MIGRATION = '''
"""test only: change the parent tables users and entries"""
from alembic import op
import sqlalchemy as sa

revision = "zz_test_in_place"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("nickname", sa.String(40), nullable=True))
        batch_op.alter_column("display_name", type_=sa.String(120))
    with op.batch_alter_table("entries") as batch_op:
        batch_op.alter_column("title", type_=sa.String(300))
        batch_op.create_index("ix_test_entries_title", ["title"])


def downgrade():
    pass
'''


@pytest.fixture
def seeded_app(own_database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Flask:
    """An app on a migrated database of its own, filled by ``flask seed-demo``."""
    monkeypatch.setenv("LEARNAPP_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(own_database_url)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert "Demo data added" in result.output, result.output
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres_only("the in-place ALTER path of batch migrations is PostgreSQL's")
def test_follow_up_migration_on_seeded_postgres_keeps_every_row(seeded_app, tmp_path):
    before = row_counts()
    assert before["entries"] > 0 and before["memberships"] > 0 and before["improvements"] > 0

    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, migrations)
    head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    (migrations / "versions" / "zz_test_in_place.py").write_text(
        FOLLOW_UP_MIGRATION.replace("{head}", head)
    )
    db.session.commit()
    upgrade(directory=str(migrations))

    assert row_counts() == before
    assert "nickname" in {c["name"] for c in inspect(db.engine).get_columns("users")}
    assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == "zz_test_in_place"


def test_revisions_after_the_first_downgrade_and_upgrade_a_seeded_database(seeded_app):
    """Every revision after the first runs down and up again on demo data, on both backends;
    the tables the first revision made keep every row."""
    before = row_counts()
    script = ScriptDirectory.from_config(_alembic_config())
    first = script.get_base()
    assert first is not None

    downgrade(revision=first)
    kept = row_counts()
    assert kept == {name: before[name] for name in kept}

    upgrade()
    after = row_counts()
    assert {name: after[name] for name in kept} == kept
    assert set(after) == set(before)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        assert compare_metadata(context, db.metadata) == []


def _alembic_config() -> Config:
    config = Config(str(Path(MIGRATIONS_DIR) / "alembic.ini"))
    config.set_main_option("script_location", MIGRATIONS_DIR)
    return config
