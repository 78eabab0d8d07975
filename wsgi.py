"""Production entry point: `gunicorn wsgi:app`. Refuses to start (one readable screen, no
traceback) on a broken configuration or a database that does not match it; nothing is
changed implicitly; run `flask portal migrate` first."""

from __future__ import annotations

import sys

from app import create_app
from app.database import SchemaDrift, require_current_schema
from app.errors import ConfigError

try:
    app = create_app()
    require_current_schema(app)
except (ConfigError, SchemaDrift) as exc:
    print(exc.report(), file=sys.stderr)
    raise SystemExit(1) from None
