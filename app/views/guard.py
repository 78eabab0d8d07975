"""Hostile list parameters get a clear 400, never a 500 or an unbounded result.

FAB parses page_<View>, psize_<View>, _oc_/_od_<View> and _flt_<n>_<column> with bare int()
and list indexing: a typed-in 'abc', an unknown column or filter index raised 500, and
psize=-1 returned every row. This checks them against the view's own columns and filters
before FAB sees them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Flask, abort, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric
from werkzeug.exceptions import HTTPException

from ..tables import Money

LIST_ARG = re.compile(r"^(page|psize|_oc|_od)_(.+)$")
FILTER_ARG = re.compile(r"^_flt_(\d+)_(.+)$")
BOOLEAN_VALUES = {"y", "n", "yes", "no", "true", "false", "1", "0", "on", "off", ""}


def _bad(message: str) -> None:
    abort(400, description=message)


def _check_value(view: Any, column: str, value: str) -> None:
    """A filter value must fit the column's type (relations take a record id)."""
    datamodel = view.datamodel
    if datamodel.is_relation(column):
        kinds: tuple = (Integer,)
    else:
        col = datamodel.list_columns.get(column)
        kinds = (type(col.type),) if col is not None else ()
    parse: Callable[[str], Any] | None = None
    if any(issubclass(k, Money | Numeric) for k in kinds):
        parse = Decimal
    elif any(issubclass(k, Integer) for k in kinds):
        parse = int
    elif any(issubclass(k, DateTime) for k in kinds):
        parse = dt.datetime.fromisoformat
    elif any(issubclass(k, Date) for k in kinds):
        parse = dt.date.fromisoformat
    elif any(issubclass(k, Boolean) for k in kinds):
        if value.strip().lower() not in BOOLEAN_VALUES:
            _bad(_("Invalid filter value for %(column)s: %(value)s", column=column, value=value))
        return
    if parse is None or value == "":
        return
    try:
        parse(value.strip())
    except (ValueError, InvalidOperation):
        _bad(_("Invalid filter value for %(column)s: %(value)s", column=column, value=value))


def check_list_args(view: Any, max_page_size: int) -> None:
    name = view.__class__.__name__
    filters = getattr(view, "_filters", None)
    for arg in request.args:
        value = request.args.get(arg, "")
        match = LIST_ARG.match(arg)
        if match and match.group(2) == name:
            kind = match.group(1)
            if kind == "page" and not (value.isdigit() and int(value) < 1_000_000):
                _bad(_("Invalid page number: %(value)s", value=value))
            if kind == "psize" and not (value.isdigit() and 1 <= int(value) <= max_page_size):
                _bad(_("Invalid page size: %(value)s (1 to %(max)s)", value=value,
                       max=max_page_size))
            if kind == "_oc" and value not in getattr(view, "order_columns", []):
                _bad(_("Cannot sort by '%(column)s'", column=value))
            if kind == "_od" and value not in ("asc", "desc"):
                _bad(_("Invalid sort direction: %(value)s", value=value))
            continue
        match = FILTER_ARG.match(arg)
        if match and filters is not None:
            index, column = int(match.group(1)), match.group(2)
            allowed = filters.get_search_filters().get(column)
            if not allowed or index >= len(allowed):
                _bad(_("Unknown filter: %(name)s", name=arg))
            for item in request.args.getlist(arg):
                _check_value(view, column, item)


def register_guard(app: Flask) -> None:
    views: dict[str, Any] = {}

    @app.before_request
    def _guard() -> None:
        if not request.args or not request.blueprint:
            return
        if not views:
            views.update({type(v).__name__: v for v in current_app.extensions[
                "appbuilder"].baseviews})
        view = views.get(request.blueprint)
        if view is not None and hasattr(view, "datamodel"):
            check_list_args(view, app.config["PORTAL_MAX_PAGE_SIZE"])

    @app.errorhandler(400)
    def _bad_request(error: HTTPException) -> tuple[str, int]:
        appbuilder = current_app.extensions["appbuilder"]
        if "user" not in g:  # CSRF errors abort before FAB's before_request sets it
            g.user = current_user
        return render_template("portal/error.html", appbuilder=appbuilder,
                               base_template=appbuilder.base_template, code=400,
                               message=error.description), 400
