"""Development server: embedded SQLite in instance/, migrations and role sync applied on start.

    python run.py            # http://127.0.0.1:8080  (PORT to change it)

The first admin comes from PORTAL_ADMIN_USER / PORTAL_ADMIN_PASSWORD, or gets a generated
password printed once. A bad configuration prints its problems and stops; nothing is touched.
"""

from __future__ import annotations

import os
import sys

import click
from dotenv import load_dotenv


def main() -> int:
    load_dotenv()
    from app import create_app
    from app.audit.app_events import record_config_loaded
    from app.cli.users import ensure_admin
    from app.config.errors import ConfigError
    from app.schema.upgrade import upgrade
    from app.security.manager import StartupRefused
    from app.security.permissions import sync_roles

    try:
        app = create_app()
    except (ConfigError, StartupRefused) as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    # Development mode applies safe plans (no risky or refused change) and says so.
    result = upgrade(app, applied_by="run.py (development)")
    if result.applied:
        print(f"schema: applied {result.revision}\n{result.plan.text()}")
    elif result.reason in ("risky", "refused"):
        print(result.plan.text(), file=sys.stderr)
        print(f"schema: not applied ({result.reason}); review it with "
              "'flask portal migrate --plan', then run 'flask portal migrate'", file=sys.stderr)
        return 1
    sync_roles(app)
    record_config_loaded(app, "run.py")
    try:
        ensure_admin(app, print)
    except click.ClickException as exc:  # e.g. a weak PORTAL_ADMIN_PASSWORD
        print(exc.format_message(), file=sys.stderr)
        return 1
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8080"))
    print(f"售后服务门户 running on http://{host}:{port}/ (database: "
          f"{app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]})")
    from werkzeug.serving import WSGIRequestHandler

    # The Server header names no software versions (Werkzeug's says "Werkzeug/3.1 Python/3.11").
    WSGIRequestHandler.server_version, WSGIRequestHandler.sys_version = "portal", ""
    app.run(host=host, port=port, debug=False, use_reloader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
