"""Semantic checks over the merged config; builds the PortalSpec or raises ConfigError."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import replace
from typing import Any

from app.config.errors import Problem
from app.config.keys import CHOICE_RE
from app.config.lint.alerts import AlertRules
from app.config.lint.common import _a, item_path, to_label
from app.config.lint.computed import ComputedRules
from app.config.lint.dashboards import DashboardRules
from app.config.lint.files import FileRules
from app.config.lint.notifications import NotificationRules
from app.config.lint.prints import PrintRules
from app.config.lint.reserved import RESERVED_FORM_KEYS, RESERVED_NAMES
from app.config.lint.roles import RoleRules
from app.config.lint.sections import SectionRules
from app.config.lint.sla import SlaRules
from app.config.lint.titles import TitleRules, placeholders
from app.config.lint.webhooks import WebhookRules
from app.config.lint.workflow import WorkflowRules
from app.config.loader import RawConfig, keypath
from app.config.source import LDict, format_path
from app.fieldtypes.defaults import BadDefault
from app.fieldtypes.registry import TYPES, field_type, parse_default, types_where
from app.spec import (
    AlertSpec,
    CategorySpec,
    Choice,
    DashboardSpec,
    FieldSpec,
    FormSpec,
    PortalSpec,
)

TEXT_TYPES = types_where(lambda t: t.text)
NUMBER_TYPES = types_where(lambda t: t.number)
CHOICE_TYPES = types_where(lambda t: "choices" in t.options)
DISPLAY_TYPES = types_where(lambda t: t.display)
SENSITIVE_TYPES = types_where(lambda t: t.mask is not None)
# Each type-specific YAML key → the types it applies to, in the registry's order.
OPTION_TYPES = {key: tuple(t.name for t in TYPES if key in t.options)
                for key in dict.fromkeys(k for t in TYPES for k in t.options)}



def indexable(field: FieldSpec) -> bool:
    """A field lists sort or filter by gets an index (the database then neither scans nor
    sorts the table), where a B-tree index is sound: not long or multi-valued text (a
    PostgreSQL index entry holds at most about 2,700 bytes), not a unique field (its
    constraint is an index already), not a record (its foreign key column is indexed)."""
    kind = field_type(field.type)
    return (kind.sortable and not field.unique and not field.stores_id
            and (field.max_length or 0) <= 255 and field.type != "text")


def index_counted(forms: list[FormSpec], dashboards: list[DashboardSpec],
                  alerts: list[AlertSpec]) -> list[FormSpec]:
    """The fields dashboards and alerts filter a period on or group by get an index, like
    searched and sorted ones: a widget reads its period's rows, not the table."""
    used: dict[str, set[str]] = {}
    for form, keys in [(w.form, (w.date, w.group_by)) for d in dashboards for w in d.widgets
                       ] + [(a.form, (a.date, a.group_by)) for a in alerts]:
        used.setdefault(form, set()).update(k for k in keys if k)
    return [replace(f, fields=tuple(
        replace(x, indexed=True) if x.key in used.get(f.key, ()) and indexable(x) else x
        for x in f.fields)) for f in forms]


