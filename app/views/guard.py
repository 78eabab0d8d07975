"""Hostile list parameters get a clear 400, never a 500 or an unbounded result.

FAB parses page_<View>, psize_<View>, _oc_/_od_<View> and _flt_<n>_<column> with bare int()
and list indexing: a typed-in 'abc', an unknown column or filter index raised 500,
psize=-1 returned every row, and a 60 KB search value was a LIKE pattern SQLite refuses.
This checks them against the view's own columns and filters before FAB sees them, reading
the query string with FAB's own (unanchored) patterns, and turns record ids FAB cannot look
up (/show/abc, /show/99999999999999999999) into a 404.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Flask, abort, current_app, request
from flask_babel import gettext as _
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric
from werkzeug.exceptions import HTTPException

from app.fieldtypes.columns import Money
from app.views.errors import error_page

# FAB's own parsing (flask_appbuilder/urltools.py): unanchored re.findall, first match, and
# int() on every page_*/psize_* value whatever view it names. The guard reads the query
# string exactly the way FAB will, so nothing it lets through can crash FAB.
FAB_PAGE = re.compile(r"page_(.*)")
FAB_PSIZE = re.compile(r"psize_(.*)")
FAB_ORDER = re.compile(r"_oc_(.*)")
FAB_DIRECTION = re.compile(r"_od_(.*)")
FAB_FILTER = re.compile(r"_flt_(\d)_(.*)")
# Filter arguments FAB silently ignores (index of several digits): still told, not ignored.
PORTAL_FILTER = re.compile(r"^_flt_(\d+)_(.+)$")
DIGITS = re.compile(r"[0-9]+")
INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # an INTEGER column (ids, integer and rating fields)
MAX_PAGE = 1_000_000
MAX_OFFSET = 10_000  # rows a list pages through (an OFFSET walks them all): then filter
VIEWS_BY_NAME = "portal_views_by_name"  # app.extensions: class name → registered view
# FAB turns only 'y' into True (the search form's ticked box); any other text reached the
# database as text, and PostgreSQL refuses to compare a boolean with it.
BOOLEAN_VALUES = {"y"}
# SQL LIKE filters of FAB that put the value last in the pattern ('%' + value): on PostgreSQL
# a pattern ending in the escape character '\' is an error.
ENDS_WITH_FILTERS = {"ew", "new"}
# A filter value longer than any value worth searching for: SQLite refuses LIKE patterns over
# 50,000 bytes ("LIKE or GLOB pattern too complex", a 500), and every database scans with it.
# 500 characters is more than any field searched in a list (names, phones, product names).
MAX_FILTER_LENGTH = 500


def _bad(message: str) -> None:
    abort(400, description=message)


def _shown(value: str) -> str:
    """A typed-in value as the error message quotes it: printable and short."""
    clean = "".join(c if c.isprintable() else "\ufffd" for c in value)
    return clean if len(clean) <= 60 else clean[:60] + "…"


def _bad_value(column: str, value: str) -> None:
    _bad(_("Invalid filter value for %(column)s: %(value)s", column=column,
           value=_shown(value)))


def _whole_number(value: str, low: int, high: int) -> bool:
    """ASCII digits (an optional '-' when low < 0) within [low, high]. (Python's int() also
    takes '١٢', ' 12', '1_2' and '+12', and refuses more than 4300 digits with an error.)"""
    digits = value[1:] if value.startswith("-") and low < 0 else value
    return (len(digits) <= 18 and bool(DIGITS.fullmatch(digits))
            and low <= int(value) <= high)


def _check_decimal(column: str, value: str, col_type: Any) -> None:
    try:
        number = Decimal(value.strip())
    except (ValueError, InvalidOperation):
        _bad_value(column, value)
    precision = getattr(col_type, "precision", None) or 38
    scale = getattr(col_type, "scale", None) or 0
    if not number.is_finite() or abs(number) >= Decimal(10) ** (precision - scale):
        _bad_value(column, value)


def _check_value(view: Any, column: str, flt: Any, value: str) -> None:
    """A filter value must fit the column's type (relations take a record id)."""
    if len(value) > MAX_FILTER_LENGTH:
        _bad(_("Filter value too long for %(column)s: %(length)s characters (at most "
               "%(max)s).", column=column, length=len(value), max=MAX_FILTER_LENGTH))
    if "\x00" in value:  # no database column can hold or compare it (PostgreSQL refuses)
        _bad_value(column, value)
    datamodel = view.datamodel
    if datamodel.is_relation(column):
        if not _whole_number(value, 0, INT_MAX):
            _bad_value(column, value)
        return
    col = datamodel.list_columns.get(column)
    col_type = col.type if col is not None else None
    if isinstance(col_type, Money | Numeric):
        if value.strip() == "":  # FAB compares the raw text with a number
            _bad_value(column, value)
        _check_decimal(column, value, col_type)
    elif isinstance(col_type, Integer):
        try:
            number = int(value) if value.strip() else 0  # FAB also uses int(); '' is no value
        except ValueError:
            _bad_value(column, value)
        if not INT_MIN <= number <= INT_MAX:
            _bad_value(column, value)
    elif isinstance(col_type, DateTime | Date):
        parse: Callable[[str], Any] = (dt.datetime.fromisoformat if isinstance(
            col_type, DateTime) else dt.date.fromisoformat)
        try:
            if value.strip():
                parse(value.strip())
        except ValueError:
            _bad_value(column, value)
    elif isinstance(col_type, Boolean):
        if value not in BOOLEAN_VALUES:
            _bad_value(column, value)
    elif getattr(flt, "arg_name", None) in ENDS_WITH_FILTERS:
        trailing = len(value) - len(value.rstrip("\\"))
        if trailing % 2:
            _bad_value(column, value)


