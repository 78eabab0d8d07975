"""The home page: what waits for the signed-in user (我的待办's sections, the first few of
each), the figures of their first dashboard (their own, within their row scope: a staff
member's backlog, a manager's KPIs), then what they can open, grouped like the menu."""

from __future__ import annotations

from flask import g
from flask_appbuilder import IndexView, expose

from app.portal import portal_of
from app.spec import forms_in_menu_order
from app.views.dashboards import home_dashboard
from app.views.mywork import collect

SHOWN = 5  # rows of each 我的待办 section on the home page


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
        waiting = []
        if g.user is not None and g.user.is_authenticated and sm.has_access(
                "can_list", "MyWorkView"):
            waiting = collect(self.appbuilder.session, sm)
        board = home_dashboard(portal_of()) if g.user is not None and \
            g.user.is_authenticated else None
        return self.render_template(self.index_template, groups=groups, spec=spec,
                                    appbuilder=self.appbuilder, waiting=waiting,
                                    total=sum(len(s.rows) for s in waiting), shown=SHOWN,
                                    board=board)
