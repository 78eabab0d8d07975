"""The base of every generated form screen: FAB's ModelView plus the portal's record pages,
bounded list counts, protected edits, workflow and the CSV/XLSX export (app/views/export.py)."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, redirect, request, url_for
from flask_appbuilder import ModelView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from app.db.users import current_user_id
from app.fieldtypes.registry import default_of
from app.records.forms import default_value
from app.sla.deadlines import CLOCKS, overdue
from app.views.export import ExportViewMixin
from app.views.export_jobs import ExportJobViewMixin
from app.views.files import FilesViewMixin
from app.views.importing import ImportViewMixin
from app.views.printing import PrintViewMixin
from app.views.protect import ProtectedViewMixin, conflict_message, locked_state
from app.views.related import prefill_references, related_panels
from app.views.sections import SectionsViewMixin
from app.views.workflow import WorkflowViewMixin
from app.views.workflow_columns import Deadline, add_overdue_filters

COUNT_CAP = 1_000  # a list screen counts up to this many rows, then says "1,000+"


def id_of(filters: Any) -> int | None:
    return None if filters is None else id(filters)


class PortalInterface(SQLAInterface):
    """FAB's SQLAlchemy interface, with database errors turned into messages a user can act
    on: FAB 5.3 re-raises them as an empty DatabaseException and flashes an empty alert."""

    def add(self, item: Any, commit: bool = True) -> None:
        self._guard(super().add, item, commit)

    def edit(self, item: Any, commit: bool = True) -> None:
        self._guard(super().edit, item, commit)

    def delete(self, item: Any, commit: bool = True) -> None:
        self._guard(super().delete, item, commit)

    loaders: tuple[Any, ...] = ()  # what a list shows of other records: a query a page

    def apply_all(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        query = super().apply_all(query, *args, **kwargs)
        return query.options(*self.loaders) if self.loaders else query

    def get(self, id: Any, filters: Any = None, *args: Any, **kwargs: Any) -> Any:
        """FAB's, read once per request for the same record and filters (the record page
        and its workflow panel ask twice)."""
        if args or kwargs or not has_request_context():
            return super().get(id, filters, *args, **kwargs)
        cache = g.setdefault("portal_records", {})
        key = (self.obj.__name__, str(id), id_of(filters))
        if key not in cache:
            cache[key] = super().get(id, filters)
        return cache[key]

    def get_related_obj(self, col_name: str, value: Any) -> Any:
        """FAB's, read once per request: a reference filter asks for the count and again for
        the page."""
        if not has_request_context():
            return super().get_related_obj(col_name, value)
        cache = g.setdefault("portal_related", {})
        key = (self.obj.__name__, col_name, str(value))
        if key not in cache:
            cache[key] = super().get_related_obj(col_name, value)
        return cache[key]

    def query_count(self, query: Any, filters: Any = None,
                    select_columns: list[str] | None = None) -> int:
        """A list screen counts at most COUNT_CAP + 1 rows (its cost does not grow with the
        table) unless asked for the exact count (`_count=exact`); the API counts exactly."""
        if not g.get("portal_bounded_count") or request.args.get("_count") == "exact":
            return super().query_count(query, filters, select_columns)  # type: ignore[no-any-return]
        inner = self._apply_inner_all(query, filters, select_columns=select_columns,
                                      aliases_mapping={})
        rows = inner.with_entities(self.obj.id).limit(COUNT_CAP + 1).subquery()
        count = int(self.session.scalar(select(func.count()).select_from(rows)) or 0)
        g.portal_count_capped = count > COUNT_CAP
        return count

    def _get_attr_value(self, item: Any, col: str) -> Any:  # type: ignore[override]
        """FAB's, with SLA deadlines carrying whether they are overdue (for the highlight)."""
        value = super()._get_attr_value(item, col)
        if col in CLOCKS:
            form = getattr(type(item), "__form__", None)
            return Deadline(value, form is not None and overdue(form, item, clocks=(col,)))
        return value

    def _stale_message(self, item: Any) -> str:
        """Who saved first, and when, read back from the database."""
        try:
            self.session.refresh(item)
            return conflict_message(item)
        except SQLAlchemyError:  # deleted meanwhile, or unreadable: say it plainly
            self.session.rollback()
            return _("This record was changed by someone else meanwhile; reload it and try "
                     "again.")

    def _guard(self, operation: Any, item: Any, commit: bool) -> None:
        try:
            operation(item, commit)
        except (SQLAlchemyError, DatabaseException) as exc:
            cause = exc.__cause__ if isinstance(exc, DatabaseException) else exc
            if isinstance(cause, StaleDataError):
                message = self._stale_message(item)
            elif isinstance(cause, IntegrityError):
                message = _("Not saved: the change conflicts with other records (a duplicate "
                            "value, or a record still referred to).")
            else:
                message = _("Not saved: the database reported an error; nothing was changed.")
            g.portal_db_error = message  # FAB's edit/add screens flash a fixed text
            raise DatabaseException(message) from exc


