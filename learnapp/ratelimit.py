"""Sign-in limits, counted in one store that every worker (and every server) shares.

``RATELIMIT_STORAGE_URL`` names the store: ``database://`` (the default) keeps the counters
in the app's own database (learnapp/counters.py), so every worker on the machine, and every
server on one PostgreSQL database, shares them with nothing extra to run; ``redis://…`` uses
a Redis server. ``memory://`` counts inside each process, so under gunicorn every limit
would multiply by the worker count (DESIGN.md §8): the app warns about it at start-up.

Two kinds of limit (ASVS 5.0 §6.3.1: limit guesses, never lock the owner out):

- **Per client address**, on the POSTs in ``LIMITS``: refused with a 429 page and
  ``Retry-After`` (Flask-Limiter, on the shared store). It reads the same whether or not the
  submitted email has an account.
- **Per account**, never a refusal: ``account_may_try`` says whether an email's password may
  still sign in, ``note_failed_sign_in`` counts a wrong one, and ``may_email_account``
  bounds the emails one account gets. The sign-in view decides what follows.

Limits are read from the configuration on each request. When the store stops answering,
each process counts on its own until it is back, and signing in keeps working.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from limits import parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, SlidingWindowCounterRateLimiter
from sqlalchemy import make_url

from learnapp import counters as _counters  # registers the database:// storage
from learnapp.database import end_transaction_keeping_loaded
from learnapp.errors import render_error
from learnapp.extensions import db

EXTENSION = "learnapp.ratelimit"
COUNTERS = "learnapp.counters"
T = TypeVar("T")


def client_address() -> str:
    """Key of per-address limits: the client's address (as ProxyFix, if trusted, says)."""
    return "address:" + (request.remote_addr or "unknown")


def account_key(email: str) -> str:
    """Key of per-account counters: the email, lower-cased, hashed.

    Every email gets counters, whether or not an account has it, so what happens says
    nothing about which accounts exist; hashing keeps the addresses out of the store.
    """
    return "account:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


# Endpoint -> the configuration keys of the per-address limits on its POSTs.
LIMITS: dict[str, list[str]] = {
    "auth.login": ["LOGIN_RATE_LIMIT_PER_ADDRESS"],
    "auth.signin_with_link": ["LOGIN_RATE_LIMIT_PER_ADDRESS"],
    "auth.register": ["REGISTER_RATE_LIMIT_PER_ADDRESS"],
    "auth.forgot_password": ["LOGIN_RATE_LIMIT_PER_ADDRESS"],
    "auth.reset_password": ["LOGIN_RATE_LIMIT_PER_ADDRESS"],
    "auth.accept_invitation": ["REGISTER_RATE_LIMIT_PER_ADDRESS"],
}


class Counters:
    """Per-account counters on the configured store, or in this process while it is down."""

    def __init__(self, storage: Storage, prefix: str, enabled: bool) -> None:
        self.storage = storage
        self.prefix = prefix
        self.enabled = enabled
        self._fallback = MemoryStorage()
        self._down = False

    def _run(self, action: Callable[[Storage], T]) -> T:
        try:
            result = action(self.storage)
        except StorageError as error:
            if not self._down:
                current_app.logger.warning("rate-limit store unreachable, counting here: %s", error)
            self._down = True
            return action(self._fallback)
        if self._down:
            current_app.logger.info("rate-limit store answers again")
            self._down = False
        return result

    def _items(self, limits: str, *identifiers: str) -> list[tuple[object, tuple[str, ...]]]:
        return [(item, (self.prefix, *identifiers)) for item in parse_many(limits)]

    def under(self, limits: str, *identifiers: str) -> bool:
        """Whether one more hit would stay within ``limits`` (sliding windows); no hit."""
        if not self.enabled:
            return True
        return self._run(
            lambda storage: all(
                SlidingWindowCounterRateLimiter(storage).test(item, *ids)  # type: ignore[arg-type]
                for item, ids in self._items(limits, *identifiers)
            )
        )

    def hit(self, limits: str, *identifiers: str) -> bool:
        """Count one hit against ``limits`` (sliding windows); False when over one of them."""
        if not self.enabled:
            return True
        return self._run(
            lambda storage: all(
                SlidingWindowCounterRateLimiter(storage).hit(item, *ids)  # type: ignore[arg-type]
                for item, ids in self._items(limits, *identifiers)
            )
        )

    def hit_fixed(self, limits: str, *identifiers: str) -> bool:
        """Count one hit against ``limits`` in fixed windows that start at the first hit: a
        refusal means every counted hit happened within the last window."""
        if not self.enabled:
            return True
        return self._run(
            lambda storage: all(
                FixedWindowRateLimiter(storage).hit(item, *ids)  # type: ignore[arg-type]
                for item, ids in self._items(limits, *identifiers)
            )
        )

    def first_use(self, name: str, seconds: int) -> bool:
        """True the first time ``name`` is used within ``seconds``, False after (atomic)."""
        key = f"{self.prefix}/once/{name}"
        return self._run(lambda storage: storage.incr(key, seconds) == 1)


def counters() -> Counters:
    """The app's per-account counters."""
    return current_app.extensions[COUNTERS]


def _release_request_transaction() -> None:
    # Counters commit on a connection of their own. On SQLite a POST's session transaction
    # holds the write lock from its first query, and a counter would wait for it until the
    # busy timeout: end it first (callers have read, not written, by then).
    end_transaction_keeping_loaded()


