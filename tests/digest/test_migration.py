"""Migration 0005 adds the digest deliveries and invitations: every row of a 0004 database
must survive it, and its downgrade."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from learnapp.extensions import db
from tests.conftest import make_app
from tests.databases import row_counts
from tests.improvements.test_migration import SEED

MORE = [
    "INSERT INTO improvements (id, entry_id, title, details, type, owner_id, created_by_id,"
    " priority, external_ref, status, drop_reason, idempotency_key, created_at, updated_at,"
    " done_at) VALUES (1, 1, 'Canary', '', 'config', 1, 1, 1, '', 'done', '', 'i1',"
    " '2026-01-01', '2026-01-02', '2026-01-02')",
    "INSERT INTO status_changes (id, improvement_id, from_status, to_status, changed_by_id,"
    " changed_at, reason) VALUES (1, 1, NULL, 'proposed', 1, '2026-01-01', '')",
    "INSERT INTO cheers (id, user_id, improvement_id, entry_id, created_at)"
    " VALUES (1, 1, NULL, 1, '2026-01-03')",
]


@pytest.mark.sqlite_only("batch mode recreating tables is SQLite's trap (DESIGN.md §8)")
def test_upgrading_from_0004_keeps_every_row_and_adds_empty_tables(tmp_path):
    app = make_app(tmp_path / "old.sqlite3")
    with app.app_context():
        upgrade(revision="0004_celebration_search")
        for statement in SEED + MORE:
            db.session.execute(text(statement))
        db.session.commit()
        before = row_counts()

        upgrade(revision="0005_digest")
        after = row_counts()
        assert {t: after[t] for t in before} == before
        assert after["digest_deliveries"] == after["invitations"] == 0
        assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        db.session.commit()

        downgrade(revision="0004_celebration_search")
        assert row_counts() == before
        db.session.remove()
        db.engine.dispose()
