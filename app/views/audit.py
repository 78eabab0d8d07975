"""The auditor's screens (审计 menu): the audit log with filters, an event's details, a
record's history, a user's activity, CSV export and the hash-chain check.

Read-only by construction: only list, show and the pages below are routed, so FAB registers
no add, edit or delete permission for them (`include_route_methods`). Roles reach them with
`audit: true` in roles.yaml (app/security/permissions.py AUDIT_PAIRS); admins have them anyway.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, abort, request, url_for
from flask_appbuilder import ModelView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_appbuilder.urltools import get_filter_args, get_order_args
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from app.audit import log as audit
from app.audit.log import AuditEvent
from app.fieldtypes.forms import LocalDateTimeField
from app.fieldtypes.spreadsheet import to_csv_cell
from app.portal import portal_of
from app.security.access import current_access
from app.security.permissions import AUDIT_MENU, AUDIT_VIEW
from app.views.audit_details import (
    ACTIONS,
    OUTCOMES,
    TABLES,
    action_label,
    details_text,
    form_label,
    masked_details,
    outcome_label,
    parse_details,
    sections,
)
from app.views.audit_names import record_names, record_title
from app.views.audit_verify import verdict_text
from app.views.cells import every_cell

EXPORT_LIMIT = 100_000
PAGE = 100  # events per page of a record's history and a user's activity
LABELS = {
    "id": _l("No."), "seq": _l("Sequence"), "at": _l("Time"), "user_id": _l("User id"),
    "username": _l("User"), "roles": _l("Roles"), "ip": _l("IP address"),
    "user_agent": _l("Browser"), "action": _l("Action"), "form": _l("Form or table"),
    "record_id": _l("Record"), "outcome": _l("Outcome"), "details": _l("Details"),
    "prev_hash": _l("Previous hash"), "hash": _l("Hash"),
}
CSV_COLUMNS = ("id", "seq", "at", "username", "user_id", "roles", "ip", "user_agent",
               "action", "form", "record_id", "outcome", "details")
SELECTS = ("action", "form", "outcome")  # searched by exact value, offered as labels


def _spec() -> Any:
    return portal_of().spec


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _roles(value: Any) -> str:
    labels = {r.key: r.label.get() for r in _spec().roles}
    return "、".join(labels.get(k, k) for k in (value or "").split(",") if k)


def user_link(event: Any) -> Any:
    if not event.username or event.user_id is None:
        return event.username or ""
    return Markup('<a href="{0}">{1}</a>').format(
        url_for(f"{AUDIT_VIEW}.activity", user_id=event.user_id), event.username)


def record_link(event: Any) -> Any:
    if not event.form or not event.record_id:
        return event.record_id or ""
    return Markup('<a href="{0}">{1}</a>').format(
        url_for(f"{AUDIT_VIEW}.timeline", form=event.form, record_id=event.record_id),
        event.record_id)


class AuditInterface(SQLAInterface):
    """The user links to their activity, the record id to the record's history."""

    def _get_attr_value(self, item: Any, col: str) -> Any:
        if col == "username":
            return user_link(item)
        if col == "record_id":
            return record_link(item)
        return super()._get_attr_value(item, col)


def _select(column: str) -> SelectField:
    def choices() -> list[SelectChoice]:
        if column == "action":
            return [SelectChoice(k, str(v)) for k, v in ACTIONS.items()]
        if column == "outcome":
            return [SelectChoice(k, str(v)) for k, v in OUTCOMES.items()]
        forms = [SelectChoice(f.key, f.label.get()) for f in _spec().forms]
        return forms + [SelectChoice(k, str(v)) for k, v in TABLES.items()]

    return SelectField(label=LABELS[column], choices=choices, validators=[Optional()])


