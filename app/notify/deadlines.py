"""deadline_near: records whose SLA deadline is at most a rule's `before` away, found by the
SLA run (app/sla/run.py) and told once per record, deadline and rule — the notification's
`dedupe` key (rule:form:id:clock:due) makes a later run skip it, and a moved deadline (a
changed priority) is a new one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from app.db import events
from app.spec import STATE_COLUMN, FormSpec, PortalSpec

# the SLA clocks: due column → (met column, breached flag, name)
CLOCKS = {"sla_response_due": ("sla_responded_on", "sla_response_breached", "first_response"),
          "sla_resolution_due": ("sla_resolved_on", "sla_resolution_breached", "resolution")}
BATCH = 500


def lead(spec: PortalSpec, form: FormSpec) -> int:
    """The longest `before` of the form's enabled deadline_near rules (0: none)."""
    return max((n.before or 0 for n in spec.notifications if n.enabled and n.form == form.key
                and "deadline_near" in n.events), default=0)


def announce_near(session: Session, spec: PortalSpec, form: FormSpec, model: Any,
                  at: dt.datetime) -> int:
    """Announce deadline_near for each open record and clock due within the longest lead;
    commits per batch; returns how many (record, clock) pairs were announced."""
    seconds = lead(spec, form)
    if not seconds or form.sla is None or form.workflow is None:
        return 0
    finals = [s.key for s in form.workflow.states if s.final]
    until = at + dt.timedelta(seconds=seconds)
    count = 0
    for due_name, (met_name, flag_name, clock) in CLOCKS.items():
        due, met, flag = (getattr(model, n) for n in (due_name, met_name, flag_name))
        last = 0
        while True:
            rows = list(session.scalars(select(model).where(
                model.id > last, due > at, due <= until, met.is_(None), flag.is_(false()),
                getattr(model, STATE_COLUMN).not_in(finals)).order_by(model.id).limit(BATCH)))
            if not rows:
                break
            for record in rows:
                when = getattr(record, due_name)
                events.announce(session, "deadline_near", form, record, {
                    "clock": clock, "due": when, "left": (when - at).total_seconds(),
                    "dedupe": f"{form.key}:{record.id}:{clock}:{when:%Y%m%d%H%M}"})
                count += 1
            session.commit()
            last = rows[-1].id
    return count
