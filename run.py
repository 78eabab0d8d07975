"""Development server: embedded SQLite in instance/, migrations and role sync applied on start.

    python run.py            # http://127.0.0.1:8080  (PORT to change it)

The first admin comes from PORTAL_ADMIN_USER / PORTAL_ADMIN_PASSWORD, or gets a generated
password printed once. A bad configuration prints its problems and stops; nothing is touched.
"""

from __future__ import annotations

import os
import sys

from dotenv import load_dotenv


def main() -> int:
    load_dotenv()
    from app import create_app
    from app.cli import ensure_admin
    from app.database import upgrade
    from app.errors import ConfigError
    from app.permissions import sync_roles

    try:
        app = create_app()
    except ConfigError as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    report = upgrade(app)
    for line in report.applied:
        print(f"schema: {line}")
    for line in report.pending + report.refused:
        print(f"schema (not applied): {line}", file=sys.stderr)
    if report.refused:
        return 1
    sync_roles(app)
    ensure_admin(app, print)
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8080"))
    print(f"售后服务门户 running on http://{host}:{port}/ (database: "
          f"{app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]})")
    app.run(host=host, port=port, debug=False, use_reloader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
