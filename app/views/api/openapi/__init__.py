"""The OpenAPI 3 document of the generated REST API, built from the spec (forms, fields, roles,
workflows) and the registered form APIs (their columns, sort columns and search filters).

One document of the whole API, the same for every signed-in user: it describes structure,
never records, and each operation names the permission it needs (`x-permission`, with the
roles of this portal that have it). A per-user document would have to be rebuilt per role
set and would still not say why an operation is missing; the API itself refuses what a role
may not do (403), and `_info` tells a client its own permissions on a form.
Every text for people (the introduction, summaries, descriptions, labels and help texts) is
in the request's language (gettext under `force_locale(lang)`, in document()); machine parts
(operationId, tags, enum values, x-permission) are the same in both. The document is built
once per language, app and script root (the spec does not change while the app runs).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _

from app.portal import portal_of
from app.views.api.endpoints import PortalModelApi
from app.views.api.openapi.common import (
    BEARER,
    LOGIN,
    introduction,
    login_path,
    shared_responses,
    shared_schemas,
)
from app.views.api.openapi.paths import FormPaths
from app.views.api.openapi.schemas import FormSchemas

VERSION = "3.0.3"
CACHE = "portal_openapi"  # app.extensions: language → document


def form_apis(app: Flask) -> dict[str, Any]:
    """The registered form APIs, by form key."""
    return {v.form.key: v for v in app.extensions["appbuilder"].baseviews
            if isinstance(v, PortalModelApi)}


def build_document(app: Flask, lang: str, root: str = "") -> dict[str, Any]:
    """The document in `lang` (the labels' language is the request's: call it inside one
    with that locale in force)."""
    portal = portal_of(app)
    spec = portal.spec
    apis = form_apis(app)
    max_page = int(app.config["PORTAL_MAX_PAGE_SIZE"])
    minutes = int(app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds() // 60)
    paths: dict[str, Any] = {LOGIN: login_path(minutes)}
    shared: dict[str, Any] = shared_schemas()
    tags = []
    for form in spec.forms:
        builder = FormPaths(FormSchemas(spec, portal.form(form.key), apis[form.key], max_page),
                            spec.roles)
        paths.update(builder.paths())
        shared.update(builder.schemas())
        tags.append(builder.tag())
    name = _(str(app.config["APP_NAME"]))  # as the navigation bar names the portal
    return {
        "openapi": VERSION,
        "info": {"title": _("%(app)s API", app=name), "version": "v1",
                 "description": introduction(name, len(spec.forms), max_page, minutes),
                 "x-language": lang,
                 "x-industry": spec.industry or "base",
                 "x-config-fingerprint": spec.fingerprint},
        "servers": [{"url": root or "/"}],
        "security": [{BEARER: []}],
        "tags": [{"name": "security", "description": _("Sign in for a bearer token.")}, *tags],
        "paths": paths,
        "components": {
            "securitySchemes": {BEARER: {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": _("An access token from POST %(login)s (%(minutes)s minutes).",
                                 login=LOGIN, minutes=minutes)}},
            "schemas": shared,
            "responses": shared_responses(),
        },
    }


def document(app: Flask, lang: str, root: str = "") -> dict[str, Any]:
    """The document, built once per app, language and script root."""
    cache = app.extensions.setdefault(CACHE, {})
    if (lang, root) not in cache:
        with force_locale(lang):  # every text in the language of the cache key
            cache[(lang, root)] = build_document(app, lang, root)
    return cache[(lang, root)]  # type: ignore[no-any-return]
