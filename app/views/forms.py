"""Spec → one FAB ModelView per form: columns, labels, filters, form fields, formatters."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.db.tables import FormModels
from app.security.access import ScopeFilter
from app.spec import FieldSpec, FormSpec, PortalSpec
from app.views.api.endpoints import register_apis
from app.views.audit import register_audit_views
from app.views.base import PortalInterface, PortalModelView
from app.views.fields import build_field, lazy, search_field
from app.views.mywork import register_my_work_view
from app.views.protect import VERSION_FIELD, ProtectedViewMixin, masked_formatter
from app.views.schema import register_schema_view
from app.views.teams import register_team_view
from app.views.workflow_columns import LABELS as SYSTEM_COLUMN_LABELS
from app.views.workflow_columns import formatters as system_formatters
from app.views.workflow_columns import state_field, system_columns

SYSTEM_LABELS = {
    "id": _l("No."),
    "created_on": _l("Created on"),
    "changed_on": _l("Changed on"),
    "created_by": _l("Created by"),
    "changed_by": _l("Changed by"),
}

_VIEWS: dict[tuple[str, str], type] = {}


def _formatter(field: FieldSpec) -> Any:
    if field.type == "choice":
        return lambda value: field.choice_label(value)
    if field.type == "multi_choice":
        return lambda value: "、".join(field.choice_label(v) for v in str(value).split(",") if v)
    if field.type == "rating":
        return lambda value: Markup('<span title="{0}">{1}</span>').format(
            value, "★" * int(value))
    if field.type == "money":
        return lambda value: f"¥{value:,.2f}"
    if field.type == "boolean":
        return lambda value: _l("Yes") if value else _l("No")
    if field.type == "text":
        return lambda value: Markup("<div style='white-space:pre-wrap'>{0}</div>").format(
            escape(value))
    return None


def _plain(field: FieldSpec) -> Any:
    """Export value: what a spreadsheet should get (labels for choices, plain numbers)."""
    if field.type in ("choice", "multi_choice"):
        return lambda value: "、".join(field.choice_label(v) for v in str(value).split(",")
                                      if v)
    if field.type == "boolean":
        return lambda value: _l("Yes") if value else _l("No")
    return str


def build_view(form: FormSpec, models: FormModels, spec: PortalSpec) -> type:
    """The ModelView class of one form; built once per spec and form."""
    cache_key = (spec.fingerprint, form.key)
    if spec.fingerprint and cache_key in _VIEWS:
        return _VIEWS[cache_key]
    model = models.models[form.key]
    datamodel = PortalInterface(model)
    keys = [f.key for f in form.fields]
    system = system_columns(form)  # workflow state, SLA deadlines: shown, never edited
    state = state_field(form)
    searchable = list(form.fields) + ([state] if state else [])
    extra = {f.key: build_field(f, datamodel, lambda k: models.models[k]) for f in form.fields}
    labels = {f.key: lazy(f.label) for f in form.fields}
    labels.update(SYSTEM_LABELS)
    labels.update({k: v for k, v in SYSTEM_COLUMN_LABELS.items() if k in system})
    formatters = {f.key: fmt for f in form.fields if (fmt := _formatter(f)) is not None}
    formatters.update(system_formatters(form))
    formatters.update({f.key: masked_formatter(f, formatters.get(f.key))
                       for f in form.fields if f.sensitive})
    direction = "desc" if form.order_by.startswith("-") else "asc"
    attrs: dict[str, Any] = {
        "__form__": form,
        "datamodel": datamodel,
        "list_title": lazy(form.label),
        "show_title": lazy(form.label),
        "add_title": lazy(form.label),
        "edit_title": lazy(form.label),
        "list_columns": list_columns(form, keys),
        "show_columns": keys + system + ["created_by", "created_on", "changed_by",
                                         "changed_on"],
        "add_columns": keys,
        "edit_columns": keys + [VERSION_FIELD],
        "search_columns": list(form.search_columns),
        "order_columns": [c for c in form.order_columns  # sorting would leak masked values
                          if c in system or (
                              form.field(c).type not in ("reference", "user", "multi_choice")
                              and not form.field(c).sensitive)],
        "label_columns": labels,
        "description_columns": {f.key: lazy(f.help) for f in form.fields if f.help},
        "formatters_columns": formatters,
        # the search filter's select of a reference lists only records in the user's scope
        "search_form_query_rel_fields": {
            f.key: [["id", ScopeFilter, spec.form(f.form)]] for f in form.fields
            if f.type == "reference" and f.form and f.key in form.search_columns},
        "search_form_extra_fields": {f.key: search_field(f) for f in searchable
                                     if f.key in form.search_columns
                                     and f.type in ("choice", "multi_choice", "rating")},
        "export_formatters": {f.key: _plain(f) for f in searchable},
        "referenced_by": [(lazy(other.label), models.models[other.key], field.column)
                          for other in spec.forms for field in other.fields
                          if field.type == "reference" and field.form == form.key],
        "add_form_extra_fields": extra,
        "edit_form_extra_fields": {**extra, VERSION_FIELD: ProtectedViewMixin.version_field()},
        "base_filters": [["id", ScopeFilter, form]],
        "base_order": (form.order_by.lstrip("-"), direction),
        "page_size": form.page_size,
    }
    view = type(form.view_name, (PortalModelView,), attrs)
    if spec.fingerprint:
        _VIEWS[cache_key] = view
    return view


def list_columns(form: FormSpec, keys: list[str]) -> list[str]:
    """The YAML's list columns; a form with a workflow always shows its state."""
    out = list(form.list_columns) or keys[:6]
    if form.workflow is not None and "state" not in out:
        out.append("state")
    return out


def forms_in_menu_order(spec: PortalSpec, category: str) -> list[FormSpec]:
    return sorted((f for f in spec.forms if f.category == category),
                  key=lambda f: (f.order, f.key))


def register_views(appbuilder: Any, spec: PortalSpec, models: FormModels) -> None:
    """Add every form's view to the menu, grouped by category in menu.yaml order; FAB's
    security menu moves after the portal's own categories."""
    for category in spec.categories:
        for form in forms_in_menu_order(spec, category.key):
            appbuilder.add_view(
                build_view(form, models, spec), form.key, icon=form.icon,
                label=lazy(form.label), category=category.key,
                category_icon=category.icon, category_label=lazy(category.label))
    register_apis(appbuilder, spec, models)  # /api/v1/<form key>/ (app/views/api/endpoints.py)
    register_schema_view(appbuilder)
    register_team_view(appbuilder)
    register_my_work_view(appbuilder)  # 我的待办, first in the menu (app/views/mywork.py)
    register_audit_views(appbuilder)  # the 审计 menu (app/views/audit.py)
    menu = appbuilder.menu.menu
    menu.sort(key=lambda item: item.name == "Security")  # stable: keeps the rest in order
