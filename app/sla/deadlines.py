"""SLA deadlines: computed when a record is created (and when its priority changes), met
when it enters a responded / resolved state, and enforced by `flask portal sla run`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.sla.workdays import due_at
from app.spec import STATE_COLUMN, FormSpec


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def set_deadlines(form: FormSpec, record: Any, response: bool = True,
                  resolution: bool = True) -> None:
    """The record's deadlines from its creation time and priority."""
    sla = form.sla
    if sla is None:
        return
    priority = getattr(record, sla.priority_field) if sla.priority_field else None
    target = sla.target(priority)
    start = record.created_on or now()
    calendar = getattr(type(record), "__calendar__", None)  # the spec's (app/db/tables.py)
    if response:
        record.sla_response_due = None if target is None or target.first_response is None \
            else due_at(start, target.first_response, calendar, sla.working_days)
    if resolution:
        record.sla_resolution_due = None if target is None or target.resolution is None \
            else due_at(start, target.resolution, calendar, sla.working_days)


def on_state_change(form: FormSpec, record: Any, state: str, when: dt.datetime) -> None:
    """Entering a responded / resolved state meets that deadline (the first time only);
    called at the flush that stores a transition, with the transition's time."""
    sla = form.sla
    if sla is None:
        return
    responded = state in sla.responded_states or state in sla.resolved_states
    if responded and record.sla_responded_on is None:  # resolved at once is responded too
        record.sla_responded_on = when
        if record.sla_response_due is not None and when > record.sla_response_due:
            record.sla_response_breached = True  # met, but late: it counts as a breach
    if state in sla.resolved_states and record.sla_resolved_on is None:
        record.sla_resolved_on = when
        if record.sla_resolution_due is not None and when > record.sla_resolution_due:
            record.sla_resolution_breached = True


CLOCKS = {"sla_response_due": "sla_responded_on", "sla_resolution_due": "sla_resolved_on"}


def overdue(form: FormSpec, record: Any, at: dt.datetime | None = None,
            clocks: tuple[str, ...] = tuple(CLOCKS)) -> bool:
    """A deadline passed and not met (records in a final state are never overdue)."""
    if form.sla is None or form.workflow is None:
        return False
    state = form.workflow.state(getattr(record, "state", ""))
    if state is not None and state.final:
        return False
    at = at or now()
    return any((due := getattr(record, name)) is not None and getattr(record, CLOCKS[name])
               is None and due < at for name in clocks)


@event.listens_for(Session, "before_flush")
def _deadlines(session: Session, _context: Any, _instances: Any) -> None:
    from sqlalchemy import inspect

    for obj in session.new:
        form = getattr(type(obj), "__form__", None)
        if form is None or form.sla is None:
            continue
        if obj.created_on is None:
            obj.created_on = now()
        if obj.sla_response_due is None and obj.sla_resolution_due is None:
            set_deadlines(form, obj)
    for obj in session.dirty:
        form = getattr(type(obj), "__form__", None)
        if form is None or form.sla is None:
            continue
        state = inspect(obj).attrs[STATE_COLUMN].history if form.workflow else None
        if state is not None and state.added:  # a transition (app/workflow/engine.py) fired
            on_state_change(form, obj, getattr(obj, STATE_COLUMN), obj.changed_on or now())
        if not form.sla.priority_field:
            continue
        history = inspect(obj).attrs[form.sla.priority_field].history
        if history.has_changes() and not session.info.get("sla_escalating"):
            set_deadlines(form, obj, response=obj.sla_responded_on is None
                          and not obj.sla_response_breached,
                          resolution=obj.sla_resolved_on is None
                          and not obj.sla_resolution_breached)
