"""Sign-in and sign-up rate limits: per address, per account, shared by every worker."""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from learnapp.config import load_config
from learnapp.counters import DatabaseStorage, RateLimitCounter
from learnapp.extensions import db
from tests.conftest import PASSWORD, Client, make_app

REDIS_URL = os.environ.get("LEARNAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
GENEROUS = "1000 per minute"
ERROR_SECTION = re.compile(r'<section class="error-page">.*?</section>', re.S)
MAIN = re.compile(r"<main.*</main>", re.S)
WRONG = "not the password at all"


@pytest.fixture
def limited_app(app: Flask, database_url: str) -> Iterator[Any]:
    """Make apps on the test's database with rate limiting on (tests have it off unless they
    ask), each limit generous unless given. The ``app`` fixture provides the app context."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        settings = {
            "RATELIMIT_ENABLED": True,
            "LOGIN_RATE_LIMIT_PER_ADDRESS": GENEROUS,
            "LOGIN_RATE_LIMIT_PER_ACCOUNT": GENEROUS,
            "REGISTER_RATE_LIMIT_PER_ADDRESS": GENEROUS,
            **overrides,
        }
        made.append(make_app(database_url, **settings))
        return made[-1]

    yield make
    for each in made:
        with each.app_context():
            db.engine.dispose()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own on the test Redis; its keys are deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        reason = f"Redis at {REDIS_URL} (LEARNAPP_TEST_REDIS_URL) is unreachable: {error}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
        pytest.skip(reason)
    prefix = f"learnapp-test-{uuid.uuid4().hex}"
    yield prefix
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    client.close()


def sign_in(client: Client, email: str, address: str, password: str = ""):
    """POST the sign-in form from ``address``. No password is refused quickly (no hashing)
    and is no password attempt: only a given password counts against the account."""
    return client.post(
        "/login",
        {"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def retry_after(response: TestResponse) -> int:
    return int(response.headers["Retry-After"])


def test_rate_limiting_is_on_by_default_outside_tests(tmp_path):
    assert load_config(str(tmp_path), {"SECRET_KEY": "x"})["RATELIMIT_ENABLED"] is True


def test_sign_in_is_limited_per_client_address(limited_app):
    client = Client(limited_app(LOGIN_RATE_LIMIT_PER_ADDRESS="3 per minute").test_client())
    for number in range(3):
        assert sign_in(client, f"person{number}@example.com", "198.51.100.1").status_code == 422
    refused = sign_in(client, "someone@example.com", "198.51.100.1")
    assert refused.status_code == 429
    assert 0 < retry_after(refused) <= 60
    assert "too many attempts" in refused.text and "<html" in refused.text
    assert sign_in(client, "someone@example.com", "198.51.100.2").status_code == 422
    assert client.get("/login", environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 200


def test_wrong_passwords_for_an_account_stop_its_password_alone_from_signing_in(
    limited_app, make_user
):
    make_user("Ada")
    client = Client(limited_app(LOGIN_RATE_LIMIT_PER_ACCOUNT="3 per 15 minutes").test_client())
    for number, email in enumerate(["ada@example.com", "ADA@example.com", " Ada@Example.COM"]):
        assert sign_in(client, email, f"203.0.113.{number}", WRONG).status_code == 422

    right_password = sign_in(client, "ada@example.com", "203.0.113.50", password=PASSWORD)

    assert right_password.status_code == 200, "not refused: told to use an emailed link"
    assert "one-time sign-in link" in right_password.text
    assert "Retry-After" not in right_password.headers
    assert client.get("/").status_code == 303, "not signed in"
    grace = make_user("Grace", team=None)
    assert sign_in(client, grace.email, "203.0.113.1", PASSWORD).status_code == 303


def test_a_form_that_is_not_a_password_attempt_does_not_count(limited_app, make_user):
    make_user("Ada")
    client = Client(limited_app(LOGIN_RATE_LIMIT_PER_ACCOUNT="1 per 15 minutes").test_client())
    assert sign_in(client, "ada@example.com", "203.0.113.9").status_code == 422  # no password
    assert sign_in(client, "ada@example.com", "203.0.113.9", PASSWORD).status_code == 303


def main_section(response: TestResponse) -> str:
    return MAIN.search(response.text).group(0)


def test_a_paused_sign_in_reads_the_same_whatever_the_account_and_password(limited_app, make_user):
    make_user("Ada")
    client = Client(limited_app(LOGIN_RATE_LIMIT_PER_ACCOUNT="1 per 15 minutes").test_client())
    answers = []
    for email, password in [
        ("ada@example.com", PASSWORD),
        ("ada@example.com", WRONG),
        ("nobody@example.com", PASSWORD),
        ("nobody@example.com", WRONG),
    ]:
        sign_in(client, email, "192.0.2.1", WRONG)  # the one failure that pauses the email
        answers.append(sign_in(client, email, "192.0.2.1", password))
    assert {answer.status_code for answer in answers} == {200}
    assert len({main_section(answer) for answer in answers}) == 1
    assert "one-time sign-in link" in main_section(answers[0])


def test_a_per_address_refusal_reads_the_same_whether_or_not_the_account_exists(
    limited_app, make_user
):
    make_user("Ada")
    refusals = []
    for email in ("ada@example.com", "nobody@example.com"):
        client = Client(limited_app(LOGIN_RATE_LIMIT_PER_ADDRESS="1 per minute").test_client())
        sign_in(client, email, f"192.0.2.{len(refusals) + 1}")
        refused = sign_in(client, email, f"192.0.2.{len(refusals) + 1}")
        assert refused.status_code == 429
        refusals.append(ERROR_SECTION.search(refused.text).group(0))
    assert refusals[0] == refusals[1]
    assert "account" not in refusals[0].replace("keep accounts safe", "")


def test_refusal_under_htmx_is_an_alert_fragment(limited_app):
    client = Client(limited_app(LOGIN_RATE_LIMIT_PER_ADDRESS="1 per minute").test_client())
    sign_in(client, "ada@example.com", "192.0.2.9")
    refused = client.post(
        "/login",
        {"email": "ada@example.com", "password": "x"},
        htmx=True,
        environ_base={"REMOTE_ADDR": "192.0.2.9"},
    )
    assert refused.status_code == 429
    assert refused.headers["Retry-After"].isdigit()
    assert 'role="alert"' in refused.text and "<html" not in refused.text


def test_registration_is_limited_per_address(limited_app):
    client = Client(limited_app(REGISTER_RATE_LIMIT_PER_ADDRESS="2 per hour").test_client())
    form = {"display_name": "Ada", "email": "ada@example.com", "password": "short", "team": "0"}

    def register() -> TestResponse:
        return client.post("/register", form, environ_base={"REMOTE_ADDR": "192.0.2.20"})

    assert [register().status_code for _ in range(3)] == [422, 422, 429]


def two_workers_share_a_budget(limited_app, make_user, **settings: str) -> None:
    """Two apps (as two worker processes would) on one store count against one budget,
    per address and per account."""
    make_user("Ada")
    settings = {
        "LOGIN_RATE_LIMIT_PER_ADDRESS": "4 per minute",
        "LOGIN_RATE_LIMIT_PER_ACCOUNT": "2 per 15 minutes",
        **settings,
    }
    first = Client(limited_app(**settings).test_client())
    second = Client(limited_app(**settings).test_client())
    statuses = [
        sign_in(worker, f"person{number}@example.com", "192.0.2.77").status_code
        for number, worker in enumerate([first, second, first, second, first, second])
    ]
    assert statuses == [422, 422, 422, 422, 429, 429]

    assert sign_in(first, "ada@example.com", "192.0.2.1", WRONG).status_code == 422
    assert sign_in(second, "ada@example.com", "192.0.2.2", WRONG).status_code == 422
    paused = sign_in(first, "ada@example.com", "192.0.2.3", PASSWORD)
    assert paused.status_code == 200 and "one-time sign-in link" in paused.text


def test_workers_share_one_budget_in_the_apps_database_by_default(limited_app, make_user):
    assert load_config("instance")["RATELIMIT_STORAGE_URL"] == "database://"
    two_workers_share_a_budget(limited_app, make_user)


def test_workers_sharing_redis_share_one_budget(limited_app, make_user, redis_prefix):
    two_workers_share_a_budget(
        limited_app, make_user, RATELIMIT_STORAGE_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=redis_prefix
    )


def test_limits_still_hold_in_each_process_while_redis_is_down(limited_app):
    app = limited_app(
        RATELIMIT_STORAGE_URL="redis://127.0.0.1:1/0", LOGIN_RATE_LIMIT_PER_ADDRESS="2 per minute"
    )
    client = Client(app.test_client())
    statuses = [sign_in(client, "ada@example.com", "192.0.2.30").status_code for _ in range(3)]
    assert statuses == [422, 422, 429]


def test_wrong_passwords_still_pause_an_account_while_redis_is_down(limited_app, make_user):
    make_user("Ada")
    app = limited_app(
        RATELIMIT_STORAGE_URL="redis://127.0.0.1:1/0", LOGIN_RATE_LIMIT_PER_ACCOUNT="1 per hour"
    )
    client = Client(app.test_client())
    assert sign_in(client, "ada@example.com", "192.0.2.31", WRONG).status_code == 422
    paused = sign_in(client, "ada@example.com", "192.0.2.31", PASSWORD)
    assert paused.status_code == 200 and "one-time sign-in link" in paused.text


@pytest.mark.parametrize(
    ("storage_url", "database", "warned"),
    [
        ("memory://", "file", True),
        ("MEMORY://", "file", True),
        ("database://", "sqlite://", True),  # a SQLite database in one process's memory
        ("database://", "file", False),
        (REDIS_URL, "file", False),
    ],
)
def test_a_store_that_several_processes_cannot_share_is_warned_about_at_start_up(
    tmp_path, caplog, storage_url, database, warned
):
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}" if database == "file" else database
    with caplog.at_level(logging.WARNING, logger="learnapp"):
        made = make_app(url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URL=storage_url)
    with made.app_context():
        db.engine.dispose()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("multiplies" in message for message in warnings) is warned, warnings


def test_concurrent_hits_on_the_database_store_are_all_counted(app):
    storage = DatabaseStorage(engine=db.engine)
    db.session.commit()  # the test's own transaction must not hold SQLite's write lock

    def hit_many(_: int) -> list[int]:
        return [storage.incr("learnapp-test/concurrent", 60) for _ in range(25)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = [value for values in pool.map(hit_many, range(8)) for value in values]
    assert sorted(seen) == list(range(1, 201)), "every hit counted once, none lost"
    assert storage.get("learnapp-test/concurrent") == 200


def test_concurrent_hits_never_let_more_than_the_limit_through(app):
    storage = DatabaseStorage(engine=db.engine)
    db.session.commit()

    def acquire(_: int) -> bool:
        return storage.acquire_sliding_window_entry("learnapp-test/burst", 10, 3600)

    with ThreadPoolExecutor(max_workers=8) as pool:
        granted = list(pool.map(acquire, range(40)))
    assert granted.count(True) == 10


def test_expired_counters_are_deleted_as_counting_goes_on(app, monkeypatch):
    storage = DatabaseStorage(engine=db.engine)
    db.session.commit()
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now - 7200)
    for number in range(20):
        storage.acquire_sliding_window_entry(f"learnapp-test/old-{number}", 5, 60)
    monkeypatch.setattr(time, "time", lambda: now)
    assert db.session.scalar(select(func.count()).select_from(RateLimitCounter)) == 20
    db.session.commit()

    storage.acquire_sliding_window_entry("learnapp-test/new", 5, 60)

    keys = db.session.scalars(select(RateLimitCounter.key)).all()
    assert len(keys) == 1 and keys[0].startswith("learnapp-test/new/")


def test_a_reset_email_budget_that_outlasts_a_reset_link_stops_the_app(tmp_path):
    with pytest.raises(ValueError, match="PASSWORD_RESET_MINUTES"):
        make_app(
            tmp_path / "app.sqlite3",
            PASSWORD_RESET_MINUTES=30,
            PASSWORD_RESET_EMAILS_PER_ACCOUNT="3 per hour",
        )
