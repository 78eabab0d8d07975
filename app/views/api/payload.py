"""What the form APIs read and write: a JSON record in, checked by the very form fields the
screens use (app/records/forms.py: same validators, same messages, references offered only
within the user's scope), and a JSON record out, masked where the user may not reveal."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from flask import request
from flask_babel import gettext as _

from app.fieldtypes.registry import field_type, mask, to_json
from app.records.forms import comparable, formdata, validate
from app.security.access import current_access
from app.spec import FieldSpec, FormSpec

SYSTEM_OUT = ("id", "version", "created_on", "changed_on")


class ApiError(Exception):
    """A refused request: the status and the message (a text, or field → messages)."""

    def __init__(self, status: int, message: str | dict[str, list[str]]) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- request body --------------------------------------------------------------------------
def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON


def read_body() -> dict[str, Any]:
    """The request's JSON object; numbers with a point stay exact (Decimal)."""
    if not request.is_json:
        raise ApiError(400, _("Send the record as a JSON object with the header "
                              "Content-Type: application/json."))
    try:
        body = json.loads(request.get_data(cache=True), parse_float=Decimal,
                          parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, _("The request body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise ApiError(400, _("Send the record as a JSON object with the header "
                              "Content-Type: application/json."))
    return body


def checked_form(form_class: Any, form: FormSpec, item: Any, fields: list[FieldSpec],
                 values: dict[str, Any], errors: dict[str, list[str]]) -> Any:
    """The API's form for `fields` of a stored record, bound to `values` and validated, with
    changes to the user's read-only fields refused; ApiError(400) on any error."""
    wtform = form_class(formdata=formdata(fields, values, errors), obj=item)
    wtform._id = item.id  # the Unique validator skips the record itself
    validate(wtform, fields, errors)
    readonly = current_access().readonly_fields(form.key)
    for field in fields:
        if field.key in readonly and (field.key in errors or comparable(
                field, wtform[field.key].data) != comparable(field, getattr(item, field.key))):
            errors[field.key] = [_("Your role may not change this field.")]
    if errors:
        raise ApiError(400, errors)
    return wtform


def unchanged_sensitive(field: FieldSpec, value: Any, stored: Any) -> bool:
    """On an update, a sensitive field sent empty or as its own mask keeps the stored value
    (a record read and sent back must not overwrite the real value with the mask)."""
    if value is None or value == "":
        return True
    return stored not in (None, "") and value == mask(field, stored)


# -- response ------------------------------------------------------------------------------
def dump_item(item: Any, form: FormSpec, columns: list[str], clear: set[str]) -> dict:
    """One record as JSON: field keys (references and users as ids), system columns, and
    sensitive values masked unless the field is in `clear`."""
    out: dict[str, Any] = {}
    fields = {f.key: f for f in form.fields}
    for column in columns:
        field = fields.get(column)
        if field is None:  # a system column or a computed value
            value = getattr(item, column)
            out[column] = value.isoformat() if isinstance(value, dt.date) else str(
                value) if isinstance(value, Decimal) else value
        elif field.stores_id:
            out[column] = getattr(item, field.column)
        elif field.sensitive and column not in clear:
            out[column] = mask(field, getattr(item, column)) or None
        else:
            out[column] = to_json(field, getattr(item, column))
    return out


def describe(field: FieldSpec, readonly: bool | None = None) -> dict[str, Any]:
    """A field as `_info` describes it to a client."""
    info: dict[str, Any] = {"name": field.key, "label": field.label.get(), "type": field.type,
                            "required": field.required, "sensitive": field.sensitive}
    if field.help:
        info["description"] = field.help.get()
    for key in ("min_length", "max_length", "min", "max", "pattern", "form"):
        if getattr(field, key) is not None:
            info[key] = getattr(field, key)
    if "scale" in field_type(field.type).options:
        info["scale"] = field.scale
    if field.choices:
        info["choices"] = [{"value": c.value, "label": c.label.get()} for c in field.choices]
    if readonly is not None:
        info["readonly"] = readonly
    return info
