"""The merged, validated config as YAML: what `flask portal config show` prints.

Every attribute of the spec objects is shown unless it equals its default (a few that admins
look for are shown always), so an attribute added to app/spec/ appears here without a change.
Keys are those written in the YAML files where the spec names them differently (`from`, `to`,
`approvals`, `calendar`, `escalation`, `inherits`); values are the merged ones, with the
defaults and inheritance the linter applied.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import yaml

from app.config.durations import format_duration
from app.config.load import config_hash
from app.config.workflow_keys import WEEKDAYS
from app.fieldtypes.registry import field_type
from app.spec import (
    CalendarDay,
    CalendarSpec,
    CategorySpec,
    Choice,
    ComputedSpec,
    FieldSpec,
    FormSpec,
    Label,
    PortalSpec,
    RoleSpec,
    SectionSpec,
    SlaSpec,
    StateSpec,
    TransitionSpec,
    WorkflowSpec,
)

HEADER = """\
# The merged configuration that will run: base + industry pack, with defaults applied.
# hash:        sha256 of the merged config: the `hash` the audit log's config_loaded event
#              records when a serving process starts with this config.
# fingerprint: the first 16 hex digits of that hash: names the generated classes in a process.
# Roles: grants, scopes (the row scope on each granted form) and reveal include what a role
# inherits; inherits lists every role it inherits from, directly or through another; readonly
# is not inherited. An admin role may do everything, whatever its grants say.
# SLA durations count working days of the calendar when `calendar: working_days`.
"""


def _label(label: Label) -> Any:
    return label.zh if label.zh == label.en else {"zh": label.zh, "en": label.en}


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING  # required: always shown


def _attrs(obj: Any, always: Iterable[str] = (), skip: Iterable[str] = (),
           rename: dict[str, str] | None = None) -> dict[str, Any]:
    """obj's attributes in declaration order: those in `always`, and the others that differ
    from their default (and are not None or empty)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if f.name in skip:
            continue
        value = getattr(obj, f.name)
        if f.name not in always and (value is None or value == _default(f)
                                     or value in ((), {})):
            continue
        out[(rename or {}).get(f.name, f.name)] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    """A spec value as plain YAML data: labels, nested specs, tuples, decimals."""
    for kind, show in _SHOW.items():
        if isinstance(value, kind):
            return show(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _field(field: FieldSpec) -> dict:
    if "scale" in field_type(field.type).options:
        return _attrs(field, always=("key", "label", "type", "precision", "scale"))
    return _attrs(field, always=("key", "label", "type"), skip=("precision", "scale"))


def _transition(t: TransitionSpec) -> dict:
    out = _attrs(t, always=("key", "label", "sources", "target", "roles", "comment"),
                 rename={"sources": "from", "target": "to"},
                 skip=("approvals", "approver_role", "no_self_approval"))
    if t.approvals:  # written as `approvals: {count, role}` in the YAML
        out["approvals"] = {"count": t.approvals}
        if t.approver_role is not None:
            out["approvals"]["role"] = t.approver_role
    if t.no_self_approval:
        out["no_self_approval"] = True
    return out


def _sla(sla: SlaSpec) -> dict:
    targets = []
    for priority, target in sla.targets.items():
        row: dict[str, Any] = {} if priority == "default" else {"priority": priority}
        for name in ("first_response", "resolution"):
            seconds = getattr(target, name)
            if seconds is not None:
                row[name] = format_duration(seconds)
        targets.append(row)
    out: dict[str, Any] = {"targets": targets}
    out.update(_attrs(sla, always=("priority_field",), skip=(
        "targets", "working_days", "escalate_priority", "escalate_role")))
    out["calendar"] = "working_days" if sla.working_days else "calendar"
    escalation = {k: v for k, v in (("priority", sla.escalate_priority),
                                    ("assign_role", sla.escalate_role)) if v is not None}
    if escalation:
        out["escalation"] = escalation
    return out


def _days(days: tuple[CalendarDay, ...]) -> list[dict]:
    """Calendar days; consecutive days with one label as a range, as the YAML writes them."""
    runs: list[list[CalendarDay]] = []
    for day in sorted(days, key=lambda d: d.date):
        if runs and runs[-1][-1].label == day.label and (
                day.date == runs[-1][-1].date + dt.timedelta(days=1)):
            runs[-1].append(day)
        else:
            runs.append([day])
    return [{"date": run[0].date, **({"to": run[-1].date} if len(run) > 1 else {}),
             **({"label": run[0].label} if run[0].label else {})} for run in runs]


def _calendar(calendar: CalendarSpec) -> dict:
    out: dict[str, Any] = {"weekend": [WEEKDAYS[d] for d in calendar.weekend],
                           "holidays": _days(calendar.holidays),
                           "workdays": _days(calendar.workdays)}
    if calendar.hours:
        out["hours"] = [f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}"
                        for a, b in calendar.hours]
    return out


def _form(form: FormSpec) -> dict:
    out = _attrs(form, always=("key", "label", "category", "icon", "order", "display",
                               "list_columns", "search_columns", "order_columns", "order_by",
                               "page_size", "fields", "source"))
    out["table"] = form.table
    first, last = ("key", "label", "category", "table", "source"), ("fields", "workflow", "sla")
    return {**{k: out[k] for k in first}, **{k: v for k, v in out.items() if k not in first + last},
            **{k: out[k] for k in last if k in out}}


def _role(role: RoleSpec) -> dict:
    return _attrs(role, always=("key", "label", "admin", "audit", "grants", "scopes",
                                "reveal", "readonly", "ancestors"),
                  rename={"ancestors": "inherits"})


_SHOW: dict[type, Callable[[Any], Any]] = {
    Label: _label,
    Choice: lambda c: {"value": c.value, "label": _label(c.label)},
    FieldSpec: _field,
    StateSpec: lambda s: _attrs(s, always=("key", "label", "colour")),
    TransitionSpec: _transition,
    WorkflowSpec: lambda w: _attrs(w, always=("states", "transitions")),
    SlaSpec: _sla,
    CalendarSpec: _calendar,
    CategorySpec: lambda c: _attrs(c, always=("key", "label", "icon")),
    SectionSpec: lambda s: _attrs(s, always=("key", "label", "fields")),
    ComputedSpec: lambda c: {"key": c.key, "label": _label(c.label), "value": c.text,
                             **({"list": True} if c.list else {}),
                             **({"help": _label(c.help)} if c.help else {})},
    FormSpec: _form,
    RoleSpec: _role,
}


def dump(spec: PortalSpec) -> str:
    """The YAML text, headed by comments saying what the hash and the fingerprint are."""
    data = {
        "industry": spec.industry or "(base pack only)",
        **({"industry_label": _label(spec.industry_label)} if spec.industry_label else {}),
        "hash": config_hash(spec),
        "fingerprint": spec.fingerprint,
        "calendar": _calendar(spec.calendar),
        "categories": _plain(spec.categories),
        "forms": _plain(spec.forms),
        "roles": _plain(spec.roles),
    }
    return HEADER + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100,
                                   default_flow_style=None)
