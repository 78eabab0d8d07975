"""/signature/<id>: the PNG of a stored signature, for the record page and the print view.

The signed-in user must be allowed to see the form's records (`show`) and the record the
signature was drawn for must be in their row scope; anything else is a 404, as the record
itself would be. The form API's /api/v1/<form>/<id>/signature/<field> answers the same image
to bearer tokens (app/views/api/endpoints.py)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, redirect
from flask_appbuilder import BaseView, expose
from sqlalchemy import select

from app.db.signatures import Signature
from app.db.users import request_user
from app.portal import portal_of
from app.security.access import current_access, scope_clause
from app.views.guard import INT_MAX


def png_response(signature: Signature) -> Response:
    """The image, never sniffed as anything else (the portal's headers keep it out of
    caches, as every page)."""
    return Response(signature.png, mimetype="image/png", headers={
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f"inline; filename=signature-{signature.id}.png",
    })


def reachable(session: Any, sm: Any, pk: int) -> Signature | None:
    """The signature `pk` if the user may see the record it belongs to, else None."""
    signature = session.get(Signature, pk) if 0 < pk <= INT_MAX else None
    if signature is None or signature.record_id is None:
        return None
    portal = portal_of()
    form = next((f for f in portal.spec.forms if f.key == signature.form), None)
    if form is None or not sm.has_access("can_show", form.view_name):
        return None
    model = portal.model(form.key)
    query = select(model.id).where(model.id == signature.record_id)
    clause = scope_clause(model, form, current_access())
    if clause is not None:
        query = query.where(clause)
    return signature if session.scalar(query) is not None else None


class SignatureView(BaseView):
    route_base = "/signature"
    default_view = "image"

    @expose("/<int:pk>")
    def image(self, pk: int) -> Any:
        if request_user() is None:
            return redirect(self.appbuilder.get_url_for_login)
        signature = reachable(self.appbuilder.session, self.appbuilder.sm, pk)
        if signature is None:
            abort(404)
        return png_response(signature)


def register_signature_view(appbuilder: Any) -> None:
    appbuilder.add_view_no_menu(SignatureView)
