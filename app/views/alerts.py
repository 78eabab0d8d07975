"""Quality alerts in 我的待办 (质量预警): the open alerts of the rules naming one of the user's
roles (or a role they inherit from), each linking to the list of the records it counted."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import Session

from app.portal import Portal
from app.reports.alerts import Alert, group_value, open_alerts
from app.reports.dashboard import group_labels
from app.security.access import current_access, request_user
from app.sla.deadlines import now
from app.spec import AlertSpec, WidgetSpec, current_lang

ALERT_ARG = "_alert"


def user_roles(portal: Portal) -> tuple[set[str], bool]:
    """The role keys the user holds or inherits, and whether one is an admin role."""
    names = {r.name for r in getattr(request_user(), "roles", []) or []}
    roles = [r for r in portal.spec.roles if r.key in names]
    return {k for r in roles for k in (r.key, *r.ancestors)}, current_access().admin


def visible_alerts(session: Session, portal: Portal) -> list[tuple[AlertSpec, Alert]]:
    roles, admin = user_roles(portal)
    if not roles and not admin:
        return []
    return open_alerts(session, portal, roles, admin, now())


def alert_name(session: Session, portal: Portal, rule: AlertSpec, alert: Alert) -> str:
    widget = WidgetSpec(rule.key, rule.label, rule.form, group_by=rule.group_by, chart="bar")
    key = group_value(portal, rule, alert.group_key)
    return group_labels(session, portal, widget, [key], current_lang())[0]


def alert_rows(session: Session, portal: Portal) -> list[dict[str, Any]]:
    rows = []
    for rule, alert in visible_alerts(session, portal):
        form = portal.spec.form(rule.form)
        name = _("%(group)s: %(count)s records", group=alert_name(session, portal, rule,
                                                                   alert), count=alert.count)
        rows.append({
            "form": form.key, "form_label": rule.label.get(), "id": alert.id, "name": name,
            "url": url_for(f"{form.view_name}.list") + "?" + urlencode({ALERT_ARG: alert.id}),
            "state": Markup('<span class="label label-danger portal-alert">{0}</span>').format(
                _("Quality alert")),
            "due": _("raised %(at)s", at=f"{alert.raised_on:%Y-%m-%d %H:%M}"), "actions": [],
            "help": rule.help.get() if rule.help else ""})
    return rows
