"""Hostile and malformed input: a clear 4xx, nothing stored, never a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from learnapp.extensions import db
from learnapp.models import Entry

BAD_ENTRY_FIELDS = [
    # (field, value, message shown)
    ("title", "", "Please fill this in."),
    ("title", "   ", "Please fill this in."),
    ("title", "x" * 201, "under 200 characters"),
    ("title", "nul\x00byte", "control character (U+0000)"),
    ("title", "bell\x07", "control character (U+0007)"),
    ("title", "two\nlines", "a line break"),
    ("title", "bidi \u202e override", None),  # allowed: a format char, shown escaped
    ("what_happened", "a" * 20_001, "under 20,000 characters"),
    ("what_happened", "esc\x1b[31m", "control character (U+001B)"),
    ("what_we_learned", "nul\x00", "control character"),
    ("kind", "outage", "Not a valid choice"),
    ("visibility", "public", "Not a valid choice"),
    ("team", "abc", "Invalid Choice"),
    ("team", "99999999999999999999999", "Not a valid choice"),
    ("tags", "ok, not ok!", "is not a tag"),
    ("tags", ",".join(f"t{i}" for i in range(11)), "at most 10 tags"),
    ("tags", "x" * 41, "is not a tag"),
    ("time_lost", "soon", "Write it like"),
    ("time_lost", "-5", "Write it like"),
    ("time_lost", "9999999h", "Write it like"),
    ("idempotency_key", "<script>", "Invalid input"),
    ("idempotency_key", "k" * 65, "Field cannot be longer"),
]


@pytest.fixture
def signed_in(client, author):
    return client.login_as(author)


def entry_count() -> int:
    return db.session.scalar(select(func.count(Entry.id)))


@pytest.mark.parametrize(("field", "value", "message"), BAD_ENTRY_FIELDS)
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_entry_field(signed_in, field, value, message, htmx):
    data = {"title": "A fine title", field: value}
    response = signed_in.post("/entries", data, htmx=htmx)
    if message is None:
        assert response.status_code in (200, 303)
        return
    assert response.status_code == 422, response.text[:500]
    assert message in response.text
    assert entry_count() == 0


def test_invalid_utf8_is_refused_cleanly(signed_in):
    token = signed_in.csrf_token()
    body = b"csrf_token=" + token.encode() + b"&title=caf%C3%28%A9"
    response = signed_in.post_raw("/entries", body, "application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "not valid UTF-8" in response.text
    assert entry_count() == 0
    assert signed_in.get("/?tag=caf%C3%28").status_code == 400


def test_body_over_the_limit_gets_413_page(signed_in, app):
    response = signed_in.post(
        "/entries", {"title": "x", "what_happened": "a" * (app.config["MAX_CONTENT_LENGTH"] + 10)}
    )
    assert response.status_code == 413
    assert "That was too large" in response.text
    assert entry_count() == 0


def test_unexpected_fields_are_not_mass_assigned(signed_in, author, make_user):
    other = make_user("Grace")
    signed_in.post(
        "/entries",
        {
            "title": "mine",
            "author_id": str(other.id),
            "id": "777",
            "deleted_at": "2020-01-01",
            "created_at": "2001-01-01",
        },
    )
    entry = db.session.scalar(select(Entry))
    assert entry.author_id == author.id and entry.id != 777 and entry.deleted_at is None
    assert entry.created_at.year > 2001


def test_duplicated_fields_take_the_first(signed_in):
    token = signed_in.csrf_token()
    body = f"csrf_token={token}&title=first&title=second"
    response = signed_in.post_raw("/entries", body, "application/x-www-form-urlencoded")
    assert response.status_code == 303
    assert db.session.scalar(select(Entry.title)) == "first"


def test_wrong_content_type_is_refused_not_a_crash(signed_in):
    response = signed_in.post_raw("/entries", '{"title": "json"}', "application/json")
    assert response.status_code == 415
    assert "Send this as a web form" in response.text
    assert entry_count() == 0


@pytest.mark.parametrize(
    "query",
    [
        "/?tag=%00",
        "/?tag=" + "x" * 500,
        "/?team=abc",
        "/?kind=%ff",
        "/?cursor=9" * 3,
        "/?cursor=-1-1",
        "/?cursor=99999999999999999999-1",
    ],
)
def test_bad_feed_queries_never_fail(signed_in, query):
    response = signed_in.get(query)
    assert response.status_code in (200, 400, 422)


@pytest.mark.parametrize("path", ["/entries/0", "/entries/99999999999999999999", "/entries/-1"])
def test_out_of_range_ids_are_404(signed_in, path):
    assert signed_in.get(path).status_code == 404
    assert signed_in.post(path + "/delete").status_code == 404
