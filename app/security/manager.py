"""The portal's security manager: FAB's SQLAlchemy one, hardened for an ASVS audit.

- password policy on every screen and command that sets a password (app/security/passwords.py),
  enforced again by `add_user` and `reset_password` for every caller, FAB's
  `flask fab create-user | create-admin | reset-password` included (`PasswordRefused`);
- login throttling per client address and per user name, form and JWT API
  (app/security/throttle.py);
- server-side sessions rotated at login, ended at logout, idle, disabled (app/security/sessions.py);
- CSRF-exempt APIs never accept the session cookie: FAB's protect() lets a browser session
  through wherever allow_browser_login is set, and has_access() prefers the cookie's user
  over the JWT's. Here an /api/ request is anonymous to Flask-Login unless it is a read-only
  endpoint listed in BROWSER_APIS; state-changing API calls need a JWT;
- audit events for login success, failure, logout and session end (app/audit/log.py);
- production refuses a development or short SECRET_KEY (`require_production_secret`);
- FAB's user statistics chart is not registered (`userstatschartview = None`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

import click
from flask import current_app, g, has_request_context, jsonify, make_response, request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.schemas import login_post
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_babel import gettext as _
from flask_jwt_extended import create_access_token
from flask_login import user_logged_in, user_logged_out
from marshmallow import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from app.audit import log as audit
from app.db.unavailable import is_unavailable, unavailable_response
from app.security import screens
from app.security.own_password import ResetMyPasswordView
from app.security.passwords import fab_password_validator, password_problems
from app.security.permission_cache import RequestPermissionCache
from app.security.sessions import check_request, end_on_logout, rotate_on_login
from app.security.throttle import (
    DEFAULT_IP_LIMIT,
    DEFAULT_USER_LIMIT,
    LoginThrottle,
    ThrottleSettingError,
    register_throttle,
)

# Read-only APIs that may use the browser session (FAB's MenuApi returns the menu entries
# the user may open: labels and URLs, no records; the OpenAPI document describes the API,
# no records, for the API documentation page: app/views/api/openapi/views.py).
BROWSER_APIS = frozenset({(method, endpoint) for method in ("GET", "HEAD")
                          for endpoint in ("MenuApi.get_menu_data", "OpenApiView.document")})
SECRET_MIN_LENGTH = 32


class StartupRefused(Exception):
    """A setting that must not run; `report()` is the one screen shown instead."""

    def report(self) -> str:
        return f"The portal was not started: {self}"


class PasswordRefused(click.ClickException):
    """The policy refused a password given to add_user or reset_password; nothing was stored.
    A ClickException, so FAB's `flask fab ...` commands end with the reasons and exit code 1
    rather than a traceback (the screens check the same policy before they get here)."""

    def __init__(self, message: str, reasons: list[str]) -> None:
        super().__init__(message)
        self.reasons = reasons


def _whole_number(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name) or str(default)
    if not value.isdigit() or int(value) < 1:
        raise StartupRefused(f"{name} must be a whole number above 0, not '{value}'.")
    return int(value)


def security_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The security part of the settings, from the environment (see README, Settings)."""
    return {
        "FAB_PASSWORD_COMPLEXITY_ENABLED": True,
        "FAB_PASSWORD_COMPLEXITY_VALIDATOR": fab_password_validator,
        "REDIS_URL": env.get("REDIS_URL") or None,
        "PORTAL_LOGIN_RATE_LIMIT": env.get("PORTAL_LOGIN_RATE_LIMIT") or DEFAULT_USER_LIMIT,
        "PORTAL_LOGIN_IP_RATE_LIMIT": env.get("PORTAL_LOGIN_IP_RATE_LIMIT") or DEFAULT_IP_LIMIT,
        "PORTAL_RATE_LIMIT_PREFIX": "portal-login",
        "PORTAL_IDLE_TIMEOUT": _whole_number(env, "PORTAL_IDLE_TIMEOUT", 30),
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(
            hours=_whole_number(env, "PORTAL_SESSION_LIFETIME", 12)),
        # FAB's own limiter (IP only, form only) stays off: app/security/throttle.py replaces it.
        "AUTH_RATE_LIMITED": False,
        "RATELIMIT_ENABLED": False,
        # JWTs are read from the Authorization header only, never from a cookie.
        "JWT_TOKEN_LOCATION": ["headers"],
        "JWT_ACCESS_TOKEN_EXPIRES": dt.timedelta(minutes=15),
        "FAB_API_KEY_ENABLED": False,
    }


