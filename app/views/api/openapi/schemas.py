"""One form's component schemas: the record as answered, a new record and a change as sent,
the `q` objects of its list, record and `_info` endpoints, and its workflow's bodies."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.records.labels import API_LABELS, WORKFLOW_LABELS
from app.spec import FormSpec, PortalSpec, TransitionSpec
from app.views.api.endpoints import INFO_KEYS, LIST_KEYS, SHOW_KEYS
from app.views.api.openapi import fields
from app.views.api.openapi.common import STRINGS, codes, joined, ref
from app.views.api.payload import SYSTEM_OUT
from app.views.api.query import LIST_OPERATORS, MAX_FILTER_VALUES
from app.views.guard import MAX_PAGE
from app.views.workflow import COMMENT_MAX


def default_of(field: Any) -> tuple[dict[str, Any], str | None]:
    """A field's YAML default: a JSON `default` when it is a constant of the type; else
    (today+N, now, the signed-in user) `x-default` and a sentence saying what it means."""
    value = field.default
    if field.type == "multi_choice":
        return {"default": [v for v in str(value).split(",") if v]}, None
    if field.type in ("decimal", "money"):
        return {"default": str(value)}, None
    if field.type in ("date", "datetime", "user"):
        meaning = {"current_user": _("the signed-in user"), "now": _("the time of saving")}.get(
            str(value), str(value).replace("today", _("the day of saving")))
        return {"x-default": str(value)}, _("Left out: %(meaning)s.", meaning=meaning)
    return {"default": value}, None


class FormSchemas:
    """Names and bodies of one form's schemas (components/schemas)."""

    def __init__(self, spec: PortalSpec, parts: Any, api: Any, max_page: int) -> None:
        self.spec, self.parts, self.api, self.max_page = spec, parts, api, max_page
        self.form: FormSpec = parts.spec
        self.prefix = self.form.class_name

    def name(self, what: str) -> str:
        return f"{self.prefix}{what}"

    def target_label(self, key: str | None) -> str | None:
        return next((f.label.get() for f in self.spec.forms if f.key == key), None)

    # -- the record ----------------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        form, model = self.form, self.parts.model
        props: dict[str, Any] = {"id": fields.column(model, "id", str(API_LABELS["id"]))}
        for f in form.fields:
            props[f.key] = fields.answered(f, fields.reveal_roles(form, f, self.spec.roles),
                                           self.target_label(f.form))
        for c in form.computed:
            notes = [c.help.get()] if c.help else []
            notes.append(_("Computed on every read from `%(expression)s`; never sent.",
                           expression=c.text))
            if c.choices:
                notes.append(_("Values: %(choices)s", choices=fields.choice_text(c)))
            props[c.key] = {"title": c.label.get(), "readOnly": True, "nullable": True,
                            "description": " ".join(notes), "x-computed": c.text}
        for key in self.parts.workflow_columns:
            props[key] = fields.column(model, key, str(WORKFLOW_LABELS[key]))
            props[key]["description"] = self._workflow_note(key)
        for key in SYSTEM_OUT[1:]:
            props[key] = fields.column(model, key, str(API_LABELS[key]))
        props["version"]["description"] = _("Increases with every change; send it back on "
                                            "PUT or a transition to refuse a lost update "
                                            "(409).")
        return {"type": "object", "title": form.label.get(), "additionalProperties": False,
                "properties": {k: v for k, v in props.items() if k in self.api.list_columns},
                "description": _("A record as answered (only the `columns` asked for, when "
                                 "the `q` parameter names some).")}

    def _workflow_note(self, key: str) -> str:
        workflow = self.form.workflow
        if key == "state" and workflow is not None:
            states = joined((f"`{s.key}`: {s.label.get()}" for s in workflow.states),
                            strong=True)
            return _("The workflow state; changed only by the transitions (POST "
                     "…/transition/<key>). States: %(states)s.", states=states)
        return _("Set by the SLA clock (`flask portal sla run` and the transitions); "
                 "read-only.")

    def new(self) -> dict[str, Any]:
        """POST: the entered fields; missing ones take their YAML defaults."""
        props = {f.key: self._entered(f) for f in self.form.entered}
        required = [f.key for f in self.form.entered if f.required and f.default is None]
        schema: dict[str, Any] = {
            "type": "object", "title": self.form.label.get(), "additionalProperties": False,
            "properties": props,
            "description": _("A new record. A field left out takes its YAML default (see each "
                             "field's `default`). Keys that are no field are refused (400), "
                             "the workflow state and numbers the portal gives too.")}
        if required:
            schema["required"] = required
        return schema

    def change(self) -> dict[str, Any]:
        """PUT: only the fields sent change; `version`, when sent, must be the stored one."""
        props: dict[str, Any] = {f.key: self._entered(f, readonly=True)
                                 for f in self.form.entered}
        props["version"] = {"type": "integer", "minimum": 0, "maximum": fields.INT_MAX,
                            "description": _("The version you read: a different stored one "
                                             "is a 409 (someone changed the record "
                                             "meanwhile).")}
        return {"type": "object", "title": self.form.label.get(), "additionalProperties": False,
                "properties": props,
                "description": _("Changes to a record: only the fields sent change.")}

    def _entered(self, field: Any, readonly: bool = False) -> dict[str, Any]:
        schema = fields.entered(field, self.target_label(field.form))
        if field.default is not None and not readonly:
            extra, note = default_of(field)
            schema.update(extra)
            if note:
                schema["description"] = " ".join(filter(None, (schema.get("description"), note)))
        who = fields.readonly_roles(self.form, field, self.spec.roles) if readonly else []
        if who:
            schema["x-readonly-for-roles"] = who
            schema["description"] = " ".join(filter(None, (
                schema.get("description"),
                _("Read-only for the roles %(roles)s (a user is held to it when every role of "
                  "theirs that may edit the form makes it read-only; admins never): a change "
                  "is a 400.", roles=codes(who)))))
        return schema

    # -- the q parameter -----------------------------------------------------------------------
    def list_query(self) -> dict[str, Any]:
        api = self.api
        props: dict[str, Any] = {
            "columns": {"type": "array", "minItems": 1, "items": {
                "type": "string", "enum": list(api.list_columns)}},
            "keys": {"type": "array", "items": {"type": "string",
                                                "enum": [*LIST_KEYS, "none"]}},
            "filters": {"type": "array", "items": self._filter(),
                        "description": _("All must hold (AND).")},
            "order_direction": {"type": "string", "enum": ["asc", "desc"]},
            "page": {"type": "integer", "minimum": 0, "maximum": MAX_PAGE - 1},
            "page_size": {"type": "integer", "minimum": 1, "maximum": self.max_page,
                          "default": min(api.page_size, self.max_page)},
        }
        if api.order_columns:
            props["order_column"] = {"type": "string", "enum": list(api.order_columns),
                                     "description": _("Default: `%(order)s`.", order="-".join(
                                         reversed(api.base_order)))}
        return {"type": "object", "additionalProperties": False, "properties": props}

    def _filter(self) -> dict[str, Any]:
        available = self.api._filters.get_search_filters()
        branches = []
        for column, flts in available.items():
            operators = [f.arg_name for f in flts]
            value = self._filter_value(column)
            for ops in (
                    [o for o in operators if o not in LIST_OPERATORS],
                    [o for o in operators if o in LIST_OPERATORS]):
                if not ops:
                    continue
                many = ops[0] in LIST_OPERATORS
                branches.append({
                    "type": "object", "additionalProperties": False,
                    "required": ["col", "opr", "value"],
                    "properties": {
                        "col": {"type": "string", "enum": [column]},
                        "opr": {"type": "string", "enum": ops},
                        "value": {"type": "array", "minItems": 1,
                                  "maxItems": MAX_FILTER_VALUES, "items": value}
                        if many else value}})
        if not branches:
            return {"not": {}, "description": _("This form has no search filters.")}
        names = joined((f"`{k}` ({codes(f.arg_name for f in v)})"
                        for k, v in available.items()), strong=True)
        return {"oneOf": branches,
                "description": _("A search filter: column, operator and value. Columns and "
                                 "operators: %(names)s. `in`/`not_in` take a list.",
                                 names=names)}

    def _filter_value(self, column: str) -> dict[str, Any]:
        field = next((f for f in self.form.fields if f.key == column), None)
        if column == "state" and self.form.workflow is not None:
            return {"type": "string", "enum": [s.key for s in self.form.workflow.states]}
        if field is None:  # an SLA deadline
            return {"type": "string", "pattern": fields.DATETIME_IN}
        if field.stores_id:
            return {"type": "integer", "minimum": 1, "maximum": fields.INT_MAX}
        if field.type == "boolean":
            return {"type": "boolean"}
        if field.type in ("choice", "multi_choice"):
            return {"type": "string", "enum": [c.value for c in field.choices]}
        if field.type in ("integer", "rating", "decimal", "money"):
            return {"type": "number"}
        if field.type == "date":
            return {"type": "string", "format": "date"}
        if field.type == "datetime":
            return {"type": "string", "pattern": fields.DATETIME_IN}
        return {"type": "string", "minLength": 1, "maxLength": 500}

    def show_query(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": False, "properties": {
            "columns": {"type": "array", "minItems": 1, "items": {
                "type": "string", "enum": list(self.api.show_columns)}},
            "keys": {"type": "array", "items": {"type": "string",
                                                "enum": [*SHOW_KEYS, "none"]}}}}

    def info_query(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": False, "properties": {
            "keys": {"type": "array", "items": {"type": "string",
                                                "enum": [*INFO_KEYS, "none"]}}}}

    # -- answers -------------------------------------------------------------------------------
    def listing(self) -> dict[str, Any]:
        labels = {"type": "object", "additionalProperties": {"type": "string"}}
        return {"type": "object", "additionalProperties": False, "required": ["count", "ids",
                                                                             "result"],
                "properties": {
                    "count": {"type": "integer", "minimum": 0,
                              "description": _("Records matching, within your row scope.")},
                    "ids": {"type": "array", "items": {"type": "integer"}},
                    "result": {"type": "array", "items": ref(self.name("Record"))},
                    "list_columns": STRINGS, "order_columns": STRINGS,
                    "label_columns": labels, "description_columns": labels,
                    "list_title": {"type": "string"}}}

    def item(self, meta: bool) -> dict[str, Any]:
        labels = {"type": "object", "additionalProperties": {"type": "string"}}
        props: dict[str, Any] = {"id": {"type": "integer"}, "result": ref(self.name("Record"))}
        if meta:
            props.update(show_columns=STRINGS, label_columns=labels,
                         description_columns=labels, show_title={"type": "string"})
        return {"type": "object", "additionalProperties": False, "required": ["id", "result"],
                "properties": props}

    def info(self) -> dict[str, Any]:
        columns = {"type": "array", "items": ref("FieldInfo")}
        filters = {"type": "object", "additionalProperties": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "operator": {"type": "string"}}}}}
        return {"type": "object", "additionalProperties": False, "properties": {
            "add_columns": columns, "edit_columns": columns, "filters": filters,
            "permissions": {"type": "array", "items": {"type": "string"},
                            "description": _("Your permissions on this form: %(names)s.",
                                             names=codes(("can_list", "can_show", "can_add",
                                                          "can_edit", "can_delete")))},
            "add_title": {"type": "string"}, "edit_title": {"type": "string"}}}

    # -- workflow ------------------------------------------------------------------------------
    def offers(self) -> dict[str, Any]:
        keys = [t.key for t in self.form.workflow.transitions] if self.form.workflow else []
        offer = {"type": "object", "additionalProperties": False,
                 "required": ["key", "label", "to", "comment", "required_fields", "approvals"],
                 "properties": {
                     "key": {"type": "string", "enum": keys}, "label": {"type": "string"},
                     "to": {"type": "string"},
                     "comment": {"type": "string", "enum": ["required", "optional", "none"]},
                     "required_fields": STRINGS,
                     "approvals": {"type": "object", "additionalProperties": False,
                                   "required": ["needed", "done"], "properties": {
                                       "needed": {"type": "integer"},
                                       "done": {"type": "integer"}}}}}
        return {"type": "object", "additionalProperties": False,
                "required": ["id", "state", "version", "result"],
                "properties": {"id": {"type": "integer"},
                               "state": {"type": "string", "nullable": True},
                               "version": {"type": "integer"},
                               "result": {"type": "array", "items": offer,
                                          "description": _("What you may fire now.")}}}

    def fire(self, t: TransitionSpec) -> dict[str, Any]:
        comment: dict[str, Any] = {"type": "string", "maxLength": COMMENT_MAX, "nullable": True}
        if t.comment == "required":
            comment.update(minLength=1, nullable=False, description=_("Required."))
        elif t.comment == "none":
            comment["description"] = _("Not asked for: ignored.")
        values = {f.key: fields.entered(f, self.target_label(f.form))
                  for f in self.form.fields if f.key in t.required_fields}
        schema: dict[str, Any] = {
            "type": "object", "additionalProperties": False,
            "required": ["version", *(["comment"] if t.comment == "required" else [])],
            "properties": {
                "version": {"type": "integer", "minimum": 0, "maximum": fields.INT_MAX,
                            "description": _("The record's version as you read it (409 if "
                                             "it changed).")},
                "comment": comment}}
        if values:
            schema["properties"]["values"] = {
                "type": "object", "additionalProperties": False, "properties": values,
                "description": _("The fields this transition needs filled in (each must hold "
                                 "a value afterwards, stored or sent here), checked like a "
                                 "PUT.")}
        return schema

    def fired(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": False,
                "required": ["message", "state", "version"],
                "properties": {"message": {"type": "string"},
                               "state": {"type": "string", "nullable": True},
                               "version": {"type": "integer"}}}
