"""The parts of the document every form shares: the bearer login, the error answers (each
4xx the code returns, with its shape), what `_info` describes a field with, and the text that
explains the API as a whole."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _

from app.i18n import request_language

LOGIN = "/api/v1/security/login"
BEARER = "bearerAuth"
JSON = "application/json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


STRINGS = {"type": "array", "items": {"type": "string"}}


def joined(items: Iterable[str], strong: bool = False) -> str:
    """A list in a sentence of the document's language: `a, b` or `a、b` (strong: `a; b` or
    `a；b`, between items that hold commas themselves)."""
    if request_language() == "zh":
        return ("；" if strong else "、").join(items)
    return ("; " if strong else ", ").join(items)


def codes(keys: Iterable[str]) -> str:
    """Identifiers (role keys, field keys) as code spans, in a list."""
    return joined(f"`{k}`" for k in keys)


def shared_schemas() -> dict[str, Any]:
    """The shared schemas, in the language in force."""
    field_errors = {"type": "object", "additionalProperties": STRINGS,
                    "description": _("Field key → its messages (a key that is no field: "
                                     "\"%(unknown)s\").", unknown=_("Unknown field.")),
                    "example": {"description": [_("Enter at least %(min)d characters.",
                                                  min=5)]}}
    return {
        "Message": {"type": "object", "required": ["message"], "additionalProperties": False,
                    "properties": {"message": {"type": "string"}},
                    "description": _("A refusal or a confirmation, in the request's language.")},
        "ValidationError": {
            "type": "object", "required": ["message"], "additionalProperties": False,
            "description": _("400: either one message (a bad `q`, a body that is no JSON "
                             "object, a transition that does not apply) or every field's "
                             "messages at once (nothing was stored)."),
            "properties": {"message": {"oneOf": [{"type": "string"}, field_errors]}}},
        "FieldInfo": {
            "type": "object", "additionalProperties": False,
            "required": ["name", "label", "type", "required", "sensitive"],
            "description": _("A field as `_info` describes it (the same rules as this "
                             "document)."),
            "properties": {
                "name": {"type": "string"}, "label": {"type": "string"},
                "type": {"type": "string"}, "required": {"type": "boolean"},
                "sensitive": {"type": "boolean"}, "description": {"type": "string"},
                "min_length": {"type": "integer"}, "max_length": {"type": "integer"},
                "min": {"type": "number"}, "max": {"type": "number"},
                "pattern": {"type": "string"}, "form": {"type": "string"},
                "scale": {"type": "integer"},
                "choices": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"value": {"type": "string"},
                                   "label": {"type": "string"}}}},
                "readonly": {"type": "boolean",
                             "description": _("edit_columns: your role may not change it.")}}},
        "Login": {
            "type": "object", "required": ["username", "password", "provider"],
            "properties": {
                "username": {"type": "string", "minLength": 1, "example": "staff"},
                "password": {"type": "string", "minLength": 1, "format": "password"},
                "provider": {"type": "string", "enum": ["db"],
                             "description": _("The portal's own user database.")},
                "refresh": {"type": "boolean",
                            "description": _("Ignored: the portal issues no refresh tokens "
                                             "(there is no /api/v1/security/refresh); sign in "
                                             "again when the access token expires.")}}},
        "Token": {"type": "object", "required": ["access_token"], "additionalProperties": False,
                  "properties": {"access_token": {
                      "type": "string",
                      "description": _("A JWT: send it as `Authorization: Bearer <token>`.")}}},
    }


def shared_responses() -> dict[str, Any]:
    """The shared error answers, in the language in force."""
    retry = {"Retry-After": {"schema": {"type": "integer"}}}
    return {
        "BadRequest": answer(_("Not valid: the messages say what to change; nothing was "
                               "changed."), ref("ValidationError")),
        "Unauthorized": answer(_("No token, or one that is invalid or expired: sign in at "
                                 "%(login)s.", login=LOGIN), ref("Message")),
        "Forbidden": answer(_("Your roles lack the permission this operation needs (see "
                              "x-permission), or may not fire this transition."),
                            ref("Message")),
        "NotFound": answer(_("No such record, or not within your row scope (the same answer, "
                             "so that ids outside it tell nothing)."), ref("Message")),
        "Conflict": answer(_("Not done: the record changed since you read it (`version`), is "
                             "in a locked workflow state, is still referred to by other "
                             "records, or a unique value is taken."), ref("Message")),
        "Unprocessable": answer(_("The database refused the change for another reason; "
                                  "nothing was changed."), ref("Message")),
        "TooManyRequests": {**answer(_("Too many sign-in attempts for this user name or "
                                       "address; wait `Retry-After` seconds."),
                                     ref("Message")), "headers": retry},
        "Unavailable": {**answer(_("The database is out of reach for a moment; try again "
                                   "after `Retry-After` seconds."), ref("Message")),
                        "headers": retry},
    }


def refs(*codes_and_names: tuple[int, str]) -> dict[str, Any]:
    return {str(code): {"$ref": f"#/components/responses/{name}"}
            for code, name in codes_and_names}


def login_path(minutes: int) -> dict[str, Any]:
    return {"post": {
        "tags": ["security"], "operationId": "securityLogin", "security": [],
        "summary": _("Sign in: a bearer token"),
        "description": _("Exchanges a user name and password for an access token valid for "
                         "%(minutes)s minutes (JWT). Sign-in attempts are throttled per user "
                         "name and per address (429), audited, and refused for disabled users "
                         "with the same 401 as a wrong password.", minutes=minutes),
        "requestBody": {"required": True, "content": {JSON: {"schema": ref("Login")}}},
        "responses": {"200": answer(_("Signed in."), ref("Token")),
                      **refs((400, "BadRequest"), (401, "Unauthorized"),
                             (429, "TooManyRequests"), (503, "Unavailable"))}}}


def introduction(app_name: str, forms: int, max_page: int, minutes: int) -> str:
    """info.description: a paragraph per subject (Markdown), each a message of its own."""
    return "\n\n".join((
        _("The REST API of %(app)s: one API per form (%(forms)s in this portal) at "
          "`/api/v1/<form>/`, generated from the YAML like the screens, with the screens' "
          "rules.", app=app_name, forms=forms),
        _("**Sign in**: `POST %(login)s` with a user name and password gives an access token "
          "for %(minutes)s minutes; send it as `Authorization: Bearer <token>`. The browser's "
          "session cookie is not accepted by the form APIs. There is no refresh token: sign in "
          "again.", login=LOGIN, minutes=minutes),
        _("**Permissions**: the screens' own. Each operation names the permission it needs in "
          "`x-permission` (e.g. `can_list` on `ComplaintView`, granted by `list` on "
          "`complaint` in roles.yaml) and the roles of this portal that have it; without it: "
          "403. Records outside your row scope (own / team / all) are absent from lists and "
          "counts and answer 404. This is one document of the whole API, the same for every "
          "user (it holds the structure, never a record); what you may do is what your roles "
          "grant."),
        _("**Language**: messages and labels follow `Accept-Language` (`zh` or `en`), or "
          "`?_l_=en`."),
        _("**Lists**: the `q` parameter is a Rison or JSON object (`q=(page:0,page_size:20)` "
          "or `q={\"page\":0,\"page_size\":20}`): `columns`, `keys`, `filters` "
          "(`[(col:…,opr:…,value:…)]`), `order_column`, `order_direction`, `page` (from 0) and "
          "`page_size` (at most %(max_page)s); a list pages through its first 10,000 records "
          "(then filter). Anything else is a 400 that says what is wrong.", max_page=max_page),
        _("**Writes** use the screens' form fields: required fields, lengths, ranges, "
          "patterns, choices, references within your scope, unique values; the user's "
          "read-only fields; `version` to refuse a lost update (409). A record in a locked "
          "workflow state changes only through its transitions. Sensitive fields are masked "
          "unless your role may reveal them (audited)."),
        _("**Errors** are JSON `{\"message\": …}`: a text, or for a 400 about fields an object "
          "of field → messages. 401 sign in, 403 not allowed, 404 not found or outside your "
          "scope, 409 conflict, 422 refused by the database, 429 too many sign-ins, 503 "
          "database unavailable (retry)."),
    ))
