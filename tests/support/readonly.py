"""The read-only matrix: every route that could change something, sent as one signed-in user,
must be refused and must leave every table as it was.

A route "could change something" when it takes POST, PUT, PATCH or DELETE, or when it is a
GET whose endpoint name says so (add, edit, delete, action, reset password, …). Forms get a
valid CSRF token and, on the portal's form screens and APIs, a valid record, so a role that
may in fact add, edit or delete is caught by a saved change, not only by a status code.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, text

from app.portal import portal_of
from tests.support.api import json_body, token
from tests.support.app import csrf_token, login
from tests.support.factories import make_record, post_data

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
CHANGE_WORDS = re.compile(r"add|edit|delete|action|reset|password|purge|migrate|import|"
                          r"reveal|register|activate|sync")
# Tables a read-only request may still write: the audit log (every request may be audited)
# and the server-side session registry (last seen).
EXEMPT_TABLES = {"portal_audit_event", "portal_audit_head", "portal_session"}
# Every signed-in user's own account pages (SELF_SERVICE, app/security/permissions.py): changing
# one's own password or name is allowed to everyone, so these are sent empty and must only
# leave the tables unchanged.
SELF_SERVICE = {"ResetMyPasswordView.this_form_get", "ResetMyPasswordView.this_form_post",
                "UserInfoEditView.this_form_get", "UserInfoEditView.this_form_post",
                "UserDBModelView.resetmypassword", "UserDBModelView.userinfoedit",
                # one's own notifications: marking them read, one's notification settings
                "NotificationView.read", "NotificationView.read_all",
                "NotificationView.settings"}
# Sign-in: not a change (POST /login/ of a signed-in user just redirects).
SIGN_IN = {"AuthDBView.login", "PortalSecurityApi.login"}
REFUSED = {400, 401, 403, 404, 405}


def snapshot(app: Flask) -> dict[str, str]:
    """A hash of every row of every table but the exempt ones."""
    with app.app_context():
        session = app.appbuilder.session
        names = inspect(session.get_bind()).get_table_names()
        out = {}
        for name in sorted(set(names) - EXEMPT_TABLES):
            rows = session.execute(text(f'SELECT * FROM "{name}"')).all()
            digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
            out[name] = f"{len(rows)} rows {digest[:12]}"
        session.rollback()
        return out


def _views(app: Flask) -> dict[str, Any]:
    return {type(v).__name__: v for v in app.appbuilder.baseviews}


def _first_id(app: Flask, view: Any) -> int:
    model = getattr(getattr(view, "datamodel", None), "obj", None)
    if model is None:
        return 1
    with app.app_context():
        ids = app.appbuilder.session.scalars(
            select(model.__table__.c.id).order_by(model.__table__.c.id)).all()
    return int(ids[0]) if ids else 1


def _version(app: Flask, view: Any, pk: int) -> int:
    table = view.datamodel.obj.__table__
    with app.app_context():
        version = app.appbuilder.session.scalar(select(table.c.version).where(
            table.c.id == pk))
        app.appbuilder.session.rollback()
    return int(version or 1)


def _form_of(view: Any) -> Any:
    return getattr(view, "__form__", None)


def _action(view: Any) -> str:
    """A bulk action of the view that is not one of the user's own account actions."""
    names = sorted(set(getattr(view, "actions", {})) - {"resetmypassword", "userinfoedit"})
    return names[0] if names else ""


def requests(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every route that could change something."""
    spec = portal_of(app).spec
    for form in spec.forms:  # a real record behind every <pk>
        make_record(app, form)
    views = _views(app)
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith("static"):
            continue
        view_name, _, method_name = rule.endpoint.partition(".")
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        for method in methods:
            if method not in WRITES and not CHANGE_WORDS.search(method_name.lower()):
                continue
            view = views.get(view_name)
            form = _form_of(view)
            values: dict[str, Any] = {}
            for arg in rule.arguments:
                if arg == "pk":
                    values[arg] = _first_id(app, view)
                elif arg == "name":
                    values[arg] = _action(view)
                elif arg == "field_key":
                    values[arg] = next((f.key for f in form.fields if f.sensitive),
                                       form.fields[0].key) if form else "x"
                elif arg == "key" and rule.rule.startswith("/api/") and form and form.workflow:
                    values[arg] = form.workflow.transitions[0].key  # a real transition
                else:
                    values[arg] = "1"
            if values.get("name") == "":
                continue  # no action to run (FAB answers 500 for an unknown name)
            with app.test_request_context():
                url = url_for(rule.endpoint, **values)
            out.append((rule.endpoint, method, url))
    return sorted(set(out))


def _payload(app: Flask, client: FlaskClient, endpoint: str, method: str, url: str,
             username: str) -> dict[str, Any]:
    """How to send one request: a valid record where the portal would save one (building
    it may add referenced records and sign in to the API: snapshot after this)."""
    view = _views(app).get(endpoint.partition(".")[0])
    form = _form_of(view)
    if url.startswith("/api/") and "/transition/" in url:  # the record's current version
        body: dict[str, Any] = {"version": _version(app, view, int(url.split("/")[4])),
                                "comment": "只读检查"}
        return {"json": body, "headers": {"Authorization": f"Bearer {token(app, username)}"}}
    if url.startswith("/api/"):
        body = json_body(app, form, username) if form and method in ("POST", "PUT") else {}
        return {"json": body, "headers": {"Authorization": f"Bearer {token(app, username)}"}}
    if method == "GET":
        return {}
    data: dict[str, Any] = {"csrf_token": csrf_token(client, "/resetmypassword/form")}
    if form is not None and endpoint.rpartition(".")[2] in ("add", "edit"):
        with app.app_context():
            user_id = app.appbuilder.sm.find_user(username=username).id
        data.update(post_data(app, form, user_id)[0])
    return {"data": data}


def violations(app: Flask, username: str, only: Callable[[str], bool] = lambda e: True,
               sent: list[str] | None = None) -> list[str]:
    """What `username` managed to change or was not refused (routes whose endpoint passes
    `only`; each one sent is appended to `sent`); empty for a read-only role."""
    client = app.test_client()
    login(client, username)
    found = []
    for endpoint, method, url in requests(app):
        if not only(endpoint):
            continue
        if sent is not None:
            sent.append(f"{method} {endpoint}")
        payload = _payload(app, client, endpoint, method, url, username)
        before = snapshot(app)
        response = client.open(url, method=method, **payload)
        after = snapshot(app)
        status = response.status_code
        changed = sorted(k for k in before.keys() | after.keys()
                         if before.get(k) != after.get(k))
        if changed:
            found.append(f"{method} {url} ({endpoint}) changed {', '.join(changed)}")
        allowed = endpoint in SELF_SERVICE or endpoint in SIGN_IN
        if not allowed and status not in REFUSED and not 300 <= status < 400:
            found.append(f"{method} {url} ({endpoint}) answered {status}")
        if client.get("/users/userinfo/").status_code != 200:
            found.append(f"{method} {url} ({endpoint}) ended the session")
            login(client, username)
    return found
