"""Dashboards (看板): the KPI pages declared in config/dashboards/, at /dashboard/<key>/.

Each figure is counted in the database within the viewer's row scope (app/reports/), kept for
a minute per (dashboard, period, language, scope), and links to the list of exactly the
records it counted (the list's DrillFilter). Charts are drawn by ECharts, served from the
portal's own static files (app/static/vendor/echarts/), by app/static/portal/dashboard.js.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from flask import abort, current_app, flash, g, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import lazy_gettext as _l
from sqlalchemy import false

from app.audit import log as audit
from app.fieldtypes.forms import lazy
from app.portal import Portal, portal_of
from app.reports.alerts import Alert, alert_records
from app.reports.cache import FigureCache
from app.reports.dashboard import Figure, Viewer, group_labels, run_dashboard, widget_query
from app.reports.drill import DrillError, drill_args, parse_drill
from app.reports.periods import Period, PeriodError, parse_period, period_of
from app.reports.words import figure_change, figure_text, unit_of
from app.security.access import current_access, scope_clause
from app.sla.deadlines import now
from app.spec import DashboardSpec, FieldSpec, Label, current_lang
from app.views.alerts import alert_name, user_roles

FILTER = "f_"  # f_<field>=<choice>: a dashboard's filter in its URL and drill-down links
MENU = "Dashboards"  # the 看板 menu category (capitalised: no YAML category key can take it)
VIEW = "DashboardView"


def menu_name(board: DashboardSpec) -> str:
    """The menu item (and menu_access permission) of one dashboard."""
    return f"dashboard_{board.key}"


def may_see(board: DashboardSpec) -> bool:
    sm = current_app.appbuilder.sm  # type: ignore[attr-defined]
    return bool(sm.has_access("menu_access", menu_name(board)))


def viewer(filters: dict[str, str] | None = None) -> Viewer:
    sm, spec = current_app.appbuilder.sm, portal_of().spec  # type: ignore[attr-defined]
    access = current_access()
    forms = {f.key for f in spec.forms if sm.has_access("can_list", f.view_name)}
    return Viewer(forms, lambda key, model: scope_clause(model, spec.form(key), access),
                  dict(filters or {}))


def filter_fields(portal: Portal, board: DashboardSpec) -> list[FieldSpec]:
    """The choice fields a dashboard offers as filters (from the first form having each)."""
    out = []
    for key in board.filters:
        for form in map(portal.spec.form, dict.fromkeys(w.form for w in board.widgets)):
            if key in {f.key for f in form.fields}:
                out.append(form.field(key))
                break
    return out


def chosen_filters(portal: Portal, board: DashboardSpec, args: Any) -> tuple[dict[str, str],
                                                                              list[str]]:
    """The filter values the URL chooses (f_<field>=<choice>), and the ones it cannot."""
    chosen, bad = {}, []
    for field in filter_fields(portal, board):
        value = (args.get(FILTER + field.key) or "").strip()
        if not value:
            continue
        if value in {c.value for c in field.choices}:
            chosen[field.key] = value
        else:
            bad.append(Label(f"“{value[:20]}”不是{field.label.zh}的选项，已忽略",
                             f"'{value[:20]}' is not a choice of {field.label.en}; "
                             "ignored").get(current_lang()))
    return chosen, bad


def navigation(period: Period, keep: dict[str, str]) -> dict[str, dict[str, str]]:
    """The period bar's links (day / week / month around the period, the previous and the
    next one), keeping the filters chosen."""
    at = {"at": period.start.isoformat()}
    return {**{kind: {"period": kind, **at, **keep} for kind in ("day", "week", "month")},
            "previous": {**period.previous().args(), **keep},
            "next": {**period.next().args(), **keep}}


def filter_args(filters: dict[str, str]) -> dict[str, str]:
    return {FILTER + k: v for k, v in sorted(filters.items())}


def scope_key(portal: Portal, board: DashboardSpec) -> str:
    """Whose figures these are: 'all' when the viewer reaches every record of every form
    the dashboard counts (managers share one cached page), else the user's own."""
    access = current_access()
    forms = {w.form for w in board.widgets}
    if all(access.scope(f) == "all" for f in forms):
        return "all:" + hashlib.sha1(",".join(sorted(viewer().forms)).encode()).hexdigest()[:8]
    return f"user:{access.user_id}"


