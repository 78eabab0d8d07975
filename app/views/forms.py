"""Spec → one FAB ModelView per form: columns, labels, filters, form fields, formatters."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from wtforms.validators import Optional

from app.db.titles import reference_loaders
from app.fieldtypes.forms import lazy, search_select
from app.fieldtypes.record_select import RecordSelectField
from app.fieldtypes.registry import field_type
from app.portal import FormParts, Portal
from app.records.forms import field_context, record_form
from app.records.labels import SYSTEM_LABELS, WORKFLOW_LABELS
from app.security.access import ScopeFilter
from app.spec import ComputedSpec, FieldSpec, FormSpec, forms_in_menu_order
from app.views.api.endpoints import register_apis
from app.views.api.openapi.views import register_openapi_views
from app.views.audit import register_audit_views
from app.views.base import PortalInterface, PortalModelView
from app.views.cells import every_cell, yes_no
from app.views.dashboards import DrillFilter, register_dashboard_views
from app.views.files import file_cell, register_file_view, upload_fields
from app.views.lookup import register_lookup_view
from app.views.mywork import register_my_work_view
from app.views.notifications import register_notification_view
from app.views.notify_log import register_notify_log_view
from app.views.protect import VERSION_FIELD, ProtectedViewMixin, masked_formatter
from app.views.reports import register_report_view
from app.views.schema import register_schema_view
from app.views.search import register_search_view
from app.views.sections import hidden_in
from app.views.signatures import register_signature_view
from app.views.teams import register_team_view
from app.views.webhooks import register_webhook_view
from app.views.workflow_columns import formatters as system_formatters
from app.views.workflow_columns import state_field


@functools.cache
def build_view(parts: FormParts, portal: Portal) -> type:
    """The ModelView class of one form; built once per spec and form."""
    form = parts.spec
    datamodel = PortalInterface(parts.model)
    keys = [f.key for f in form.fields]
    shown = list_columns(form, keys)
    # The references a list shows, and what their titles name: one query a page, not a row.
    datamodel.loaders = tuple(reference_loaders(parts.model, form, shown,
                                                portal.models.models))
    system = list(parts.workflow_columns)  # workflow state, SLA deadlines: shown, never edited
    state = state_field(form)
    searchable = list(form.fields) + ([state] if state else [])
    fields = record_form(parts, portal)  # the same fields as the API's and the import's
    screen = [f for f in form.fields if not f.given]  # an autonumber is shown, never entered
    entered = [f.key for f in screen]  # (file fields: uploaded, app/views/files.py)
    on_add = [f.key for f in screen  # `on_add: false`, sections of later states: not
              if f.on_add and f.key not in hidden_in(form, None)]  # on the add form
    extra = {f.key: getattr(fields, f.key) for f in form.entered}
    extra.update(upload_fields(form))
    labels = {f.key: lazy(f.label) for f in form.fields}
    labels.update(SYSTEM_LABELS)
    labels.update({k: v for k, v in WORKFLOW_LABELS.items() if k in system})
    formatters = {f.key: show(f) for f in form.fields if field_type(f.type).show}
    formatters.update({f.key: file_cell(form, f) for f in form.uploads})
    formatters.update(system_formatters(form))
    formatters.update({f.key: masked_formatter(f, formatters.get(f.key))
                       for f in form.fields if f.sensitive})
    computed = [c.key for c in form.computed]  # worked out on every read (app/db/computed.py)
    shown += [c.key for c in form.computed if c.list and c.key not in shown]
    labels.update({c.key: lazy(c.label) for c in form.computed})
    formatters.update({c.key: computed_formatter(c) for c in form.computed})
    show_columns = keys + computed + system + ["created_by", "created_on", "changed_by",
                                                "changed_on"]
    cells = every_cell(formatters, shown + show_columns)  # "—" for none
    # A signature says 未签名 rather than "—" (app/fieldtypes/signature.py).
    cells.update({f.key: show(f) for f in form.fields if f.signed})
    attrs: dict[str, Any] = {
        "__form__": form,
        "datamodel": datamodel,
        "list_title": lazy(form.label),
        "show_title": lazy(form.label),
        "add_title": lazy(form.label),
        "edit_title": lazy(form.label),
        "list_columns": shown,
        "show_columns": show_columns,
        "add_columns": on_add,
        "edit_columns": entered + [VERSION_FIELD],
        "search_columns": list(form.search_columns),
        "order_columns": list(parts.order_columns),
        "label_columns": labels,
        "description_columns": {**{f.key: lazy(f.help) for f in form.fields if f.help},
                                **{c.key: lazy(c.help) for c in form.computed if c.help}},
        "formatters_columns": cells,
        "search_form_extra_fields": search_fields(form, searchable),
        "export_formatters": {**{f.key: field_type(f.type).export(f) for f in searchable},
                              **{c.key: c.label_of for c in form.computed if c.choices}},
        "referrers": parts.referrers,
        "add_form_extra_fields": extra,
        "edit_form_extra_fields": {**extra, VERSION_FIELD: ProtectedViewMixin.version_field()},
        "base_filters": [["id", ScopeFilter, form], ["id", DrillFilter, form]],
        "base_order": parts.base_order,
        "page_size": form.page_size,
    }
    return type(form.view_name, (PortalModelView,), attrs)


def computed_formatter(spec: ComputedSpec) -> Any:
    """A computed value's cell: its choice's label in the page's language, or the value."""
    if not spec.choices:
        return computed_text
    return lambda value: computed_text(spec.label_of(value))


