"""Helpers for the form API tests: bearer tokens, calls, valid JSON records, and the
role × pack matrix of the permission tests."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from app.portal import portal_of
from tests.support.app import CONFIG, PACKS, PASSWORD, user_id
from tests.support.factories import _counter, make_record, offered_user, python_value

LOGIN_URL = "/api/v1/security/login"
# The permission each API method needs.
ACTION = {"list": "list", "info": "list", "show": "show", "add": "add", "edit": "edit",
          "delete": "delete"}
TOKEN_TTL = 600  # seconds a cached token is reused (the portal's tokens live 15 minutes)
# How the tests got their tokens: "login" (the JWT login API) or "minted" (without it).
TOKEN_SOURCES: set[str] = set()
_tokens: dict[tuple[int, str], tuple[float, str]] = {}


def login_api_enabled(app: Flask) -> bool:
    return any(rule.rule == LOGIN_URL for rule in app.url_map.iter_rules())


def token(app: Flask, username: str) -> str:
    """A bearer token for `username`: from /api/v1/security/login when the app has it,
    else minted the way that endpoint does (flask_jwt_extended, identity = user id)."""
    cached = _tokens.get((id(app), username))
    if cached and time.monotonic() - cached[0] < TOKEN_TTL:
        return cached[1]
    if login_api_enabled(app):
        response = app.test_client().post(LOGIN_URL, json={
            "username": username, "password": PASSWORD, "provider": "db", "refresh": False})
        assert response.status_code == 200, response.get_data(as_text=True)
        value = response.get_json()["access_token"]
        TOKEN_SOURCES.add("login")
    else:
        from flask_jwt_extended import create_access_token

        with app.app_context():
            user = app.appbuilder.sm.find_user(username=username)
            value = create_access_token(identity=str(user.id), fresh=True)
        TOKEN_SOURCES.add("minted")
    _tokens[(id(app), username)] = (time.monotonic(), value)
    return value


def call(app: Flask, method: str, url: str, user: str | None, *,
         headers: dict[str, str] | None = None, **kwargs: Any) -> TestResponse:
    """One API call as `user` (None: no token)."""
    sent = dict(headers or {})
    if user is not None:
        sent["Authorization"] = f"Bearer {token(app, user)}"
    return app.test_client().open(url, method=method, headers=sent, **kwargs)


def json_value(value: Any) -> Any:
    """A Python value of a field as a client would send it."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def json_body(app: Flask, form: Any, owner: str) -> dict[str, Any]:
    """A valid new record of `form` as JSON; referenced records are created by `owner`,
    so they are within the owner's row scope."""
    spec = portal_of(app).spec
    n = next(_counter)
    body: dict[str, Any] = {}
    for field in form.entered:
        if field.type == "reference":
            body[field.key] = make_record(app, spec.form(field.form), _owner=owner).id
        elif field.type == "user":
            body[field.key] = offered_user(app, field, user_id(app, owner))
        elif field.type == "multi_choice":
            body[field.key] = python_value(field, n).split(",")
        else:
            body[field.key] = json_value(python_value(field, n))
    return body


def _matrix() -> list:
    """One parameter per pack and role: (pack, role key), id "base-staff" and so on."""
    from app.config.load import load_spec

    return [pytest.param(pack, role.key, id=f"{pack or 'base'}-{role.key}")
            for pack in PACKS for role in load_spec(str(CONFIG), pack).roles]