def production_secret_problem(env: Mapping[str, str], instance_path: str) -> str | None:
    """Why SECRET_KEY must not be used in production, or None."""
    key = env.get("SECRET_KEY") or ""
    if not key:
        return "SECRET_KEY is not set in the environment."
    dev_file = os.path.join(instance_path, "secret_key")
    if os.path.exists(dev_file):
        with open(dev_file, encoding="ascii", errors="replace") as fh:
            if fh.read().strip() == key:
                return ("SECRET_KEY is the development key from instance/secret_key, which "
                        "run.py and the CLI create on this machine.")
    if len(key) < SECRET_MIN_LENGTH:
        return f"SECRET_KEY has {len(key)} characters; at least {SECRET_MIN_LENGTH} are needed."
    return None


def require_production_secret(env: Mapping[str, str], instance_path: str) -> None:
    problem = production_secret_problem(env, instance_path)
    if problem:
        raise StartupRefused(
            f"{problem}\n"
            "Production (wsgi.py) signs every session with SECRET_KEY. Set it in the\n"
            "environment to a random value of at least 32 characters, the same for every\n"
            "worker and kept out of the repository, for example:\n"
            "    SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')")


class PortalSecurityApi(SecurityApi):
    """FAB's JWT login API without the refresh endpoint the portal does not use (a refresh
    token lived 30 days and outlived logout, disabling and password resets)."""

    refresh = None

    @expose("/login", methods=["POST"])
    @safe
    def login(self) -> Response:
        """FAB's login for the portal's user database, answering what FAB's got wrong: no
        `provider` was a 500 (KeyError), `refresh: true` issued a refresh token no endpoint
        takes (it is ignored), and a database out of reach was a 500 (now 503)."""
        if not request.is_json:
            return self.response_400(message="Request payload is not JSON")
        try:
            payload = login_post.load(request.json)
        except ValidationError as error:
            return self.response_400(message=error.messages)
        if "provider" not in payload:
            return self.response_400(message={"provider": ["Missing data for required field."]})
        try:
            user = self.appbuilder.sm.auth_user_db(payload["username"], payload["password"])
        except SQLAlchemyError as exc:
            if not is_unavailable(exc):
                raise
            return unavailable_response(exc)
        if not user:
            return self.response_401()
        return self.response(200, access_token=create_access_token(identity=str(user.id),
                                                                   fresh=True))


