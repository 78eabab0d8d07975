"""The `q` parameter of the form APIs (Rison, or JSON), checked against the form's own
columns, sort columns and search filters before anything reaches FAB or the database: a bad
parameter is a 400 that says what is wrong (the screens' wording, app/views/guard.py), never
a 500 or an unbounded page."""

from __future__ import annotations

import copy
import json
from typing import Any

import prison
from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from app.views.api.payload import ApiError
from app.views.guard import MAX_OFFSET, MAX_PAGE, _check_value, _shown, too_deep

LIST_OPERATORS = ("in", "not_in")
MAX_FILTER_VALUES = 100


def _text(value: Any) -> str:
    return _shown(value if isinstance(value, str) else json.dumps(value, default=str))


def read_q(allowed: tuple[str, ...]) -> dict[str, Any]:
    """The parsed `q` object; only the keys an endpoint understands."""
    raw = request.args.get("q")
    if not raw:
        return {}
    try:
        value = prison.loads(raw)
    except Exception:  # noqa: BLE001 - the Rison parser raises more than ParserException
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            raise ApiError(400, _("The q parameter is neither Rison nor JSON: %(value)s",
                                  value=_shown(raw))) from None
    if not isinstance(value, dict):
        raise ApiError(400, _("The q parameter must be an object, for example "
                              "q=(page:0,page_size:20)."))
    for key in value:
        if key not in allowed:
            raise ApiError(400, _("Unknown parameter in q: %(name)s", name=_text(key)))
    return value


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def page_args(args: dict[str, Any], default_size: int, max_size: int) -> tuple[int, int]:
    page = args.get("page", 0)
    if not _whole(page) or not 0 <= page < MAX_PAGE:
        raise ApiError(400, _("Invalid page number: %(value)s", value=_text(page)))
    size = args.get("page_size", min(default_size, max_size))
    if not _whole(size) or not 1 <= size <= max_size:
        raise ApiError(400, _("Invalid page size: %(value)s (1 to %(max)s)",
                              value=_text(size), max=max_size))
    if page * size >= MAX_OFFSET:
        raise ApiError(400, too_deep(page, size))
    return page, size


def order_args(args: dict[str, Any], columns: list[str],
               default: tuple[str, str]) -> tuple[str, str]:
    """Sort column and direction: only the screens' sort columns (never a sensitive one)."""
    direction = args.get("order_direction", "asc")
    if direction not in ("asc", "desc"):
        raise ApiError(400, _("Invalid sort direction: %(value)s", value=_text(direction)))
    if "order_column" not in args:
        return default
    column = args["order_column"]
    if not isinstance(column, str) or column not in columns:
        raise ApiError(400, _("Cannot sort by '%(column)s'", column=_text(column)))
    return column, direction


def column_args(args: dict[str, Any], columns: list[str]) -> list[str]:
    """The `columns` a client asked for (default: all), in the API's order."""
    wanted = args.get("columns")
    if wanted is None:
        return columns
    if not isinstance(wanted, list) or not wanted:
        raise ApiError(400, _("The columns parameter must be a list of column names."))
    for name in wanted:
        if not isinstance(name, str) or name not in columns:
            raise ApiError(400, _("Unknown column: %(name)s", name=_text(name)))
    return [c for c in columns if c in wanted]


def key_args(args: dict[str, Any], keys: tuple[str, ...]) -> set[str]:
    """Which metadata keys to answer with (`keys`; default all, 'none' for none)."""
    wanted = args.get("keys")
    if wanted is None:
        return set(keys)
    if not isinstance(wanted, list):
        raise ApiError(400, _("The keys parameter must be a list of names."))
    for name in wanted:
        if name != "none" and name not in keys:
            raise ApiError(400, _("Unknown key: %(name)s", name=_text(name)))
    return {k for k in wanted if k != "none"}


def _filter_text(value: Any) -> str | None:
    """A filter value as the screens' query string would carry it."""
    if isinstance(value, bool):
        return "y" if value else "n"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return None


def filter_args(api: Any, args: dict[str, Any]) -> Any:
    """The user's filters joined with the API's base filters (row scope), as a new Filters
    object: the API's own is shared by every request and never modified."""
    filters = copy.copy(api._filters)
    filters.clear_filters()  # new lists: the shared object keeps its own
    given = args.get("filters", [])
    if not isinstance(given, list):
        raise ApiError(400, _("The filters parameter must be a list of (col:…,opr:…,value:…)."))
    available = filters.get_search_filters()
    for item in given:
        if not isinstance(item, dict) or set(item) != {"col", "opr", "value"}:
            raise ApiError(400, _("The filters parameter must be a list of "
                                  "(col:…,opr:…,value:…)."))
        column, operator, value = item["col"], item["opr"], item["value"]
        flt = next((f for f in available.get(column, []) if f.arg_name == operator),
                   None) if isinstance(column, str) else None
        if flt is None:
            raise ApiError(400, _("Unknown filter: %(name)s",
                                  name=f"{_text(column)} {_text(operator)}"))
        many = operator in LIST_OPERATORS
        values = value if many and isinstance(value, list) else [value]
        texts = [_filter_text(v) for v in values]
        if (many and not isinstance(value, list)) or len(texts) > MAX_FILTER_VALUES or any(
                t is None for t in texts):
            raise ApiError(400, _("Invalid filter value for %(column)s: %(value)s",
                                  column=column, value=_text(value)))
        for text in texts:
            try:
                _check_value(api, column, flt, text)  # type: ignore[arg-type]
            except HTTPException as exc:
                raise ApiError(400, str(exc.description)) from None
        filters.add_filter(column, type(flt), texts if many else texts[0])
    return filters.get_joined_filters(api._base_filters)