class Linter(RoleRules, WorkflowRules, SlaRules, TitleRules, SectionRules, ComputedRules,
             DashboardRules, AlertRules, WebhookRules, NotificationRules, PrintRules,
             FileRules):
    def __init__(self, raw: RawConfig) -> None:
        self.raw = raw
        self.problems: list[Problem] = []

    def add(self, code: str, data: LDict, key: str | None, message: str, hint: str = "",
            *, value: bool = True, path: tuple | None = None) -> None:
        where = data.where(key, value=value)
        if path is None:
            path = keypath(data, key) if key is not None else data.path
        self.problems.append(Problem(code, where.file, where.line, where.column,
                                     format_path(path), message, hint))

    def unknown(self, code: str, data: LDict, key: str, what: str, name: str,
                known: list[str], path: tuple | None = None, value: bool = True) -> None:
        near = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean '{near[0]}'?" if near else "known: " + ", ".join(known)
        self.add(code, data, key, f"unknown {what} '{name}'", hint, path=path, value=value)

    # -- forms ---------------------------------------------------------------------------
    def build(self) -> PortalSpec | None:
        categories = self.build_categories()
        form_keys = self.unique_keys(self.raw.forms, "form",
                                     "another form already uses this key")
        forms = [f for f in (self.build_form(raw, form_keys, categories)
                             for raw in self.raw.forms) if f is not None]
        roles = self.build_roles(form_keys, forms)
        calendar = self.build_calendar()
        # a form with problems of its own is still known: what names it reports nothing more
        self.broken_forms = set(form_keys) - {f.key for f in forms}
        dashboards = self.build_dashboards(forms, roles)
        alerts = self.build_alerts(forms, roles)
        webhooks = self.build_webhooks(forms)
        notifications = self.build_notifications(forms, roles)
        prints = self.build_prints(forms)
        if self.problems:
            return None
        forms = index_counted(forms, dashboards, alerts)
        spec = PortalSpec(tuple(forms), tuple(categories), tuple(roles), calendar=calendar,
                          dashboards=tuple(dashboards), alerts=tuple(alerts),
                          webhooks=tuple(webhooks), notifications=tuple(notifications),
                          prints=tuple(prints))
        return spec

    def unique_keys(self, items: list[LDict], what: str, hint: str) -> list[str]:
        seen: dict[str, LDict] = {}
        for item in items:
            key = item["key"]
            if key in seen:
                first = seen[key].where("key")
                self.add("PORTAL-E020", item, "key",
                         f"duplicate {what} key '{key}' (first defined at "
                         f"{os.path.basename(first.file)}:{first.line})", hint)
            else:
                seen[key] = item
        return list(seen)

    def build_categories(self) -> list[CategorySpec]:
        self.unique_keys(self.raw.categories, "category", "category keys must be unique")
        return [CategorySpec(c["key"], to_label(c["label"]), c.get("icon", "fa-folder"))
                for c in self.raw.categories]

    def check_form_key(self, raw: LDict) -> None:
        if raw["key"] in RESERVED_FORM_KEYS:
            self.add("PORTAL-E021", raw, "key", f"form key '{raw['key']}' is reserved for "
                     "the portal's own screens", "choose another key, e.g. "
                     f"'{raw['key']}_record'")

    def build_form(self, raw: LDict, form_keys: list[str],
                   categories: list[CategorySpec]) -> FormSpec | None:
        before = len(self.problems)
        self.check_form_key(raw)
        cat_keys = [c.key for c in categories]
        if raw["category"] not in cat_keys:
            self.unknown("PORTAL-E032", raw, "category", "menu category", raw["category"],
                         cat_keys)
        fields: list[FieldSpec] = []
        seen: set[str] = set()
        columns: dict[str, str] = {}
        for fraw in raw["fields"]:
            key = fraw["key"]
            if key in seen:
                self.add("PORTAL-E020", fraw, "key", f"duplicate field key '{key}'",
                         "field keys must be unique within a form")
                continue
            seen.add(key)
            field = self.build_field(fraw, form_keys)
            if field is None:
                continue
            if key in RESERVED_NAMES or field.column in RESERVED_NAMES:
                self.add("PORTAL-E021", fraw, "key", f"'{key}' is reserved for a system column",
                         "reserved: " + ", ".join(RESERVED_NAMES))
                continue
            if field.column in columns:
                self.add("PORTAL-E021", fraw, "key",
                         f"column '{field.column}' of field '{key}' collides with field "
                         f"'{columns[field.column]}'", "rename one of the two fields")
                continue
            columns[field.column] = key
            fields.append(field)
        # Every declared key, built or not: a field with a problem of its own must not also
        # be reported as unknown wherever the form names it.
        keys = list(seen)
        self.check_reserved_columns(raw, fields)
        workflow = self.build_workflow(raw, fields)
        sla = self.build_sla(raw, fields, workflow)
        for fraw in raw["fields"]:
            old = fraw.get("renamed_from")
            if old is not None and (old == fraw["key"] or old in seen):
                self.add("PORTAL-E041", fraw, "renamed_from",
                         f"renamed_from '{old}' names a field that is still in the form",
                         "renamed_from gives the field's previous key, which no field may "
                         "use any more")
        columns_ok = keys + self.workflow_columns(raw)  # state, deadlines
        lists = self.column_list(raw, "list_columns", columns_ok, "list", fields)
        search = self.column_list(raw, "search_columns", columns_ok, "searchable", fields)
        for f in [f for f in fields if f.key in search and not field_type(f.type).searchable]:
            self.add("PORTAL-E041", raw, "search_columns", f"'{f.key}' is {_a(f.type)} field "
                     "and cannot be searched", "remove it from search_columns")
        order = self.column_list(raw, "order_columns", columns_ok, None, fields) or lists
        display = raw.get("display")
        if display is not None and display not in keys:
            self.unknown("PORTAL-E031", raw, "display", "field", display, keys)
        elif display is not None and any(f.key == display and f.sensitive for f in fields):
            self.add("PORTAL-E041", raw, "display", f"'{display}' is sensitive and cannot "
                     "name the form's records",
                     "records are named wherever they are referred to, unmasked; choose "
                     "another field")
        if display is None:
            display = next((f.key for f in fields if f.type in DISPLAY_TYPES
                            and not f.sensitive), None)
        order_by = raw.get("order_by", "-created_on")
        if order_by.lstrip("-") not in columns_ok + ["id", "created_on", "changed_on"]:
            self.unknown("PORTAL-E031", raw, "order_by", "field", order_by.lstrip("-"), keys)
        page_size = raw.get("page_size", 20)
        if not 1 <= page_size <= 500:
            self.add("PORTAL-E043", raw, "page_size", f"{page_size} is out of range",
                     "allowed: 1 to 500")
        title = self.check_title(raw, keys, fields)
        computed = self.build_computed(raw, fields, set(RESERVED_NAMES) | {
            "state", *self.workflow_columns(raw)})
        sections = self.build_sections(raw, keys + [c.key for c in computed], fields,
                                       workflow)
        if len(self.problems) > before:
            return None
        # Searched, sorted and named by (the reference lookups match a record's name):
        named = placeholders(title.zh + title.en) if title else []
        queried = {*search, *order, order_by.lstrip("-"), *named, *([display] if display else [])}
        fields = [replace(f, indexed=True) if f.key in queried and indexable(f) else f
                  for f in fields]
        return FormSpec(
            key=raw["key"], label=to_label(raw["label"]), category=raw["category"],
            fields=tuple(fields), list_columns=tuple(lists), search_columns=tuple(search),
            order_columns=tuple(order), display=display, title=title,
            icon=raw.get("icon", "fa-table"),
            order=raw.get("order", 100),
            description=to_label(raw["description"]) if "description" in raw else None,
            order_by=order_by, page_size=page_size, workflow=workflow, sla=sla,
            sections=sections, computed=computed,
            source=raw.loc.file)

    def column_list(self, raw: LDict, key: str, keys: list[str], flag: str | None,
                    fields: list[FieldSpec]) -> list[str]:
        flagged = [f.key for f in fields if flag and getattr(f, flag)]
        if key not in raw:
            return flagged
        if flagged:
            self.add("PORTAL-E041", raw, key,
                     f"'{key}' conflicts with '{flag}: true' on field(s) {', '.join(flagged)}",
                     f"use either the form's {key} or the fields' {flag}, not both",
                     value=False)
            return []
        values = raw[key]
        for i, name in enumerate(values):
            if name not in keys:
                near = difflib.get_close_matches(name, keys, n=1)
                where = values.where(i)
                self.problems.append(Problem(
                    "PORTAL-E031", where.file, where.line, where.column,
                    format_path(item_path(values, i) or keypath(raw, key) + (i,)),
                    f"unknown field '{name}'",
                    f"did you mean '{near[0]}'?" if near else "known: " + ", ".join(keys)))
        return [v for v in values if v in keys]

    # -- fields --------------------------------------------------------------------------
    def build_field(self, raw: LDict, form_keys: list[str]) -> FieldSpec | None:
        before = len(self.problems)
        ftype = raw.get("type", "string")
        self.check_options(raw, ftype)
        choices = self.build_choices(raw, ftype)
        target = raw.get("form")
        if ftype == "reference":
            if target is None:
                self.add("PORTAL-E012", raw, None, "missing required key 'form'",
                         "a reference field names the form it points to", value=False)
            elif target not in form_keys:
                self.unknown("PORTAL-E030", raw, "form", "form", target, form_keys)
        if "pattern" in raw:
            try:
                re.compile(raw["pattern"])
            except re.error as exc:
                self.add("PORTAL-E042", raw, "pattern",
                         f"'{raw['pattern']}' is not a valid regular expression ({exc})",
                         "patterns use Python's re syntax; the whole value must match")
        number_format = self.check_format(raw, ftype)
        accept = self.check_files(raw, ftype)
        default = None
        if "default" in raw and len(self.problems) == before:
            try:
                default = parse_default(ftype, raw["default"], raw)
                self.check_default_limits(raw, ftype, default)
            except BadDefault as exc:
                self.add("PORTAL-E040", raw, "default", str(exc),
                         "change the default, or the field's limits")
        if len(self.problems) > before:
            return None
        return FieldSpec(
            key=raw["key"], label=to_label(raw["label"]), type=ftype,
            required=raw.get("required", False),
            unique=raw.get("unique", False) or ftype == "autonumber",
            default=default, min_length=raw.get("min_length"),
            max_length=raw.get("max_length", 200 if ftype == "string" else None),
            min=raw.get("min", 1 if ftype == "rating" else None),
            max=raw.get("max", 5 if ftype == "rating" else None),
            precision=raw.get("precision", 12), scale=raw.get("scale", 2),
            pattern=raw.get("pattern"),
            pattern_message=to_label(raw["pattern_message"]) if "pattern_message" in raw
            else None,
            help=to_label(raw["help"]) if "help" in raw else None,
            searchable=raw.get("searchable", False), indexed=raw.get("indexed", False),
            list=raw.get("list", False), sensitive=raw.get("sensitive", False),
            assignee=raw.get("assignee", False), roles=self.role_refs(raw, "roles"),
            choices=choices, form=target, renamed_from=raw.get("renamed_from"),
            format=number_format, on_add=raw.get("on_add", True), accept=accept,
            max_size_mb=raw.get("max_size_mb", 10), max_files=raw.get("max_files", 1))

    def role_refs(self, data: LDict, key: str) -> tuple[str, ...]:
        """The role keys listed under `key`; an undeclared one is PORTAL-E032."""
        names: Any = data.get(key) or []
        known = [r["key"] for r in self.raw.roles]
        for i, name in enumerate(names):
            if name not in known:
                where = names.where(i)
                near = difflib.get_close_matches(name, known, n=1)
                self.problems.append(Problem(
                    "PORTAL-E032", where.file, where.line, where.column,
                    format_path(keypath(data, key) + (i,)), f"unknown role '{name}'",
                    f"did you mean '{near[0]}'?" if near else "known: " + ", ".join(known)))
        return tuple(names)

    def check_options(self, raw: LDict, ftype: str) -> None:
        for key, types in OPTION_TYPES.items():
            if key in raw and ftype not in types:
                self.add("PORTAL-E041", raw, key, f"'{key}' does not apply to {_a(ftype)} field",
                         f"'{key}' applies to: {', '.join(types)}", value=False)
        if raw.get("sensitive") and ftype not in SENSITIVE_TYPES:
            self.add("PORTAL-E041", raw, "sensitive", f"{_a(ftype)} field cannot be sensitive",
                     f"'sensitive' applies to: {', '.join(SENSITIVE_TYPES)}", value=False)
        if raw.get("unique") and not field_type(ftype).unique:
            self.add("PORTAL-E041", raw, "unique", f"{_a(ftype)} field cannot be unique",
                     "remove 'unique'", value=False)
        if raw.get("searchable") and not field_type(ftype).searchable:
            self.add("PORTAL-E041", raw, "searchable", f"{_a(ftype)} field cannot be "
                     "searchable", "remove 'searchable'", value=False)
        for lo, hi in (("min_length", "max_length"), ("min", "max")):
            if lo in raw and hi in raw and raw[lo] > raw[hi]:
                self.add("PORTAL-E041", raw, lo,
                         f"{lo} ({raw[lo]}) is greater than {hi} ({raw[hi]})",
                         f"{lo} must not exceed {hi}")
        for key in ("min_length", "max_length", "precision", "scale"):
            if key in raw and raw[key] < (1 if key in ("max_length", "precision") else 0):
                self.add("PORTAL-E043", raw, key, f"{raw[key]} is out of range",
                         f"{key} must be positive")
        if ftype == "string" and raw.get("max_length", 200) > 4000:
            self.add("PORTAL-E043", raw, "max_length", f"{raw['max_length']} is out of range",
                     "a string holds at most 4000 characters; use type text for long text")
        if raw.get("scale", 0) > raw.get("precision", 12):
            self.add("PORTAL-E041", raw, "scale", "scale is greater than precision",
                     "scale counts the digits after the point, within precision")
        if ftype == "rating" and not 1 <= raw.get("max", 5) <= 10:
            self.add("PORTAL-E043", raw, "max", f"{raw['max']} is out of range",
                     "a rating goes up to at most 10")

    def build_choices(self, raw: LDict, ftype: str) -> tuple[Choice, ...]:
        if ftype not in CHOICE_TYPES:
            return ()
        if not raw.get("choices"):
            self.add("PORTAL-E012", raw, None, "missing required key 'choices'",
                     f"a {ftype} field lists its choices", value=False)
            return ()
        out: list[Choice] = []
        for item in raw["choices"]:
            value = str(item["value"])
            if not CHOICE_RE.match(value):
                self.add("PORTAL-E014", item, "value", f"'{value}' is not a valid choice value",
                         "use letters, digits, '_', '.' or '-' (labels carry the wording)")
            elif value in [c.value for c in out]:
                self.add("PORTAL-E020", item, "value", f"duplicate choice value '{value}'",
                         "each choice value may appear once")
            else:
                out.append(Choice(value, to_label(item["label"])))
        return tuple(out)

    def check_default_limits(self, raw: LDict, ftype: str, value: Any) -> None:
        if ftype in TEXT_TYPES and isinstance(value, str):
            if "max_length" in raw and len(value) > raw["max_length"]:
                raise BadDefault(f"'{value}' is longer than max_length ({raw['max_length']})")
            if "min_length" in raw and len(value) < raw["min_length"]:
                raise BadDefault(f"'{value}' is shorter than min_length ({raw['min_length']})")
            if "pattern" in raw and not re.fullmatch(raw["pattern"], value):
                raise BadDefault(f"'{value}' does not match the pattern '{raw['pattern']}'")
        if ftype in NUMBER_TYPES:
            lo = raw.get("min", 1 if ftype == "rating" else None)
            hi = raw.get("max", 5 if ftype == "rating" else None)
            if lo is not None and value < lo or hi is not None and value > hi:
                raise BadDefault(f"{value} is outside the range "
                                 f"{'' if lo is None else lo}..{'' if hi is None else hi}")
