"""My work (我的待办): per signed-in user, the records waiting for their action, in one place.

Four sections, each narrowed in SQL first (states the user's roles may act on, row scope,
at most LIMIT candidates per form) and then checked record by record with the workflow
engine's own `offers`, so the page offers exactly what the record pages would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask import Response, jsonify, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.portal import portal_of
from app.records.labels import WORKFLOW_LABELS
from app.security.access import Access, current_access, request_user, scope_clause
from app.sla.deadlines import now, overdue
from app.spec import STATE_COLUMN, FormSpec, TransitionSpec
from app.views.alerts import alert_rows
from app.views.workflow_columns import Deadline, badge, due_cell
from app.workflow.engine import Actor, Offer, actor_for, offers

LIMIT = 200  # candidates checked per form and section
MENU = "my_work"  # the menu item (menu_access permission) every signed-in user has


@dataclass
class Section:
    """One table of the page: its rows, and the forms whose candidates were capped."""

    key: str
    title: str
    empty: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    capped: list[str] = field(default_factory=list)


def _held(form: FormSpec, actor: Actor, approval: bool) -> list[TransitionSpec]:
    """The form's approval (or other) transitions the actor's roles may fire."""
    out = []
    for t in form.workflow.transitions if form.workflow else ():
        if bool(t.approvals) != approval or not actor.holds(t.roles):
            continue
        if t.approvals and t.approver_role and not actor.holds((t.approver_role,)):
            continue
        out.append(t)
    return out


def _sources(transitions: list[TransitionSpec]) -> list[str]:
    return sorted({s for t in transitions for s in t.sources})


def _final(form: FormSpec) -> list[str]:
    return [s.key for s in form.workflow.states if s.final] if form.workflow else []


def _requester(model: Any, form: FormSpec) -> Any:
    key = form.workflow.requester if form.workflow else None
    return getattr(model, form.field(key).column) if key else None


def _not_self(model: Any, form: FormSpec, user_id: int) -> Any:
    """SQL: neither the record's creator nor its requester is the user."""
    columns = [model.created_by_fk] + [c for c in (_requester(model, form),) if c is not None]
    return and_(*[or_(c.is_(None), c != user_id) for c in columns])


def _mine(model: Any, form: FormSpec, user_id: int) -> Any:
    """SQL: the user created the record or is its requester."""
    columns = [model.created_by_fk] + [c for c in (_requester(model, form),) if c is not None]
    return or_(*[c == user_id for c in columns])


def _late(model: Any, at: dt.datetime) -> Any:
    """SQL twin of app.sla.deadlines.overdue (the final-state test is added by the caller)."""
    return or_(and_(model.sla_responded_on.is_(None), model.sla_response_due < at),
               and_(model.sla_resolved_on.is_(None), model.sla_resolution_due < at))