class PortalSecurityManager(RequestPermissionCache, SecurityManager):
    security_api = PortalSecurityApi
    resetmypasswordview = ResetMyPasswordView  # asks for the current password
    # In words (app/security/screens.py): role labels, grants per screen, 是/否.
    userdbmodelview = screens.UserDBModelView
    rolemodelview = screens.RoleModelView
    permissionmodelview = screens.PermissionModelView
    viewmenumodelview = screens.ViewMenuModelView
    permissionviewmodelview = screens.PermissionViewModelView
    # FAB's user statistics chart: a 500 on a bad URL argument, and Google's chart library
    # from the internet, which an intranet lacks and the CSP refuses. Without it, no route,
    # no menu entry, and role sync drops its permissions from older databases.
    userstatschartview = None

    def register_views(self) -> None:
        super().register_views()
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            throttle = LoginThrottle.from_config(app.config)
        except ThrottleSettingError as exc:
            raise StartupRefused(str(exc)) from None
        register_throttle(app, throttle, f"{self.auth_view.endpoint}.login",
                          f"{self.security_api.__name__}.login",
                          f"{self.resetmypasswordview.__name__}.this_form_post")
        app.before_request(self._check_session)
        user_logged_in.connect(rotate_on_login, app, weak=False)
        user_logged_out.connect(end_on_logout, app, weak=False)

    def create_jwt_manager(self, app: Any) -> Any:
        """FAB's, with token problems answered like the rest of the API: a translated
        {"message": ...} and 401 (flask_jwt_extended answers in English, 422 for a
        malformed token)."""
        manager = super().create_jwt_manager(app)

        def refuse(*_args: Any) -> Response:
            return make_response(jsonify(message=_(
                "Sign in first: send a valid access token from /api/v1/security/login "
                "as 'Authorization: Bearer <token>'.")), 401)

        def expired(*_args: Any) -> Response:
            return make_response(jsonify(message=_(
                "The access token has expired; sign in again.")), 401)

        manager.unauthorized_loader(refuse)
        manager.invalid_token_loader(refuse)
        manager.expired_token_loader(expired)
        manager.revoked_token_loader(refuse)
        manager.user_lookup_error_loader(refuse)
        manager.needs_fresh_token_loader(refuse)
        return manager

    def _api_blueprints(self) -> set[str]:
        names = getattr(self, "_api_names", None)
        if names is None:
            names = {type(v).__name__ for v in self.appbuilder.baseviews
                     if isinstance(v, BaseApi)}
            self._api_names = names
        return names

    def is_api_request(self) -> bool:
        return request.blueprint in self._api_blueprints() or request.path.startswith("/api/")

    def _check_session(self) -> Response | None:
        """API calls are anonymous to the cookie (JWT only), except BROWSER_APIS; every
        other request must carry a live server-side session (app/security/sessions.py)."""
        if self.is_api_request() and (request.method, request.endpoint) not in BROWSER_APIS:
            g._login_user = self.lm.anonymous_user()
            return None
        return check_request()

    def add_user(self, username: str, first_name: str, last_name: str, email: str,
                 role: Any = None, password: str = "", hashed_password: str = "",
                 groups: Any = None, commit: bool = True) -> Any:
        """FAB's, refusing a clear-text password the policy refuses (PasswordRefused). Without
        one, FAB stores a random secret's hash; a given hash cannot be checked."""
        if password and not hashed_password:
            reasons = password_problems(password, username)
            if reasons:
                raise PasswordRefused(_("User '%(username)s' was not created: %(reasons)s",
                                        username=username, reasons=" ".join(reasons)), reasons)
        return super().add_user(username, first_name, last_name, email, role=role,
                                password=password, hashed_password=hashed_password,
                                groups=groups, commit=commit)

    def reset_password(self, userid: Any, password: str) -> None:
        """FAB's, refusing a password the policy refuses for this user (PasswordRefused)."""
        user = self.get_user_by_id(userid)
        if user is None:
            raise click.ClickException(_("This user does not exist."))
        reasons = password_problems(password or "", user.username)
        if reasons:
            raise PasswordRefused(_("The password of '%(username)s' was not changed: "
                                    "%(reasons)s", username=user.username,
                                    reasons=" ".join(reasons)), reasons)
        super().reset_password(user.id, password)

    def auth_user_db(self, username: str, password: str) -> Any:
        """FAB's (same message and one password hash for unknown user, wrong password and
        disabled user), plus an audit event for the outcome."""
        user = super().auth_user_db(username, password)
        via = "form"
        if has_request_context() and request.blueprint == self.security_api.__name__:
            via = "api"
        if user is None:
            audit.record(self.session, "login", outcome="failed",
                         details={"username": (username or "")[:128], "via": via})
        else:
            audit.record(self.session, "login", user=user, details={"via": via})
        self.session.commit()
        return user
