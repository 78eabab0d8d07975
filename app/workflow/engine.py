"""Workflows: which transitions a user may fire on a record now, and firing one safely.

A record's state changes only here. Firing re-checks everything the screen checked (role,
source state, condition, self-approval, approvals, comment, required fields) and writes the
state, the history row and the audit event in one transaction whose UPDATE is guarded by the
record's version: of two users firing at once exactly one succeeds, the other is told who
moved the record first.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from flask import has_app_context
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from app.audit import log as audit
from app.config.expressions import UserFacts, evaluate, parse
from app.db import events
from app.portal import portal_of
from app.spec import STATE_COLUMN, FormSpec, PortalSpec, TransitionSpec
from app.workflow.store import WorkflowEvent, current_approvals


@dataclass(frozen=True)
class Actor:
    """Who is firing: the user, the role keys they hold or inherit, admin or not."""

    user: Any
    roles: frozenset[str] = frozenset()
    admin: bool = False

    @property
    def id(self) -> int | None:
        return getattr(self.user, "id", None)

    def facts(self) -> UserFacts:
        return UserFacts(self.id, getattr(self.user, "username", "") or "",
                         tuple(sorted(self.roles)))

    def holds(self, roles: tuple[str, ...]) -> bool:
        return self.admin or bool(self.roles & set(roles))


def actor_for(user: Any, spec: PortalSpec) -> Actor:
    names = {r.name for r in getattr(user, "roles", None) or []}
    held = [r for r in spec.roles if r.key in names]
    roles = frozenset(k for r in held for k in (r.key, *r.ancestors))
    return Actor(user, roles, any(r.admin for r in held))


class Refused(Exception):
    """A transition that may not fire: `status` 403 (not yours), 409 (the record moved on
    meanwhile), 400 (not now / input missing); the message says why, in the user's language."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Offer:
    """A transition the user may fire now, with its approval progress."""

    transition: TransitionSpec
    approvals: list[str] = field(default_factory=list)  # usernames who approved already


def record_values(form: FormSpec, record: Any) -> dict[str, Any]:
    """The names a condition may use, read from the record."""
    values = {f.key: getattr(record, f.column, None) for f in form.fields}  # ids of refs
    values.update(state=getattr(record, STATE_COLUMN, None), id=record.id,
                  created_by=record.created_by_fk)
    values.update({c.key: getattr(record, c.key, None) for c in form.computed})
    return values


def _condition_met(t: TransitionSpec, form: FormSpec, record: Any, actor: Actor) -> bool:
    if t.condition is None:
        return True
    return evaluate(parse(t.condition), record_values(form, record), actor.facts())


def role_label(key: str) -> str:
    """A role's label from roles.yaml (its key outside an app)."""
    if not has_app_context():
        return key
    spec = portal_of().spec
    role = next((r for r in spec.roles if r.key == key), None)
    return role.label.get() if role else key


def is_self(form: FormSpec, record: Any, actor: Actor) -> bool:
    """The actor created the record, or is its requester."""
    requester = form.workflow.requester if form.workflow else None
    mine = {record.created_by_fk}
    if requester:
        mine.add(getattr(record, form.field(requester).column, None))
    return actor.id is not None and actor.id in mine


def refusal(form: FormSpec, record: Any, t: TransitionSpec, actor: Actor,
            approvals: list[Any] | None = None) -> Refused | None:
    """Why `actor` may not fire `t` on `record` now (None: they may)."""
    if not actor.holds(t.roles):
        return Refused(_("Your role may not %(action)s.", action=t.label.get()), 403)
    if t.approvals and t.approver_role and not actor.holds((t.approver_role,)):
        return Refused(_("Only a %(role)s's approval counts here.",
                         role=role_label(t.approver_role)), 403)
    if t.no_self_approval and is_self(form, record, actor):
        return Refused(_("You proposed this record and may not approve it yourself."), 403)
    state = getattr(record, STATE_COLUMN)
    if state not in t.sources:
        label = form.workflow.state(state) if form.workflow else None
        return Refused(_("“%(action)s” is not possible while the record is %(state)s.",
                         action=t.label.get(), state=label.label.get() if label else state),
                       409)
    if not _condition_met(t, form, record, actor):
        return Refused(_("“%(action)s” does not apply to this record: %(condition)s is not "
                         "met.", action=t.label.get(), condition=t.condition), 400)
    if t.approvals and actor.id in {a.user_id for a in approvals or []}:
        return Refused(_("You have already approved; waiting for %(n)d more approval(s).",
                         n=t.approvals - len(approvals or [])), 400)
    return None


def offers(session: Session, form: FormSpec, record: Any, actor: Actor) -> list[Offer]:
    """The buttons of a record page: every transition the user may fire on it now."""
    out = []
    for t in form.workflow.transitions if form.workflow else ():
        approvals = current_approvals(session, form.key, record.id, t.key) if t.approvals \
            else []
        if refusal(form, record, t, actor, approvals) is None:
            out.append(Offer(t, [a.username for a in approvals]))
    return out


