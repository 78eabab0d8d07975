"""Semantic checks of SLA deadlines and of the working-day calendar (config/calendar.yaml)."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Any

from app.config.durations import parse_duration
from app.config.errors import Problem
from app.config.source import LDict
from app.config.workflow_keys import WEEKDAYS
from app.spec import CalendarDay, CalendarSpec, FieldSpec, SlaSpec, SlaTarget, WorkflowSpec

HOURS_RE = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")  # 09:00-12:00

MAX_RANGE_DAYS = 31  # a longer holiday range is a typo in a year or month


class SlaRules:
    """Mixed into the Linter: builds SlaSpec and CalendarSpec."""

    raw: Any
    problems: list[Problem]
    add: Any
    unknown: Any
    state_refs: Any

    def build_sla(self, raw: LDict, fields: list[FieldSpec],
                  workflow: WorkflowSpec | None) -> SlaSpec | None:
        sraw, wraw = raw.get("sla"), raw.get("workflow")
        if not isinstance(sraw, LDict):
            return None
        if not isinstance(wraw, LDict):
            self.add("PORTAL-E068", raw, "sla", "an SLA needs a workflow",
                     "deadlines are met when records enter states; declare the form's "
                     "workflow", value=False)
            return None
        before = len(self.problems)
        # Declared fields, built or not (None): one with a problem of its own is not also
        # reported as unknown here.
        by_field: dict[str, FieldSpec | None] = {f["key"]: None for f in raw["fields"]}
        by_field |= {f.key: f for f in fields}
        choices: list[str] | None = None
        pfield = sraw.get("priority_field")
        if pfield is not None:
            spec = by_field.get(pfield)
            if pfield not in by_field:
                self.unknown("PORTAL-E031", sraw, "priority_field", "field", pfield,
                             list(by_field))
            elif spec is not None and spec.type != "choice":
                self.add("PORTAL-E041", sraw, "priority_field", f"'{pfield}' is not a choice "
                         "field", "the priority field's choice values pick the targets")
            elif spec is not None:
                choices = [c.value for c in spec.choices]
        targets = self.build_targets(sraw, pfield, choices)
        # The declared states: a workflow with problems of its own still has its SLA checked.
        keys = [s["key"] for s in wraw["states"]]
        responded = self.state_refs(sraw, "responded_states", sraw["responded_states"],
                                    keys) if "responded_states" in sraw else None
        resolved = self.state_refs(sraw, "resolved_states", sraw["resolved_states"],
                                   keys) if "resolved_states" in sraw else None
        priority, role = self.check_escalation(sraw, raw, pfield, choices)
        if len(self.problems) > before or workflow is None:
            return None
        if responded is None:
            responded = [s.key for s in workflow.states if s.key != workflow.initial.key]
        if resolved is None:
            resolved = [s.key for s in workflow.states if s.final]
        return SlaSpec(targets=targets, priority_field=pfield,
                       working_days=sraw.get("calendar") == "working_days",
                       responded_states=tuple(responded), resolved_states=tuple(resolved),
                       escalate_priority=priority, escalate_role=role)

    def build_targets(self, sraw: LDict, pfield: str | None,
                      choices: list[str] | None) -> dict[str, SlaTarget]:
        targets: dict[str, SlaTarget] = {}
        for traw in sraw["targets"]:
            name = str(traw.get("priority", "default"))
            if "priority" in traw and pfield is None:
                self.add("PORTAL-E041", traw, "priority", "a target names a priority but "
                         "the SLA has no priority_field", "set priority_field, or remove "
                         "the target's priority", value=False)
                continue
            if choices is not None and "priority" in traw and name not in choices:
                near = difflib.get_close_matches(name, choices, n=1)
                self.add("PORTAL-E068", traw, "priority", f"'{name}' is not a choice of "
                         f"{pfield}", f"did you mean '{near[0]}'?" if near else
                         "choices: " + ", ".join(choices))
                continue
            if name in targets:
                self.add("PORTAL-E020", traw, "priority" if "priority" in traw else None,
                         f"duplicate target for '{name}'", "one target per priority "
                         "(and one without priority, the default)", value=False)
                continue
            if "first_response" not in traw and "resolution" not in traw:
                self.add("PORTAL-E012", traw, None, "a target needs first_response or "
                         "resolution", "e.g. resolution: 3d", value=False)
                continue
            durations: list[int | None] = []
            for key in ("first_response", "resolution"):
                try:
                    durations.append(parse_duration(str(traw[key])) if key in traw
                                     else None)
                except ValueError as exc:
                    self.add("PORTAL-E068", traw, key, str(exc))
                    durations.append(None)
            targets[name] = SlaTarget(durations[0], durations[1])
        if choices is not None and "default" not in targets:
            missing = [c for c in choices if c not in targets]
            if missing:
                self.add("PORTAL-E068", sraw, "targets", "no target for priority "
                         + ", ".join(f"'{m}'" for m in missing),
                         "add a target for each, or one without priority as the default",
                         value=False)
        return targets

    def check_escalation(self, sraw: LDict, raw: LDict, pfield: str | None,
                         choices: list[str] | None) -> tuple[str | None, str | None]:
        eraw = sraw.get("escalation")
        if not isinstance(eraw, LDict):
            return None, None
        priority, role = eraw.get("priority"), eraw.get("assign_role")
        if priority is not None:
            if pfield is None:
                self.add("PORTAL-E041", eraw, "priority", "escalation raises the priority "
                         "but the SLA has no priority_field", "set priority_field")
            elif choices is not None and priority not in choices:
                self.add("PORTAL-E068", eraw, "priority", f"'{priority}' is not a choice of "
                         f"{pfield}", "choices: " + ", ".join(choices))
        if role is not None:
            role_keys = [r["key"] for r in self.raw.roles]
            if role not in role_keys:
                self.unknown("PORTAL-E032", eraw, "assign_role", "role", role, role_keys)
            if not any(f.get("assignee") for f in raw["fields"]):
                self.add("PORTAL-E041", eraw, "assign_role", "the form has no assignee "
                         "field to reassign", "mark a user field 'assignee: true'")
        return priority, role

    # -- calendar ------------------------------------------------------------------------
    def build_calendar(self) -> CalendarSpec:
        craw = self.raw.calendar
        if craw is None:
            return CalendarSpec()
        weekend = [WEEKDAYS.index(d) for d in craw.get("weekend", ["saturday", "sunday"])
                   if d in WEEKDAYS]
        for i, name in enumerate(craw.get("weekend") or []):
            if name not in WEEKDAYS:
                where = craw["weekend"].where(i)
                near = difflib.get_close_matches(name, WEEKDAYS, n=1)
                self.problems.append(Problem(
                    "PORTAL-E013", where.file, where.line, where.column, f"weekend[{i}]",
                    f"'{name}' is not one of ({', '.join(WEEKDAYS)})",
                    f"did you mean '{near[0]}'?" if near else ""))
        holidays = [d for d, _ in self.calendar_days(craw, "holidays")]
        workdays = self.calendar_days(craw, "workdays")
        off = {d.date for d in holidays}
        for day, item in workdays:
            if day.date in off:
                self.add("PORTAL-E069", item, "date", f"{day.date} is both a holiday and a "
                         "make-up workday", "remove it from one of the two lists")
        return CalendarSpec(tuple(sorted(set(weekend))), tuple(holidays),
                            tuple(d for d, _ in workdays), hours=self.office_hours(craw))

    def office_hours(self, craw: LDict) -> tuple[tuple[int, int], ...]:
        """`hours` as (start, end) minutes from 00:00, in order and apart (PORTAL-E069)."""
        out: list[tuple[int, int]] = []
        values: Any = craw.get("hours") or []
        for i, text in enumerate(values):
            where = values.where(i)
            match = HOURS_RE.fullmatch(text.strip())
            start = end = -1
            if match:
                h1, m1, h2, m2 = (int(g) for g in match.groups())
                start, end = h1 * 60 + m1, h2 * 60 + m2
            if not match or not (0 <= start < end <= 24 * 60) or m1 > 59 or m2 > 59:
                problem = (f"'{text}' is not a period of office hours" if not match or
                           m1 > 59 or m2 > 59 or end > 24 * 60
                           else f"'{text}' ends before it starts")
                self.problems.append(Problem(
                    "PORTAL-E069", where.file, where.line, where.column, f"hours[{i}]",
                    problem, "write 'HH:MM-HH:MM' within the day, e.g. '09:00-12:00'"))
                continue
            if out and start < out[-1][1]:
                self.problems.append(Problem(
                    "PORTAL-E069", where.file, where.line, where.column, f"hours[{i}]",
                    f"'{text}' starts before the period above it ends",
                    "list the periods of a day in order, without overlaps"))
                continue
            out.append((start, end))
        return tuple(out)

    def calendar_days(self, craw: LDict, key: str) -> list[tuple[CalendarDay, LDict]]:
        out: list[tuple[CalendarDay, LDict]] = []
        for item in craw.get(key) or []:
            start, end = item["date"], item.get("to", item["date"])
            if end < start:
                self.add("PORTAL-E069", item, "to", f"the range ends ({end}) before it "
                         f"starts ({start})", "write the earlier day in 'date'")
                continue
            if (end - start).days >= MAX_RANGE_DAYS:
                self.add("PORTAL-E069", item, "to", f"a range of {(end - start).days + 1} "
                         f"days ({start} to {end}) is too long", f"ranges are at most "
                         f"{MAX_RANGE_DAYS} days; check the year and month")
                continue
            day = start
            while day <= end:
                out.append((CalendarDay(day, str(item.get("label", ""))), item))
                day += dt.timedelta(days=1)
        return out
