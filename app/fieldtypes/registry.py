"""Every field type in one place: what it stores, how it is entered, checked, shown,
exported, imported, sent as JSON, defaulted and converted. Each entry names the functions
of the modules beside this one; adding a type is adding an entry (docs/field-types.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from app.fieldtypes import columns, convert, defaults, forms, masking, signature, uploads, values
from app.spec import FILE_TYPES, ID_TYPES, FieldSpec


@dataclass(frozen=True)
class FieldType:
    name: str
    column: Callable[[FieldSpec], Any]  # the SQLAlchemy type (of the id, for a record)
    form_field: Callable[[FieldSpec, forms.FieldContext, Any], Any]  # WTForms, validated
    from_json: Callable[[FieldSpec, Any], list[str]]  # API value → form post; FieldError
    to_json: Callable[[FieldSpec, Any], Any]  # stored value → API answer (not None)
    convert: Callable[[Any, FieldSpec], Any]  # a value of another type → this; NotConvertible
    export: Callable[[FieldSpec], values.Formatter]  # CSV cell of a stored value
    blank: tuple[str, ...] = ("",)  # what the browser posts for no value
    parse_default: Callable[[str, Any, dict], Any] | None = None  # None: no default allowed
    evaluate_default: Callable[[Any], Any] = defaults.constant
    show: Callable[[FieldSpec], values.Formatter] | None = None  # list and record pages
    read_cell: Callable[[FieldSpec, str], Any] | None = None  # None: a record, looked up
    mask: Callable[[str], str] | None = None  # None: cannot be sensitive
    options: tuple[str, ...] = ()  # YAML keys of this type beyond every field's own
    unique: bool = True  # may be declared unique
    display: bool = False  # may name its records (a form's `display`)
    sortable: bool = True  # lists may sort by it
    search_select: bool = False  # searched by picking among labels
    exact_search: bool = False  # searched by exact values only (no LIKE over the table)
    server_default: bool = True  # a constant default also lives in the database
    number: bool = False  # min/max are numbers
    text: bool = False  # lengths and patterns apply
    searchable: bool = True  # may be a search or list filter column


TEXT = ("min_length", "max_length")
NUMBER = ("min", "max")
DECIMAL = ("min", "max", "precision", "scale")

_TEXT_BASE: dict[str, Any] = {
    "form_field": forms.text_field, "from_json": values.text_in, "to_json": values.plain_out,
    "convert": convert.to_text, "export": values.as_text, "parse_default": defaults.text_default,
    "read_cell": values.text_cell, "text": True,
}
_DECIMAL_BASE: dict[str, Any] = {
    "column": columns.money, "form_field": forms.number_field, "from_json": values.decimal_in,
    "to_json": values.decimal_out, "convert": convert.to_decimal, "export": values.as_text,
    "parse_default": defaults.decimal_default, "read_cell": values.decimal_cell,
    "options": DECIMAL, "server_default": False, "number": True,
}
# Uploaded files (app/files/): the column keeps their names, one a line; never typed in.
_FILE_BASE: dict[str, Any] = {
    "column": columns.text, "form_field": uploads.upload_field, "from_json": uploads.files_in,
    "to_json": uploads.names_out, "convert": convert.unchanged, "export": uploads.file_names,
    "show": uploads.file_count, "options": ("max_size_mb", "max_files", "accept"),
    "unique": False, "sortable": False, "server_default": False, "searchable": False,
}
_RECORD_BASE: dict[str, Any] = {
    "column": columns.integer, "form_field": forms.record_field, "from_json": values.record_in,
    "to_json": values.plain_out, "convert": convert.unchanged, "export": values.record_name,
    "blank": ("__None",),  # what FAB's select posts for "no record"
    "sortable": False, "server_default": False,
}

TYPES: tuple[FieldType, ...] = (
    FieldType("string", columns.string, **_TEXT_BASE, mask=masking.mask_text,
              options=(*TEXT, "pattern", "pattern_message"), display=True),
    FieldType("text", columns.text, **{**_TEXT_BASE, "show": values.multiline},
              mask=masking.mask_text, options=TEXT, unique=False),
    FieldType("integer", columns.integer, forms.number_field, values.whole_in,
              values.plain_out, convert.to_integer, values.as_text,
              parse_default=defaults.whole_default, read_cell=values.integer_cell,
              options=NUMBER, display=True, number=True),
    FieldType("decimal", **_DECIMAL_BASE),
    FieldType("money", **_DECIMAL_BASE, show=values.money_text),
    FieldType("date", columns.date, forms.date_field, values.date_in, values.date_out,
              convert.to_date, values.as_text, parse_default=defaults.date_default,
              evaluate_default=defaults.today_plus, read_cell=values.date_cell, display=True,
              server_default=False),
    FieldType("datetime", columns.datetime, forms.datetime_field, values.datetime_in,
              values.date_out, convert.to_datetime, values.as_text,
              parse_default=defaults.datetime_default,
              evaluate_default=defaults.now_or_constant, read_cell=values.datetime_cell,
              server_default=False),
    FieldType("boolean", columns.boolean, forms.boolean_field, values.boolean_in,
              values.plain_out, convert.to_boolean, values.yes_no,
              parse_default=defaults.boolean_default, show=values.yes_no,
              read_cell=values.boolean_cell, unique=False),
    FieldType("choice", columns.sized(64), forms.choice_field, values.choice_in,
              values.plain_out, convert.to_text, values.choice_labels,
              parse_default=defaults.choice_default, show=values.choice_labels,
              read_cell=values.choice_cell, options=("choices",), display=True,
              search_select=True, exact_search=True),
    FieldType("multi_choice", columns.sized(1000), forms.multi_choice_field,
              values.multi_choice_in, values.multi_choice_out, convert.to_multi_choice,
              values.choice_labels, blank=(), parse_default=defaults.multi_choice_default,
              evaluate_default=defaults.split_choices, show=values.choice_labels,
              read_cell=values.multi_choice_cell, options=("choices",), unique=False,
              sortable=False, search_select=True),
    FieldType("phone", columns.sized(32), **_TEXT_BASE, mask=masking.mask_phone,
              options=TEXT, display=True),
    FieldType("email", columns.sized(254), **_TEXT_BASE, mask=masking.mask_email,
              options=TEXT, display=True),
    FieldType("rating", columns.integer, forms.rating_field, values.whole_in, values.plain_out,
              convert.to_integer, values.as_text, parse_default=defaults.whole_default,
              show=values.rating_stars, read_cell=values.integer_cell, options=NUMBER,
              search_select=True, number=True),
    FieldType("reference", **_RECORD_BASE, options=("form",)),
    FieldType("user", **_RECORD_BASE, parse_default=defaults.user_default,
              options=("assignee", "roles")),
    # Given on save from its `format` (app/fieldtypes/autonumber.py, app/db/numbers.py),
    # unique, never entered: no form, import or API request sets it.
    FieldType("autonumber", columns.sized(64), forms.text_field, values.text_in,
              values.plain_out, convert.to_text, values.as_text, read_cell=values.text_cell,
              options=("format",), display=True, server_default=False),
    # Drawn on a canvas, stored as a checked PNG with who and when in portal_signature; the
    # column holds its id (app/fieldtypes/signature.py, app/db/signatures.py). Never
    # imported (its column is ignored), searched, sorted or converted.
    FieldType("signature", columns.integer, signature.signature_field, signature.from_json,
              signature.to_json, convert.unchanged, signature.export,
              show=signature.show, unique=False, sortable=False, server_default=False,
              searchable=False),
    FieldType("file", **_FILE_BASE),
    FieldType("image", **_FILE_BASE),
)
REGISTRY: dict[str, FieldType] = {t.name: t for t in TYPES}
FIELD_TYPES: tuple[str, ...] = tuple(REGISTRY)


def field_type(name: str) -> FieldType:
    return REGISTRY[name]


def types_where(test: Callable[[FieldType], bool]) -> tuple[str, ...]:
    """Names of the types passing `test`, in the registry's order (as messages list them)."""
    return tuple(t.name for t in TYPES if test(t))


