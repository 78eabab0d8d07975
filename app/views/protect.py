"""Record- and field-level protection of the generated screens: per-role read-only fields,
sensitive-field reveal (audited), no lost updates (a version check on every edit), and no
edit or delete of a record in a locked workflow state (only its transitions move it on)."""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    request,
    url_for,
)
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.filters import (
    FilterEqual,
    FilterIn,
    FilterNotEqual,
    FilterNotIn,
)
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_appbuilder.widgets import ListWidget
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField

from app.audit import log as audit
from app.fieldtypes.registry import field_type, mask
from app.security.access import current_access
from app.spec import STATE_COLUMN, FormSpec, StateSpec
from app.views.protected_fields import ReadOnlyField

EXACT_FILTERS = (FilterEqual, FilterNotEqual, FilterIn, FilterNotIn)

VERSION_FIELD = "row_version"


class LockAwareListWidget(ListWidget):
    """FAB's list, without the edit and delete buttons of rows in a locked state."""

    template = "portal/list_widget.html"


class ProtectedViewMixin:
    """Mixed into PortalModelView (attributes below come from FAB's ModelView)."""

    __form__: Any
    datamodel: Any
    formatters_columns: dict
    label_columns: dict
    _base_filters: Any
    _filters: Any
    show_template: str
    show_title: Any
    _related_views: Any
    route_base: str
    endpoint: str
    list_widget = LockAwareListWidget

    # -- read-only fields per role -------------------------------------------------------
    @property
    def edit_form(self) -> Any:
        """FAB's edit form, per request: the user's read-only fields replaced by text, and
        bound to the stored record on POST too (FAB binds only the posted data), so that a
        sensitive input left empty can keep the stored value."""
        base = self.__dict__.get("_edit_form_base")
        if base is None or not has_request_context():
            return base
        readonly = current_access().readonly_fields(self.__form__.key)
        hidden = self.hidden_on_edit()  # sections of other workflow states: left as stored
        cache = self.__dict__.setdefault("_edit_forms", {})
        if (readonly, hidden) not in cache:
            view = self
            attrs: dict[str, Any] = {key: ReadOnlyField(self.label_columns.get(key, key),
                                                        display=self._display(key))
                                     for key in readonly}
            attrs.update({key: None for key in hidden})

            def refresh(cls: Any, obj: Any = None) -> Any:
                return cls(obj=view.stored_item())

            attrs["refresh"] = classmethod(refresh)
            cache[(readonly, hidden)] = type("PortalEditForm", (base,), attrs)
        return cache[(readonly, hidden)]

    @edit_form.setter
    def edit_form(self, value: Any) -> None:
        self.__dict__["_edit_form_base"] = value

    def hidden_on_edit(self) -> frozenset[str]:  # app/views/sections.py
        return frozenset()

    def stored_item(self) -> Any:
        pk = (request.view_args or {}).get("pk")
        return None if pk is None else self.datamodel.get(pk, self._base_filters)

    def _display(self, key: str) -> Any:
        spec = self.__form__.field(key)
        formatter = self.formatters_columns.get(key)
        if spec.sensitive:
            return lambda value: mask(spec, value)
        return formatter or str

    # -- no lost updates -----------------------------------------------------------------
    @staticmethod
    def version_field() -> Any:
        return HiddenField()

    def prefill_form(self, form: Any, pk: Any) -> None:
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None and VERSION_FIELD in form:
            form[VERSION_FIELD].data = item.version

    def pre_update(self, item: Any) -> None:
        """Refuse a save made on a stale copy: someone else saved the record since the form
        was opened. (Simultaneous saves are caught by the version column on UPDATE.)"""
        state = locked_state(self.__form__, item)
        if state is not None:
            raise ValueError(locked_message(state))
        sent = getattr(item, VERSION_FIELD, None)
        if sent in (None, ""):
            return  # scripts and APIs without the field rely on the UPDATE check
        if str(sent) != str(item.version):
            raise ValueError(conflict_message(item))

    # -- locked workflow states: no edit, no delete, whoever asks (admins too) --------------
    def _edit(self, pk: Any) -> Any:
        """FAB's edit screen (GET and POST), unless the record is locked: refused, back to
        its page."""
        if self._refuse_locked(pk):
            return None
        return super()._edit(pk)  # type: ignore[misc]

    def _delete(self, pk: Any) -> Any:
        if self._refuse_locked(pk):
            return None
        return super()._delete(pk)  # type: ignore[misc]

    def _refuse_locked(self, pk: Any) -> bool:
        item = self.datamodel.get(pk, self._base_filters)
        state = locked_state(self.__form__, item) if item is not None else None
        if state is None:
            return False
        flash(locked_message(state), "danger")
        g.portal_locked = item.id
        return True

    def _locked_redirect(self) -> Any:
        pk = g.get("portal_locked")
        return None if pk is None else redirect(url_for(f"{self.endpoint}.show", pk=pk))

    def post_edit_redirect(self) -> Any:
        return self._locked_redirect() or super().post_edit_redirect()  # type: ignore[misc]

    def post_delete_redirect(self) -> Any:
        return self._locked_redirect() or super().post_delete_redirect()  # type: ignore[misc]

    def _get_list_widget(self, *args: Any, **kwargs: Any) -> Any:
        """FAB's, telling the list which states hide a row's edit and delete buttons."""
        workflow = self.__form__.workflow if self.__form__ else None
        kwargs["locked_states"] = [s.key for s in workflow.states if s.locked or s.final] \
            if workflow else []
        return super()._get_list_widget(*args, **kwargs)  # type: ignore[misc]

    @property
    def database_error_message(self) -> Any:
        """FAB flashes this for any database error: the portal's readable reason instead."""
        return g.get("portal_db_error") or _l("Not saved: the database reported an error; "
                                              "nothing was changed.")

    # -- sensitive fields: search by exact value only; reveal on demand, audited ----------
    def restrict_filters(self) -> None:
        """Sensitive fields are searched only by their exact value: prefix, contains and
        range filters would let a user guess a masked value digit by digit. Choices and the
        workflow state are searched by exact values too: "starts with" on them ran
        lower(column) LIKE 'x%' over the whole table, and a choice is picked, not typed."""
        exact_choices = {f.key for f in self.__form__.fields
                         if field_type(f.type).exact_search} | {STATE_COLUMN}
        for key, filters in list(self._filters._search_filters.items()):
            field = next((f for f in self.__form__.fields if f.key == key), None)
            if field is not None and field.sensitive:
                kept = [flt for flt in filters if type(flt) is FilterEqual]
            elif key in exact_choices:
                kept = [flt for flt in filters if type(flt) in EXACT_FILTERS]
            else:
                continue
            # FAB offers _search_filters but applies the URL's _flt_<n>_ index from
            # _all_filters: both must hold the same list, or index 0 is "starts with".
            self._filters._search_filters[key] = kept
            self._filters._all_filters[key] = kept

    def revealable(self) -> list[Any]:
        access = current_access()
        shown = g.get("portal_revealed", set())
        return [f for f in self.__form__.fields
                if f.sensitive and access.can_reveal(self.__form__.key, f.key)
                and f.key not in shown]

    @expose("/reveal/<int:pk>/<field_key>", methods=["POST"])
    @has_access
    @permission_name("show")
    def reveal(self, pk: int, field_key: str) -> Any:
        form = self.__form__
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        field = next((f for f in form.fields if f.key == field_key and f.sensitive), None)
        session = current_app.extensions["appbuilder"].session
        if field is None or not current_access().can_reveal(form.key, field_key):
            audit.record(session, "reveal", form=form.key, record_id=pk, outcome="denied",
                         details={"field": field_key})
            session.commit()
            flash(_("Your role may not reveal this field."), "danger")
            return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        audit.record(session, "reveal", form=form.key, record_id=pk,
                     details={"field": field_key})
        session.commit()
        g.portal_revealed = g.get("portal_revealed", set()) | {field_key}
        widgets = self._show(pk)  # type: ignore[attr-defined]
        return self.render_template(  # type: ignore[attr-defined]
            self.show_template, pk=pk, title=self.show_title, widgets=widgets,
            related_views=self._related_views)


