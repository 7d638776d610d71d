"""Hypothesis throws hostile bodies at every form-handling POST route of the URL map.

Signed in with a valid CSRF token, each example posts one of: arbitrary text in known and
unknown fields (control characters, lone surrogates sent as invalid UTF-8, out-of-range ids
and enums), duplicated fields, mass-assignment fields (``author_id``, ``is_admin``, ``id``,
``created_at``, ``status``…), raw bytes, or a wrong content type (JSON, multipart,
text/plain). After each one:

- never a 5xx;
- a 4xx stored nothing (every table's row count and checksum unchanged);
- who made or owns existing rows is unchanged, and every new row names the signed-in user
  wherever it records who did it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text

from learnapp.extensions import db
from tests.test_authorization_matrix import (
    FORMS,
    OWNER_FIELD,
    ROUTES,
    build_world,
    snapshot,
    url_for_rule,
)

# Routes whose POST is no form to fuzz, with the reason.
NOT_FUZZED = {
    "auth.logout": "takes no fields; it ends the session the fuzzing needs",
}
POST_ROUTES = [(endpoint, rule) for endpoint, rule, method in ROUTES if method == "POST"]
POST_ROUTES = [r for r in POST_ROUTES if r[0] not in NOT_FUZZED]

FIELDS = [
    "title", "kind", "what_happened", "what_we_learned", "what_we_will_change", "tags",
    "team", "visibility", "anonymous", "time_lost", "idempotency_key", "track_change",
    "details", "type", "owner", "priority", "due_date", "external_ref", "to", "expected",
    "reason", "return_to", "severity", "started_at", "detected_at", "impact", "resolved_at",
    "occurred_at", "text", "saw_and_did", "surprised", "themes", "summary", "learnings",
    "step", "done", "factor", "note", "draft", "action", "on", "next", "display_name",
    "timezone", "digest_opt_in", "email", "password", "name", "remember",
]  # fmt: skip
MASS_ASSIGNMENT = [
    "author_id", "is_admin", "owner_id", "status", "published_at", "id", "created_at",
    "created_by_id", "user_id", "session_version", "password_hash", "deleted_at",
    "is_active_account", "entry_id", "incident_id", "published_by_id",
]  # fmt: skip
# Columns that record who made or did something: a request never rewrites them on existing
# rows, and a new row carries the signed-in user in them.
WHO = {"author_id", "created_by_id", "changed_by_id", "published_by_id", "ticked_by_id", "user_id"}
WHO |= {"invited_by_id", "no_change_by_id"}
PROTECTED = WHO | {"id", "created_at", "user_id", "invited_by_id", "password_hash", "email"}

FORM = "application/x-www-form-urlencoded"
ODD_VALUES = ["0", "-1", str(2**63), str(-(2**63) - 1), "abc", "", " ", "1e9", "None", "on"]
values = st.one_of(
    st.sampled_from(ODD_VALUES),
    st.text(alphabet=st.characters(exclude_categories=[]), max_size=60),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=10),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.builds(lambda c, n: c * n, st.sampled_from("x\x00é\u202e"), st.integers(0, 30_000)),
)
names = st.one_of(st.sampled_from(FIELDS), st.sampled_from(MASS_ASSIGNMENT), st.text(max_size=8))
# Someone else's id (the world's users are 1-5), a date, a status: what an attacker sends.
MASS_VALUES = ["1", "2", "3", "4", "5", "true", "2001-01-01T00:00:00", "done", "published"]
mass = st.tuples(st.sampled_from(MASS_ASSIGNMENT), st.sampled_from(MASS_VALUES))
pairs = st.lists(st.one_of(st.tuples(names, values), mass), max_size=8)


def urlencoded(fields: list[tuple[str, str]]) -> bytes:
    """An urlencoded body; a lone surrogate comes out as bytes that are not UTF-8."""
    return "&".join(
        f"{quote(k.encode('utf-8', 'surrogatepass'))}={quote(v.encode('utf-8', 'surrogatepass'))}"
        for k, v in fields
    ).encode()


def multipart(fields: list[tuple[str, str]]) -> tuple[bytes, str]:
    boundary = "fuzzboundary7q"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{quote(k)}"\r\n\r\n'.encode()
        + v.encode("utf-8", "surrogatepass")
        + b"\r\n"
        for k, v in fields
    ]
    return b"".join(
        parts
    ) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


bodies = st.one_of(
    pairs.map(lambda p: ("valid_plus", p)),
    pairs.map(lambda p: ("form", p)),
    pairs.map(lambda p: ("json", p)),
    pairs.map(lambda p: ("multipart", p)),
    pairs.map(lambda p: ("text", p)),
    st.binary(max_size=300).map(lambda b: ("bytes", b)),
)


def encode(kind: str, payload: Any, token: str, valid: dict[str, str]) -> tuple[bytes, str]:
    if kind == "valid_plus":  # a form the route accepts, plus extra and duplicated fields
        return urlencoded([("csrf_token", token), *valid.items(), *payload]), FORM
    if kind == "bytes":
        return b"csrf_token=" + token.encode() + b"&" + payload, FORM
    fields = [("csrf_token", token), *payload]
    if kind == "form":
        return urlencoded(fields), FORM
    if kind == "multipart":
        return multipart(fields)
    if kind == "json":
        body = json.dumps(dict(fields), ensure_ascii=False).encode("utf-8", "surrogatepass")
        return body, "application/json"
    return urlencoded(fields), "text/plain"


def rows_by_id() -> dict[str, dict[Any, dict[str, Any]]]:
    """Each table's rows that have an ``id``, by id, as column -> value."""
    found: dict[str, dict[Any, dict[str, Any]]] = {}
    with db.engine.connect() as connection:
        for name in inspect(connection).get_table_names():
            result = connection.execute(text(f'SELECT * FROM "{name}"'))
            if "id" in result.keys():  # noqa: SIM118 (a Result is no dict)
                found[name] = {row["id"]: dict(row) for row in result.mappings()}
    return found


