"""An audit event's details for people: masked where the viewer may not reveal a value, with
field labels and choice labels instead of keys (show page, record history and CSV export).

`masked_details` is pure: the spec, the event's form key, its parsed details and the
viewer's Access in, a masked copy out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l

from app.fieldtypes.registry import mask
from app.security.access import Access
from app.spec import SYSTEM_COLUMNS, FieldSpec, Label, PortalSpec

# Keys of a form record that are not fields and never sensitive.
NOT_FIELDS = frozenset(SYSTEM_COLUMNS) | {"created_by", "changed_by"}
# A value whose field the spec does not know (a retired field, a removed form) is masked for
# everyone but admins: whether it was sensitive can no longer be told.
UNKNOWN_FIELD = FieldSpec(key="", label=Label("", ""), type="string", sensitive=True)

ACTIONS = {
    "create": _l("Created"), "update": _l("Changed"), "delete": _l("Deleted"),
    "list": _l("Searched the list"), "view": _l("Opened a record"), "search": _l("Searched"),
    "denied": _l("Access denied"), "export": _l("Exported"), "import": _l("Imported"),
    "print": _l("Printed"),
    "reveal": _l("Showed a sensitive value"), "login": _l("Signed in"),
    "logout": _l("Signed out"), "session_end": _l("Session ended"),
    "password_change": _l("Password change"),
    "config_loaded": _l("Configuration loaded"), "migration": _l("Schema migration"),
    "archive": _l("Audit log archived"), "purge": _l("Retired data purged"),
    "sla_breach": _l("SLA deadline missed"),
    "transition": _l("Workflow step"), "approval": _l("Approved (more approvals needed)"),
    "role_sync": _l("Roles synchronised with roles.yaml"),
    "report": _l("Viewed a dashboard or report"),
    "alert": _l("Quality alert raised"),
    "webhook_retry": _l("Webhook delivery sent again"),
}
OUTCOMES = {"ok": _l("Succeeded"), "denied": _l("Refused"), "failed": _l("Failed")}
# The portal's own tables, as they appear in an event's `form`.
TABLES = {
    "ab_user": _l("Users"), "ab_role": _l("Roles"), "ab_permission_view_role":
    _l("Role permissions"), "portal_team": _l("Teams"), "portal_audit_event": _l("Audit log"),
}
# Keys of details other than values / changes / filters.
DETAIL_KEYS = {
    "dashboard": _l("Dashboard"), "period": _l("Period"), "figures": _l("Figures"),
    "drill": _l("From the dashboard"), "rule": _l("Alert rule"), "group": _l("Group"),
    "count": _l("Count"), "previous": _l("Previous window"), "report": _l("Report"),
    "team": _l("Team"), "format": _l("Format"),
    "rows": _l("Rows"), "columns": _l("Columns"), "revealed": _l("Shown in clear"),
    "field": _l("Field"), "method": _l("Method"), "path": _l("Path"),
    "status": _l("Status code"), "file": _l("File"), "sha256": "SHA-256", "order": _l("Order"),
    "page": _l("Page"), "via": _l("Via"), "hash": _l("Hash"), "revision": _l("Revision"),
    "plan": _l("Plan"), "through_seq": _l("Up to sequence"),
    "transition": _l("Transition"), "from": _l("From state"), "to": _l("To state"),
    "comment": _l("Comment"), "approvals": _l("Approved by"), "needed": _l("Approvals needed"),
    "fields": _l("Fields required"),
    "boundary_hash": _l("Boundary hash"), "truncated": _l("Truncated"),
    "endpoint": _l("Endpoint"), "q": _l("Search text"), "tables": _l("Rows written"),
    "lines": _l("Changes"),
    "hook": _l("Hook"), "delivery": _l("Delivery id"), "event": _l("Event"),
}
FIELD_LIST_KEYS = ("columns", "revealed", "fields")  # values that list field keys
VIA = {"form": _l("Sign-in page"), "api": _l("API"), "import": _l("Import")}
# How a detail names a referenced record or a user: (field, stored id) → its name, or None
# (views/audit.py reads them from the database, once per request).
Names = Callable[[FieldSpec, Any], "str | None"]


def action_label(action: str | None) -> str:
    return str(ACTIONS[action]) if action in ACTIONS else (action or "")


def outcome_label(outcome: str | None) -> str:
    return str(OUTCOMES[outcome]) if outcome in OUTCOMES else (outcome or "")


def form_label(spec: PortalSpec, key: str | None) -> str:
    """A form's label, a portal table's name, or the key itself."""
    if not key:
        return ""
    form = next((f for f in spec.forms if f.key == key), None)
    if form is not None:
        return form.label.get()
    return str(TABLES[key]) if key in TABLES else key


def parse_details(text: str | None) -> dict[str, Any]:
    """The stored JSON as a mapping (anything else is kept under 'value')."""
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {"value": text}
    return data if isinstance(data, dict) else {"value": data}


def _field_of(spec: PortalSpec, form_key: str | None, key: str) -> FieldSpec | None:
    """The field whose values may be sensitive, or None for values that never are."""
    form = next((f for f in spec.forms if f.key == form_key), None)
    if form is None:
        # the portal's own tables (users, roles, teams …) hold no sensitive fields
        return None if not form_key or form_key in Model.metadata.tables else UNKNOWN_FIELD
    if key in NOT_FIELDS:
        return None
    return next((f for f in form.fields if f.key == key), UNKNOWN_FIELD)


def masked_details(spec: PortalSpec, form_key: str | None, details: dict[str, Any],
                   access: Access) -> dict[str, Any]:
    """A copy of `details` with every value of a sensitive field (under values, changes and
    filters) masked, unless `access` may reveal that field of that form."""
    def hide(key: Any, value: Any) -> Any:
        spec_field = _field_of(spec, form_key, str(key))
        if spec_field is None or not spec_field.sensitive or value is None:
            return value
        if spec_field is not UNKNOWN_FIELD and access.can_reveal(str(form_key), str(key)):
            return value
        if spec_field is UNKNOWN_FIELD and access.admin:
            return value
        return mask(spec_field, ",".join(map(str, value)) if isinstance(value, list)
                    else value)

    out = dict(details)
    if isinstance(details.get("values"), dict):
        out["values"] = {k: hide(k, v) for k, v in details["values"].items()}
    if isinstance(details.get("changes"), dict):
        out["changes"] = {k: [hide(k, v) for v in pair] if isinstance(pair, list)
                          else hide(k, pair) for k, pair in details["changes"].items()}
    if isinstance(details.get("filters"), list):
        out["filters"] = [[f[0], f[1], hide(f[0], f[2])]
                          if isinstance(f, list) and len(f) == 3 else f
                          for f in details["filters"]]
    return out


@dataclass
class Section:
    """One table of the details: kind is changes (label, old, new), values (label, value),
    filters (label, operator, value) or other (name, value)."""

    kind: str
    rows: list[tuple[str, ...]] = field(default_factory=list)


def _label(spec: PortalSpec, form_key: str | None, key: Any) -> str:
    form = next((f for f in spec.forms if f.key == form_key), None)
    if form is not None:
        found = next((f for f in form.fields if f.key == key), None)
        if found is not None:
            return found.label.get()
    return str(key)


def _shown(spec: PortalSpec, form_key: str | None, key: Any, value: Any,
           names: Names | None = None) -> str:
    """A stored value as the record screens show it: choice labels, yes/no, a referenced
    record by its title and a user by name (not their ids), plain text."""
    if value is None:
        return ""
    form = next((f for f in spec.forms if f.key == form_key), None)
    found = next((f for f in form.fields if f.key == key), None) if form else None
    if found is not None and found.stores_id and names is not None and not isinstance(
            value, (list, dict, bool)):
        return names(found, value) or f"#{value}"
    if found is not None and found.signed:  # the id of a stored signature image
        return str(_l("Signed (%(caption)s)", caption=f"#{value}"))
    if found is not None and found.type in ("choice", "multi_choice"):
        values = value if isinstance(value, list) else str(value).split(",")
        return "、".join(found.choice_label(str(v)) for v in values if v != "")
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _in_form_order(spec: PortalSpec, form_key: str | None, data: dict) -> list:
    """The items of a values / changes mapping in the form's field order, others after."""
    form = next((f for f in spec.forms if f.key == form_key), None)
    order = {f.key: i for i, f in enumerate(form.fields)} if form else {}
    return sorted(data.items(), key=lambda kv: order.get(kv[0], len(order)))


