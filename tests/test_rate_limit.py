"""Sign-in and sign-up rate limits: per address, per account, shared by every worker."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from werkzeug.test import TestResponse

from learnapp.config import load_config
from learnapp.extensions import db
from tests.conftest import PASSWORD, Client, make_app

REDIS_URL = os.environ.get("LEARNAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
GENEROUS = "1000 per minute"
ERROR_SECTION = re.compile(r'<section class="error-page">.*?</section>', re.S)


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
    """POST the sign-in form from ``address``; no password is refused quickly (no hashing)."""
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


def test_sign_in_is_limited_per_account_from_any_address(limited_app, make_user):
    make_user("Ada")
    client = Client(limited_app(LOGIN_RATE_LIMIT_PER_ACCOUNT="3 per 15 minutes").test_client())
    for number, email in enumerate(["ada@example.com", "ADA@example.com", " Ada@Example.COM"]):
        assert sign_in(client, email, f"203.0.113.{number}").status_code == 422
    right_password = sign_in(client, "ada@example.com", "203.0.113.50", password=PASSWORD)
    assert right_password.status_code == 429, "the right password waits like any other"
    assert 14 * 60 < retry_after(right_password) <= 15 * 60
    assert client.get("/").status_code == 303, "not signed in"
    assert sign_in(client, "grace@example.com", "203.0.113.1").status_code == 422


def test_refusal_reads_the_same_whether_or_not_the_account_exists(limited_app, make_user):
    make_user("Ada")
    client = Client(limited_app(LOGIN_RATE_LIMIT_PER_ACCOUNT="1 per 15 minutes").test_client())
    refusals = []
    for email in ("ada@example.com", "nobody@example.com"):
        sign_in(client, email, "192.0.2.1")
        refused = sign_in(client, email, "192.0.2.1")
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


def test_workers_sharing_redis_share_one_budget(limited_app, redis_prefix):
    settings = {
        "RATELIMIT_STORAGE_URL": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": redis_prefix,
        "LOGIN_RATE_LIMIT_PER_ACCOUNT": "4 per 15 minutes",
    }
    first = Client(limited_app(**settings).test_client())
    second = Client(limited_app(**settings).test_client())
    statuses = [
        sign_in(worker, "ada@example.com", f"192.0.2.{number}").status_code
        for number, worker in enumerate([first, second, first, second, first, second])
    ]
    assert statuses == [422, 422, 422, 422, 429, 429]


def test_limits_still_hold_in_each_process_while_redis_is_down(limited_app):
    app = limited_app(
        RATELIMIT_STORAGE_URL="redis://127.0.0.1:1/0", LOGIN_RATE_LIMIT_PER_ADDRESS="2 per minute"
    )
    client = Client(app.test_client())
    statuses = [sign_in(client, "ada@example.com", "192.0.2.30").status_code for _ in range(3)]
    assert statuses == [422, 422, 429]