class PortalModelView(FilesViewMixin, SectionsViewMixin, ProtectedViewMixin, WorkflowViewMixin,
                      ExportJobViewMixin,
                      ExportViewMixin, ImportViewMixin, PrintViewMixin, ModelView):
    """Generated per form; class attributes are filled in by app/views/forms.py."""

    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                        "can_export", "can_import"]
    list_template = "portal/list.html"
    show_template = "portal/show.html"
    __form__: Any = None
    export_formatters: dict[str, Any] = {}
    referrers: tuple[Any, ...] = ()  # app.portal.Referrer: reference fields pointing here
    # FAB routes the portal does not use (no file fields, no bulk actions): not registered,
    # so nothing can reach them and start-up registers fewer routes.
    download = None
    action = None
    action_post = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.restrict_filters()
        add_overdue_filters(self._filters, self.datamodel)  # deadline columns: "overdue at"

    def pre_delete(self, item: Any) -> None:
        """Refuse, with counts, to delete a record other forms still refer to."""
        session = self.datamodel.session
        for referrer in self.referrers:
            model = referrer.model
            count = session.scalar(select(func.count()).select_from(model).where(
                getattr(model, referrer.column) == item.id))
            if count:
                raise ValueError(_("Cannot delete: %(count)d %(form)s record(s) still refer "
                                   "to it.", count=count, form=referrer.form.label.get()))

    # -- the record page and the add screen -------------------------------------------
    def related(self, pk: Any) -> list[Any]:
        """The related records panels of the record page (app/views/related.py)."""
        record = self.datamodel.get(pk, self._base_filters)
        return [] if record is None else related_panels(self.referrers, record)

    def can_edit_record(self, pk: Any) -> bool:
        """The record page offers 编辑: the user may edit, and its state is not locked."""
        record = self.datamodel.get(pk, self._base_filters)
        return record is not None and locked_state(self.__form__, record) is None and bool(
            self.appbuilder.sm.has_access("can_edit", self.class_permission_name))

    def record_title(self, pk: Any) -> str:
        record = self.datamodel.get(pk, self._base_filters)
        return "" if record is None else str(record)

    def _get_add_widget(self, form: Any, exclude_cols: Any = None, widgets: Any = None
                        ) -> Any:
        """FAB's, with references named in the address filled in (?customer=12)."""
        if request.method == "GET":
            prefill_references(self.__form__, form)
        return super()._get_add_widget(form, exclude_cols=exclude_cols, widgets=widgets)

    def pre_add(self, item: Any) -> None:
        """Fields the add form leaves out (`on_add: false`, sections of later states) take
        their YAML defaults, as the API and imports give them."""
        super().pre_add(item)
        for field in self.__form__.entered:
            if field.key in self.add_columns or field.default is None:
                continue
            if field.stores_id:
                if getattr(item, field.column, None) is None:
                    setattr(item, field.column, default_value(field, current_user_id()))
            elif getattr(item, field.key, None) is None:
                setattr(item, field.key, default_of(field))

    def post_add(self, item: Any) -> None:
        super().post_add(item)
        g.portal_added = item.id

    def post_add_redirect(self) -> Any:
        """After saving a new record, its page (where its number, workflow and related
        records are), when the user may open it; else FAB's (back to the list)."""
        added = g.get("portal_added")
        if added is not None and self.appbuilder.sm.has_access(
                "can_show", self.class_permission_name):
            return redirect(url_for(f"{self.endpoint}.show", pk=added))
        return super().post_add_redirect()

    @expose("/list/")
    @has_access
    def list(self) -> Any:
        """FAB's list, with a bounded count (PortalInterface.query_count)."""
        g.portal_bounded_count = True
        return super().list()

    def render_template(self, template: str, **kwargs: Any) -> str:
        """FAB's, plus the view itself so portal templates can read its form spec."""
        return super().render_template(template, view=self, **kwargs)
