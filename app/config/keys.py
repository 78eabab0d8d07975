"""Every YAML key the portal reads, declared once: its kind, default and one line of help.

The linter checks structure against these declarations and the docs page of YAML keys is
generated from them (see app/config/docs.py), so a key cannot exist without documentation.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Any

from app.config.dashboard_keys import DASHBOARD_SECTIONS, DASHBOARD_TITLES
from app.config.errors import Problem
from app.config.key import KINDS, Key
from app.config.layout_keys import COMPUTED, SECTION
from app.config.notify_keys import NOTIFY_SECTIONS, NOTIFY_TITLES
from app.config.source import LDict, LList, format_path
from app.config.webhook_keys import WEBHOOK_SECTIONS, WEBHOOK_TITLES
from app.config.workflow_keys import WORKFLOW_SECTIONS, WORKFLOW_TITLES
from app.fieldtypes.registry import FIELD_TYPES

KEY_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z][a-z0-9]*)*$")
CHOICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

ACTIONS = ("list", "show", "add", "edit", "delete", "export", "import")
SCOPES = ("own", "team", "all")


LABEL = (
    Key("zh", "string", "Chinese text (shown by default).", required=True),
    Key("en", "string", "English text; falls back to zh when missing."),
)
CHOICE = (
    Key("value", "string", "Stored value: letters, digits, '_', '.', '-'; never changes.",
        required=True),
    Key("label", "label", "What users see.", required=True),
)
FIELD = (
    Key("key", "key", "Stable identifier; the column name derives from it.", required=True),
    Key("label", "label", "Field label in forms, lists and pages.", required=True),
    Key("type", "string", "Field type.", default="string", allowed=FIELD_TYPES),
    Key("required", "boolean", "A value must be entered.", default=False),
    Key("unique", "boolean", "No two records may share a value.", default=False),
    Key("default", "scalar", "Initial value; 'today'/'today+N' for dates, 'now' for "
        "datetimes, 'current_user' for user fields."),
    Key("min_length", "integer", "Shortest accepted text (string, text, phone, email)."),
    Key("max_length", "integer", "Longest accepted text; string defaults to 200."),
    Key("min", "number", "Smallest accepted number (integer, decimal, money, rating)."),
    Key("max", "number", "Largest accepted number; rating defaults to 5."),
    Key("precision", "integer", "Total digits of a decimal/money value.", default=12),
    Key("scale", "integer", "Digits after the point of a decimal/money value.", default=2),
    Key("pattern", "string", "Regular expression the whole text must match (string only)."),
    Key("pattern_message", "label", "Message shown when the pattern does not match."),
    Key("help", "label", "Help text shown under the input."),
    Key("searchable", "boolean", "Offered as a search filter on the list.", default=False),
    Key("indexed", "boolean", "Create a database index on the column. Search, sort and "
        "default-order columns get one anyway, except long text, unique and record fields.",
        default=False),
    Key("list", "boolean", "Shown as a column in the list screen.", default=False),
    Key("sensitive", "boolean", "Confidential customer data: masked in lists, pages, "
        "exports and APIs; roles with `reveal` may show it (audited). Edit forms never "
        "show it: left empty, the stored value is kept. string, text, phone, email only.",
        default=False),
    Key("roles", "keys", "A user field offers only users with one of these roles, a role "
        "inheriting one, or an admin role (e.g. [staff]: the auditor is not offered as a "
        "handler)."),
    Key("assignee", "boolean", "This user field assigns the record: row scope `own` and "
        "`team` include records assigned to the user (user fields only).", default=False),
    Key("choices", "list:choice", "Allowed values of a choice or multi_choice field."),
    Key("form", "key", "Referenced form of a reference field."),
    Key("renamed_from", "key", "The field's previous key: the migration renames its column and "
        "keeps the data."),
    Key("on_add", "boolean", "Shown on the add form; false for what is filled in later "
        "(a handler's resolution, the customer's satisfaction). A required field left off "
        "needs a default.", default=True),
    Key("format", "string", "An autonumber's template: text, {date:%Y%m%d} (the creation "
        "date; %Y %y %m %d) and one {seq:N} (a counter of N digits, restarting when the text "
        "around it changes), e.g. TS-{date:%Y%m%d}-{seq:4}. Given on save, unique, never "
        "edited; records created before the field was added have none."),
    Key("max_size_mb", "integer", "The largest file a file or image field accepts, in MB "
        "(1 to 100).", default=10),
    Key("max_files", "integer", "How many files a file or image field holds (1 to 20; 1: a "
        "single file).", default=1),
    Key("accept", "strings", "Content types a file or image field accepts, told from each "
        "file's bytes (never its name): image/jpeg, image/png, image/gif, image/webp, "
        "application/pdf, the .docx and .xlsx types and text/plain (an image field: images "
        "only). Default: the four image types for an image field; PDF, images, .docx and "
        ".xlsx for a file field."),
)
FIELD_OVERRIDE = tuple(
    Key(k.name, k.kind, k.help, required=(k.name == "key"), default=k.default, allowed=k.allowed)
    for k in FIELD
) + (Key("add_choices", "list:choice", "Choices appended to the base field's choices."),)
FORM = (
    Key("key", "key", "Stable identifier; table (form_<key>) and permission names derive "
        "from it and never change.", required=True),
    Key("label", "label", "Form name in menus and titles.", required=True),
    Key("category", "key", "Menu category key (declared in menu.yaml).", required=True),
    Key("icon", "string", "Font Awesome icon of the menu item.", default="fa-table"),
    Key("order", "integer", "Position within its menu category (smaller first, then by key).",
        default=100),
    Key("description", "label", "One line shown above the list."),
    Key("display", "key", "Field that names a record when no title is declared; also the "
        "order of reference selects. Defaults to the first string field."),
    Key("title", "label", "How a record is named in selects, related lists, 我的待办, the "
        "audit and page titles: field keys in braces with text between, e.g. "
        "'{ticket_no} {customer} {product_name}' (a reference shows its record's name, a "
        "choice its label, a sensitive value masked, an empty one nothing). Defaults to "
        "the display field. A mapping {zh: …, en: …} when its text differs by language."),
    Key("fields", "list:field", "The form's fields, in screen order.", required=True),
    Key("list_columns", "keys", "Columns of the list screen (instead of per-field list)."),
    Key("search_columns", "keys", "Search filters (instead of per-field searchable)."),
    Key("order_columns", "keys", "Columns the list may be sorted by; defaults to list columns."),
    Key("order_by", "string", "Default order: a field key, '-' in front for descending.",
        default="-created_on"),
    Key("page_size", "integer", "Rows per list page.", default=20),
    Key("workflow", "section:workflow", "States and transitions of the form's records "
        "(see docs/workflows.md)."),
    Key("sla", "section:sla", "Response and resolution deadlines per priority; needs a "
        "workflow."),
    Key("computed", "list:computed", "Read-only values worked out from each record when it "
        "is shown (never stored, so not sortable): shown on the record page and in exports, "
        "listed where `list: true`."),
    Key("sections", "list:section", "Groups of fields on the add, edit and record pages "
        "(客户信息 / 产品信息 / 问题 / 处理), in order; fields in none come last, untitled."),
)
FORM_OVERRIDE = tuple(
    Key(k.name, k.kind, k.help, default=k.default, allowed=k.allowed)
    for k in FORM if k.name not in ("key", "fields", "workflow")
) + (
    Key("workflow", "section:workflow_override", "States and transitions added, or "
        "changed by key (e.g. a role added to a transition's roles)."),
) + (
    Key("fields", "list:field_override", "Fields added, or overridden by key."),
    Key("add_list_columns", "keys", "Columns appended to the base form's list_columns."),
    Key("add_search_columns", "keys", "Columns appended to the base form's search_columns."),
)
CATEGORY = (
    Key("key", "key", "Stable identifier of the menu category.", required=True),
    Key("label", "label", "Category name in the menu.", required=True),
    Key("icon", "string", "Font Awesome icon of the category.", default="fa-folder"),
)
MENU_FILE = (Key("categories", "list:category", "Menu categories, in menu order.",
                 required=True),)
ROLE = (
    Key("key", "key", "Role name as stored in the user management screens.", required=True),
    Key("label", "label", "What admins see next to the role."),
    Key("admin", "boolean", "Full access, including user and role management.",
        default=False),
    Key("audit", "boolean", "The audit screens (审计 menu): the audit log with filters, each "
        "event's details, a record's history, a user's activity, CSV export and the chain "
        "check. Read-only; sensitive values stay masked unless the role may reveal them. "
        "Not inherited; admins have it anyway.", default=False),
    Key("inherits", "keys", "Roles whose grants this role also has."),
    Key("grants", "grants", "Per form, the actions this role may take: list, show, add, "
        "edit, delete, export, import (upload files in the browser), or 'all'.", default={}),
    Key("scope", "string", "Row scope on the role's forms: own (records the user created or "
        "is assignee of), team (records created by or assigned to anyone sharing a team "
        "with the user), all. Not inherited.", default="own", allowed=SCOPES),
    Key("scopes", "scopes", "Row scope per form ('*' for every form), overriding scope.",
        default={}),
    Key("reveal", "field_refs", "Sensitive fields this role may reveal (each reveal is "
        "audited) and export unmasked: 'form.field', 'form.*' or '*'. Inherited.",
        default=[]),
    Key("readonly", "field_lists", "Per form, fields this role cannot change once the "
        "record exists (they show as text on the edit screen). Not inherited; a user with "
        "several roles is restricted only where every role granting edit restricts.",
        default={}),
)
ROLES_FILE = (Key("roles", "list:role", "The portal's roles.", required=True),)
ROLE_OVERRIDE = tuple(
    Key(k.name, k.kind, k.help, required=(k.name == "key"), default=k.default)
    for k in ROLE
)
PACK = (
    Key("label", "label", "Name of the industry pack.", required=True),
    Key("description", "label", "What the pack is for."),
    Key("categories", "list:category", "Menu categories added (or relabelled) by the pack."),
    Key("forms", "map:form_override", "Changes to base forms, by form key: labels, "
        "new fields, overridden fields and choices."),
    Key("roles", "list:role_override", "New roles, or grants added to base roles "
        "(a form's action list replaces the base list for that form)."),
)

SECTIONS: dict[str, tuple[Key, ...]] = {
    "form": FORM, "field": FIELD, "choice": CHOICE, "label": LABEL,
    "category": CATEGORY, "menu_file": MENU_FILE, "role": ROLE, "roles_file": ROLES_FILE,
    "pack": PACK, "form_override": FORM_OVERRIDE, "section": SECTION, "computed": COMPUTED,
    "field_override": FIELD_OVERRIDE, "role_override": ROLE_OVERRIDE,
    **WORKFLOW_SECTIONS, **DASHBOARD_SECTIONS, **WEBHOOK_SECTIONS, **NOTIFY_SECTIONS,
}

SECTION_TITLES = {
    "form": "Form file (config/forms/<key>.yaml, or forms/ of a pack)",
    "field": "Field (an item of a form's fields)",
    "choice": "Choice (an item of choices)",
    "label": "Label (any key of kind label, when written as a mapping)",
    "category": "Menu category (an item of categories)",
    "menu_file": "Menu file (config/menu.yaml)",
    "roles_file": "Roles file (config/roles.yaml)",
    "role": "Role (an item of roles)",
    "pack": "Industry pack (config/industries/<name>/pack.yaml)",
    "section": "Section (an item of a form's sections)",
    "computed": "Computed value (an item of a form's computed)",
    "form_override": "Form override (a value of a pack's forms mapping)",
    "field_override": "Field override (an item of a form override's fields)",
    "role_override": "Role override (an item of a pack's roles)",
    **WORKFLOW_TITLES, **DASHBOARD_TITLES, **WEBHOOK_TITLES, **NOTIFY_TITLES,
}


def _type_name(value: Any) -> str:
    if isinstance(value, LDict | dict):
        return "a mapping"
    if isinstance(value, LList | list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (boolean)"
    return f"{value!r} ({type(value).__name__})"


class Checker:
    """Structural checks of one mapping against its declared section."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, code: str, where: Any, path: tuple, message: str, hint: str = "") -> None:
        self.problems.append(Problem(code, where.file, where.line, where.column,
                                     format_path(path), message, hint))

    def check(self, data: Any, section: str, container: Any = None, slot: Any = None) -> bool:
        """Check `data` against SECTIONS[section]; True when structurally sound."""
        keys = SECTIONS[section]
        if not isinstance(data, LDict):
            where = container.where(slot) if container is not None else None
            path = (container.path + (slot,)) if container is not None else ()
            if where is not None:
                self.add("PORTAL-E011", where, path,
                         f"expected a mapping, found {_type_name(data)}")
            return False
        ok = True
        names = [k.name for k in keys]
        for key in data:
            if key not in names:
                near = difflib.get_close_matches(key, names, n=1)
                hint = f"did you mean '{near[0]}'?" if near else "allowed: " + ", ".join(names)
                self.add("PORTAL-E010", data.where(key), data.path + (key,),
                         f"unknown key '{key}'", hint)
                ok = False
        for spec in keys:
            if spec.name not in data:
                if spec.required:
                    self.add("PORTAL-E012", data.loc, data.path,
                             f"missing required key '{spec.name}'", spec.help)
                    ok = False
                continue
            ok = self.check_value(data, spec) and ok
        return ok

    def check_value(self, data: LDict, spec: Key) -> bool:
        value, path, where = data[spec.name], data.path + (spec.name,), data.where(
            spec.name, value=True)
        kind = spec.kind
        if kind.startswith("list:"):
            if not isinstance(value, LList):
                self.add("PORTAL-E011", where, path,
                         f"expected a list, found {_type_name(value)}")
                return False
            return all([self.check(item, kind[5:], value, i) for i, item in enumerate(value)])
        if kind.startswith("map:"):
            if not isinstance(value, LDict):
                self.add("PORTAL-E011", where, path,
                         f"expected a mapping, found {_type_name(value)}")
                return False
            return all([self.check(v, kind[4:], value, k) for k, v in value.items()])
        if kind.startswith("section:"):
            return self.check(value, kind[8:], data, spec.name)
        if kind == "states":
            if value == "*" or isinstance(value, str) or (isinstance(value, LList) and all(
                    isinstance(v, str) for v in value)):
                return True
            self.add("PORTAL-E011", where, path,
                     f"expected {KINDS['states']}, found {_type_name(value)}")
            return False
        if kind == "label":
            if isinstance(value, str) and value.strip():
                return True
            if isinstance(value, LDict):
                return self.check(value, "label")
            self.add("PORTAL-E011", where, path,
                     f"expected {KINDS['label']}, found {_type_name(value)}")
            return False
        if kind == "grants":
            return self.check_grants(value, where, path)
        if kind in ("scopes", "field_lists", "field_refs"):
            return self.check_role_map(value, kind, where, path)
        if kind in ("keys", "times", "numbers", "strings"):
            item = (int, float) if kind == "numbers" else str
            if not isinstance(value, LList) or not all(isinstance(v, item) and not isinstance(
                    v, bool) for v in value):
                self.add("PORTAL-E011", where, path,
                         f"expected {KINDS[kind]}, found {_type_name(value)}")
                return False
            return True
        return self.check_scalar(value, spec, where, path)

    def check_scalar(self, value: Any, spec: Key, where: Any, path: tuple) -> bool:
        kind = spec.kind
        good = {
            "string": isinstance(value, str),
            "key": isinstance(value, str),
            "boolean": isinstance(value, bool),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "scalar": not isinstance(value, LDict | LList) and value is not None,
            "date": isinstance(value, dt.date) and not isinstance(value, dt.datetime),
        }[kind]
        if not good:
            self.add("PORTAL-E011", where, path,
                     f"expected {KINDS[kind]}, found {_type_name(value)}")
            return False
        if kind == "key" and not KEY_RE.match(value):
            self.add("PORTAL-E014", where, path, f"'{value}' is not a valid identifier",
                     KINDS["key"])
            return False
        if spec.allowed and value not in spec.allowed:
            near = difflib.get_close_matches(value, spec.allowed, n=1)
            hint = f"did you mean '{near[0]}'?" if near else ""
            self.add("PORTAL-E013", where, path,
                     f"'{value}' is not one of ({', '.join(spec.allowed)})", hint)
            return False
        return True

    def check_role_map(self, value: Any, kind: str, where: Any, path: tuple) -> bool:
        """scopes (form → scope), field_lists (form → [field]), field_refs (['form.field'])."""
        if kind == "field_refs":
            if not isinstance(value, LList) or not all(isinstance(v, str) for v in value):
                self.add("PORTAL-E011", where, path,
                         f"expected {KINDS[kind]}, found {_type_name(value)}")
                return False
            return True
        if not isinstance(value, LDict):
            self.add("PORTAL-E011", where, path,
                     f"expected {KINDS[kind]}, found {_type_name(value)}")
            return False
        ok = True
        for form, item in value.items():
            vwhere = value.where(form, value=True)
            if kind == "scopes" and item not in SCOPES:
                near = difflib.get_close_matches(str(item), SCOPES, n=1)
                self.add("PORTAL-E013", vwhere, path + (form,),
                         f"'{item}' is not one of ({', '.join(SCOPES)})",
                         f"did you mean '{near[0]}'?" if near else "")
                ok = False
            if kind == "field_lists" and (not isinstance(item, LList) or not all(
                    isinstance(v, str) for v in item)):
                self.add("PORTAL-E011", vwhere, path + (form,),
                         f"expected a list of field keys, found {_type_name(item)}")
                ok = False
        return ok

    def check_grants(self, value: Any, where: Any, path: tuple) -> bool:
        if not isinstance(value, LDict):
            self.add("PORTAL-E011", where, path,
                     f"expected {KINDS['grants']}, found {_type_name(value)}")
            return False
        ok = True
        for form, actions in value.items():
            vwhere = value.where(form, value=True)
            if actions == "all":
                continue
            if not isinstance(actions, LList) or not all(isinstance(a, str) for a in actions):
                self.add("PORTAL-E011", vwhere, path + (form,),
                         f"expected a list of actions or 'all', found {_type_name(actions)}")
                ok = False
                continue
            for i, action in enumerate(actions):
                if action not in ACTIONS:
                    near = difflib.get_close_matches(action, ACTIONS, n=1)
                    self.add("PORTAL-E033", actions.where(i), path + (form, i),
                             f"unknown action '{action}'; allowed: {', '.join(ACTIONS)}",
                             f"did you mean '{near[0]}'?" if near else "")
                    ok = False
        return ok
