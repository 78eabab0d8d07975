"""A list screen's export, CSV or Excel (`/export/?format=xlsx`): the list's filters, order and
row scope, sensitive values masked unless the user may reveal them, streamed from the
database (yield_per: a server-side cursor on PostgreSQL) into the file as it is sent.

The count comes first: a list larger than PORTAL_EXPORT_MAX_ROWS is refused with its count
(never cut short silently), and the `export` audit event (rows, format, what was shown in
clear, the filters) is committed before the first byte is sent.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import os
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_appbuilder.urltools import get_filter_args, get_order_args
from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.audit import log as audit
from app.db.titles import reference_loaders
from app.db.users import request_user
from app.fieldtypes.registry import mask
from app.fieldtypes.spreadsheet import to_csv_cell
from app.portal import portal_of
from app.security.access import current_access
from app.spec import current_lang
from app.transfer.template import build_template
from app.transfer.writers import (
    XLSX_TYPE,
    Money,
    TempFile,
    XlsxWriter,
    csv_chunks,
    decimal_format,
)
from app.views.cells import yes_no

FORMATS = ("csv", "xlsx")
YIELD = 1000  # rows fetched from the database at a time


class ExportViewMixin:
    """The `export` route of PortalModelView (permission can_export)."""

    __form__: Any
    datamodel: Any
    show_columns: list[str]
    label_columns: dict[str, Any]
    export_formatters: dict[str, Any]
    base_order: Any
    order_columns: list[str]
    endpoint: str
    _filters: Any
    _base_filters: Any

    @expose("/export/")
    @has_access
    def export(self) -> Any:
        """The current list (same filters and order) as CSV or XLSX, YAML labels as headers;
        a list longer than PORTAL_EXPORT_INLINE_ROWS is written by a worker instead
        (app/views/export_jobs.py), and this answers with the page that follows it."""
        fmt = request.args.get("format", "csv")
        args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "format"}
        back = url_for(f"{self.endpoint}.list", **args)
        if fmt not in FORMATS:
            flash(_("Unknown export format '%(format)s'; use csv or xlsx.", format=fmt[:20]),
                  "warning")
            return redirect(back)
        filters, order_column, order_direction = self.export_query()
        session = self.datamodel.session
        count = self.datamodel.query_count(session.query(self.datamodel.obj), filters)
        limit = current_app.config["PORTAL_EXPORT_MAX_ROWS"]
        if count > limit:
            flash(_("This list has %(count)s records; an export holds at most %(limit)s. "
                    "Filter the list to fewer records and export again.",
                    count=format_number(count), limit=format_number(limit)), "warning")
            return redirect(back)
        form = self.__form__
        clear = self.export_clear()
        background = count > current_app.config["PORTAL_EXPORT_INLINE_ROWS"]
        # Every export is audited with its filters; one with sensitive values in clear is
        # also a reveal of every row in it ("revealed" names those fields).
        from app.views.access_log import screen_filters

        details = {"rows": count, "format": fmt, "revealed": clear, **screen_filters(self)}
        if background:
            return self.queue_export(fmt, count, {**details, "background": True})
        audit.record(session, "export", form=form.key, details=details)
        session.commit()
        # The statement is built now: its row scope reads the signed-in user, who is no
        # longer at hand once the response streams (Flask has torn the request down).
        statement = self.export_statement(filters, order_column, order_direction)
        columns, header = self.export_columns()
        items = self.export_items(statement)
        if fmt == "xlsx":  # a workbook is whole before it is sent (its zip ends last)
            return sent_file(self._xlsx(header, columns, items, clear).close(),
                             f"{form.key}.xlsx")
        rows = ([self.csv_cell(row, c, clear) for c in columns] for row in items)
        body = csv_chunks(header, rows)
        return Response(later(stream_with_context(body)), mimetype="text/csv", headers={
            "Content-Disposition": f"attachment; filename={form.key}.csv"})

    def queue_export(self, fmt: str, count: int, details: dict[str, Any]) -> Any:
        """Implemented by ExportJobViewMixin (app/views/export_jobs.py)."""
        raise NotImplementedError

    def export_query(self) -> tuple[Any, str, str]:
        """The list's filters (the request's, joined to the view's base filters: row scope)
        and order. The filters are a copy: the view's own are shared by the requests of this
        process and by its worker thread."""
        own = copy.copy(self._filters)  # FAB's copy() drops the searchable columns
        get_filter_args(own)  # rebinds its own lists: the view's are untouched
        order_column, order_direction = get_order_args().get(
            self.__class__.__name__, ("", ""))
        if order_column not in self.order_columns:
            order_column, order_direction = self.base_order or ("", "")
        return own.get_joined_filters(self._base_filters), order_column, order_direction

    def export_clear(self) -> list[str]:
        """The sensitive fields this user may see in clear (the others are masked)."""
        form, access = self.__form__, current_access()
        return sorted(f.key for f in form.fields
                      if f.sensitive and access.can_reveal(form.key, f.key))

    def export_columns(self) -> tuple[list[str], list[str]]:
        columns = ["id"] + list(self.show_columns)
        return columns, [str(self.label_columns.get(c, c)) for c in columns]

    def export_file(self, fmt: str, on_progress: Callable[[int], None]) -> tuple[str, int]:
        """The list of this request written into a temporary file (a worker's export): its
        path and the rows written; on_progress(rows) is called every YIELD rows."""
        filters, order_column, order_direction = self.export_query()
        statement = self.export_statement(filters, order_column, order_direction)
        columns, header = self.export_columns()
        clear = self.export_clear()
        counted = [0]

        def items() -> Iterator[Any]:
            for counted[0], row in enumerate(self.export_items(statement), 1):
                if counted[0] % YIELD == 0:
                    on_progress(counted[0])
                yield row

        if fmt == "xlsx":
            return self._xlsx(header, columns, items(), clear).close(), counted[0]
        handle, path = tempfile.mkstemp(suffix=".csv", prefix="portal-export-")
        with os.fdopen(handle, "wb") as fh:
            rows = ([self.csv_cell(row, c, clear) for c in columns] for row in items())
            for chunk in csv_chunks(header, rows):
                fh.write(chunk)
        return path, counted[0]

    @expose("/template.xlsx")
    @has_access
    @permission_name("import")  # the template is for importing: those who may import
    def template(self) -> Any:
        """The form's import template (app/transfer/template.py), ?lang=zh or en (default:
        the page's language)."""
        lang = request.args.get("lang") or current_lang()
        lang = "en" if lang == "en" else "zh"
        body = build_template(self.__form__, lang, getattr(request_user(), "username", None))
        name = f"{self.__form__.key}-template-{lang}.xlsx"
        return Response(body, mimetype=XLSX_TYPE, headers={
            "Content-Disposition": f"attachment; filename={name}"})

    def export_statement(self, filters: Any, order_column: str, order_direction: str
                         ) -> Any:
        """The list's query (filters, scope, order) as a statement, with what its cells name
        (the referenced records and users) loaded per batch of rows."""
        query = self.datamodel.session.query(self.datamodel.obj)
        query = self.datamodel.apply_all(query, filters, order_column, order_direction)
        model = self.datamodel.obj  # ties (records of the same second) in a stable order
        tie = model.id.desc() if order_direction == "desc" else model.id.asc()
        return query.statement.order_by(tie).options(*self.export_loaders()).execution_options(
            yield_per=YIELD)

    def export_items(self, statement: Any) -> Iterator[Any]:
        """The records of `statement`, fetched YIELD at a time (a server-side cursor on
        PostgreSQL): memory holds one batch, whatever the count."""
        session = current_app.extensions["appbuilder"].session
        yield from session.execute(statement).scalars()

    @classmethod
    @functools.cache
    def export_loaders(cls) -> tuple[Any, ...]:
        model, form = cls.datamodel.obj, cls.__form__
        return (*reference_loaders(model, form, cls.show_columns, portal_of().models.models),
                selectinload(model.created_by), selectinload(model.changed_by))

    def _xlsx(self, header: list[str], columns: list[str], items: Iterator[Any],
              clear: list[str]) -> XlsxWriter:
        """The rows written into a workbook (a temporary file: chunks() sends it, close()
        hands over its path)."""
        form = self.__form__
        fields = {f.key: f for f in form.fields}
        kinds = {c: fields[c].type if c in fields else "" for c in columns}
        formats = {i: decimal_format(fields[c].scale or 0) for i, c in enumerate(columns)
                   if kinds[c] == "decimal"}
        widths = [8] + [30 if kinds[c] == "text" else 16 for c in columns[1:]]
        writer = XlsxWriter(form.label.get(), header, widths, formats)
        try:
            for row in items:
                writer.append([self.xlsx_cell(row, c, kinds[c], clear) for c in columns])
        except BaseException:  # the download was cut off (GeneratorExit) or failed
            writer.discard()
            raise
        return writer

    def _masked(self, row: Any, column: str, clear: list[str]) -> str | None:
        """The masked text of a sensitive value the user may not see, else None."""
        spec = next((f for f in self.__form__.fields if f.key == column), None)
        if spec is None or not spec.sensitive or column in clear:
            return None
        return mask(spec, getattr(row, column, None))

    def csv_cell(self, row: Any, column: str, clear: list[str]) -> str:
        """The cell of one column: a stored number as the number it is (-2 stays -2, the
        integer, decimal, money and rating fields and the id), any text neutralised."""
        masked = self._masked(row, column, clear)
        if masked is not None:
            return str(to_csv_cell(masked))
        value = getattr(row, column, None)
        if value is None:
            return ""
        text = str(self.export_formatters.get(column, str)(value))
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return text
        return str(to_csv_cell(text))

    def xlsx_cell(self, row: Any, column: str, kind: str, clear: list[str]) -> Any:
        """The typed cell of one column: numbers, amounts, dates and times as such; choices,
        records and users by their names; yes/no as 是/否; anything else as text."""
        masked = self._masked(row, column, clear)
        if masked is not None:
            return masked
        value = getattr(row, column, None)
        if value is None:
            return None
        formatter = self.export_formatters.get(column)
        if isinstance(value, bool):
            return str(formatter(value) if formatter else yes_no(value))
        if formatter is None or formatter is str:
            if isinstance(value, int | Decimal):
                return Money(value) if kind == "money" else value
            if isinstance(value, dt.date):
                return value
        return str(formatter(value) if formatter else value)


def sent_file(path: str, name: str) -> Response:
    """A finished temporary file as a download, removed once sent or when the response is
    closed (cut off, or never read)."""
    return Response(TempFile(path), mimetype=XLSX_TYPE if name.endswith(".xlsx") else
                    "text/csv", headers={"Content-Disposition": f"attachment; filename={name}"})


def later(body: Iterator[bytes]) -> Iterator[bytes]:
    """`body`, after an empty first chunk: a WSGI server (and Werkzeug's test client) reads
    the first chunk at once, and stream_with_context pushes the request's contexts back on
    that first read, until the body is read through or closed; so a body never read does not
    leave them pushed."""
    yield b""
    yield from body
