"""Rate limits on signing in and registering, counted in one store every worker shares.

Flask-Limiter's in-memory storage lives inside one process: under gunicorn each worker
would count on its own and a limit would multiply by the worker count (DESIGN.md §8). With
more than one process, ``RATELIMIT_STORAGE_URL`` names a Redis server they all use.

Limits apply to POSTs only (showing a form is free) and are read from the configuration on
each request. A refusal is a 429 page with ``Retry-After``; it reads the same whether or not
the submitted email has an account.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

from learnapp.errors import render_error

EXTENSION = "learnapp.ratelimit"


def client_address() -> str:
    """Key of per-address limits: the client's address (as ProxyFix, if trusted, says)."""
    return "address:" + (request.remote_addr or "unknown")


def submitted_account() -> str:
    """Key of per-account limits: the submitted email, lower-cased, hashed.

    Every submitted email gets a budget, whether or not an account has it, so being refused
    says nothing about which accounts exist; hashing keeps the addresses out of the store.
    """
    email = request.form.get("email", "").strip().lower()
    return "account:" + hashlib.sha256(email.encode()).hexdigest()


# Endpoint -> the limits on its POSTs: (configuration key of the limit, what it counts by).
LIMITS: dict[str, list[tuple[str, Callable[[], str]]]] = {
    "auth.login": [
        ("LOGIN_RATE_LIMIT_PER_ADDRESS", client_address),
        ("LOGIN_RATE_LIMIT_PER_ACCOUNT", submitted_account),
    ],
    "auth.register": [("REGISTER_RATE_LIMIT_PER_ADDRESS", client_address)],
    # Asking for a reset link is limited like signing in: per address and per email.
    "auth.forgot_password": [
        ("LOGIN_RATE_LIMIT_PER_ADDRESS", client_address),
        ("LOGIN_RATE_LIMIT_PER_ACCOUNT", submitted_account),
    ],
    "auth.reset_password": [("LOGIN_RATE_LIMIT_PER_ADDRESS", client_address)],
    "auth.accept_invitation": [("REGISTER_RATE_LIMIT_PER_ADDRESS", client_address)],
}


def _configured(key: str) -> Callable[[], str]:
    return lambda: current_app.config[key]


def init_app(app: Flask) -> None:
    """Put the limits in ``LIMITS`` on ``app``'s views (call after registering blueprints)."""
    # One Limiter per app: Flask-Limiter keeps storage and settings on the instance, so a
    # shared module-level one would carry one app's store and prefix into the next app.
    limiter = Limiter(
        client_address,
        storage_uri=app.config["RATELIMIT_STORAGE_URL"],
        key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
        # Exact windows: a fixed window lets twice the budget through around its boundary.
        strategy="moving-window",
        # Redis down: count in this process meanwhile (limits hold per worker, the sign-in
        # page keeps working) and go back to Redis when it answers again.
        in_memory_fallback_enabled=True,
        enabled=bool(app.config["RATELIMIT_ENABLED"]),
    )
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    app.register_error_handler(RateLimitExceeded, _refuse)
    if not limiter.enabled:
        return
    for endpoint, rules in LIMITS.items():
        view = app.view_functions[endpoint]
        for config_key, key_func in rules:
            view = limiter.limit(_configured(config_key), key_func=key_func, methods=["POST"])(view)
        app.view_functions[endpoint] = view


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
