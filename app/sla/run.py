"""`flask portal sla run`: fill in missing deadlines, mark missed ones and escalate each record
once (raise its priority, hand it to a supervisor); in batches, committed per batch, idempotent."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask_appbuilder.security.sqla.models import Role, User, assoc_user_role
from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.audit import log as audit
from app.db import events
from app.notify.deadlines import announce_near
from app.portal import portal_of
from app.security.teams import teammate_ids
from app.sla.deadlines import CLOCKS, now, on_state_change, set_deadlines
from app.sla.workdays import calendar_covers
from app.spec import STATE_COLUMN, CalendarSpec, FieldSpec, FormSpec, PortalSpec
from app.workflow.store import WorkflowEvent

BATCH = 500  # records per transaction
ATTEMPTS = 3  # a batch whose records changed meanwhile (a user fired a transition) is re-read
NAMES = {"sla_response_due": "first_response", "sla_resolution_due": "resolution"}
FLAGS = {"sla_response_due": "sla_response_breached",
         "sla_resolution_due": "sla_resolution_breached"}
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass
class FormRun:
    """What one run did to one form's records."""

    form: str
    computed: int = 0  # records given their missing deadlines
    breaches: dict[str, int] = field(default_factory=lambda: dict.fromkeys(NAMES.values(), 0))
    escalated: int = 0
    reassigned: int = 0
    near: int = 0  # deadlines near, announced to notification rules
    notes: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return self.computed + sum(self.breaches.values()) + self.escalated

    def line(self) -> str:
        total = sum(self.breaches.values())
        split = (f" (first response {self.breaches['first_response']}, resolution "
                 f"{self.breaches['resolution']})" if total else "")
        return (f"{self.form}: deadlines computed {self.computed}, breaches marked {total}"
                f"{split}, escalated {self.escalated}, reassigned {self.reassigned}")


@dataclass
class RunReport:
    """The run's outcome, per form with an SLA, and the warnings for the administrator."""

    at: dt.datetime
    forms: list[FormRun] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return sum(f.changes for f in self.forms)

    def lines(self) -> list[str]:
        out = [f"SLA run at {self.at:%Y-%m-%d %H:%M:%S}"]
        if not self.forms:
            out.append("no form has an SLA: nothing to do")
        for form in self.forms:
            out.append(form.line())
            out.extend(form.notes)
        out.extend(f"warning: {w}" for w in self.warnings)
        return out


def working_week(calendar: CalendarSpec) -> str:
    """The weekdays the clock runs on, for a message: 'Monday–Friday'."""
    days = [d for d in range(7) if d not in calendar.weekend]
    if not days:
        return "no day"
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{WEEKDAY_NAMES[days[0]]}–{WEEKDAY_NAMES[days[-1]]}"
    return ", ".join(WEEKDAY_NAMES[d] for d in days)


def calendar_warnings(spec: PortalSpec, at: dt.datetime) -> list[str]:
    """A working-day SLA over a calendar that lacks this year's holidays counts them as work."""
    if not any(f.sla is not None and f.sla.working_days for f in spec.forms):
        return []
    if calendar_covers(spec.calendar, at.year):
        return []
    return [f"config/calendar.yaml has no holidays or make-up workdays for {at.year}: "
            f"deadlines count {working_week(spec.calendar)} only; add the State Council's "
            "arrangement"]


def run(app: Flask, at: dt.datetime | None = None) -> RunReport:
    """Backfill, mark breaches and escalate on every form with an SLA, as of `at` (now)."""
    at = at or now()
    spec: PortalSpec = portal_of(app).spec
    models = portal_of(app).models.models
    report = RunReport(at, warnings=calendar_warnings(spec, at))
    with app.app_context():
        session: Session = app.extensions["appbuilder"].session()
        # Raising the priority must not move the deadlines it missed (the listener in
        # app/sla/deadlines.py).
        session.info["sla_escalating"] = True
        try:
            for form in spec.forms:
                if form.sla is None or form.workflow is None:
                    continue
                job = FormJob(session, spec, form, models[form.key], at)
                job.backfill()
                job.enforce()
                # deadlines now near: notified once each (app/notify/deadlines.py)
                job.counts.near = announce_near(session, spec, form, models[form.key], at)
                report.forms.append(job.counts)
        finally:
            session.info.pop("sla_escalating", None)
            session.rollback()  # nothing pending; leaves the session clean for its next user
    return report


