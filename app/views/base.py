"""The base of every generated form screen: FAB's ModelView plus CSV export."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response
from flask_appbuilder import ModelView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args, get_order_args

EXPORT_LIMIT = 100_000


class PortalModelView(ModelView):
    """Generated per form; class attributes are filled in by app/views/forms.py."""

    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                        "can_export"]
    list_template = "portal/list.html"
    __form__: Any = None
    export_formatters: dict[str, Any] = {}
    # FAB routes the portal does not use (no file fields, no bulk actions): not registered,
    # so nothing can reach them and start-up registers fewer routes.
    download = None
    action = None
    action_post = None

    def render_template(self, template: str, **kwargs: Any) -> str:
        """FAB's, plus the view itself so portal templates can read its form spec."""
        return super().render_template(template, view=self, **kwargs)

    @expose("/export/")
    @has_access
    def export(self) -> Response:
        """The current list (same filters and order) as CSV, with YAML labels as headers."""
        get_filter_args(self._filters)
        order_column, order_direction = get_order_args().get(
            self.__class__.__name__.lower(), ("", ""))
        if order_column not in self.order_columns:
            order_column, order_direction = "", ""
        _, rows = self.datamodel.query(
            self._filters.get_joined_filters(self._base_filters),
            order_column, order_direction, page=None, page_size=EXPORT_LIMIT)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        columns = ["id"] + list(self.show_columns)
        writer.writerow([str(self.label_columns.get(c, c)) for c in columns])
        for row in rows:
            writer.writerow([self._export_value(row, c) for c in columns])
        name = f"{self.__form__.key}.csv"
        return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}"})

    def _export_value(self, row: Any, column: str) -> str:
        value = getattr(row, column, None)
        if value is None:
            return ""
        return str(self.export_formatters.get(column, str)(value))