def _check_filter(view: Any, arg: str, index: int, column: str) -> None:
    filters = getattr(view, "_filters", None)
    if filters is None:
        return
    allowed = filters.get_search_filters().get(column)
    if not allowed or index >= len(allowed):
        _bad(_("Unknown filter: %(name)s", name=_shown(arg)))
    for item in request.args.getlist(arg):
        _check_value(view, column, allowed[index], item)


def check_list_args(view: Any, max_page_size: int) -> None:
    name = view.__class__.__name__
    for arg in request.args:
        value = request.args.get(arg, "")
        if FAB_PAGE.search(arg) and not _whole_number(value, 0, MAX_PAGE - 1):
            _bad(_("Invalid page number: %(value)s", value=_shown(value)))
        if FAB_PSIZE.search(arg) and not _whole_number(value, 1, max_page_size):
            _bad(_("Invalid page size: %(value)s (1 to %(max)s)", value=_shown(value),
                   max=max_page_size))
        order = FAB_ORDER.search(arg)
        if order and order.group(1) == name and value not in getattr(view, "order_columns",
                                                                       []):
            _bad(_("Cannot sort by '%(column)s'", column=_shown(value)))
        direction = FAB_DIRECTION.search(arg)
        if direction and direction.group(1) == name and value not in ("asc", "desc"):
            _bad(_("Invalid sort direction: %(value)s", value=_shown(value)))
        flt = FAB_FILTER.search(arg)
        if flt:
            _check_filter(view, arg, int(flt.group(1)), flt.group(2))
        elif PORTAL_FILTER.match(arg):
            _bad(_("Unknown filter: %(name)s", name=_shown(arg)))
    page = int(request.args.get(f"page_{name}", "0") or 0)
    size = int(request.args.get(f"psize_{name}", "0") or 0) or view.page_size
    if page * size >= MAX_OFFSET:
        _bad(too_deep(page, size))


def too_deep(page: int, size: int) -> str:
    """A page beyond the first MAX_OFFSET rows of a list (pages counted from 0)."""
    return _("Page %(page)s is too far into the list: lists page through their first "
             "%(rows)s records (%(pages)s pages). Narrow the list with filters, or reverse "
             "its order to see its end.", page=page + 1, rows=f"{MAX_OFFSET:,}",
             pages=MAX_OFFSET // size)


def check_record_id(pk: str) -> None:
    """FAB turns /show/<pk> into int(pk): non-ASCII digits, signs and numbers beyond an
    INTEGER column reached the database (and overflowed SQLite). No such record: 404."""
    if not _whole_number(pk, 0, INT_MAX):
        abort(404)


def check_action(view: Any, endpoint: str) -> None:
    """FAB's action routes look the action up and call it on whatever the ids give: an
    unknown action name, a missing record, or a one-record action posted from the list for
    several records raised 500. Unknown action or record: 404; a misused action: 400."""
    actions = getattr(view, "actions", None) or {}
    if endpoint == "action":  # one record, from its page
        name = (request.view_args or {}).get("name")
        pks = [str((request.view_args or {}).get("pk", ""))]
        if name not in actions or not actions[name].single:
            abort(404)
    else:  # the list's selected records
        name = request.form.get("action")
        pks = request.form.getlist("rowid")
        if name not in actions:
            _bad(_("Unknown action: %(name)s", name=_shown(name or "")))
        if not actions[name].multiple:
            _bad(_("This action applies to one record at a time."))
        if not pks:
            _bad(_("No record selected."))
    for pk in pks:
        check_record_id(pk)
        if view.datamodel.get(int(pk)) is None:
            abort(404)


def view_of_request() -> Any:
    """The FAB view (or API) serving this request, found by its blueprint (the class name);
    the name → view table is built once per app, after every view is registered."""
    views = current_app.extensions.get(VIEWS_BY_NAME)
    if views is None:
        views = current_app.extensions[VIEWS_BY_NAME] = {
            type(v).__name__: v for v in current_app.extensions["appbuilder"].baseviews}
    return views.get(request.blueprint or "")


def register_guard(app: Flask) -> None:

    @app.before_request
    def _guard() -> None:
        if not request.blueprint:
            return
        view = view_of_request()
        if view is None or not hasattr(view, "datamodel"):
            return
        pk = (request.view_args or {}).get("pk")
        if isinstance(pk, str):
            check_record_id(pk)
        endpoint = (request.endpoint or "").rsplit(".", 1)[-1]
        if endpoint in ("action", "action_post") and request.method == "POST":
            check_action(view, endpoint)
        if request.args:
            check_list_args(view, app.config["PORTAL_MAX_PAGE_SIZE"])

    @app.errorhandler(400)
    def _bad_request(error: HTTPException) -> tuple[str, int]:
        # Also before routing (no URL adapter) and for CSRF errors (before FAB knows the user).
        return error_page(400, error.description), 400
