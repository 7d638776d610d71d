"""learnapp: a team app that turns mistakes into lessons and lessons into improvements."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from learnapp import config as config_module
from learnapp.extensions import csrf, db, login_manager, migrate
from learnapp.parsing import IdConverter
from learnapp.search.index import include_object

MIGRATIONS_DIR = str(config_module.PROJECT_ROOT / "migrations")

# Importing these registers each feature's routes on its blueprint. Feature packages import
# none of their own views, so any module can use another feature's models and queries.
ROUTE_MODULES = (
    "learnapp.health",
    "learnapp.auth.views",
    "learnapp.auth.signin_link",
    "learnapp.auth.recovery",
    "learnapp.auth.invitations",
    "learnapp.entries.views",
    "learnapp.improvements.views",
    "learnapp.improvements.backlog",
    "learnapp.incidents",
    "learnapp.celebrate.views",
    "learnapp.celebrate.board",
    "learnapp.people.views",
    "learnapp.people.export",
    "learnapp.search.views",
    "learnapp.admin.views",
    "learnapp.admin.invitations",
    "learnapp.members.views",
    "learnapp.digest.views",
)
BLUEPRINT_PACKAGES = (
    "health",
    "auth",
    "entries",
    "improvements",
    "incidents",
    "celebrate",
    "people",
    "search",
    "admin",
    "members",
    "digest",
)


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
    # The search index's tables are not models: autogenerate must not drop them.
    migrate.init_app(
        app, db, directory=MIGRATIONS_DIR, render_as_batch=True, include_object=include_object
    )
    # Before CSRFProtect: its check reads the form, and bad bytes must be refused first.
    from learnapp import validation

    validation.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)

    from learnapp import (
        assets,
        choices,
        cli,
        database,
        errors,
        formatting,
        htmx,
        markdown,
        ratelimit,
        security,
        visibility,
    )

    with app.app_context():
        database.configure_engine(app, db.engine)
    security.init_app(app)
    choices.init_app(app)
    assets.init_app(app)
    htmx.init_app(app)
    markdown.init_app(app)
    formatting.init_app(app)
    errors.init_app(app)
    visibility.init_app(app)

    # Every <id:…> in a route is 1 to 2^63-1 in ASCII digits, or the route does not match.
    app.url_map.converters["id"] = IdConverter
    register_blueprints(app)
    cli.init_app(app)
    ratelimit.init_app(app)  # wraps auth views, so after the blueprints

    if proxies := int(app.config["PROXY_COUNT"]):
        # Believe exactly this many X-Forwarded-* hops: with none configured, a client could
        # forge its address (and dodge per-address rate limits) by sending the header itself.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app


def register_blueprints(app: Flask) -> None:
    """Import every feature's routes, then register its blueprint."""
    for name in ROUTE_MODULES:
        importlib.import_module(name)
    for name in BLUEPRINT_PACKAGES:
        app.register_blueprint(importlib.import_module(f"learnapp.{name}").bp)