class Collector:
    """Runs the four sections' queries for one user and builds their rows."""

    def __init__(self, session: Session, access: Access, actor: Actor) -> None:
        self.session, self.access, self.actor = session, access, actor
        self.at = now()
        self.seen: set[tuple[str, int]] = set()
        self._offers: dict[tuple[str, int], list[Offer]] = {}

    def candidates(self, section: Section, form: FormSpec, model: Any, where: list[Any],
                   order: list[Any]) -> list[Any]:
        """At most LIMIT records of the form in the user's scope matching `where`."""
        scope = scope_clause(model, form, self.access)
        if scope is not None:
            where = [*where, scope]
        found = list(self.session.scalars(select(model).where(*where).order_by(
            *order, model.id).limit(LIMIT + 1)))
        if len(found) > LIMIT:
            section.capped.append(_("%(form)s: showing the first %(n)d.",
                                    form=form.label.get(), n=LIMIT))
        return found[:LIMIT]

    def offers(self, form: FormSpec, record: Any) -> list[Offer]:
        key = (form.key, record.id)
        if key not in self._offers:
            self._offers[key] = offers(self.session, form, record, self.actor)
        return self._offers[key]

    def add(self, section: Section, form: FormSpec, record: Any) -> None:
        if (form.key, record.id) in self.seen:
            return
        self.seen.add((form.key, record.id))
        section.rows.append(self.row(form, record))

    def row(self, form: FormSpec, record: Any) -> dict[str, Any]:
        name = str(record)  # its title (app/db/titles.py), sensitive parts masked
        actions = []
        for offer in self.offers(form, record):
            label = offer.transition.label.get()
            if offer.transition.approvals > 1:
                label += f" ({len(offer.approvals)}/{offer.transition.approvals})"
            actions.append({"label": label, "url": url_for(
                f"{form.view_name}.transition", pk=record.id, key=offer.transition.key)})
        return {"form": form.key, "form_label": form.label.get(), "id": record.id,
                "name": name, "url": url_for(f"{form.view_name}.show", pk=record.id),
                "state": badge(form, getattr(record, STATE_COLUMN, None)),
                "due": self.due(form, record), "actions": actions}

    def due(self, form: FormSpec, record: Any) -> Any:
        """The resolution deadline, red when passed; a passed first-response one is flagged."""
        if form.sla is None:
            return ""
        cell = due_cell(Deadline(record.sla_resolution_due, overdue(
            form, record, self.at, clocks=("sla_resolution_due",))))
        if overdue(form, record, self.at, clocks=("sla_response_due",)):
            cell = Markup('{0} <span class="label label-danger portal-response-overdue">'
                          '{1}</span>').format(cell, WORKFLOW_LABELS["sla_response_breached"])
        return cell

    def to_approve(self, section: Section, form: FormSpec, model: Any) -> None:
        held = _held(form, self.actor, approval=True)
        if not held:
            return
        where = [getattr(model, STATE_COLUMN).in_(_sources(held))]
        if all(t.no_self_approval for t in held) and self.actor.id is not None:
            where.append(_not_self(model, form, self.actor.id))
        for record in self.candidates(section, form, model, where, [model.changed_on]):
            if any(o.transition.approvals for o in self.offers(form, record)):
                self.add(section, form, record)

    def late(self, section: Section, form: FormSpec, model: Any) -> None:
        if form.sla is None or not (_held(form, self.actor, approval=False)
                                    or _held(form, self.actor, approval=True)):
            return  # nothing the user could ever do about it: not their work
        where = [_late(model, self.at)]
        if _final(form):
            where.append(getattr(model, STATE_COLUMN).not_in(_final(form)))
        for record in self.candidates(section, form, model, where,
                                      [model.sla_resolution_due]):
            if overdue(form, record, self.at):
                self.add(section, form, record)

    def assigned(self, section: Section, form: FormSpec, model: Any) -> None:
        columns = [getattr(model, f.column) for f in form.fields if f.assignee]
        if not columns or self.actor.id is None:
            return
        where = [or_(*[c == self.actor.id for c in columns])]
        if _final(form):
            where.append(getattr(model, STATE_COLUMN).not_in(_final(form)))
        order = [model.sla_resolution_due] if form.sla else []
        for record in self.candidates(section, form, model, where, order):
            self.add(section, form, record)

    def other(self, section: Section, form: FormSpec, model: Any) -> None:
        # A record awaiting someone's approval waits for them, not for its proposer (who
        # could still withdraw it): those states are left out.
        pending = {s for t in form.workflow.transitions if t.approvals for s in t.sources} \
            if form.workflow else set()
        states = [s for s in _sources(_held(form, self.actor, approval=False))
                  if s not in pending]
        if not states or self.actor.id is None:
            return
        where = [getattr(model, STATE_COLUMN).in_(states), _mine(model, form, self.actor.id)]
        for record in self.candidates(section, form, model, where, []):
            if (form.key, record.id) not in self.seen and any(
                    not o.transition.approvals for o in self.offers(form, record)):
                self.add(section, form, record)


def collect(session: Session, sm: Any) -> list[Section]:
    """The four sections for the request's user, over the workflow forms they may show."""
    spec = portal_of().spec
    models = portal_of().models.models
    collector = Collector(session, current_access(), actor_for(request_user(), spec))
    alerts = Section("alerts", _("Quality alerts"), _("No quality alert."),
                     rows=alert_rows(session, portal_of()))
    sections = [
        Section("approve", _("To approve"), _("Nothing waiting for your approval.")),
        Section("overdue", _("Overdue"), _("Nothing overdue.")),
        Section("assigned", _("Assigned to me"), _("Nothing assigned to you.")),
        Section("other", _("Other actions"), _("Nothing else waiting for you.")),
    ]
    forms = [f for f in spec.forms
             if f.workflow is not None and sm.has_access("can_show", f.view_name)]
    steps = (collector.to_approve, collector.late, collector.assigned, collector.other)
    for section, step in zip(sections, steps, strict=True):
        for form in forms:
            step(section, form, models[form.key])
    return [alerts, *sections] if alerts.rows else sections


class MyWorkView(BaseView):
    """我的待办: every signed-in user's queue (SELF_SERVICE in app/security/permissions.py
    grants it)."""

    route_base = "/mywork"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self) -> str:
        sections = collect(self.appbuilder.session, self.appbuilder.sm)
        return self.render_template("portal/mywork.html", sections=sections,
                                    total=waiting(sections))

    @expose("/count")
    @has_access
    @permission_name("list")
    def count(self) -> Response:
        """How many records wait for the user: the navigation bar's badge (fetched after
        the page has loaded, app/static/portal/mywork.js)."""
        total = waiting(collect(self.appbuilder.session, self.appbuilder.sm))
        response = jsonify(count=total)
        response.headers["Cache-Control"] = "private, no-store"
        return response


def waiting(sections: list[Section]) -> int:
    """Distinct records over the sections (each is listed in one section only)."""
    return sum(len(s.rows) for s in sections)


def register_my_work_view(appbuilder: Any) -> None:
    """The top-level 我的待办 item, first in the menu."""
    appbuilder.add_view(MyWorkView, MENU, icon="fa-inbox", label=_l("My work"))
    menu = appbuilder.menu.menu
    menu.insert(0, menu.pop(next(i for i, m in enumerate(menu) if m.name == MENU)))
