"""The access log: who listed which records with which filters, who opened which record, and
every permission denial (403), recorded after the response is decided.

Reads are logged from one `after_request` hook rather than per view, for every form screen
and form API alike. The event is written on its own connection and transaction, so it never
depends on what the view did with the request's session.
"""

from __future__ import annotations

import re
from typing import Any

import prison
from flask import Flask, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from app.audit import log as audit
from app.security.headers import is_static
from app.views.guard import view_of_request

FAB_FILTER = re.compile(r"^_flt_(\d+)_(.+)$")
READS = {"list": "list", "get_list": "list", "show": "view", "get": "view", "edit": "view"}


def _filter_name(view: Any, column: str, index: int) -> str:
    try:
        return str(view._filters.get_search_filters()[column][index].arg_name)
    except (AttributeError, IndexError, KeyError, TypeError):
        return str(index)


def screen_filters(view: Any) -> dict[str, Any]:
    """A list screen's filters, order and page from FAB's URL arguments."""
    name = type(view).__name__
    filters = []
    for arg in request.args:
        match = FAB_FILTER.match(arg)
        if match:
            column, index = match.group(2), int(match.group(1))
            for value in request.args.getlist(arg):
                filters.append([column, _filter_name(view, column, index), value])
    out: dict[str, Any] = {"filters": filters}
    if request.args.get(f"_oc_{name}"):
        out["order"] = [request.args[f"_oc_{name}"], request.args.get(f"_od_{name}", "")]
    if request.args.get(f"page_{name}"):
        out["page"] = request.args[f"page_{name}"]
    if request.args.get("_drill"):  # a dashboard's drill-down (app/views/dashboards.py)
        out["drill"] = {k: request.args[k][:100] for k in ("_drill", "period", "at", "from",
                                                           "to", "_g") if k in request.args}
    return out


def api_filters() -> dict[str, Any]:
    """A list API call's filters, order and page from its rison `q` argument."""
    try:
        query = prison.loads(request.args.get("q", "()")) or {}
    except Exception:  # noqa: BLE001  (FAB answers 400 itself; the log keeps the text)
        return {"filters": [], "q": request.args.get("q", "")[:500]}
    if not isinstance(query, dict):
        return {"filters": []}
    filters = [[str(f.get("col")), str(f.get("opr")), f.get("value")]
               for f in query.get("filters") or [] if isinstance(f, dict)]
    out: dict[str, Any] = {"filters": filters}
    if query.get("order_column"):
        out["order"] = [query.get("order_column"), query.get("order_direction", "")]
    if query.get("page") is not None:
        out["page"] = query.get("page")
    return out


def _write(action: str, **kw: Any) -> None:
    """Through the request's own session: a request holds at most one database connection
    (a second one for this event, while the page's was still checked out, exhausted the pool
    at about 20 simultaneous requests)."""
    session = current_app.extensions["appbuilder"].session
    try:
        audit.record(session, action, **kw)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        raise


def log_access(response: Response) -> Response:
    if not audit.enabled() or is_static(request.endpoint) or request.endpoint is None:
        return response
    view = view_of_request()
    form = getattr(view, "__form__", None)
    if response.status_code == 403:
        _write("denied", outcome="denied", form=getattr(form, "key", None), details={
            "method": request.method, "path": request.path, "status": 403,
            "endpoint": request.endpoint})
        return response
    if request.method != "GET" or not 200 <= response.status_code < 300:
        return response
    method = request.endpoint.rsplit(".", 1)[-1]
    action = READS.get(method)
    if form is None or action is None:
        return response
    is_api = request.path.startswith("/api/")
    if action == "list":
        _write("list", form=form.key, details=api_filters() if is_api else screen_filters(view))
    else:
        pk = (request.view_args or {}).get("pk")
        details = {"page": method} if method == "edit" else None
        _write("view", form=form.key, record_id=pk, details=details)
    return response


def register_access_log(app: Flask) -> None:
    app.after_request(log_access)
