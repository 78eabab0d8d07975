"""/search/?q=: the navigation bar's quick search (app/records/search.py) over the forms the
signed-in user may list, each match linking to its record page. Every search is audited."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _

from app.audit import log as audit
from app.db.users import request_user
from app.portal import portal_of
from app.records.lookup import MAX_TEXT
from app.records.search import PER_FORM, quick_search
from app.spec import forms_in_menu_order


class QuickSearchView(BaseView):
    route_base = "/search"
    default_view = "search"

    @expose("/")
    def search(self) -> Any:
        if request_user() is None:
            return redirect(url_for(self.appbuilder.sm.auth_view.endpoint + ".login",
                                    next=request.full_path))
        text = request.args.get("q", "").strip()
        if len(text) > MAX_TEXT:
            abort(400, _("The search text is too long (at most %(n)d characters).",
                         n=MAX_TEXT))
        sm = self.appbuilder.sm
        spec = portal_of().spec
        forms = [f for c in spec.categories for f in forms_in_menu_order(spec, c.key)
                 if sm.has_access("can_list", f.view_name)]
        results = quick_search(text, forms) if text else []
        page = self.render_template("portal/search.html", text=text, results=results,
                                    per_form=PER_FORM, searched=len(forms))
        if text:  # after rendering: the commit would expire what the page still reads
            session = self.appbuilder.session
            audit.record(session, "search", details={
                "q": text, "rows": sum(len(r.hits) for r in results)})
            session.commit()
        return page


def register_search_view(appbuilder: Any) -> None:
    appbuilder.add_view_no_menu(QuickSearchView)
