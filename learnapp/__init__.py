"""learnapp: a team app that turns mistakes into lessons and lessons into improvements."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from learnapp import config as config_module
from learnapp.extensions import csrf, db, login_manager, migrate

MIGRATIONS_DIR = str(config_module.PROJECT_ROOT / "migrations")


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the application; ``overrides`` replace configuration keys (tests use it)."""
    root = config_module.PROJECT_ROOT
    app = Flask(
        __name__,
        instance_path=config_module.instance_path(),
        template_folder=str(root / "templates"),
        static_folder=str(root / "static"),
    )
    app.config.from_mapping(config_module.load_config(app.instance_path, overrides))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    # Before CSRFProtect: its check reads the form, and bad bytes must be refused first.
    from learnapp import validation

    validation.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)

    from learnapp import database, errors, formatting, htmx, markdown, ratelimit, security

    with app.app_context():
        database.configure_engine(app, db.engine)
    security.init_app(app)
    htmx.init_app(app)
    markdown.init_app(app)
    formatting.init_app(app)
    errors.init_app(app)

    from learnapp import admin, auth, cli, entries, health, improvements, incidents

    for module in (health, auth, entries, improvements, incidents, admin):
        app.register_blueprint(module.bp)
    cli.init_app(app)
    ratelimit.init_app(app)  # wraps auth views, so after the blueprints

    if proxies := int(app.config["PROXY_COUNT"]):
        # Believe exactly this many X-Forwarded-* hops: with none configured, a client could
        # forge its address (and dodge per-address rate limits) by sending the header itself.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app
