"""Migration 0003 adds the incident tables: every row of a 0002 database must survive it."""

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
    "INSERT INTO memberships (id, user_id, team_id, role) VALUES (1, 1, 1, 'lead')",
    "INSERT INTO tags (id, name) VALUES (1, 'outage')",
    "INSERT INTO entries (id, kind, title, what_happened, what_we_learned, what_we_will_change,"
    " author_id, team_id, visibility, anonymous, idempotency_key, created_at, updated_at)"
    " VALUES (1, 'incident', 'Checkout down', '', '', 'Canary config', 1, 1, 'team', 0, 'k1',"
    " '2026-01-01', '2026-01-01')",
    "INSERT INTO entries (id, kind, title, what_happened, what_we_learned, what_we_will_change,"
    " author_id, team_id, visibility, anonymous, idempotency_key, created_at, updated_at)"
    " VALUES (2, 'lesson', 'Stale venv', '', '', '', 1, NULL, 'org', 1, 'k2',"
    " '2026-01-02', '2026-01-02')",
    "INSERT INTO entry_tags (entry_id, tag_id) VALUES (1, 1)",
    "INSERT INTO contributing_factors (id, entry_id, category, factor, note)"
    " VALUES (1, 1, 'technical', 'config drift', 'staging differed')",
    "INSERT INTO improvements (id, entry_id, title, details, type, owner_id, created_by_id,"
    " priority, external_ref, status, drop_reason, idempotency_key, created_at, updated_at)"
    " VALUES (1, 1, 'Canary config', '', 'config', 1, 1, 1, '', 'proposed', '', 'i1',"
    " '2026-01-01', '2026-01-01')",
    "INSERT INTO status_changes (id, improvement_id, from_status, to_status, changed_by_id,"
    " changed_at, reason) VALUES (1, 1, NULL, 'proposed', 1, '2026-01-01', '')",
]
NEW_TABLES = {
    "incidents",
    "timeline_events",
    "incident_responders",
    "analyses",
    "review_steps",
    "incident_status_changes",
}


def test_upgrading_from_0002_keeps_every_row_and_adds_empty_incident_tables(tmp_path):
    app = make_app(tmp_path / "old.sqlite3")
    with app.app_context():
        upgrade(revision="0002_improvements")
        for statement in SEED:
            db.session.execute(text(statement))
        db.session.commit()
        before = row_counts()
        assert not NEW_TABLES & set(before)

        upgrade(revision="0003_incidents")
        after = row_counts()
        assert {t: after[t] for t in before} == before
        assert {t: after[t] for t in NEW_TABLES} == dict.fromkeys(NEW_TABLES, 0)
        titles = db.session.execute(text("SELECT title FROM entries ORDER BY id")).scalars()
        assert list(titles) == ["Checkout down", "Stale venv"]
        db.session.commit()

        downgrade(revision="0002_improvements")
        assert row_counts() == before
        db.session.remove()
        db.engine.dispose()