class AuditEventView(ModelView):
    datamodel = AuditInterface(AuditEvent)
    route_base = "/audit"
    include_route_methods = {"list", "show", "timeline", "activity", "export", "verify"}
    base_permissions = ["can_list", "can_show", "can_export", "can_verify"]
    list_template = "portal/audit_list.html"
    show_template = "portal/audit_show.html"
    list_title = show_title = _l("Audit log")
    list_columns = ["at", "username", "roles", "ip", "action", "form", "record_id", "outcome"]
    show_columns = ["id", "seq", "at", "username", "user_id", "roles", "ip", "user_agent",
                    "action", "form", "record_id", "outcome", "prev_hash", "hash"]
    search_columns = ["username", "action", "form", "record_id", "outcome", "at", "ip"]
    order_columns = ["at", "username", "ip", "action", "form", "record_id", "outcome"]
    base_order = ("seq", "desc")
    page_size = 50
    label_columns = LABELS
    formatters_columns = every_cell({"at": _when, "roles": _roles, "action": action_label,
                                     "outcome": outcome_label,
                                     "form": lambda key: form_label(_spec(), key)},
                                    list_columns + show_columns)  # "—" for no value
    search_form_extra_fields = {**{c: _select(c) for c in SELECTS},
                                "at": LocalDateTimeField(LABELS["at"], validators=[Optional()])}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # A select of labels: the exact value, or anything but it. FAB reads the filter
        # index of a URL in _all_filters and offers _search_filters: both must agree.
        for column in SELECTS:
            kept = [f for f in self._filters._search_filters[column]
                    if type(f) in (FilterEqual, FilterNotEqual)]
            self._filters._search_filters[column] = kept
            self._filters._all_filters[column] = kept

    def event_details(self, event: Any) -> list:
        spec = _spec()
        shown = masked_details(spec, event.form, parse_details(event.details),
                               current_access())
        return sections(spec, event.form, shown, record_names())

    def formats(self) -> dict[str, Any]:
        """How the history and activity pages show an event's columns."""
        return {"when": _when, "user": user_link, "record": record_link,
                "action": action_label, "outcome": outcome_label,
                "form": lambda key: form_label(_spec(), key), "details": self.event_details}

    @expose("/show/<pk>")
    @has_access
    def show(self, pk: Any) -> Any:
        event = self.datamodel.get(pk, self._base_filters)
        if event is None:
            abort(404)
        widgets = self._show(pk)
        return self.render_template(self.show_template, pk=pk, title=self.show_title,
                                    widgets=widgets, event=event,
                                    sections=self.event_details(event))

    def _events(self, where: Any, order: Any) -> tuple[list, int, int]:
        """One page (?p=, from 0) of the events matching `where`, and the total."""
        session = self.appbuilder.session
        total = session.scalar(select(func.count()).select_from(AuditEvent).where(where))
        pages = max(1, -(-int(total or 0) // PAGE))
        page = request.args.get("p", "0")
        page_no = int(page) if page.isascii() and page.isdigit() and int(page) < pages else 0
        events = session.scalars(select(AuditEvent).where(where).order_by(order)
                                 .offset(page_no * PAGE).limit(PAGE)).all()
        return list(events), page_no, pages

    @expose("/timeline/<form>/<record_id>")
    @has_access
    @permission_name("list")
    def timeline(self, form: str, record_id: str) -> Any:
        """Everything that happened to one record, oldest first."""
        if "\x00" in form + record_id:  # no column holds it (PostgreSQL refuses to compare)
            abort(404)
        events, page, pages = self._events(
            (AuditEvent.form == form) & (AuditEvent.record_id == record_id), AuditEvent.seq)
        title = _l("History of %(form)s %(record)s", form=form_label(_spec(), form),
                   record=record_title(_spec(), form, record_id))
        return self.render_template("portal/audit_events.html", title=title, page=page,
                                    pages=pages, events=events, with_record=False,
                                    fmt=self.formats())

    @expose("/user/<int(max=2147483647):user_id>")  # an INTEGER id, else 404
    @has_access
    @permission_name("list")
    def activity(self, user_id: int) -> Any:
        """What one user did, newest first."""
        events, page, pages = self._events(AuditEvent.user_id == user_id,
                                           AuditEvent.seq.desc())
        user = self.appbuilder.sm.get_user_by_id(user_id)
        name = user.username if user else (events[0].username if events else str(user_id))
        return self.render_template("portal/audit_events.html",
                                    title=_l("Activity of %(user)s", user=name), page=page,
                                    pages=pages, events=events, with_record=True,
                                    fmt=self.formats())

    @expose("/export/")
    @has_access
    def export(self) -> Response:
        """The filtered list (same filters and order) as CSV, masked like the screens; the
        export itself is an audit event."""
        get_filter_args(self._filters)
        order_column, direction = get_order_args().get(self.__class__.__name__, ("", ""))
        if order_column not in self.order_columns:
            order_column, direction = self.base_order
        count, rows = self.datamodel.query(
            self._filters.get_joined_filters(self._base_filters), order_column, direction,
            page=None, page_size=EXPORT_LIMIT)
        spec, access = _spec(), current_access()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([to_csv_cell(str(LABELS[c])) for c in CSV_COLUMNS])
        names = record_names()
        for event in rows:
            shown = masked_details(spec, event.form, parse_details(event.details), access)
            # User-Agent, user names, record ids and details are whatever a client sent:
            # every text cell is neutralised against spreadsheet formulas (ids stay numbers).
            writer.writerow([to_csv_cell(cell) for cell in (
                event.id, event.seq, _when(event.at), event.username, event.user_id,
                _roles(event.roles), event.ip, event.user_agent, action_label(event.action),
                form_label(spec, event.form), event.record_id,
                outcome_label(event.outcome), details_text(spec, event.form, shown, names))])
        filters = [[flt.column_name, str(flt.name), value]  # as the access log has them
                   for flt, values in self._filters.get_filters_values()
                   for value in (values if isinstance(values, list) else [values])]
        details: dict[str, Any] = {"rows": len(rows), "filters": filters}
        if count > len(rows):
            details["truncated"] = True
        session = self.appbuilder.session
        audit.record(session, "export", form="portal_audit_event", details=details)
        session.commit()
        return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=audit_log.csv"})

    @expose("/verify/")
    @has_access
    def verify(self) -> Any:
        """Walk the hash chain of the live database and say whether it is intact."""
        with self.appbuilder.session.get_bind().connect() as conn:
            verdict = audit.verify(conn)
        return self.render_template("portal/audit_verify.html", verdict=verdict,
                                    message=verdict_text(verdict),
                                    title=_l("Verify the audit log"))


def register_audit_views(appbuilder: Any) -> None:
    """The 审计 menu: the log, and the chain check."""
    appbuilder.add_view(AuditEventView, "audit_log", icon="fa-history", label=_l("Audit log"),
                        category=AUDIT_MENU, category_icon="fa-shield",
                        category_label=_l("Audit"))
    appbuilder.add_link("audit_verify", href=f"{AUDIT_VIEW}.verify", icon="fa-check-circle",
                        label=_l("Verify the audit log"), category=AUDIT_MENU)
