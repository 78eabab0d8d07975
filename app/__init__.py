"""The after-sales service portal: YAML config → spec → tables, screens and permissions."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask_appbuilder import AppBuilder, Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from werkzeug.security import generate_password_hash

# Imported for their tables on FAB's metadata, write capture and deadline hooks.
from app.audit import capture, log  # noqa: F401
from app.cli import portal_cli
from app.config.load import load_spec
from app.db.engine import enable_sqlite_foreign_keys
from app.db.unavailable import register_unavailable
from app.i18n import request_language
from app.jobs.worker import register_worker
from app.notify import capture as notify_capture  # noqa: F401  (notifications)
from app.notify import mail as notify_mail  # noqa: F401  (the email channel)
from app.notify import robot as notify_robot  # noqa: F401  (the robot channel)
from app.paths import ROOT
from app.portal import EXTENSION as PORTAL
from app.portal import build_portal
from app.reports import alert_hooks  # noqa: F401  (the alert check after each create)
from app.schema.state import SchemaForm  # noqa: F401  (registers the state tables)
from app.security import sessions, teams  # noqa: F401
from app.security.headers import register_headers
from app.security.manager import PortalSecurityManager
from app.settings import build_settings
from app.sla import deadlines  # noqa: F401
from app.spec import use_language
from app.views.access_log import register_access_log
from app.views.errors import register_error_pages
from app.views.export_jobs import register_export_writer
from app.views.favicon import register_favicon
from app.views.forms import register_views
from app.views.guard import register_guard
from app.views.health import register_health
from app.views.home import PortalIndexView
from app.webhooks import capture as webhook_capture  # noqa: F401  (queues deliveries)
from app.workflow import store  # noqa: F401


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the portal. Raises ConfigError (before any database access) on bad YAML."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(build_settings(app.instance_path, overrides))
    method = app.config.get("FAB_PASSWORD_HASH_METHOD")
    if method and "AUTH_DB_FAKE_PASSWORD_HASH_CHECK" not in app.config:
        # An unknown user name is checked against a hash of the same method as real ones:
        # FAB's fixed scrypt hash would tell them apart by timing under another method.
        app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"] = generate_password_hash(
            "password", method=method)
    os.makedirs(app.instance_path, exist_ok=True)
    use_language(request_language)
    spec = load_spec(app.config["PORTAL_CONFIG_DIR"], app.config["PORTAL_INDUSTRY"])
    portal = build_portal(spec)
    app.extensions[PORTAL] = portal

    # FAB leaves CSRF to the app; without it, deletes by GET and token-less POSTs succeed.
    CSRFProtect(app)
    enable_sqlite_foreign_keys()
    db = SQLA(metadata=Model.metadata)
    db.init_app(app)
    Migrate(app, db, directory=os.path.join(ROOT, "migrations"))
    appbuilder = AppBuilder(indexview=PortalIndexView, base_template="portal/base.html",
                            security_manager_class=PortalSecurityManager)
    with app.app_context():
        appbuilder.init_app(app, db.session)
        register_views(appbuilder, portal)
    register_guard(app)
    register_error_pages(app)  # 403, 404, 500 in the portal's layout
    register_favicon(app)  # /favicon.ico → app/static/portal/favicon.svg
    register_headers(app)
    register_access_log(app)
    register_health(app)  # /health, /ready (app/views/health.py)
    register_unavailable(app)  # 503 while the database is out of reach
    register_worker(app)  # imports (and other jobs) run outside the requests
    register_export_writer(app)  # how a worker writes a long export (app/views/export_jobs.py)
    app.cli.add_command(portal_cli)
    return app
