"""Login throttling per client address and per attempted user name.

FAB's AUTH_RATE_LIMITED does nothing while RATELIMIT_ENABLED is False (FAB's default), keys
only by client address, and never covers the JWT login API. Here every POST to the login
form and to /api/v1/security/login (and to the own-password form, which checks the current
password, under the signed-in user's name) counts against two moving windows: the client address
(PORTAL_LOGIN_IP_RATE_LIMIT: one address trying many accounts) and the attempted user name
(PORTAL_LOGIN_RATE_LIMIT: many addresses against one account). Unknown and known user names
are counted alike, so the limit tells nothing about which accounts exist.

Counters live in Redis when REDIS_URL is set (shared by every worker), otherwise in the
process (a warning at start-up says so). If Redis stops answering, the counters fall back to
the process until it is back: logins are never refused, nor left unthrottled, because of it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Iterable
from typing import Any, cast

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

DEFAULT_USER_LIMIT = "5 per minute;20 per hour"
DEFAULT_IP_LIMIT = "30 per minute;300 per hour"


class ThrottleSettingError(ValueError):
    """A rate-limit setting that cannot be parsed."""


def parse_limits(name: str, value: str) -> list[RateLimitItem]:
    try:
        items = parse_many(value)
    except ValueError:
        items = []
    if not items:
        raise ThrottleSettingError(
            f"{name}: cannot read '{value}'; write limits like '5 per minute;20 per hour'")
    return items


def _key(value: str) -> str:
    """User names are hashed: the store never holds what people typed."""
    return hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()[:32]


class LoginThrottle:
    """Two families of moving-window limits over one storage."""

    def __init__(self, user_limits: str, ip_limits: str, storage_url: str | None = None,
                 prefix: str = "portal-login") -> None:
        self.user_limits = parse_limits("PORTAL_LOGIN_RATE_LIMIT", user_limits)
        self.ip_limits = parse_limits("PORTAL_LOGIN_IP_RATE_LIMIT", ip_limits)
        self.shared = bool(storage_url)
        self.storage: Storage = (
            cast(Storage, storage_from_string(storage_url, key_prefix=prefix,
                                              wrap_exceptions=True))
            if storage_url else MemoryStorage())
        self.limiter = MovingWindowRateLimiter(self.storage)
        self._fallback = MovingWindowRateLimiter(MemoryStorage())

    @classmethod
    def from_config(cls, config: Any) -> LoginThrottle:
        throttle = cls(config["PORTAL_LOGIN_RATE_LIMIT"], config["PORTAL_LOGIN_IP_RATE_LIMIT"],
                       config.get("REDIS_URL"), config.get("PORTAL_RATE_LIMIT_PREFIX",
                                                           "portal-login"))
        if not throttle.shared:
            log.warning("login rate limits are kept in this process only (REDIS_URL is not "
                        "set): with several workers each one counts on its own")
        elif not throttle.reachable():
            log.warning("login rate limits: Redis (REDIS_URL) does not answer; counting in "
                        "this process until it does")
        return throttle

    def reachable(self) -> bool:
        try:
            return bool(self.storage.check())
        except Exception:  # noqa: BLE001 - any failure means "not reachable"
            return False

    def _hit(self, items: Iterable[RateLimitItem], *ids: str) -> int | None:
        """Count one attempt against every limit; seconds to wait when one is exceeded."""
        for item in items:
            try:
                allowed = self.limiter.hit(item, *ids)
                limiter = self.limiter
            except StorageError:
                log.error("login rate limits: Redis failed; counting in this process")
                allowed = self._fallback.hit(item, *ids)
                limiter = self._fallback
            if not allowed:
                try:
                    reset = limiter.get_window_stats(item, *ids).reset_time
                except StorageError:
                    reset = time.time() + item.get_expiry()
                return max(1, math.ceil(reset - time.time()))
        return None

    def hit(self, address: str, username: str) -> int | None:
        """Count a login attempt; None when allowed, else the seconds until it would be."""
        return (self._hit(self.ip_limits, "ip", address or "-")
                or self._hit(self.user_limits, "user", _key(username)))

    def reset(self) -> None:
        """Forget every counter under this throttle's prefix (tests, or after an incident)."""
        self.storage.reset()
        self._fallback.storage.reset()


def _attempted_username() -> str:
    if request.is_json:
        data = request.get_json(silent=True)
        value = data.get("username") if isinstance(data, dict) else None
    else:
        value = request.form.get("username")
    return value if isinstance(value, str) else ""


def too_many_attempts(seconds: int, as_json: bool) -> Response:
    """429: a readable page for the form, JSON for the API, with Retry-After."""
    message = _("Too many sign-in attempts. Please wait %(seconds)d seconds and try again.",
                seconds=seconds)
    if as_json:
        response = jsonify(message=message)
    else:
        appbuilder = current_app.extensions["appbuilder"]
        if "user" not in g:
            g.user = current_user
        response = Response(render_template(
            "portal/error.html", appbuilder=appbuilder, base_template=appbuilder.base_template,
            code=429, message=message), mimetype="text/html")
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response


def register_throttle(app: Flask, throttle: LoginThrottle, form_endpoint: str,
                      api_endpoint: str, own_password_endpoint: str) -> None:
    """Count every POST to the login form, the JWT login API and the own-password form
    (which checks the current password: counted under the signed-in user's name, whatever
    the form says) before it is handled."""
    app.extensions["portal_throttle"] = throttle
    endpoints = {form_endpoint: False, api_endpoint: True, own_password_endpoint: False}

    @app.before_request
    def _throttle_login() -> Response | None:
        if request.method != "POST" or request.endpoint not in endpoints:
            return None
        if request.endpoint == own_password_endpoint:
            username = str(getattr(current_user, "username", "") or "")
        else:
            username = _attempted_username()
        seconds = throttle.hit(request.remote_addr or "", username)
        if seconds is None:
            return None
        log.warning("login throttled: address %s, user name hash %s", request.remote_addr,
                    _key(username)[:12])
        return too_many_attempts(seconds, endpoints[request.endpoint])