def build_field(field: FieldSpec, ctx: forms.FieldContext) -> Any:
    """The WTForms field (unbound) of one spec field."""
    kind = REGISTRY[field.type]
    return kind.form_field(field, ctx, kind)


def mask(field: FieldSpec, value: Any) -> str:
    """A sensitive value as others see it: enough to recognise, not to use."""
    if value is None or value == "":
        return ""
    masker = REGISTRY[field.type].mask or masking.mask_text
    return masker(str(value))


def to_formdata(field: FieldSpec, value: Any) -> list[str]:
    """A JSON value as the browser would post it for this field (several for a multiple
    choice); FieldError when its JSON type cannot be meant for the field."""
    if value is None:
        if field.required:
            raise values.FieldError(_("This field is required."))
        return list(REGISTRY[field.type].blank)
    return REGISTRY[field.type].from_json(field, value)


def to_json(field: FieldSpec, value: Any) -> Any:
    return None if value is None else REGISTRY[field.type].to_json(field, value)


def default_of(field: FieldSpec) -> Any:
    """A field's YAML default, evaluated now (today+N, now, choice lists)."""
    if field.default is None:
        return None
    return REGISTRY[field.type].evaluate_default(field.default)


def parse_default(ftype: str, raw: Any, field: dict) -> Any:
    """A YAML default normalised for a field of type `ftype`; BadDefault if it cannot be."""
    parse = REGISTRY[ftype].parse_default
    if parse is None:
        raise defaults.BadDefault(f"a {ftype} field cannot have a default")
    return parse(ftype, raw, field)


def can_convert(old: dict[str, Any], new: FieldSpec) -> str | None:
    """None when values of type old['type'] may convert to new.type; else why not."""
    if old["type"] in FILE_TYPES or new.is_file:
        if old["type"] == new.type:
            return None
        return "file fields cannot change type; add a new field instead"
    if old["type"] in ID_TYPES or new.stores_id:
        if old["type"] == new.type and old.get("form") == new.form:
            return None
        return "references cannot change type or target; add a new field instead"
    if "signature" in (old["type"], new.type) and old["type"] != new.type:
        return "signatures cannot change type; add a new field instead"
    if new.type == "boolean" and old["type"] not in ("integer", "string", "text"):
        return f"{old['type']} values cannot become true/false"
    if old["type"] == "boolean" and new.type not in ("string", "text", "integer"):
        return f"true/false values cannot become {new.type}"
    return None


def convert_value(value: Any, new: FieldSpec) -> Any:
    """The stored value in the new type, or NotConvertible."""
    if value is None:
        return None
    try:
        return REGISTRY[new.type].convert(value, new)
    except convert.NotConvertible:
        raise
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise convert.NotConvertible(str(exc)) from None
