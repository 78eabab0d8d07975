"""503 while the database cannot be reached (restarted, failed over, out of connections):
a plain page, or {"message"} for the API, in the request's language, with Retry-After, instead
of a 500 and a logged traceback. The request's session is rolled back so the worker's next
request starts clean; the pool checks connections before use (pool_pre_ping, app/settings.py),
so the portal serves again as soon as the database is back, without a restart.

The page neither extends the portal's layout nor runs the template context processors: the
menu and the signed-in user need the database that is missing. FAB's `@safe` turns every
exception of an API method into a 500, so the API's `answers` (app/views/api/decorators.py)
and the JWT login (app/security/manager.py) answer these errors themselves."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.i18n import request_language

log = logging.getLogger(__name__)
RETRY_AFTER = 5  # seconds
# Errors of the connection, not of the statement: a stopped or restarting server, a broken
# connection, a pool without a free connection, a session still holding a failed one.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout, PendingRollbackError)
MESSAGE = "The database is temporarily unavailable; please try again later."


def is_unavailable(error: BaseException) -> bool:
    return isinstance(error, UNAVAILABLE) or (
        isinstance(error, DBAPIError) and bool(error.connection_invalidated))


def _rollback() -> None:
    try:
        current_app.extensions["appbuilder"].session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone: nothing left to undo
        log.debug("rollback after a database outage failed", exc_info=True)


def unavailable_response(error: BaseException) -> Response:
    """The 503 answer (and a one-line warning in the log, no traceback)."""
    _rollback()
    log.warning("database unavailable (%s %s): answered 503", request.method, request.path)
    log.debug("database error", exc_info=error)
    if request.path.startswith("/api/"):
        # Inside an API method the method's language is in force; before it (a signed-in
        # session's check) the Accept-Language header decides, as the API's would.
        chosen = request.accept_languages.best_match(list(current_app.config["LANGUAGES"]))
        with force_locale(chosen or request_language()):
            response = jsonify(message=_(MESSAGE))
    else:
        # Rendered without the context processors: Flask-Login's and FAB's load the user.
        page = current_app.jinja_env.get_template("portal/unavailable.html").render(
            message=_(MESSAGE), lang=request_language(), app_name=current_app.config["APP_NAME"])
        response = Response(page, mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def register_unavailable(app: Flask) -> None:
    def handler(error: Any) -> Response:
        if not is_unavailable(error):
            raise error
        return unavailable_response(error)

    app.register_error_handler(DBAPIError, handler)
    for kind in (PoolTimeout, PendingRollbackError):
        app.register_error_handler(kind, handler)
