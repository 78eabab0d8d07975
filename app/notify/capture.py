"""Capture: a record event becomes notifications in the transaction of the change (a rollback
drops them, a commit keeps them), like webhooks (app/webhooks/capture.py): one
portal_notification row per person told (the bell, and the record of who was told what), an
outbox row for each e-mail and robot message; no request ever talks to a mail server.

Events: `assigned` (a flush shows an assignee field given a new user), `transition` and
`approval_waiting` (a workflow step announced by the engine; a new record in a state where an
approval starts), `deadline_missed` and `escalated` (the SLA run's sla_breach), and
`deadline_near` (app/notify/deadlines.py). A person hears of one record at most once per
transaction: the first rule that tells them (an SLA escalation that also reassigns the
record is one notification for the new handler, not two)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_app_context, has_request_context
from flask_login import current_user
from sqlalchemy import event, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from app.db import events
from app.notify import model, recipients
from app.notify.render import render, robot_body
from app.outbox.model import OutboxMessage, enqueue, new_delivery_id
from app.portal import EXTENSION, portal_of
from app.spec import STATE_COLUMN, FormSpec, NotificationSpec
from app.webhooks.capture import meets

PENDING = "portal_notify_events"  # session.info: this transaction's events
EMAIL, ROBOT = "email", "robot"  # outbox channels (app/notify/mail.py, robot.py)
# Which event tells a person when one transaction has several about a record: the handler
# of 受理并分派 hears "assigned to you", not the step; an escalation's new handler hears of
# the escalation, not of the reassignment it made.
ORDER = ("escalated", "assigned", "approval_waiting", "deadline_missed", "deadline_near",
         "transition")


@dataclass
class Pending:
    items: list[tuple[str, FormSpec, Any, dict[str, Any], dt.datetime]] = field(
        default_factory=list)


def _rules() -> tuple[NotificationSpec, ...]:
    if not has_app_context() or EXTENSION not in current_app.extensions:
        return ()
    return tuple(n for n in current_app.extensions[EXTENSION].spec.notifications
                 if n.enabled)


def _pending(session: Session) -> Pending:
    found = session.info.get(PENDING)
    if found is None:
        found = session.info[PENDING] = Pending()
    return found


def _actor() -> str | None:
    """The signed-in user making the change (None for commands and the SLA run)."""
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return str(current_user.username)
    return None


def approval_roles(form: FormSpec, record: Any) -> list[str]:
    """The roles whose approval a record in its current state awaits (approval steps from it
    whose condition holds): an approval's `role`, else the step's roles."""
    out: list[str] = []
    state = getattr(record, STATE_COLUMN, None)
    for t in form.workflow.transitions if form.workflow else ():
        if not t.approvals or state not in t.sources:
            continue
        if t.condition and not meets(t.condition, form, record):
            continue
        out.extend([t.approver_role] if t.approver_role else t.roles)
    return list(dict.fromkeys(out))


def _wants(event_name: str, form: FormSpec) -> bool:
    return any(r.form == form.key and event_name in r.events for r in _rules())


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    if not _rules():
        return
    now = dt.datetime.now()
    for obj in list(session.new) + list(session.dirty):
        form = getattr(type(obj), "__form__", None)
        if form is None:
            continue
        if obj in session.new and _wants("approval_waiting", form) and approval_roles(
                form, obj):
            _pending(session).items.append(("approval_waiting", form, obj, {}, now))
        if not _wants("assigned", form):
            continue
        state = sa_inspect(obj)
        for f in form.fields:
            if not f.assignee or f.column not in state.attrs:
                continue
            added = [v for v in state.attrs[f.column].history.added if v is not None]
            if added:
                _pending(session).items.append(("assigned", form, obj,
                                                {"actor": _actor()}, now))


@events.listen
def _announced(session: Session, event_name: str, form: FormSpec, record: Any,
               details: dict[str, Any]) -> None:
    """A workflow step, an SLA breach (app/db/events.py) or a near deadline."""
    if not _rules():
        return
    now = dt.datetime.now()
    items = _pending(session).items
    if event_name == "transition":
        items.append(("transition", form, record, {**details, "actor": details.get("user")},
                      now))
        if _wants("approval_waiting", form):
            items.append(("approval_waiting", form, record,
                          {**details, "actor": details.get("user")}, now))
    elif event_name == "sla_breach":
        items.append(("deadline_missed", form, record, dict(details), now))
        if "assignee" in details or "priority" in details:
            items.append(("escalated", form, record, dict(details), now))
    elif event_name == "deadline_near":
        items.append(("deadline_near", form, record, dict(details), now))


@event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    rules = _rules()
    if not rules:
        return
    if session.new or session.dirty:
        session.flush()  # its after_flush adds this transaction's assignments
    pending: Pending | None = session.info.pop(PENDING, None)
    if pending is None or not pending.items:
        return
    told: set[tuple[int, str, Any]] = set()  # (user, form, record): once per transaction
    for event_name, form, record, details, at in sorted(
            pending.items, key=lambda item: ORDER.index(item[0])):
        if event_name == "approval_waiting":
            details = {**details, "approver_roles": approval_roles(form, record)}
            if not details["approver_roles"]:
                continue
        for rule in rules:
            if rule.form != form.key or not rule.wants(
                    event_name, details.get("transition"), details.get("to")):
                continue
            if event_name == "deadline_near" and (rule.before or 0) < details["left"]:
                continue
            Writer(session, rule, form, record, event_name, details, at).write(told)


def record_path(form: FormSpec, record_id: Any) -> str:
    """The record page's path (e-mails prefix PORTAL_BASE_URL); '' when it has none."""
    try:
        return str(current_app.url_map.bind("").build(f"{form.view_name}.show",
                                                      {"pk": record_id}))
    except Exception:  # noqa: BLE001 - a form without a page: no link
        return ""


