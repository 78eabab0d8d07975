"""The form class of each form: every field's WTForms field from the registry, with reference
and user selects offering only what the signed-in user may see; one class per form, used by
the screens (as their fields), the API and the import alike."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.sqla.models import Role, User
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from app.fieldtypes import registry
from app.fieldtypes.forms import FieldContext
from app.fieldtypes.validators import unique_values
from app.fieldtypes.values import FieldError
from app.portal import FormParts, Portal, portal_of
from app.security.access import current_access, scope_clause
from app.spec import FieldSpec, FormSpec


class RecordForm(FlaskForm):
    """The screens' form fields, without CSRF (a token-authenticated API has no cookie to
    forge, an import no browser) and never reading the request by itself."""

    class Meta:
        csrf = False


def field_context(datamodel: Any, related: Callable[[str], Any]) -> FieldContext:
    """`related(form_key)` gives the model of a referenced form."""
    def options(field: FieldSpec) -> Callable[[], list]:
        if field.type == "user":
            return lambda: _users(field.roles)
        target = related(field.form)  # type: ignore[arg-type]
        return lambda: _options(target, field.form)

    return FieldContext(datamodel=datamodel, options=options)


def build_field(field: FieldSpec, datamodel: Any, related: Callable[[str], Any]) -> Any:
    """The WTForms field (unbound) of one spec field."""
    return registry.build_field(field, field_context(datamodel, related))


def build_form(form: FormSpec, datamodel: Any, related: Callable[[str], Any]) -> type:
    attrs = {f.key: build_field(f, datamodel, related) for f in form.fields}
    return type(f"{form.class_name}RecordForm", (RecordForm,), attrs)


@functools.cache
def record_form(parts: FormParts, portal: Portal) -> type:
    """The form class of one form, built once per spec."""
    return build_form(parts.spec, SQLAInterface(parts.model), portal.model)


def _users(roles: tuple[str, ...]) -> list:
    """Active users a user field may offer: with one of its `roles`, a role inheriting one,
    or an admin role (as transitions allow admins always) when the YAML lists any."""
    query = current_app.extensions["appbuilder"].session.query(User).filter(
        User.active.is_(True))
    if roles:
        names = [r.key for r in portal_of().spec.roles
                 if r.admin or r.key in roles or set(r.ancestors) & set(roles)]
        query = query.filter(User.roles.any(Role.name.in_(names)))
    return query.order_by(User.username).all()  # type: ignore[no-any-return]


def _options(model: Any, form_key: str | None) -> list:
    """Records a reference select may offer: the target form's records within the user's
    row scope (an option is a record name, which must not leak either)."""
    session = current_app.extensions["appbuilder"].session
    form = portal_of().spec.form(form_key)  # type: ignore[arg-type]
    query = session.query(model)
    clause = scope_clause(model, form, current_access())
    if clause is not None:
        query = query.filter(clause)
    return query.order_by(model.id.desc()).all()  # type: ignore[no-any-return]


def default_value(field: FieldSpec, user_id: int | None) -> Any:
    """A field's YAML default as a JSON value (what the add screen is opened with)."""
    if field.type == "user":
        return user_id if field.default == "current_user" else None
    value = registry.default_of(field)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def formdata(fields: list[FieldSpec], values: dict[str, Any],
             errors: dict[str, list[str]]) -> MultiDict:
    """The values as a form post; type errors go to `errors`, by field key."""
    data: MultiDict = MultiDict()
    for field in fields:
        try:
            posted = registry.to_formdata(field, values.get(field.key))
        except FieldError as exc:
            errors[field.key] = [str(exc)]
            continue
        if posted:
            data.setlist(field.key, posted)
    return data


def validate(wtform: Any, fields: list[FieldSpec], errors: dict[str, list[str]]) -> None:
    """Run each field's own validators (as the screens do) where its type was right."""
    for field in fields:
        if field.key in errors:
            continue
        bound = wtform[field.key]
        if not bound.validate(wtform):
            errors[field.key] = [str(m) for m in bound.errors]


def comparable(field: FieldSpec, value: Any) -> Any:
    """A value in a form that compares equal exactly when nothing would change."""
    if field.stores_id:
        return getattr(value, "id", value)
    if field.type == "multi_choice":
        items = value.split(",") if isinstance(value, str) else list(value or [])
        return tuple(unique_values([v for v in items if v]))
    return None if value == "" else value
