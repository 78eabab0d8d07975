"""The form class of each form: every field's WTForms field from the registry, with reference
and user selects offering only what the signed-in user may see; one class per form, used by
the screens (as their fields), the API and the import alike."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from app.db.signatures import maker
from app.fieldtypes import registry
from app.fieldtypes.forms import FieldContext
from app.fieldtypes.validators import unique_values
from app.fieldtypes.values import FieldError
from app.portal import FormParts, Portal
from app.records import lookup
from app.spec import FieldSpec, FormSpec


class RecordForm(FlaskForm):
    """The screens' form fields, without CSRF (a token-authenticated API has no cookie to
    forge, an import no browser) and never reading the request by itself."""

    class Meta:
        csrf = False


def field_context(datamodel: Any, form_key: str = "") -> FieldContext:
    """A reference or user select of `form_key` accepts the records its lookup offers
    (app/records/lookup.py: row scope, the field's roles) and names them as it does."""
    def fetch(field: FieldSpec) -> Callable[[Any], Any]:
        return lambda pk: lookup.fetch(field, pk)

    def label(field: FieldSpec) -> Callable[[Any], str]:
        return lambda row: lookup.option(field, row).text

    return FieldContext(datamodel=datamodel, fetch=fetch, label=label, form_key=form_key,
                        signature=maker(form_key))


def build_field(field: FieldSpec, datamodel: Any, form_key: str = "") -> Any:
    """The WTForms field (unbound) of one spec field."""
    return registry.build_field(field, field_context(datamodel, form_key))


def build_form(form: FormSpec, datamodel: Any) -> type:
    attrs = {f.key: build_field(f, datamodel, form.key) for f in form.entered}
    return type(f"{form.class_name}RecordForm", (RecordForm,), attrs)


@functools.cache
def record_form(parts: FormParts, portal: Portal) -> type:
    """The form class of one form, built once per spec."""
    return build_form(parts.spec, SQLAInterface(parts.model))


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
    if field.signed:  # a new drawing is a change; none posted keeps the stored one
        return getattr(value, "id", value)
    if field.type == "multi_choice":
        items = value.split(",") if isinstance(value, str) else list(value or [])
        return tuple(unique_values([v for v in items if v]))
    return None if value == "" else value
