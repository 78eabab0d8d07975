"""Spec sections → the groups of fields on the add, edit and record pages (客户信息, 产品信息,
问题, 处理 …), one or two columns each, some only in some workflow states; the record page
also groups the workflow and deadline columns, and who created and changed the record, in
two compact columns of their own.

FAB draws groups from `add_fieldsets`, `edit_fieldsets` and `show_fieldsets`; here they are
worked out per request (labels in the user's language, sections of the record's state), with
the portal's own widget templates (app/templates/portal/widgets/)."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_appbuilder.widgets import FormWidget, ShowWidget
from flask_babel import lazy_gettext as _l

from app.spec import STATE_COLUMN, FormSpec

AUDIT_COLUMNS = ("created_by", "created_on", "changed_by", "changed_on")
WIDE_TYPES = ("text",)  # long text spans both columns of a two-column section


class SectionFormWidget(FormWidget):
    template = "portal/widgets/form.html"


class SectionShowWidget(ShowWidget):
    template = "portal/widgets/show.html"


def group(label: Any, key: str, fields: list[str], columns: int, form: FormSpec
          ) -> tuple[Any, dict[str, Any]]:
    wide = [f.key for f in form.fields if f.key in fields and f.type in WIDE_TYPES]
    return (label, {"fields": fields, "columns": columns, "key": key, "wide": wide})


def hidden_in(form: FormSpec, state: str | None) -> set[str]:
    """Fields of the sections not shown in `state` (None: on the add form, the initial)."""
    if state is None and form.workflow is not None:
        state = form.workflow.initial.key
    return {key for s in form.sections if s.states and state not in s.states
            for key in s.fields}


def fieldsets(form: FormSpec, columns: list[str], state: str | None, record: bool
              ) -> list[tuple[Any, dict[str, Any]]]:
    """The groups of `columns` (those the page shows) in the sections' order; what no
    section holds comes after them; on the record page (`record`) the workflow and the
    record's own columns last."""
    hidden = hidden_in(form, state)
    out = []
    placed: set[str] = set()
    for section in form.sections:
        placed |= set(section.fields)
        fields = [f for f in section.fields if f in columns and f not in hidden]
        if fields:
            out.append(group(section.label.get(), section.key, fields, section.columns, form))
    system = [c for c in columns if c == STATE_COLUMN or c.startswith("sla_")]
    audit = [c for c in columns if c in AUDIT_COLUMNS]
    rest = [c for c in columns if c not in placed and c not in hidden
            and (not record or (c not in system and c not in audit))]
    if rest:
        out.append(group(_l("Other") if form.sections else "", "other", rest, 1, form))
    if record and system:
        out.append(group(_l("Workflow and deadlines"), "workflow", system, 2, form))
    if record and audit:
        out.append(group(_l("About this record"), "record", audit, 2, form))
    return out


class _Fieldsets:
    """One of FAB's `*_fieldsets`, worked out per request from the page's columns (the add
    page in the initial state, the others in the record's); None at start-up, where FAB
    reads them to derive columns it already has, and FAB's own assignment is ignored."""

    def __init__(self, columns: str, record: bool) -> None:
        self.columns, self.record = columns, record

    def __get__(self, view: Any, owner: Any = None) -> Any:
        if view is None or not has_request_context():
            return None
        state = None if self.columns == "add_columns" else view._state() or ""
        return fieldsets(view.__form__, getattr(view, self.columns), state, self.record)

    def __set__(self, view: Any, value: Any) -> None:
        pass


class SectionsViewMixin:
    """Mixed into PortalModelView: FAB's fieldsets of the three pages, per request."""

    __form__: Any
    add_columns: list[str]
    edit_columns: list[str]
    show_columns: list[str]
    add_widget = SectionFormWidget
    edit_widget = SectionFormWidget
    show_widget = SectionShowWidget

    stored_item: Any  # the record the request names (app/views/protect.py)

    def _state(self) -> str | None:
        item = self.stored_item()
        return getattr(item, STATE_COLUMN, None) if item is not None else None

    add_fieldsets = _Fieldsets("add_columns", record=False)
    edit_fieldsets = _Fieldsets("edit_columns", record=False)
    show_fieldsets = _Fieldsets("show_columns", record=True)

    def hidden_on_edit(self) -> frozenset[str]:
        """Fields the edit form leaves out for the record's state (so a save never blanks
        them: FAB stores every field of its form)."""
        return frozenset(hidden_in(self.__form__, self._state() or ""))
