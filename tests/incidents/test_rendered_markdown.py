"""Markdown is rendered once, when written: every Markdown column has its sanitised HTML
stored beside it, pages and the feed show that HTML without parsing, the migration renders
existing rows and ``flask markdown rerender`` rebuilds rows of an older renderer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import render_template_string
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from learnapp import markdown
from learnapp.extensions import db
from learnapp.improvements.writing import propose
from learnapp.incidents.models import Analysis, IncidentStatus
from learnapp.markdown import RENDERER_VERSION, RenderedHTML, render_stored
from learnapp.models import Entry
from tests.conftest import empty_database_url, make_app
from tests.databases import row_counts
from tests.incidents.conftest import incident

SOURCE = "Some *emphasis* and <b>raw</b>"
HTML = "<p>Some <em>emphasis</em> and &lt;b&gt;raw&lt;/b&gt;</p>\n"


@pytest.fixture
def published(make_incident, people):
    entry = make_incident(people["author"], status=IncidentStatus.PUBLISHED)
    found = incident(entry)
    found.impact = found.summary = found.learnings = found.narrative = SOURCE
    db.session.add(Analysis(incident=found, author=people["author"], saw_and_did=SOURCE))
    entry.what_happened = entry.what_we_learned = entry.what_we_will_change = SOURCE
    propose(entry, people["author"], title="Fix it", details=SOURCE, owner=people["author"])
    db.session.commit()
    return entry


def stored_html() -> dict[str, list[str]]:
    """Every stored *_html value, per column, fresh from the database."""
    db.session.expire_all()
    found = {}
    for model, fields in markdown.MARKDOWN_MODELS.items():
        for field in fields:
            column = model.__table__.c[f"{field}_html"]
            found[f"{model.__tablename__}.{field}"] = list(
                db.session.scalars(db.select(column).order_by(model.__table__.c.id))
            )
    return found


def test_every_markdown_column_stores_its_html_when_written(published):
    stored = stored_html()
    assert set(stored) == {
        "entries.what_happened", "entries.what_we_learned", "entries.what_we_will_change",
        "improvements.details", "incidents.impact", "incidents.summary", "incidents.learnings",
        "incidents.narrative", "analyses.saw_and_did", "analyses.surprised", "analyses.themes",
    }  # fmt: skip
    assert all(values[-1] in (HTML, "") for values in stored.values())
    assert stored["analyses.saw_and_did"] == [HTML] and stored["analyses.themes"] == [""]
    assert db.session.scalar(text("SELECT min(markdown_version) FROM entries")) == RENDERER_VERSION


def test_the_quick_entry_stores_its_html_too(client, people):
    # The quick entry is written with one direct INSERT (learnapp/rows.py), not a flush.
    client.login_as(people["author"]).post(
        "/entries", {"title": "Quick", "what_happened": SOURCE, "idempotency_key": "q-1"}
    )
    assert stored_html()["entries.what_happened"] == [HTML]


def test_reading_pages_and_the_feed_never_parses_markdown(client, people, published, monkeypatch):
    def no_parsing():
        raise AssertionError("Markdown was parsed on a read")

    monkeypatch.setattr(markdown, "_parser", no_parsing)
    browser = client.login_as(people["teammate"])
    improvement_id = published.improvements[0].id
    for url in (
        f"/entries/{published.id}",
        f"/narratives/{published.id}",
        f"/improvements/{improvement_id}",
        "/narratives.atom",
    ):
        response = browser.get(url)
        assert response.status_code == 200, url
        assert "<em>emphasis</em>" in response.text or "&lt;em&gt;emphasis" in response.text


def test_the_markdown_filter_refuses_anything_but_rendered_html(app):
    with app.test_request_context():
        with pytest.raises(TypeError, match="only rendered HTML"):
            render_template_string("{{ text | markdown }}", text="<b>x</b>")
        shown = render_template_string("{{ html | markdown }}", html=render_stored("*x*"))
    assert shown == '<div class="markdown" hx-disable><p><em>x</em></p>\n</div>'


def test_rerender_rebuilds_only_rows_of_an_older_renderer(app, published, make_entry, people):
    current = make_entry(people["author"], what_happened="*current*")
    db.session.execute(
        text("UPDATE entries SET what_happened_html = 'stale', markdown_version = 0 WHERE id = :i"),
        {"i": published.id},
    )
    db.session.execute(text("UPDATE incidents SET narrative_html = 'stale', markdown_version = 0"))
    db.session.execute(
        text("UPDATE entries SET what_happened_html = 'kept' WHERE id = :i"), {"i": current.id}
    )
    db.session.commit()
    edited_before = db.session.get(Entry, published.id).updated_at

    result = app.test_cli_runner().invoke(args=["markdown", "rerender"])

    assert result.exit_code == 0, result.output
    assert "1 entries" in result.output and "1 incidents" in result.output
    assert "0 improvements" in result.output
    stored = stored_html()
    assert stored["entries.what_happened"] == [HTML, "kept"]
    assert stored["incidents.narrative"] == [HTML]
    db.session.expire_all()
    assert db.session.get(Entry, published.id).updated_at == edited_before
    assert db.session.get(Entry, published.id).markdown_version == RENDERER_VERSION
    assert "0 entries" in app.test_cli_runner().invoke(args=["markdown", "rerender"]).output


def test_text_the_renderer_refuses_is_stored_whole_as_preformatted_text():
    html = render_stored("* " * 30 + "<x>")
    assert isinstance(html, RenderedHTML)
    assert html == "<pre><code>" + "* " * 30 + "&lt;x&gt;</code></pre>"


SEED_0007 = [
    "INSERT INTO users (id, email, display_name, password_hash, timezone, digest_opt_in,"
    " is_admin, is_active, session_version, created_at)"
    " VALUES (1, 'a@example.com', 'A', 'x', 'UTC', true, false, true, 1, '2026-01-01')",
    "INSERT INTO entries (id, kind, title, what_happened, what_we_learned, what_we_will_change,"
    " author_id, visibility, anonymous, idempotency_key, created_at, updated_at)"
    f" VALUES (1, 'incident', 'Down', '{SOURCE}', '', '', 1, 'org', false, 'k1',"
    " '2026-01-01', '2026-01-01')",
    "INSERT INTO improvements (id, entry_id, title, details, type, owner_id, created_by_id,"
    " priority, external_ref, status, drop_reason, idempotency_key, created_at, updated_at)"
    f" VALUES (1, 1, 'Fix', '{SOURCE}', 'config', 1, 1, 1, '', 'proposed', '', 'i1',"
    " '2026-01-01', '2026-01-01')",
    "INSERT INTO incidents (id, entry_id, severity, status, started_at, detected_at, impact,"
    " summary, learnings, narrative, created_at, updated_at) VALUES (1, 1, 2, 'in_review',"
    f" '2026-01-01', '2026-01-01', '{SOURCE}', '', '', '{'* ' * 30}x', '2026-01-01', '2026-01-01')",
    "INSERT INTO analyses (id, incident_id, author_id, saw_and_did, surprised, themes,"
    f" created_at, updated_at) VALUES (1, 1, 1, '', '{SOURCE}', '', '2026-01-01', '2026-01-01')",
]


def test_the_migration_renders_existing_rows_and_keeps_every_row(tmp_path):
    app = make_app(empty_database_url(tmp_path))
    with app.app_context():
        upgrade(revision="0007_data_generation")
        for statement in SEED_0007:
            db.session.execute(text(statement))
        db.session.commit()
        upgrade(revision="0009_team_membership")
        before = row_counts()

        upgrade(revision="0010_rendered_markdown")

        assert row_counts() == before
        rows = db.session.execute(
            text(
                "SELECT e.what_happened_html, e.what_we_learned_html, i.details_html,"
                " n.impact_html, n.narrative_html, a.surprised_html, e.markdown_version,"
                " n.markdown_version FROM entries e JOIN improvements i ON i.entry_id = e.id"
                " JOIN incidents n ON n.entry_id = e.id JOIN analyses a ON a.incident_id = n.id"
            )
        ).one()
        deep = "<pre><code>" + "* " * 30 + "x</code></pre>"
        assert tuple(rows) == (HTML, "", HTML, HTML, deep, HTML, RENDERER_VERSION, RENDERER_VERSION)
        db.session.commit()

        downgrade(revision="0009_team_membership")
        assert row_counts() == before
        db.session.remove()
        db.engine.dispose()


def test_a_row_written_around_the_orm_is_stale_until_rerendered(app, people):
    db.session.execute(
        text(
            "INSERT INTO entries (kind, title, what_happened, what_we_learned,"
            " what_we_will_change, author_id, visibility, anonymous, idempotency_key,"
            " created_at, updated_at) VALUES ('lesson', 'Raw', :s, '', '', :a, 'org', false,"
            " 'raw', :t, :t)"
        ),
        {"s": SOURCE, "a": people["author"].id, "t": datetime(2026, 1, 1, tzinfo=UTC)},
    )
    db.session.commit()
    app.test_cli_runner().invoke(args=["markdown", "rerender"])
    assert stored_html()["entries.what_happened"][-1] == HTML