def _change(spec: PortalSpec, form_key: str | None, key: str, pair: Any,
            names: Names | None = None) -> tuple[str, ...]:
    """(label, before, after): a [old, new] pair, or a collection's added and removed."""
    label = _label(spec, form_key, key)
    if isinstance(pair, list) and len(pair) == 2:
        return (label, _shown(spec, form_key, key, pair[0], names),
                _shown(spec, form_key, key, pair[1], names))
    if isinstance(pair, dict) and set(pair) <= {"added", "removed"}:
        def items(name: str) -> str:
            values = pair.get(name) or []
            return "、".join(map(str, values if isinstance(values, list) else [values]))

        return (label, str(_l("Removed: %(items)s", items=items("removed"))) if pair.get(
            "removed") else "", str(_l("Added: %(items)s", items=items("added")))
            if pair.get("added") else "")
    return label, "", _shown(spec, form_key, key, pair, names)


def _workflow_value(spec: PortalSpec, form_key: str | None, key: str, value: Any) -> Any:
    """A state or transition key of a workflow detail as its label."""
    form = next((f for f in spec.forms if f.key == form_key), None)
    workflow = form.workflow if form is not None else None
    if workflow is None or not isinstance(value, str):
        return value
    found: Any = workflow.transition(value) if key == "transition" else workflow.state(value)
    return found.label.get() if found is not None else value