def board_and_period(key: str) -> tuple[Portal, DashboardSpec, Period]:
    """The dashboard a page names (404 when the user may not see it) and the period its
    URL asks for (the default one, with the reason said, when it cannot be read)."""
    portal = portal_of()
    board = portal.spec.dashboard(key)
    if board is None or not may_see(board):
        abort(404)
    today = now().date()
    try:
        return portal, board, parse_period(request.args, board.period, today)
    except PeriodError as exc:
        flash(exc.message(current_lang()), "warning")
        return portal, board, period_of(board.period, today)


class DashboardView(BaseView):
    route_base = "/dashboard"
    default_view = "show"

    @expose("/<key>/")
    @has_access
    @permission_name("show")
    def show(self, key: str) -> Any:
        portal, board, period = board_and_period(key)
        filters, bad = chosen_filters(portal, board, request.args)
        for message in bad:
            flash(message, "warning")
        data = dashboard_data(portal, board, period, filters)
        session = self.appbuilder.session
        audit.record(session, "report", details={
            "dashboard": board.key, "period": period.span(),
            "figures": len(data["tiles"]) + len(data["widgets"])})
        session.commit()
        return self.render_template(
            "portal/dashboard.html", board=board, period=period, data=data,
            kinds=[("day", _l("Day")), ("week", _l("Week")), ("month", _l("Month"))],
            filters=filter_fields(portal, board), chosen=filters,
            keep=filter_args(filters), nav=navigation(period, filter_args(filters)))


def dashboard_data(portal: Portal, board: DashboardSpec, period: Period,
                   filters: dict[str, str] | None = None) -> dict[str, Any]:
    """The page's figures for the request's user: from the short cache, or counted now."""
    lang, filters = current_lang(), filters or {}
    cache: FigureCache = current_app.extensions["portal_dashboard_cache"]
    cache_key = ":".join((portal.spec.fingerprint, board.key, lang, period.kind,
                          period.start.isoformat(), period.end.isoformat(),
                          scope_key(portal, board), urlencode(filter_args(filters))))
    data = cache.get(cache_key)
    if data is None:
        session = current_app.appbuilder.session  # type: ignore[attr-defined]
        figures = run_dashboard(session, portal, board, period, viewer(filters), now(), lang)
        data = page_data(portal, board, period, figures, lang, filters)
        cache.put(cache_key, data)
    return data


def home_dashboard(portal: Portal) -> tuple[DashboardSpec, Period, dict[str, Any]] | None:
    """The first dashboard the user sees, in its default period: the home page's figures."""
    for board in sorted(portal.spec.dashboards, key=lambda b: (b.order, b.key)):
        if may_see(board):
            period = period_of(board.period, now().date())
            return board, period, dashboard_data(portal, board, period)
    return None


def page_data(portal: Portal, board: DashboardSpec, period: Period, figures: list[Figure],
              lang: str, filters: dict[str, str] | None = None) -> dict[str, Any]:
    """What the page shows, as plain values (cached as JSON; the charts read it)."""
    tiles, charts = [], []
    keep = filter_args(filters or {})
    for fig in figures:
        w = fig.widget
        form = portal.spec.form(w.form)
        unit = unit_of(w, form).get(lang)
        list_url = url_for(f"{form.view_name}.list")
        link = f"{list_url}?{urlencode({**drill_args(board, w, period), **keep})}"
        if w.group_by is None:
            tiles.append({"key": w.key, "label": w.label.get(lang), "unit": unit,
                          "size": w.size, "help": w.help.get(lang) if w.help else "",
                          "text": figure_text(fig.value, w, form, lang), "value": fig.value,
                          "previous": fig.previous, "link": link, "count": fig.count,
                          "hits": fig.hits, **figure_change(fig, lang),
                          "previous_text": figure_text(fig.previous, w, form, lang)
                          if w.compare and w.period else ""})
            continue
        s = fig.series
        assert s is not None
        charts.append({
            "key": w.key, "title": w.label.get(lang), "chart": w.chart, "unit": unit,
            "size": w.size, "help": w.help.get(lang) if w.help else "",
            "labels": s.labels, "values": s.values, "previous": s.previous,
            "current_label": Label("本期", "This period").get(lang),
            "previous_label": Label("上期", "Previous period").get(lang),
            "links": [f"{list_url}?{urlencode({**drill_args(board, w, period, True, k), **keep})}"
                      for k in s.keys]})
    return {"lang": lang, "tiles": tiles, "widgets": charts}


