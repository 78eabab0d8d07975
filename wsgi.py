"""Production entry point: `gunicorn wsgi:app`. Refuses to start (one readable screen, no
traceback) on a development or short SECRET_KEY, a broken configuration or a database that
does not match it; nothing is changed implicitly but the calendar's rows (app/db/worktime.py),
derived from config/calendar.yaml; run `flask portal migrate` first."""

from __future__ import annotations

import os
import sys

from app import create_app
from app.audit.app_events import record_config_loaded
from app.config.errors import ConfigError
from app.paths import ROOT
from app.schema.drift import SchemaDrift, require_current_schema
from app.schema.upgrade import sync_calendar
from app.security.manager import StartupRefused, require_production_secret

try:
    require_production_secret(os.environ, os.path.join(ROOT, "instance"))
    app = create_app()
    require_current_schema(app)
    sync_calendar(app)  # the calendar's rows for working time in SQL: one SELECT if unchanged
    record_config_loaded(app, "wsgi")
except (ConfigError, SchemaDrift, StartupRefused) as exc:
    print(exc.report(), file=sys.stderr)
    raise SystemExit(1) from None