def moved_message(form: FormSpec, record: Any) -> str:
    """'Not done: <user> … at <time>, after you opened it', from the record as stored."""
    who = getattr(record.changed_by, "username", None) or _("someone else")
    when = format_datetime(record.changed_on, "yyyy-MM-dd HH:mm:ss") if record.changed_on \
        else "?"
    state = form.workflow.state(getattr(record, STATE_COLUMN)) if form.workflow else None
    return _("Not done: %(user)s changed this record at %(time)s, after you opened it (it "
             "is now %(state)s). Open it again to see what you may do.", user=who,
             time=when, state=state.label.get() if state else "?")


def missing_fields(form: FormSpec, record: Any, t: TransitionSpec) -> list[str]:
    """Labels of the required fields still empty."""
    out = []
    for key in t.required_fields:
        f = form.field(key)
        # A signature drawn in the dialog is a new row without an id until the flush.
        value = getattr(record, f.key if f.signed else f.column, None)
        if value is None or (isinstance(value, str) and not value.strip()):
            out.append(f.label.get())
    return out


def fire(session: Session, form: FormSpec, record: Any, key: str, actor: Actor, *,
         version: Any, comment: str = "", apply_values: Any = None) -> str:
    """Fire transition `key`; returns the message to show. Raises Refused. `apply_values`
    (called with the record) sets the dialog's fields before they are checked."""
    t = form.workflow.transition(key) if form.workflow else None
    if t is None:
        raise Refused(_("Unknown action."), 404)
    if str(version) != str(record.version):
        raise Refused(moved_message(form, record), 409)
    approvals = current_approvals(session, form.key, record.id, t.key) if t.approvals else []
    problem = refusal(form, record, t, actor, approvals)
    if problem is not None:
        raise problem
    comment = (comment or "").strip() if t.comment != "none" else ""
    if t.comment == "required" and not comment:
        raise Refused(_("A comment is required for “%(action)s”.", action=t.label.get()))
    if apply_values is not None:
        apply_values(record)
    missing = missing_fields(form, record, t)
    if missing:
        session.rollback()
        raise Refused(_("Fill in before “%(action)s”: %(fields)s", action=t.label.get(),
                        fields="、".join(missing)))
    return _commit(session, form, record, t, actor, comment, approvals)


def _commit(session: Session, form: FormSpec, record: Any, t: TransitionSpec, actor: Actor,
            comment: str, approvals: list[Any]) -> str:
    now = dt.datetime.now().replace(microsecond=0)
    source = getattr(record, STATE_COLUMN)
    done = len(approvals) + 1
    final = not t.approvals or done >= t.approvals
    details: dict[str, Any] = {"fields": list(t.required_fields)}
    if t.approvals:
        details["approvals"] = [a.username for a in approvals] + [
            getattr(actor.user, "username", "")]
        details["needed"] = t.approvals
    session.add(WorkflowEvent(
        form=form.key, record_id=record.id, kind="transition" if final else "approval",
        transition=t.key, from_state=source, to_state=t.target if final else source,
        user_id=actor.id, at=now, comment=comment or None, details=json.dumps(
            details, ensure_ascii=False)))
    if final:
        setattr(record, STATE_COLUMN, t.target)
    record.changed_on = now  # also when the SLA counts the new state as met (app/sla)
    # An UPDATE guarded by the version, even for an approval in the same second as the
    # last change (an unchanged value alone would issue no UPDATE and bump no version).
    flag_modified(record, "changed_on")
    audit.record(session, "transition" if final else "approval", form=form.key,
                 record_id=record.id, details={"transition": t.key, "from": source,
                                               "to": t.target if final else source,
                                               "comment": comment, **details})
    if final:  # webhooks and notifications follow it (app/db/events.py)
        events.announce(session, "transition", form, record, {
            "transition": t.key, "from": source, "to": t.target, "comment": comment,
            "user": getattr(actor.user, "username", None)})
    try:
        session.commit()
    except (StaleDataError, DBAPIError, SQLAlchemyError):
        session.rollback()
        try:
            session.refresh(record)
            message = moved_message(form, record)
        except SQLAlchemyError:
            session.rollback()
            message = _("Not done: this record was changed or removed meanwhile.")
        raise Refused(message, 409) from None
    if not final:
        return _("Approved: %(done)d of %(needed)d approvals for “%(action)s”.", done=done,
                 needed=t.approvals, action=t.label.get())
    target = form.workflow.state(t.target) if form.workflow else None
    return _("Done: %(action)s. The record is now %(state)s.", action=t.label.get(),
             state=target.label.get() if target else t.target)