def account_may_try(email: str) -> bool:
    """Whether a password may still sign ``email`` in: fewer than
    ``LOGIN_RATE_LIMIT_PER_ACCOUNT`` failed ones in the window, from anywhere."""
    _release_request_transaction()
    limit = current_app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"]
    return counters().under(limit, "sign-in-failures", account_key(email))


def note_failed_sign_in(email: str) -> None:
    """Count a wrong password for ``email`` (whether or not it has an account)."""
    _release_request_transaction()
    limit = current_app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"]
    counters().hit(limit, "sign-in-failures", account_key(email))


def may_email_account(kind: str, email: str, limits: str) -> bool:
    """Count an email of ``kind`` to ``email``; False (send nothing) when over ``limits``."""
    _release_request_transaction()
    return counters().hit_fixed(limits, "emails", kind, account_key(email))


def use_once(name: str, seconds: int) -> bool:
    """True the first time ``name`` is used within ``seconds``, False after (atomic)."""
    _release_request_transaction()
    return counters().first_use(name, seconds)


def storage_options(app: Flask) -> dict[str, object]:
    """What the configured store needs besides its URL: the engine, for ``database://``."""
    if _scheme(app) != _counters.SCHEME:
        return {}
    with app.app_context():
        return {"engine": db.engine}


def _scheme(app: Flask) -> str:
    return str(app.config["RATELIMIT_STORAGE_URL"]).partition("://")[0].lower()


def unshared_reason(app: Flask) -> str:
    """Why the configured store cannot be shared by several processes; '' when it can."""
    url = app.config["RATELIMIT_STORAGE_URL"]
    if _scheme(app) == "memory":
        return f"RATELIMIT_STORAGE_URL={url} counts inside each process"
    database = make_url(app.config["DATABASE_URL"])
    in_memory = (database.database or ":memory:") == ":memory:"
    if _scheme(app) == _counters.SCHEME and database.get_backend_name() == "sqlite" and in_memory:
        return "database:// counts in a SQLite database that lives in one process's memory"
    return ""


def check_reset_budget(app: Flask) -> None:
    """ValueError unless each window of ``PASSWORD_RESET_EMAILS_PER_ACCOUNT`` is at most as
    long as a reset link lives: over the budget, the owner relies on a link already sent."""
    minutes = int(app.config["PASSWORD_RESET_MINUTES"])
    for item in parse_many(app.config["PASSWORD_RESET_EMAILS_PER_ACCOUNT"]):
        if item.get_expiry() > minutes * 60:
            raise ValueError(
                f"PASSWORD_RESET_EMAILS_PER_ACCOUNT ({item}) counts over a longer time than "
                f"a reset link works (PASSWORD_RESET_MINUTES = {minutes}): use a window of "
                f"at most {minutes} minutes"
            )


def init_app(app: Flask) -> None:
    """Set up the store, the per-account counters and the limits in ``LIMITS`` on ``app``'s
    views (call after registering blueprints)."""
    check_reset_budget(app)
    enabled = bool(app.config["RATELIMIT_ENABLED"])
    options = storage_options(app)
    if enabled and (reason := unshared_reason(app)):
        app.logger.warning(
            "%s: with several worker processes every sign-in limit multiplies by their "
            "number. Use database:// (the default) or redis://.",
            reason,
        )
    storage = storage_from_string(
        app.config["RATELIMIT_STORAGE_URL"], wrap_exceptions=True, **options
    )
    app.extensions[COUNTERS] = Counters(storage, app.config["RATELIMIT_KEY_PREFIX"], enabled)
    # One Limiter per app: Flask-Limiter keeps storage and settings on the instance, so a
    # shared module-level one would carry one app's store and prefix into the next app.
    limiter = Limiter(
        client_address,
        storage_uri=app.config["RATELIMIT_STORAGE_URL"],
        storage_options=options,
        key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
        # Sliding windows: a fixed one lets twice the budget through around its boundary.
        # (Moving windows would need a row per attempt in the database store.)
        strategy="sliding-window-counter",
        # Store down: count in this process meanwhile (limits hold per worker, the sign-in
        # page keeps working) and go back to the store when it answers again.
        in_memory_fallback_enabled=True,
        enabled=enabled,
    )
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    app.register_error_handler(RateLimitExceeded, _refuse)
    if not enabled:
        return
    for endpoint, config_keys in LIMITS.items():
        view = app.view_functions[endpoint]
        for config_key in config_keys:
            limit = _configured(config_key)
            view = limiter.limit(limit, key_func=client_address, methods=["POST"])(view)
        app.view_functions[endpoint] = view


def _configured(key: str) -> Callable[[], str]:
    return lambda: current_app.config[key]


def retry_after_seconds() -> int:
    """Seconds until the limit this request broke lets one more attempt through."""
    breached = current_app.extensions[EXTENSION].current_limit
    if breached is None:
        return 60
    return max(1, math.ceil(breached.window.reset_time - time.time()))


def _refuse(error: RateLimitExceeded) -> tuple[str, int, dict[str, str]]:
    wait = retry_after_seconds()
    minutes = math.ceil(wait / 60)
    when = "a minute" if minutes <= 1 else f"{minutes} minutes"
    body, status = render_error(
        429,
        "There have been too many attempts in a short time, so we are pausing them to keep "
        f"accounts safe. Please try again in {when}.",
    )
    return body, status, {"Retry-After": str(wait)}
