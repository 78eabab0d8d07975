"""/favicon.ico: every browser asks for it, whatever the page's link tag says; it answered a
404 (and an error page) on each first visit. It points at the portal's own icon (an SVG in
app/static, linked by app/templates/portal/base.html; no CDN)."""

from __future__ import annotations

from flask import Flask, redirect, url_for
from werkzeug.wrappers import Response

ICON = "portal/favicon.svg"


def register_favicon(app: Flask) -> None:
    @app.get("/favicon.ico")
    def favicon() -> Response:
        # The redirect is not cached (app/security/headers.py); the icon itself is static.
        return redirect(url_for("static", filename=ICON), code=302)
