"""The benchmark's dataset generator: the small set's counts, constraints and app rules,
repeatable for a seed, and searchable once written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from bench.dataset import SMALL, Builder
from bench.generate import BENCH_PASSWORD, generate
from learnapp.improvements.models import Status
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.slow
ANCHOR = datetime(2026, 6, 1, tzinfo=UTC)

# Each must count no rows: the app's own rules, beyond what the schema enforces.
BROKEN_RULES = {
    "thanks for one's own entry": (
        "SELECT count(*) FROM cheers c JOIN entries e ON c.entry_id = e.id "
        "WHERE c.user_id = e.author_id"
    ),
    "a cheer for one's own improvement": (
        "SELECT count(*) FROM cheers c JOIN improvements i ON c.improvement_id = i.id "
        "WHERE c.user_id = i.owner_id"
    ),
    "a cheer for an improvement not done": (
        "SELECT count(*) FROM cheers c JOIN improvements i ON c.improvement_id = i.id "
        "WHERE i.status <> 'done'"
    ),
    "a done_at without done, or done without one": (
        "SELECT count(*) FROM improvements WHERE (status = 'done') <> (done_at IS NOT NULL)"
    ),
    "a status that is not its history's last step": (
        "SELECT count(*) FROM improvements i WHERE i.status <> (SELECT s.to_status "
        "FROM status_changes s WHERE s.improvement_id = i.id "
        "ORDER BY s.changed_at DESC, s.id DESC LIMIT 1)"
    ),
    "an improvement proposed before its entry": (
        "SELECT count(*) FROM improvements i JOIN entries e ON i.entry_id = e.id "
        "WHERE i.created_at < e.created_at"
    ),
    "an incident without an incident entry": (
        "SELECT count(*) FROM incidents i JOIN entries e ON i.entry_id = e.id "
        "WHERE e.kind <> 'incident'"
    ),
    "an incident entry without its incident": (
        "SELECT count(*) FROM entries e WHERE e.kind = 'incident' "
        "AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.entry_id = e.id)"
    ),
    "times out of order": (
        "SELECT count(*) FROM incidents WHERE detected_at < started_at "
        "OR resolved_at < started_at OR published_at < resolved_at"
    ),
    "a published incident without its narrative": (
        "SELECT count(*) FROM incidents WHERE status = 'published' "
        "AND (narrative = '' OR published_at IS NULL)"
    ),
    "an analysis by someone not on the incident": (
        "SELECT count(*) FROM analyses a WHERE NOT EXISTS (SELECT 1 FROM incident_responders "
        "r WHERE r.incident_id = a.incident_id AND r.user_id = a.author_id)"
    ),
}


@pytest.fixture
def small_url(tmp_path, monkeypatch, request):
    monkeypatch.setenv("LEARNAPP_INSTANCE_PATH", str(tmp_path / "instance"))
    if ON_POSTGRES:
        databases = request.getfixturevalue("postgres_databases")
        return databases.url(databases.create())
    return f"sqlite:///{tmp_path / 'small.sqlite3'}"


def test_the_small_set_has_its_counts_and_keeps_every_rule(small_url):
    manifest = generate(SMALL, small_url, seed=8, anchor=ANCHOR)
    engine = create_engine(small_url)
    try:
        with engine.connect() as connection:

            def count(sql: str) -> int:
                return connection.execute(text(sql)).scalar_one()

            assert count("SELECT count(*) FROM entries") == 1_000
            assert count("SELECT count(*) FROM users") == 200
            assert count("SELECT count(*) FROM teams") == 12
            assert count("SELECT count(*) FROM improvements") == 300
            assert count("SELECT count(*) FROM cheers") == 600
            incidents = count("SELECT count(*) FROM incidents")
            assert 30 <= incidents <= 75  # 5% of 1,000
            statuses = connection.execute(text("SELECT DISTINCT status FROM improvements"))
            assert {row[0] for row in statuses} == {s.value for s in Status}
            assert manifest["rows"]["entries"] == 1_000
            for rule, sql in BROKEN_RULES.items():
                assert count(sql) == 0, rule
            if connection.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
                assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            head = count("SELECT count(*) FROM alembic_version")
            assert head == 1
            events = count(
                "SELECT count(*) FROM timeline_events t JOIN incidents i ON t.incident_id = i.id "
                f"WHERE i.entry_id = {int(manifest['incident_entry_id'])}"
            )
            assert events == manifest["incident_timeline_events"] == 240
    finally:
        engine.dispose()
    assert manifest["search_documents"] == 1_000 + 300
    assert manifest["user"]["password"] == BENCH_PASSWORD


def test_the_small_set_can_be_signed_into_and_searched(small_url):
    manifest = generate(SMALL, small_url, seed=8, anchor=ANCHOR)
    from learnapp import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": small_url})
    client = app.test_client()
    page = client.get("/login").text
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    user = manifest["user"]
    signed_in = client.post(
        "/login", data={"email": user["email"], "password": user["password"], "csrf_token": token}
    )
    assert signed_in.status_code == 303
    found = client.get(f"/search?q={manifest['search_word']}").text
    assert found.count('href="/entries/') >= 5
    with app.app_context():
        from learnapp.extensions import db

        db.engine.dispose()


def test_the_same_seed_makes_the_same_rows():
    first = Builder(SMALL, 8, ANCHOR, "hash").build()
    again = Builder(SMALL, 8, ANCHOR, "hash").build()
    other = Builder(SMALL, 9, ANCHOR, "hash").build()
    assert first.tables == again.tables
    assert first.tables["entries"] != other.tables["entries"]