class FormJob:
    """One form's run: its records in keyset batches, the supervisors and their workloads."""

    def __init__(self, session: Session, spec: PortalSpec, form: FormSpec, model: Any,
                 at: dt.datetime) -> None:
        self.session, self.spec, self.form, self.model, self.at = session, spec, form, model, at
        self.counts = FormRun(form.key)
        self.finals = [s.key for s in form.workflow.states if s.final] if form.workflow else []
        self.assignee: FieldSpec | None = next((f for f in form.fields if f.assignee), None)
        self.loads: dict[int, int] = {}
        self.candidates: list[int] | None = None  # loaded at the first escalation
        self.teams: dict[int, set[int]] = {}
        self.usernames: dict[int, str] = {}

    # -- batches ---------------------------------------------------------------------------
    def batches(self, where: list[Any], handle: Any) -> None:
        """Call handle(records) on every batch matching where, by ascending id; commit each.
        A batch that meets a concurrent change is rolled back and read again."""
        last = 0
        while True:
            for attempt in range(ATTEMPTS):
                saved = copy.deepcopy((self.counts, self.loads, self.candidates))
                rows = list(self.session.scalars(
                    select(self.model).where(self.model.id > last, *where)
                    .order_by(self.model.id).limit(BATCH)))
                if not rows:
                    return
                try:
                    with self.session.no_autoflush:  # one flush per batch, at the commit
                        handle(rows)
                    self.session.commit()
                    break
                except StaleDataError:
                    self.session.rollback()
                    self.counts, self.loads, self.candidates = saved
                    if attempt == ATTEMPTS - 1:
                        self.counts.notes.append(
                            f"{self.form.key}: records #{rows[0].id}–#{rows[-1].id} kept "
                            "changing during the run; the next run checks them again")
            last = rows[-1].id

    # -- deadlines of records older than the SLA ---------------------------------------------
    def backfill(self) -> None:
        m = self.model
        self.batches([m.sla_response_due.is_(None), m.sla_resolution_due.is_(None)],
                     self.fill)

    def fill(self, rows: list[Any]) -> None:
        """Deadlines from created_on, and the clocks already met replayed from the history
        (or the current state), so that answered records are not taken for overdue ones."""
        history: dict[int, list[tuple[str, dt.datetime]]] = defaultdict(list)
        events: Any = self.session.execute(
                select(WorkflowEvent.record_id, WorkflowEvent.to_state, WorkflowEvent.at)
                .where(WorkflowEvent.form == self.form.key, WorkflowEvent.kind == "transition",
                       WorkflowEvent.record_id.in_([r.id for r in rows]))
                .order_by(WorkflowEvent.id))
        for record_id, state, when in events:
            history[record_id].append((state, when))
        for record in rows:
            set_deadlines(self.form, record)
            if record.sla_response_due is None and record.sla_resolution_due is None:
                continue  # no target for its priority
            self.counts.computed += 1
            for state, when in history[record.id]:
                on_state_change(self.form, record, state, when)
            on_state_change(self.form, record, getattr(record, STATE_COLUMN),
                            record.changed_on or self.at)

    # -- breaches and escalation -------------------------------------------------------------
    def enforce(self) -> None:
        m = self.model
        missed = [and_(getattr(m, due) < self.at, getattr(m, met).is_(None),
                       getattr(m, FLAGS[due]).is_(false())) for due, met in CLOCKS.items()]
        self.batches([getattr(m, STATE_COLUMN).not_in(self.finals), or_(*missed)], self.mark)

    def mark(self, rows: list[Any]) -> None:
        sla = self.form.sla
        assert sla is not None
        for record in rows:
            breached = []
            for due, met in CLOCKS.items():
                deadline = getattr(record, due)
                if deadline is not None and deadline < self.at and getattr(
                        record, met) is None and not getattr(record, FLAGS[due]):
                    setattr(record, FLAGS[due], True)
                    breached.append(NAMES[due])
                    self.counts.breaches[NAMES[due]] += 1
            if not breached:
                continue
            details: dict[str, Any] = {"breached": breached}
            if record.sla_escalated_on is None and (sla.escalate_priority or sla.escalate_role):
                details.update(self.escalate(record, breached))
            audit.record(self.session, "sla_breach", form=self.form.key, record_id=record.id,
                         details=details)
            events.announce(self.session, "sla_breach", self.form, record, details)

    def escalate(self, record: Any, breached: list[str]) -> dict[str, Any]:
        """Raise the priority, reassign, stamp sla_escalated_on and write the history row."""
        sla = self.form.sla
        assert sla is not None
        details: dict[str, Any] = {"breached": breached}
        note = None
        if sla.escalate_priority and sla.priority_field:
            pfield = self.form.field(sla.priority_field)
            old = getattr(record, pfield.key)
            new = sla.escalate_priority
            order = [c.value for c in pfield.choices]
            rank = order.index(old) if old in order else -1
            if order.index(new) > rank:
                setattr(record, pfield.key, new)
            details["priority"] = [old, getattr(record, pfield.key)]
        if sla.escalate_role and self.assignee is not None:
            column = self.assignee.column
            old_id = getattr(record, column)
            new_id = self.pick(record, old_id, sla.escalate_role)
            if new_id is None:
                note = (f"no active user holds {sla.escalate_role} (or a role inheriting it); "
                        f"{self.assignee.key} stays {self.username(old_id) or 'empty'}")
                self.counts.notes.append(f"{self.form.key} #{record.id}: {note}")
                new_id = old_id
            elif new_id != old_id:
                setattr(record, column, new_id)
                self.counts.reassigned += 1
                if old_id is not None:
                    self.loads[old_id] = self.loads.get(old_id, 1) - 1
                self.loads[new_id] = self.loads.get(new_id, 0) + 1
            details["assignee"] = [self.username(old_id), self.username(new_id)]
        if note:
            details["note"] = note
        record.sla_escalated_on = self.at
        self.counts.escalated += 1
        state = getattr(record, STATE_COLUMN)
        self.session.add(WorkflowEvent(
            form=self.form.key, record_id=record.id, kind="escalation", transition=None,
            from_state=state, to_state=state, user_id=None, at=self.at, comment=note,
            details=json.dumps(details, ensure_ascii=False)))
        return details

    def pick(self, record: Any, current: int | None, role: str) -> int | None:
        """The user to hand the record to: the current assignee if they hold the role; else
        an active holder sharing a team with the assignee (or the creator), then the one with
        the fewest open records of this form, then the lowest id. None: nobody holds it."""
        if self.candidates is None:
            self.load_candidates(role)
        assert self.candidates is not None
        if current in self.candidates:
            return current
        if not self.candidates:
            return None
        anchor = current if current is not None else record.created_by_fk
        team = self.teammates(anchor) if anchor is not None else set()
        return min(self.candidates,
                   key=lambda uid: (uid not in team, self.loads.get(uid, 0), uid))

    def load_candidates(self, role: str) -> None:
        """Active users holding the role or one inheriting it, and everyone's open records."""
        keys = {role} | {r.key for r in self.spec.roles if role in r.ancestors}
        self.candidates = list(self.session.scalars(
            select(User.id).join(assoc_user_role, assoc_user_role.c.user_id == User.id)
            .join(Role, Role.id == assoc_user_role.c.role_id)
            .where(Role.name.in_(sorted(keys)), User.active.is_(True))
            .distinct().order_by(User.id)))
        assert self.assignee is not None
        column = getattr(self.model, self.assignee.column)
        self.loads = {uid: n for uid, n in self.session.execute(
            select(column, func.count()).where(
                column.is_not(None), getattr(self.model, STATE_COLUMN).not_in(self.finals))
            .group_by(column)) if uid is not None}

    def teammates(self, user_id: int) -> set[int]:
        if user_id not in self.teams:
            self.teams[user_id] = set(teammate_ids(self.session, user_id))
        return self.teams[user_id]

    def username(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in self.usernames:
            user = self.session.get(User, user_id)
            self.usernames[user_id] = user.username if user is not None else f"#{user_id}"
        return self.usernames[user_id]