def revealed(field_key: str) -> bool:
    return field_key in g.get("portal_revealed", set()) if has_request_context() else False


def masked_formatter(field: Any, inner: Any = None) -> Any:
    """List and show value of a sensitive field: masked, unless revealed in this request."""
    def fmt(value: Any) -> Any:
        if revealed(field.key):
            return inner(value) if inner else value
        return mask(field, value)
    return fmt


def locked_state(form: FormSpec | None, item: Any) -> StateSpec | None:
    """The record's state if it forbids edit and delete (`locked`, or final); else None."""
    workflow = form.workflow if form is not None else None
    state = workflow.state(getattr(item, STATE_COLUMN, None) or "") if workflow else None
    return state if state is not None and (state.locked or state.final) else None


def locked_message(state: StateSpec) -> str:
    return _("This record is “%(state)s” and can no longer be edited or deleted; use its "
             "workflow actions.", state=state.label.get())


def conflict_message(item: Any) -> str:
    """'Not saved: <user> changed this record at <time>…', from the record as stored now."""
    who = getattr(item.changed_by, "username", None) or _("someone else")
    when = format_datetime(item.changed_on, "yyyy-MM-dd HH:mm:ss") if item.changed_on \
        else "?"
    return _("Not saved: %(user)s changed this record at %(time)s, after you opened it. "
             "Your changes were not applied; open the record again to see the current "
             "values.", user=who, time=when)
