"""HTTP hardening of every response: Content-Security-Policy with a per-request script nonce,
the other security headers, no caching of confidential pages, trusted hosts and redirects that
never leave the portal.

- Scripts run only from the portal's own origin or inline with this request's nonce. FAB 5.3's
  templates already write ``nonce="{{ baselib.get_nonce() }}"`` on every <script> when a
  ``csp_nonce`` Jinja global exists (the Flask-Talisman convention), and use no inline event
  handlers, and none of its JavaScript (jQuery 3.6, Bootstrap 3, select2 4, bootstrap-datepicker,
  ab*.js) needs eval, so neither 'unsafe-inline' nor 'unsafe-eval' is allowed for scripts.
  Styles keep 'unsafe-inline': FAB's templates and select2 set style attributes.
- The nonce is put in by the templates as they render; responses are never rewritten to add it,
  so markup injected into a page never gets one.
- Redirects: FAB remembers pages as absolute URLs built from the Host header (its
  page_history, used after save, on /lang/<x> and /back), so one request with a hostile Host
  poisons later redirects; its is_safe_redirect_url also lets ``/\\evil.example`` through
  (browsers read it as //evil.example; only Werkzeug's %5C encoding of the header defuses it).
  Every Location is therefore made relative when it points at the request's own host, and
  replaced by the index when it points anywhere else.
- PORTAL_TRUSTED_HOSTS (Flask's TRUSTED_HOSTS): another Host header gets the portal's 400 page,
  and so does one that is no valid host name (a label over 63 characters), trusted hosts or not.
- PORTAL_PROXY_COUNT > 0 trusts that many proxies for X-Forwarded-For and X-Forwarded-Proto
  (so request.is_secure sees HTTPS and HSTS is sent); the proxy must pass the Host header on.
"""

from __future__ import annotations

import logging
import re
import secrets
from fnmatch import fnmatch
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response, current_app, g, has_request_context, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import BadHost, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.utils import redirect

log = logging.getLogger(__name__)

NONCE_KEY = "portal.csp_nonce"
# Browsers drop these anywhere in a URL, and read a backslash as a slash.
URL_NOISE = re.compile(r"[\t\r\n]")
C0_AND_SPACE = "".join(chr(c) for c in range(0x21))  # stripped from the front by browsers

SECURITY_HEADERS: dict[str, str] = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # No URL of the portal (record ids, customer names in search filters) goes to other sites.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": ("accelerometer=(), camera=(), display-capture=(), geolocation=(), "
                           "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), "
                           "usb=()"),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=31536000"
NO_STORE = "no-store"


def csp_nonce() -> str:
    """This request's script nonce (the Jinja global FAB's templates look for)."""
    if not has_request_context():
        return ""
    environ = request.environ
    if NONCE_KEY not in environ:
        environ[NONCE_KEY] = secrets.token_urlsafe(18)
    return str(environ[NONCE_KEY])


def content_security_policy(nonce: str) -> str:
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def is_static(endpoint: str | None) -> bool:
    """Flask's and FAB's static files (app 'static', blueprint '<name>.static')."""
    return bool(endpoint) and (endpoint == "static" or str(endpoint).endswith(".static"))


def own_location(location: str, host: str, safe_hosts: list[str]) -> str | None:
    """A redirect target as the browser will read it: relative when it is on `host`, kept
    when on a configured FAB_SAFE_REDIRECT_HOSTS pattern, None when it leaves the portal."""
    cleaned = URL_NOISE.sub("", location).replace("\\", "/").lstrip(C0_AND_SPACE)
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        return None
    if not parts.netloc:
        return None if parts.scheme or cleaned.startswith("//") else location
    netloc = parts.netloc.lower()
    if host and netloc == host.lower():
        return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    if any(fnmatch(netloc, pattern.lower()) for pattern in safe_hosts):
        return location
    return None


def _request_host() -> str:
    try:
        return request.host
    except SecurityError:
        return ""


def _guard_redirect(response: Response) -> None:
    location = response.headers.get("Location")
    if location is None:
        return
    safe = own_location(location, _request_host(),
                        list(current_app.config.get("FAB_SAFE_REDIRECT_HOSTS") or []))
    if safe == location:
        return
    if safe is None:
        log.warning("Redirect off the portal refused: %r", location)
        appbuilder = current_app.extensions.get("appbuilder")
        safe = appbuilder.get_url_for_index if appbuilder else request.script_root + "/"
    response.headers["Location"] = safe
    if response.mimetype == "text/html" and not response.direct_passthrough:
        response.set_data(redirect(safe, response.status_code).get_data())


def add_headers(response: Response) -> Response:
    nonce = csp_nonce()
    if not response.headers.get("Content-Security-Policy", "").startswith("sandbox"):
        # (an uploaded file keeps its own, stricter policy: app/views/files.py)
        response.headers["Content-Security-Policy"] = content_security_policy(nonce)
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    if not is_static(request.endpoint):
        response.headers["Cache-Control"] = NO_STORE
        response.headers["Pragma"] = "no-cache"
    _guard_redirect(response)
    return response


def bind_url_adapter() -> None:
    """When Flask could not bind the URL map to the request's host there is no URL adapter,
    and url_for (used all over the page layout) fails: bind one to the first trusted host.
    That happens when TRUSTED_HOSTS refuses the Host header, and for a Host Werkzeug cannot
    IDNA-encode (a label over 63 characters: BadHost), trusted hosts set or not."""
    app = current_app
    if request_ctx.url_adapter is None:
        trusted = [h.lstrip(".") for h in app.config.get("TRUSTED_HOSTS") or []] or ["localhost"]
        request_ctx.url_adapter = app.url_map.bind(
            trusted[0], script_name=request.script_root or "/", url_scheme=request.scheme)


def untrusted_host(error: SecurityError | BadHost) -> tuple[str, int]:
    """A Host header refused before routing (untrusted, or not a valid host name): the
    portal's 400 page, rendered on a URL adapter bound to a trusted host."""
    bind_url_adapter()
    if "user" not in g:
        g.user = current_user
    appbuilder = current_app.extensions["appbuilder"]
    log.warning("Request for an untrusted host refused: %r", request.headers.get("Host"))
    return render_template("portal/error.html", appbuilder=appbuilder,
                           base_template=appbuilder.base_template, code=400,
                           message=_("This portal does not answer to that host name.")), 400


def register_headers(app: Flask) -> None:
    count = int(app.config.get("PORTAL_PROXY_COUNT") or 0)
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count,  # type: ignore[method-assign]
                                x_proto=count)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(add_headers)
    app.register_error_handler(SecurityError, untrusted_host)
    app.register_error_handler(BadHost, untrusted_host)