def check_no_mass_assignment(before: dict, after: dict, user_id: int, where: str) -> None:
    for table, rows in after.items():
        for row_id, row in rows.items():
            old = before.get(table, {}).get(row_id)
            if old is not None:
                changed = {c for c in PROTECTED & row.keys() if row[c] != old[c]}
                changed -= {c for c in WHO if row.get(c) in (None, user_id)}  # done by them
                assert not changed, f"{where}: {table} {row_id} had {changed} rewritten"
            else:
                for column in WHO & row.keys():
                    assert row[column] in (None, user_id), f"{where}: new {table}.{column}"


@pytest.fixture
def world(make_user, make_entry):
    return build_world(make_user, make_entry)


@pytest.mark.parametrize(("endpoint", "rule"), POST_ROUTES, ids=lambda v: str(v))
def test_hostile_bodies_never_crash_store_half_or_mass_assign(world, new_client, endpoint, rule):
    people = world["people"]
    user = people["admin"] if endpoint.startswith("admin.") else people["author"]
    browser = new_client().login_as(user)
    token = browser.csrf_token()
    url = url_for_rule(rule, world, "team")
    valid = dict(FORMS.get(endpoint, {}))
    if endpoint in OWNER_FIELD:
        valid["owner"] = str(people["author"].id)

    @settings(
        max_examples=12,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=bodies)
    def post_one(body: tuple[str, Any]) -> None:
        raw, content_type = encode(*body, token, valid)
        before, rows = snapshot(), rows_by_id()
        response = browser.post_raw(url, raw, content_type)
        where = f"{endpoint} {body[0]} -> {response.status_code}"
        assert response.status_code < 500, where
        if 400 <= response.status_code < 500:
            assert snapshot() == before, f"{where}: refused, yet the database changed"
        check_no_mass_assignment(rows, rows_by_id(), user.id, where)

    post_one()


def test_a_refused_incident_status_form_without_javascript_shows_the_page_again(world, new_client):
    # Found by the fuzzing above: the whole entry page rendered the incident's status form
    # as the improvements' drop form too (both were "status_form"), a 500.
    browser = new_client().login_as(world["people"]["author"])
    url = url_for_rule("/entries/<int:entry_id>/status", world, "team")
    before = snapshot()
    response = browser.post(url, {"to": "resolved", "expected": "nonsense"})
    assert response.status_code == 422
    assert "TEAMONLY-q7x entry" in response.text  # the whole page again
    assert snapshot() == before