def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)


event.listen(Session, "after_rollback", _forget)


class Writer:
    """One rule's notifications for one event."""

    def __init__(self, session: Session, rule: NotificationSpec, form: FormSpec, record: Any,
                 event_name: str, details: dict[str, Any], at: dt.datetime) -> None:
        self.session, self.rule, self.form, self.record = session, rule, form, record
        self.event, self.details, self.at = event_name, details, at.replace(microsecond=0)
        self.dedupe = f"{rule.key}:{details['dedupe']}"[:200] if details.get(
            "dedupe") else None
        hours = current_app.config.get("PORTAL_OUTBOX_GIVE_UP_HOURS", 24)
        self.give_up = dt.timedelta(hours=hours)

    def done_before(self) -> bool:
        """A once-only event (a near deadline) this rule already told."""
        if self.dedupe is None:
            return False
        conn = self.session.connection()
        table = model.Notification.__table__
        if conn.execute(select(table.c.id).where(table.c.dedupe == self.dedupe).limit(1)
                        ).first() is not None:
            return True
        outbox = OutboxMessage.__table__
        return conn.execute(select(outbox.c.id).where(
            outbox.c.delivery_id == self.robot_delivery()).limit(1)).first() is not None

    def robot_delivery(self) -> str:
        if self.dedupe is None:
            return new_delivery_id()
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "portal-notify:" + self.dedupe))

    def write(self, told: set[tuple[int, str, Any]]) -> None:
        if self.done_before():
            return
        if self.details.get("user") and "user_name" not in self.details:
            self.details = {**self.details, "user_name": recipients.full_name(
                self.session, str(self.details["user"]))}
        if ROBOT in self.rule.channels:
            head, text = render(self.rule, self.form, self.record, self.details, "zh")
            enqueue(self.session, channel=ROBOT, target=self.rule.key, event=self.event,
                    body=robot_body(self.rule, head, text), delivery_id=self.robot_delivery(),
                    form=self.form.key, record_id=self.record.id, at=self.at,
                    give_up_after=self.give_up)
        if not any(c in self.rule.channels for c in ("portal", EMAIL)):
            return
        ids, roles = recipients.user_ids(self.rule, self.form, self.record, self.details)
        actor = self.details.get("actor")
        found = recipients.people(self.session, ids, roles, actor,
                                  reach=(portal_of().spec, self.form, self.record))
        prefs = model.prefs_of(self.session, [p.id for p in found])
        for person in found:
            key = (person.id, self.form.key, self.record.id)
            if key in told:
                continue
            told.add(key)
            email_on, lang = prefs.get(person.id, (True, "zh"))
            self.tell(person, email_on, lang)

    def tell(self, person: recipients.Person, email_on: bool, lang: str) -> None:
        head, text = render(self.rule, self.form, self.record, self.details, lang)
        email, delivery = None, None
        if EMAIL in self.rule.channels:
            email, delivery = self.email(person, email_on, head, text)
        self.session.connection().execute(insert(model.Notification.__table__).values(
            user_id=person.id, rule=self.rule.key, event=self.event, form=self.form.key,
            record_id=str(self.record.id), title=head, body=text or None, language=lang,
            email=email, delivery_id=delivery, dedupe=self.dedupe, created_at=self.at,
            read_at=None))

    def email(self, person: recipients.Person, email_on: bool, head: str, text: str
              ) -> tuple[str, str | None]:
        """Queue the e-mail (or say why not): its state for portal_notification.email, and
        its delivery id."""
        if not current_app.config.get("PORTAL_SMTP_HOST"):
            return model.NO_SMTP, None
        if not email_on:
            return model.OFF, None
        if "@" not in person.email:
            return model.NO_ADDRESS, None
        delivery = new_delivery_id()
        body = {"to": person.email, "user": person.username, "subject": head,
                "text": text, "form": self.form.key, "record_id": self.record.id,
                "link": record_path(self.form, self.record.id)}
        enqueue(self.session, channel=EMAIL, target=self.rule.key, event=self.event,
                body=json.dumps(body, ensure_ascii=False), delivery_id=delivery,
                form=self.form.key, record_id=self.record.id, at=self.at,
                give_up_after=self.give_up)
        return model.QUEUED, delivery