def computed_text(value: Any) -> Any:
    """A computed value as text: 26.5, 是/否, the text itself (— when none: every_cell)."""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return value


def search_fields(form: FormSpec, searchable: list[FieldSpec]) -> dict[str, Any]:
    """The value inputs of a list's search filters that are not FAB's text boxes: selects of
    labels (choices, ratings), and search-as-you-type selects of references and users (the
    records in the user's scope, found as they type, app/views/lookup.py)."""
    out: dict[str, Any] = {}
    for f in searchable:
        if f.key not in form.search_columns:
            continue
        if f.stores_id:
            context = field_context(None, form.key)
            out[f.key] = RecordSelectField(
                label=lazy(f.label), fetch=context.fetch(f), label_of=context.label(f),
                lookup=(form.key, f.key), allow_blank=True, blank_text="—",
                validators=[Optional()])
        elif field_type(f.type).search_select:
            out[f.key] = search_select(f)
    return out


def show(field: FieldSpec) -> Any:
    """The list and record pages' formatter of a field's type."""
    return field_type(field.type).show(field)  # type: ignore[misc]


def list_columns(form: FormSpec, keys: list[str]) -> list[str]:
    """The YAML's list columns; a form with a workflow always shows its state."""
    out = list(form.list_columns) or keys[:6]
    if form.workflow is not None and "state" not in out:
        out.append("state")
    return out


def register_views(appbuilder: Any, portal: Portal) -> None:
    """Add every form's view to the menu, grouped by category in menu.yaml order; FAB's
    security menu moves after the portal's own categories."""
    spec = portal.spec
    for category in spec.categories:
        for form in forms_in_menu_order(spec, category.key):
            appbuilder.add_view(
                build_view(portal.form(form.key), portal), form.key, icon=form.icon,
                label=lazy(form.label), category=category.key,
                category_icon=category.icon, category_label=lazy(category.label))
    register_apis(appbuilder, portal)  # /api/v1/<form key>/ (app/views/api/endpoints.py)
    register_openapi_views(appbuilder)  # /api/v1/openapi.json, /api-docs/ (app/views/api/openapi)
    register_schema_view(appbuilder)
    register_team_view(appbuilder)
    register_search_view(appbuilder)  # /search/ (app/views/search.py)
    register_lookup_view(appbuilder)  # /lookup/<form>/<field> (app/views/lookup.py)
    register_signature_view(appbuilder)  # /signature/<id>: a signature's PNG
    register_my_work_view(appbuilder)  # 我的待办, first in the menu (app/views/mywork.py)
    register_dashboard_views(appbuilder, portal)  # the 看板 menu (app/views/dashboards.py)
    register_report_view(appbuilder)  # 周报 / 月报 of each dashboard (app/views/reports.py)
    register_audit_views(appbuilder)  # the 审计 menu (app/views/audit.py)
    register_webhook_view(appbuilder)  # 推送记录, for admins (app/views/webhooks.py)
    register_file_view(appbuilder)  # /files/<token>: uploaded files (app/views/files.py)
    register_notification_view(appbuilder)  # 我的通知, the bell (app/views/notifications.py)
    register_notify_log_view(appbuilder)  # 通知记录, for admins (app/views/notify_log.py)
    menu = appbuilder.menu.menu
    menu.sort(key=lambda item: item.name == "Security")  # stable: keeps the rest in order
