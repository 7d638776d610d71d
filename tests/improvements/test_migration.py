"""Migration 0002 recreates the entries table on SQLite: every row must survive it."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from learnapp.extensions import db
from tests.conftest import make_app
from tests.databases import row_counts

SEED = [
    "INSERT INTO teams (id, name, slug, created_at)"
    " VALUES (1, 'Platform', 'platform', '2026-01-01')",
    "INSERT INTO users (id, email, display_name, password_hash, timezone, digest_opt_in, is_admin,"
    " is_active, session_version, created_at) VALUES (1, 'a@example.com', 'A', 'x', 'UTC', 1, 0, 1,"
    " 1, '2026-01-01')",
    "INSERT INTO memberships (id, user_id, team_id, role) VALUES (1, 1, 1, 'member')",
    "INSERT INTO tags (id, name) VALUES (1, 'cache')",
    "INSERT INTO entries (id, kind, title, what_happened, what_we_learned, what_we_will_change,"
    " author_id, team_id, visibility, anonymous, idempotency_key, created_at, updated_at)"
    " VALUES (1, 'lesson', 'Old', '', '', 'Fix it', 1, 1, 'org', 0, 'k1', '2026-01-01',"
    " '2026-01-01')",
    "INSERT INTO entry_tags (entry_id, tag_id) VALUES (1, 1)",
    "INSERT INTO contributing_factors (id, entry_id, category, factor, note)"
    " VALUES (1, 1, 'technical', 'missing test', '')",
]


def test_upgrading_a_database_with_entries_keeps_every_row(tmp_path):
    app = make_app(tmp_path / "old.sqlite3")
    with app.app_context():
        upgrade(revision="0001_core")
        for statement in SEED:
            db.session.execute(text(statement))
        db.session.commit()
        before = row_counts()
        upgrade()
        after = row_counts()
        assert {t: after[t] for t in before} == before
        assert after["improvements"] == after["status_changes"] == 0
        entry = db.session.execute(text("SELECT title, no_change_reason FROM entries")).one()
        assert tuple(entry) == ("Old", None)
        db.session.commit()

        downgrade(revision="0001_core")
        assert row_counts() == before
        db.session.remove()
        db.engine.dispose()