class DrillFilter(BaseFilter):
    """A list's base filter: with `_drill=…` in the URL, only the records the dashboard's
    figure counted (the list's own row scope applies too); a bad link shows none, and says
    why above the list."""

    name = "dashboard drill-down"
    arg_name = "drill"

    def apply(self, query: Any, value: Any) -> Any:
        if request and "_alert" in request.args:
            return alert_filter(query, value)
        if not request or "_drill" not in request.args:
            return query
        portal, form = portal_of(), value
        try:
            drill = parse_drill(portal.spec, form.key, request.args, now().date())
            if drill is not None and not may_see(drill.board):
                raise DrillError("看板链接无效：找不到对应的统计项",
                                 "the dashboard link names no figure of this list")
        except DrillError as exc:
            g.portal_drill = {"error": exc.message(current_lang())}
            return query.filter(false())
        if drill is None:
            return query
        session = current_app.appbuilder.session  # type: ignore[attr-defined]
        filters, bad = chosen_filters(portal, drill.board, request.args)
        if bad:
            g.portal_drill = {"error": bad[0]}
            return query.filter(false())
        wq = widget_query(session, portal, drill.widget,
                          Viewer({form.key}, lambda *_: None, filters), now())
        g.portal_drill = drill_banner(portal, drill, filters)
        return query.filter(wq.drill(drill.period, drill.key, drill.grouped))


def alert_filter(query: Any, form: Any) -> Any:
    """`_alert=<id>`: the records a quality alert counted, for the roles its rule names."""
    portal, lang = portal_of(), current_lang()
    session = current_app.appbuilder.session  # type: ignore[attr-defined]
    text = request.args.get("_alert", "")
    alert = session.get(Alert, int(text)) if text.isdigit() and len(text) < 10 else None
    rule = portal.spec.alert(alert.rule) if alert is not None else None
    roles, admin = user_roles(portal)
    if alert is None or rule is None or rule.form != form.key or not (
            admin or roles & set(rule.roles)):
        g.portal_drill = {"error": Label("预警链接无效：找不到该质量预警",
                                         "the alert link names no quality alert").get(lang)}
        return query.filter(false())
    window = f"{alert.window_start:%Y-%m-%d %H:%M} – " if alert.window_start else ""
    g.portal_drill = {
        "text": " · ".join((rule.label.get(lang), alert_name(session, portal, rule, alert),
                            f"{window}{alert.window_end:%Y-%m-%d %H:%M}")),
        "board_url": url_for("MyWorkView.list"), "back_label": _l("My work"),
        "clear_url": url_for(request.endpoint or "")}
    dialect = session.get_bind().dialect.name
    return query.filter(alert_records(portal, rule, alert, dialect))


def drill_banner(portal: Portal, drill: Any, filters: dict[str, str]) -> dict[str, str]:
    lang = current_lang()
    parts = [drill.board.label.get(lang), drill.widget.label.get(lang)]
    if drill.period is not None:
        parts.append(drill.period.label(lang))
    if drill.grouped:
        session = current_app.appbuilder.session  # type: ignore[attr-defined]
        parts.append(group_labels(session, portal, drill.widget, [drill.key], lang)[0])
    for field in filter_fields(portal, drill.board):
        if field.key in filters:
            chosen = field.choice_label(filters[field.key], lang)
            parts.append(Label("{}：{}", "{}: {}").get(lang).format(field.label.get(lang),
                                                                    chosen))
    period: dict[str, Any] = drill.period.args() if drill.period else {}
    period.update(filter_args(filters))
    kept: dict[str, Any] = {k: v for k, v in request.args.items()
                            if not k.startswith(("_", FILTER))
                            and k not in ("period", "at", "from", "to")}
    return {"text": " · ".join(parts),
            "board_url": url_for(f"{VIEW}.show", key=drill.board.key, **period),
            "clear_url": url_for(request.endpoint or "", **kept)}


def register_dashboard_views(appbuilder: Any, portal: Portal) -> None:
    """The 看板 menu: one item per dashboard, in `order`."""
    app = current_app
    app.extensions["portal_dashboard_cache"] = FigureCache(
        int(app.config.get("PORTAL_DASHBOARD_CACHE_SECONDS", 60)), app.config.get("REDIS_URL"))
    appbuilder.add_view_no_menu(DashboardView)
    for board in sorted(portal.spec.dashboards, key=lambda b: (b.order, b.key)):
        appbuilder.add_link(menu_name(board), href=f"/dashboard/{board.key}/",
                            icon="fa-bar-chart", label=lazy(board.label), category=MENU,
                            category_icon="fa-dashboard", category_label=_l("Dashboards"))
    menu = appbuilder.menu.menu  # 看板 right after 我的待办
    at = next((i for i, m in enumerate(menu) if m.name == MENU), None)
    if at is not None:
        menu.insert(1, menu.pop(at))
