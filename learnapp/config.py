"""Configuration: documented defaults, overridden by ``LEARNAPP_*`` environment variables.

This is the only module that reads the environment. Every other module reads
``current_app.config``. Each key below is listed in README.md.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "LEARNAPP_"

# Key -> (default, what it is). Types of the defaults decide how environment strings parse.
DEFAULTS: dict[str, tuple[Any, str]] = {
    "DATABASE_URL": ("", "SQLAlchemy URL; empty means SQLite at instance/learnapp.sqlite3"),
    "SECRET_KEY": ("", "signs sessions and tokens; empty means generated once into instance/"),
    "SIGNUP_DOMAINS": ("", "comma-separated email domains allowed to register; empty allows all"),
    "ORG_NAME": ("Our organisation", "shown in the layout and the digest"),
    "ORG_TIMEZONE": ("UTC", "IANA timezone for weeks and periods"),
    "HTTPS": (False, "set when served over HTTPS: cookies become Secure"),
    "MAX_CONTENT_LENGTH": (1_000_000, "largest request body in bytes (413 above it)"),
    "SQLITE_BUSY_TIMEOUT_MS": (5_000, "how long a SQLite write waits for the lock before a 503"),
    "SESSION_DAYS": (14, "lifetime of a signed-in session and of 'remember me'"),
    "FEED_PAGE_SIZE": (25, "entries per feed page"),
    "BACKLOG_PAGE_SIZE": (50, "improvements per page of the backlog"),
    "INCIDENT_PAGE_SIZE": (25, "incidents per page of /incidents and narratives of /narratives"),
    "SEVERITY_LABELS": (
        "Critical: a core service is down or data is lost, for many customers"
        " | Major: a core feature is broken or badly degraded, with no workaround"
        " | Minor: a partial or brief degradation, or one with a workaround"
        " | Low: little or no customer impact, and worth learning from",
        "the one-line meanings of SEV1, SEV2, SEV3 and SEV4, in order, separated by |",
    ),
    "PROXY_COUNT": (0, "trusted proxies setting X-Forwarded-For/-Proto/-Host; 0 trusts none"),
    "RATELIMIT_ENABLED": (True, "limit sign-in and sign-up attempts (TESTING: off unless set)"),
    "RATELIMIT_STORAGE_URL": (
        "database://",
        "where limits count: database:// (the app's database), redis://…, memory:// (one process)",
    ),
    "RATELIMIT_KEY_PREFIX": ("learnapp", "prefix of the limit keys in a shared store"),
    "LOGIN_RATE_LIMIT_PER_ADDRESS": ("20 per minute", "sign-in attempts per client address"),
    "LOGIN_RATE_LIMIT_PER_ACCOUNT": (
        "10 per 15 minutes",
        "wrong passwords per email before a password alone stops signing in (an emailed link does)",
    ),
    "PASSWORD_RESET_EMAILS_PER_ACCOUNT": (
        "3 per hour",
        "reset emails per account; its window may not outlast PASSWORD_RESET_MINUTES",
    ),
    "REGISTER_RATE_LIMIT_PER_ADDRESS": ("20 per hour", "sign-ups per client address"),
    "MAIL_HOST": ("localhost", "SMTP server that sends the digest, resets and invitations"),
    "MAIL_PORT": (25, "SMTP port: 25 or 587 (STARTTLS), 465 (TLS)"),
    "MAIL_SECURITY": ("none", "none, starttls or tls (implicit TLS from the first byte)"),
    "MAIL_USERNAME": ("", "SMTP login; empty means no login"),
    "MAIL_PASSWORD": ("", "SMTP password"),
    "MAIL_SENDER": ("learnapp <learnapp@localhost>", "the From of every email"),
    "MAIL_BASE_URL": ("http://127.0.0.1:5000", "the site's address as readers reach it, for links"),
    "MAIL_UNSUBSCRIBE_MAILTO": ("", "an address for mailto: unsubscribes; empty sends none"),
    "MAIL_TIMEOUT_SECONDS": (30, "how long one SMTP conversation may wait on the server"),
    "MAIL_RETRIES": (3, "tries of one digest email on a transient SMTP failure"),
    "MAIL_RETRY_DELAY_SECONDS": (5, "wait before the second try; doubled before each next one"),
    "PASSWORD_RESET_MINUTES": (60, "how long a password-reset link works"),
    "SIGNIN_LINK_MINUTES": (15, "how long an emailed one-time sign-in link works"),
    "INVITATION_DAYS": (7, "how long an invitation link works"),
}


def instance_path() -> str:
    """Where the database and generated secret live (``LEARNAPP_INSTANCE_PATH`` overrides)."""
    return os.environ.get(ENV_PREFIX + "INSTANCE_PATH") or str(PROJECT_ROOT / "instance")


def _coerce(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    return raw


def is_sqlite(url: str) -> bool:
    """Whether the SQLAlchemy ``url`` names a SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def load_config(app_instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the app configuration: defaults, then environment, then ``overrides``."""
    values = {key: default for key, (default, _) in DEFAULTS.items()}
    for key, default in values.items():
        raw = os.environ.get(ENV_PREFIX + key)
        if raw is not None:
            values[key] = _coerce(raw, default)
    values.update(overrides or {})

    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = "sqlite:///" + str(Path(app_instance_path) / "learnapp.sqlite3")
    if not values["SECRET_KEY"] and not values.get("TESTING"):
        values["SECRET_KEY"] = _instance_secret(Path(app_instance_path))
    if values.get("TESTING") and "RATELIMIT_ENABLED" not in (overrides or {}):
        # Tests sign in many times a minute; the rate-limit tests switch it on themselves.
        values["RATELIMIT_ENABLED"] = False

    https = bool(values["HTTPS"])
    lifetime = timedelta(days=int(values["SESSION_DAYS"]))
    values.setdefault("SQLALCHEMY_DATABASE_URI", values["DATABASE_URL"])
    values.update(
        # A server connection may have died while idle in the pool: test it on checkout. A
        # SQLite file cannot, and the test would be one more statement on every request.
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": not is_sqlite(values["DATABASE_URL"])},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=https,
        REMEMBER_COOKIE_DURATION=lifetime,
        PERMANENT_SESSION_LIFETIME=lifetime,
        # A session ends SESSION_DAYS after sign-in; not re-issued on every request (so
        # /healthz and static files never set cookies).
        SESSION_REFRESH_EACH_REQUEST=False,
        # A CSRF token lives as long as the session: a lesson written slowly must still save.
        WTF_CSRF_TIME_LIMIT=None,
        PREFERRED_URL_SCHEME="https" if https else "http",
    )
    return values


def _instance_secret(folder: Path) -> str:
    """Read the generated secret key, creating it (mode 0600) on first use."""
    path = folder / "secret_key"
    if path.exists():
        return path.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret
