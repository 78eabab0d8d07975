"""The home page: what the signed-in user can open, grouped like the menu."""

from __future__ import annotations

from flask_appbuilder import IndexView, expose

from app.portal import portal_of
from app.spec import forms_in_menu_order


class PortalIndexView(IndexView):
    index_template = "portal/index.html"

    @expose("/")
    def index(self) -> str:
        spec = portal_of().spec
        sm = self.appbuilder.sm
        groups = []
        for category in spec.categories:
            forms = [f for f in forms_in_menu_order(spec, category.key)
                     if sm.has_access("can_list", f.view_name)]
            if forms:
                groups.append((category, forms))
        return self.render_template(self.index_template, groups=groups, spec=spec,
                                    appbuilder=self.appbuilder)
