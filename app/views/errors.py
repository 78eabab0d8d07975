"""The portal's own 403, 404, 405 and 500 pages: the portal's layout (the menu, the user's menu, a
way back and home), in the request's language, where FAB and Werkzeug answered a bare English
page ("Not Found") that left the user without a menu. Under /api/ the answer stays JSON
({"message"}). A 500 shows no traceback; Flask has logged it before the handler runs.

The 400 page is the guard's (app/views/guard.py), 429 the login throttle's, and 503 while the
database is away stays a plain page (app/db/unavailable.py): it cannot draw a menu."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from app.i18n import api_language
from app.security.headers import bind_url_adapter

log = logging.getLogger(__name__)
TITLES = {403: _l("No access"), 404: _l("Page not found"), 405: _l("Not allowed here"),
          413: _l("Too large"), 500: _l("Something went wrong")}
MESSAGES = {
    403: _l("Your role does not allow you to open this page. Ask an administrator if you "
            "need it."),
    404: _l("The page or record does not exist, or it is not among the records you may "
            "see."),
    405: _l("This address does not take this kind of request (HTTP method)."),
    413: _l("What was sent is larger than the portal accepts; split the file into smaller "
            "files, or ask an administrator."),
    500: _l("The portal could not complete this request; the error has been logged. Please "
            "try again later, or tell an administrator."),
}


def error_page(code: int, message: Any, title: Any = None) -> str:
    """The error page in the portal's layout (also before routing: a URL adapter is bound,
    and the user is known even where FAB's before_request did not run)."""
    appbuilder = current_app.extensions["appbuilder"]
    bind_url_adapter()
    if "user" not in g:
        g.user = current_user
    return render_template("portal/error.html", appbuilder=appbuilder,
                           base_template=appbuilder.base_template, code=code,
                           title=title, message=message)


def _plain(code: int) -> Response:
    """When even the layout cannot be drawn (the 500 came from the menu's database)."""
    text = f"{code} — {MESSAGES[code]}"
    return Response(text, status=code, mimetype="text/plain")


def _handle(error: HTTPException) -> Any:
    code = error.code or 500
    if request.path.startswith("/api/"):
        with force_locale(api_language()):  # the API's language (no session to keep one)
            return jsonify(message=str(MESSAGES[code])), code
    if code >= 500:
        _rollback()
    try:
        return error_page(code, MESSAGES[code], TITLES[code]), code
    except Exception:  # noqa: BLE001 - an error page must answer whatever broke
        log.exception("the %s page could not be rendered", code)
        return _plain(code)


def _rollback() -> None:
    """A failed statement leaves the session unusable: the page's menu reads the database."""
    try:
        current_app.extensions["appbuilder"].session.rollback()
    except Exception:  # noqa: BLE001 - nothing to undo when the connection is gone
        log.debug("rollback before the 500 page failed", exc_info=True)


def register_error_pages(app: Flask) -> None:
    for code in MESSAGES:
        app.register_error_handler(code, _handle)
