"""Capture: a record event becomes one outbox row per hook wanting it, in the transaction of
the change (a rollback drops it, a commit keeps it), whatever made it — screens, API, import,
commands — and whether or not the audit log is on.

Created and updated records are seen in the session's flushes; workflow steps and SLA breaches
are announced by the engine and the SLA run (app/db/events.py). Events are collected per
transaction and written just before it commits, each body built from the record as it is then:
a record created and edited in one transaction is one `created` delivery; the fields a
workflow step or an SLA run changes are part of that event, not an `updated` one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from app.config.expressions import Expression, UserFacts, evaluate, parse
from app.db import events
from app.outbox.model import enqueue, new_delivery_id
from app.portal import EXTENSION
from app.spec import STATE_COLUMN, FormSpec, WebhookSpec
from app.webhooks import body
from app.webhooks.send import CHANNEL

PENDING = "portal_webhook_events"  # session.info: this transaction's events
NOBODY = UserFacts(None)  # conditions of hooks know no acting user


@dataclass
class Pending:
    """One transaction's events, in order: (event, form, record, details, when)."""

    items: list[tuple[str, FormSpec, Any, dict[str, Any], dt.datetime]] = field(
        default_factory=list)
    seen: set[tuple[str, Any]] = field(default_factory=set)  # (form, id) created or stepped


def _hooks() -> tuple[WebhookSpec, ...]:
    if not has_app_context() or EXTENSION not in current_app.extensions:
        return ()
    return tuple(h for h in current_app.extensions[EXTENSION].spec.webhooks if h.enabled)


def _pending(session: Session) -> Pending:
    found = session.info.get(PENDING)
    if found is None:
        found = session.info[PENDING] = Pending()
    return found


def _wanted(hooks: tuple[WebhookSpec, ...], event_name: str) -> set[str]:
    return {h.form for h in hooks if event_name in h.events}


@lru_cache(maxsize=256)
def _parsed(text: str) -> Expression:
    return parse(text)


def meets(condition: str, form: FormSpec, record: Any) -> bool:
    """Whether the record (as it is now) meets a hook's condition; no user is known."""
    values = {f.key: getattr(record, f.column, None) for f in form.fields}
    values.update(state=getattr(record, STATE_COLUMN, None), id=record.id)
    return evaluate(_parsed(condition), values, NOBODY)


def _changed(obj: Any, form: FormSpec) -> bool:
    state = sa_inspect(obj)
    return any(state.attrs[f.column].history.has_changes() for f in form.fields
               if f.column in state.attrs)


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    hooks = _hooks()
    if not hooks:
        return
    created, updated = _wanted(hooks, "created"), _wanted(hooks, "updated")
    if not created and not updated:
        return
    now = dt.datetime.now()
    for obj in session.new:
        form = getattr(type(obj), "__form__", None)
        if form is not None and (form.key in created or form.key in updated):
            pending = _pending(session)
            pending.seen.add((form.key, obj.id))
            if form.key in created:
                pending.items.append(("created", form, obj, {}, now))
    for obj in session.dirty:
        form = getattr(type(obj), "__form__", None)
        if form is None or form.key not in updated or obj in session.new:
            continue
        pending = _pending(session)
        if (form.key, obj.id) in pending.seen or not _changed(obj, form):
            continue
        pending.seen.add((form.key, obj.id))  # several edits in one transaction: one event
        pending.items.append(("updated", form, obj, {}, now))


@events.listen
def _announced(session: Session, event_name: str, form: FormSpec, record: Any,
               details: dict[str, Any]) -> None:
    """A workflow step or an SLA breach (app/db/events.py), before its transaction flushes."""
    if not any(h.form == form.key and event_name in h.events for h in _hooks()):
        return
    pending = _pending(session)
    pending.seen.add((form.key, record.id))
    pending.items.append((event_name, form, record, dict(details), dt.datetime.now()))


@event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    hooks = _hooks()
    if not hooks:
        return
    if session.new or session.dirty:
        session.flush()  # the commit would flush after this hook: its events are seen now
    pending: Pending | None = session.info.pop(PENDING, None)
    if pending is None or not pending.items:
        return
    give_up = dt.timedelta(hours=current_app.config.get("PORTAL_OUTBOX_GIVE_UP_HOURS", 24))
    for event_name, form, record, details, at in pending.items:
        for hook in hooks:
            if hook.form != form.key or not hook.wants(
                    event_name, details.get("transition"), details.get("to")):
                continue
            if hook.condition and not meets(hook.condition, form, record):
                continue
            delivery = new_delivery_id()
            enqueue(session, channel=CHANNEL, target=hook.key, event=event_name,
                    body=body.build(hook, form, record, event_name, details, delivery, at),
                    delivery_id=delivery, form=form.key, record_id=record.id, at=at,
                    give_up_after=give_up)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)
