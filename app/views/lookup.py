"""/lookup/<form>/<field>: what a reference or user select offers as the user types.

GET ?q=<text>&page=<n> answers `{"results": [{"id", "text"}], "more": bool}`, at most 20
matches a page (app/records/lookup.py: row scope of the target form, the field's roles,
masking); GET ?id=<n> answers the one option with that id (the list's search form names an
active filter's record with it), or an empty list. The signed-in user must be allowed to
list, add or edit the form the field is on; every lookup is audited as a search.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.audit import log as audit
from app.db.users import request_user
from app.portal import portal_of
from app.records import lookup
from app.spec import FieldSpec

USES = ("can_list", "can_add", "can_edit")  # the screens a reference select appears on


def _answer(message: str, status: int) -> tuple[Response, int]:
    return jsonify(message=message), status


def allowed_field(sm: Any, form_key: str, field_key: str) -> FieldSpec | tuple[Response, int]:
    """The field a lookup names, or the answer refusing it."""
    user = request_user()
    if user is None or not getattr(user, "is_authenticated", False):
        return _answer(_("Please sign in."), 401)
    spec = portal_of().spec
    form = next((f for f in spec.forms if f.key == form_key), None)
    field = next((f for f in form.fields if f.key == field_key), None) if form else None
    if form is None or field is None or not field.stores_id:
        return _answer(_("No such reference field."), 404)
    if not any(sm.has_access(permission, form.view_name) for permission in USES):
        return _answer(_("Access is Denied"), 403)
    return field


def _page() -> int | None:
    raw = request.args.get("page", "1")
    ok = raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= lookup.MAX_PAGES
    return int(raw) if ok else None


class LookupView(BaseView):
    route_base = "/lookup"
    default_view = "lookup"

    @expose("/<form_key>/<field_key>")
    def lookup(self, form_key: str, field_key: str) -> Any:
        found = allowed_field(self.appbuilder.sm, form_key, field_key)
        if not isinstance(found, FieldSpec):
            return found
        field = found
        text = request.args.get("q", "")
        page = _page()
        if len(text) > lookup.MAX_TEXT:
            return _answer(_("The search text is too long (at most %(n)d characters).",
                             n=lookup.MAX_TEXT), 400)
        if page is None:
            return _answer(_("The page must be a whole number from 1 to %(max)d.",
                             max=lookup.MAX_PAGES), 400)
        if "id" in request.args:
            row = lookup.fetch(field, request.args["id"])
            options, more = ([lookup.option(field, row)] if row is not None else []), False
        else:
            options, more = lookup.search(field, text, page)
        answer = jsonify(results=[{"id": o.id, "text": o.text} for o in options], more=more)
        session = self.appbuilder.session
        audit.record(session, "search", form=form_key, details={
            "field": field_key, "q": text, "rows": len(options)})
        session.commit()
        return answer


def register_lookup_view(appbuilder: Any) -> None:
    appbuilder.add_view_no_menu(LookupView)