def sections(spec: PortalSpec, form_key: str | None, details: dict[str, Any],
             names: Names | None = None) -> list[Section]:
    """The (already masked) details as readable tables, in a fixed order: labels instead of
    keys (fields, choices, states, transitions), names instead of ids (with `names`)."""
    out: list[Section] = []
    changes = details.get("changes")
    if isinstance(changes, dict):
        out.append(Section("changes", [_change(spec, form_key, k, pair, names) for k, pair
                                       in _in_form_order(spec, form_key, changes)]))
    values = details.get("values")
    if isinstance(values, dict):
        out.append(Section("values", [(_label(spec, form_key, k),
                                       _shown(spec, form_key, k, v, names))
                                      for k, v in _in_form_order(spec, form_key, values)]))
    filters = details.get("filters")
    if isinstance(filters, list):
        out.append(Section("filters", [
            (_label(spec, form_key, f[0]), str(f[1]), _shown(spec, form_key, f[0], f[2]))
            if isinstance(f, list) and len(f) == 3 else ("", "", _shown(spec, None, "", f))
            for f in filters]))
    other = Section("other")
    for key, value in details.items():
        if key in ("changes", "values", "filters") and any(
                s.kind == key for s in out):
            continue
        if key == "field":
            value = _label(spec, form_key, value)
        elif key in FIELD_LIST_KEYS and isinstance(value, list):
            value = "、".join(_label(spec, form_key, v) for v in value)
        elif key in ("from", "to", "transition"):
            value = _workflow_value(spec, form_key, key, value)
        elif key == "via" and value in VIA:
            value = str(VIA[value])
        name = str(DETAIL_KEYS[key]) if key in DETAIL_KEYS else str(key)
        other.rows.append((name, _shown(spec, None, key, value)))
    if other.rows:
        out.append(other)
    return out


def details_text(spec: PortalSpec, form_key: str | None, details: dict[str, Any],
                 names: Names | None = None) -> str:
    """The sections in one line of text (a CSV cell)."""
    parts = []
    for section in sections(spec, form_key, details, names):
        for row in section.rows:
            if section.kind == "changes":
                parts.append(f"{row[0]}: {row[1]} → {row[2]}")
            elif section.kind == "filters":
                parts.append(" ".join(p for p in row if p))
            else:
                parts.append(f"{row[0]}: {row[1]}")
    return "; ".join(parts)
