"""Where the document is served, to signed-in users only:

- GET /api/v1/openapi.json: the JSON, to the browser's session (the one page under /api/
  besides FAB's menu that takes the cookie: app/security/manager.py, BROWSER_APIS; it holds no
  record) or to a bearer token (an integrator's script);
- GET /api-docs/: Swagger UI from the portal's own static files (app/static/vendor/swagger-ui,
  `make assets`), started by app/static/portal/api_docs.js (the CSP allows no inline script),
  in the portal's layout and language, linked from the navigation bar's help menu.

Anonymous requests are sent to the sign-in page (a bad or expired token: 401).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import force_locale
from flask_jwt_extended import verify_jwt_in_request

from app.db.users import request_user
from app.i18n import api_language, request_language
from app.views.api.openapi import document as openapi_document
from app.views.api.openapi.swagger_words import swagger_words


def _sign_in() -> Any:
    sm = current_app.extensions["appbuilder"].sm
    return redirect(url_for(f"{sm.auth_view.endpoint}.login", next=request.full_path))


class OpenApiView(BaseView):
    route_base = "/api/v1"
    default_view = "document"

    @expose("/openapi.json")
    def document(self) -> Any:
        if request.headers.get("Authorization"):
            verify_jwt_in_request()  # a bad token: the JWT loaders' 401
        if request_user() is None:
            return _sign_in()
        lang = api_language()
        with force_locale(lang):
            return jsonify(openapi_document(current_app, lang, request.script_root))


class ApiDocsView(BaseView):
    route_base = "/api-docs"
    default_view = "page"

    @expose("/")
    def page(self) -> Any:
        if request_user() is None:
            return _sign_in()
        lang = request_language()
        return self.render_template(
            "portal/api_docs.html", lang=lang, swagger_words=swagger_words(lang),
            document_url=url_for("OpenApiView.document", _l_=lang))


def register_openapi_views(appbuilder: Any) -> None:
    appbuilder.add_view_no_menu(OpenApiView)
    appbuilder.add_view_no_menu(ApiDocsView)
