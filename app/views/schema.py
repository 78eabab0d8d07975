"""Read-only schema screen for admins: retired forms and fields (with the values they keep)
and the log of applied schema plans."""

from __future__ import annotations

from typing import Any

from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import column, func, select, table

from app.schema.state import SchemaMigration, read_state
from app.views.plan_words import plan_text


class SchemaView(BaseView):
    route_base = "/schema"
    default_view = "show"

    @expose("/")
    @has_access
    def show(self) -> str:
        session = self.appbuilder.session
        conn = session.connection()
        state = read_state(conn) or {}
        retired_forms, retired_fields = [], []
        for form in state.values():
            if form.status == "retired":
                rows = conn.execute(select(func.count()).select_from(table(form.table))
                                    ).scalar_one()
                retired_forms.append({"form": form.key, "table": form.table,
                                      "since": form.retired_on, "rows": rows})
                continue
            for field in form.fields.values():
                if field.status == "retired":
                    light = table(form.table, column(field.column))
                    kept = conn.execute(select(func.count(light.c[field.column]))).scalar_one()
                    retired_fields.append({"form": form.key, "field": field.key,
                                           "column": field.column, "since": field.retired_on,
                                           "values": kept})
        log = session.execute(select(SchemaMigration).order_by(
            SchemaMigration.id.desc()).limit(20)).scalars().all()
        return self.render_template("portal/schema.html", retired_forms=retired_forms,
                                    retired_fields=retired_fields, log=log,
                                    plan_text=plan_text)


def register_schema_view(appbuilder: Any) -> None:
    appbuilder.add_view(SchemaView, "schema", icon="fa-database", label=_l("Schema"),
                        category="Security")
