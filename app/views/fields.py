"""The screens' form fields: the field types' own (app/fieldtypes/registry.py), with
reference and user selects offering only what the signed-in user may see."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_appbuilder.security.sqla.models import User

from app.fieldtypes import registry
from app.fieldtypes.forms import FieldContext
from app.portal import portal_of
from app.security.access import current_access, scope_clause
from app.spec import FieldSpec


def field_context(datamodel: Any, related: Callable[[str], Any]) -> FieldContext:
    """`related(form_key)` gives the model of a referenced form."""
    def options(field: FieldSpec) -> Callable[[], list]:
        target = User if field.type == "user" else related(field.form)  # type: ignore[arg-type]
        return lambda: _options(target, field.form)

    return FieldContext(datamodel=datamodel, options=options)


def build_field(field: FieldSpec, datamodel: Any, related: Callable[[str], Any]) -> Any:
    """The WTForms field for one spec field."""
    return registry.build_field(field, field_context(datamodel, related))


def _options(model: Any, form_key: str | None) -> list:
    """Records a select may offer: active users, or the target form's records within the
    user's row scope (an option is a record name, which must not leak either)."""
    session = current_app.extensions["appbuilder"].session
    query = session.query(model)
    if model is User:
        query = query.filter(User.active.is_(True)).order_by(User.username)
    else:
        form = portal_of().spec.form(form_key)  # type: ignore[arg-type]
        clause = scope_clause(model, form, current_access())
        if clause is not None:
            query = query.filter(clause)
        query = query.order_by(model.id.desc())
    return query.all()
