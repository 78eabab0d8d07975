"""JSON Schemas (OpenAPI 3.0) of one field's value, from its spec and its type's entry in the
registry: what a client may send (the form fields' rules: required, lengths, ranges,
patterns, choices, references) and what the API answers (masked sensitive values, ids of
references, exact decimals as text)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, String

from app.fieldtypes.formats import PHONE_RE
from app.fieldtypes.masking import mask_email, mask_phone, mask_text
from app.fieldtypes.registry import field_type
from app.fieldtypes.validators import INT_MAX, INT_MIN
from app.fieldtypes.values import DATETIME_FORMATS
from app.spec import ComputedSpec, FieldSpec, FormSpec, RoleSpec
from app.views.api.openapi.common import codes, joined

# What the API reads (app/fieldtypes/values.py: datetime_in) and writes (isoformat).
DATETIME_IN = r"^\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}(:\d{2})?$"
DATETIME_OUT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2})?$"
DECIMAL_TEXT = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$"
MASKS = {"phone": mask_phone("13812345678"), "email": mask_email("zhang.san@example.com")}


def masked_example(field_type: str) -> str:
    """A masked value of the type (a text's: an address in the document's language)."""
    return MASKS.get(field_type) or mask_text(_("100 Wensan Road, Xihu District, Hangzhou"))


def nullable(schema: dict[str, Any], allowed: bool) -> dict[str, Any]:
    """OpenAPI 3.0's null: `nullable` beside a `type` (in each `anyOf` branch), and None
    among an enum's values."""
    if allowed:
        for branch in schema.get("anyOf", [schema]):
            if "type" in branch:
                branch["nullable"] = True
            if "enum" in branch:
                branch["enum"] = [*branch["enum"], None]
    return schema


def choice_text(field: FieldSpec | ComputedSpec) -> str:
    return joined((f"`{c.value}`: {c.label.get()}" for c in field.choices), strong=True)


def choices_ext(field: FieldSpec | ComputedSpec) -> list[dict[str, str]]:
    return [{"value": c.value, "label": c.label.get()} for c in field.choices]


def _ecma(pattern: str) -> str:
    """A Python pattern as JSON Schema's (ECMA 262) anchored one, where the syntax agrees."""
    return "^(?:" + pattern.replace(r"\Z", "") + ")$"


def _text(field: FieldSpec) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if field.required:
        schema["minLength"] = max(1, field.min_length or 1)
    elif field.min_length:
        schema["minLength"] = field.min_length
    if field.max_length:
        schema["maxLength"] = field.max_length
    if field.type == "phone":
        schema["pattern"] = _ecma(PHONE_RE.pattern)
        schema["x-format"] = "phone"
    elif field.type == "email":
        schema["format"] = "email"
    elif field.pattern:
        schema["pattern"] = _ecma(field.pattern)
        if field.pattern_message:
            schema["x-pattern-message"] = field.pattern_message.get()
    if field.type == "text":
        schema["x-multiline"] = True
    return schema


def _number(field: FieldSpec) -> dict[str, Any]:
    """integer, rating: whole numbers within the YAML's range (and an INTEGER column's);
    decimal, money: a JSON number or a numeric text, with at most `scale` decimals."""
    if field.type == "rating":
        return {"type": "integer", "minimum": int(field.min or 1), "maximum": int(field.max or 5)}
    if field.type == "integer":
        return {"type": "integer",
                "minimum": INT_MIN if field.min is None else _plain(field.min),
                "maximum": INT_MAX if field.max is None else _plain(field.max)}
    number: dict[str, Any] = {"type": "number", "multipleOf": _plain(10 ** -field.scale)}
    if field.min is not None:
        number["minimum"] = _plain(field.min)
    if field.max is not None:
        number["maximum"] = _plain(field.max)
    digits = field.precision - field.scale
    return {"anyOf": [number, {"type": "string", "pattern": DECIMAL_TEXT}],
            "x-precision": field.precision, "x-scale": field.scale,
            "description": _("At most %(digits)s digits before the point and %(scale)s after.",
                             digits=digits, scale=field.scale)}


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def entered(field: FieldSpec, form_label: str | None = None) -> dict[str, Any]:
    """What a client sends for `field` (POST, PUT, a transition's values)."""
    t = field.type
    kind = field_type(t)
    schema: dict[str, Any]
    if kind.text:
        schema = _text(field)
    elif kind.number or t in ("integer", "rating"):
        schema = _number(field)
    elif t == "date":
        schema = {"type": "string", "format": "date", "example": "2026-01-15"}
    elif t == "datetime":
        schema = {"type": "string", "pattern": DATETIME_IN, "example": "2026-01-15 09:30:00",
                  "x-formats": list(DATETIME_FORMATS)}
    elif t == "boolean":
        schema = {"type": "boolean"}
    elif t == "choice":
        schema = {"type": "string", "enum": [c.value for c in field.choices]}
    elif t == "multi_choice":
        schema = {"type": "array", "items": {"type": "string",
                                             "enum": [c.value for c in field.choices]}}
        if field.required:
            schema["minItems"] = 1
    elif field.stores_id:
        schema = {"type": "integer", "minimum": 1, "maximum": INT_MAX}
    elif field.signed:
        schema = {"type": "string", "pattern": "^data:image/png;base64,",
                  "description": _("A new signature: an image (at most 512 KB, not blank) as "
                                   "a `data:image/png;base64,…` text; the signed-in user and "
                                   "the time are recorded. Left out, the stored one is kept.")}
    else:  # a type the registry gained later: described, not constrained
        schema = {}
    _describe(field, schema, form_label)
    if field.sensitive:
        schema["description"] = " ".join(filter(None, (
            schema.get("description"), _("Sensitive: answers show it masked unless your role "
                                         "may reveal it."))))
        schema["x-sensitive"] = True
    return nullable(schema, not field.required)


def _describe(field: FieldSpec, schema: dict[str, Any], form_label: str | None) -> dict:
    """Title, help, and what the value means, in the request's language."""
    schema["title"] = field.label.get()
    notes = [field.help.get()] if field.help else []
    if field.choices:
        notes.append(_("Choices: %(choices)s", choices=choice_text(field)))
        schema["x-choices"] = choices_ext(field)
    if field.type == "reference":
        notes.append(_("The id of a record of the form `%(form)s` (%(label)s) that you may see "
                       "(your row scope).", form=field.form, label=form_label or field.form))
        schema["x-reference"] = field.form
    elif field.type == "user":
        notes.append(_("The id of an active user with the role %(roles)s (or one inheriting "
                       "it).", roles=codes(field.roles)) if field.roles
                     else _("The id of an active user."))
        schema["x-reference"] = "user"
    if field.unique:
        notes.append(_("Unique: no other record may have the same value (else 400)."))
        schema["x-unique"] = True
    if "description" in schema:
        notes.append(schema.pop("description"))
    if notes:
        schema["description"] = " ".join(notes)
    schema["x-field-type"] = field.type
    return schema


def answered(field: FieldSpec, reveal: list[str], form_label: str | None = None) -> dict:
    """What the API answers for `field` (null when empty)."""
    t = field.type
    schema: dict[str, Any]
    if field.stores_id or t in ("integer", "rating"):
        schema = {"type": "integer"}
    elif t in ("decimal", "money"):
        pattern = r"^-?\d+$" if field.scale == 0 else rf"^-?\d+\.\d{{{field.scale}}}$"
        schema = {"type": "string", "pattern": pattern}
    elif t == "date":
        schema = {"type": "string", "format": "date"}
    elif t == "datetime":
        schema = {"type": "string", "pattern": DATETIME_OUT}
    elif t == "boolean":
        schema = {"type": "boolean"}
    elif t == "multi_choice" or field.is_file:
        schema = {"type": "array", "items": {"type": "string"}}
    elif field.signed:
        text = {"type": "string", "nullable": True}
        schema = {"type": "object", "properties": {
            "signed_by": text, "signed_at": dict(text), "url": dict(text)},
            "description": _("Who signed (the signed-in user) and when; `url` answers the "
                             "image.")}
    else:
        schema = {"type": "string"}
    _describe(field, schema, form_label)
    schema.pop("x-unique", None)
    if field.is_file:
        schema["readOnly"] = True
        schema["description"] = _("The names of the files, uploaded on the record's edit "
                                  "page; GET …/files lists them with their addresses. "
                                  "Sent back, ignored.")
    if t == "autonumber":
        schema["readOnly"] = True
        schema["description"] = _("Given by the portal when the record is saved (format "
                                  "`%(format)s`); never sent.", format=field.format)
    if field.sensitive:
        example = masked_example(t)
        who = codes(reveal) if reveal else _("admins only")
        schema["description"] = " ".join(filter(None, (
            schema.get("description"),
            _("Sensitive: answered masked (e.g. `%(example)s`) unless your role may reveal it "
              "(roles.yaml `reveal`: %(who)s; admins always); a clear answer is audited as a "
              "reveal. Sent back unchanged (the mask) or empty on PUT, the stored value is "
              "kept.", example=example, who=who))))
        schema["x-sensitive"] = {"masked-example": example, "revealed-for-roles": reveal}
    return nullable(schema, True)


def readonly_roles(form: FormSpec, field: FieldSpec, roles: tuple[RoleSpec, ...]) -> list[str]:
    """Roles that may edit the form but not this field (roles.yaml `readonly`)."""
    return [r.key for r in roles if not r.admin and "edit" in r.grants.get(form.key, ())
            and field.key in r.readonly.get(form.key, ())]


def reveal_roles(form: FormSpec, field: FieldSpec, roles: tuple[RoleSpec, ...]) -> list[str]:
    ref = f"{form.key}.{field.key}"
    return [r.key for r in roles if r.admin or ref in r.reveal]


def column(model: Any, key: str, label: str) -> dict[str, Any]:
    """A system or workflow column (id, version, dates, state, SLA deadlines), by its type."""
    kind = model.__table__.columns[key].type
    schema: dict[str, Any]
    if isinstance(kind, Boolean):
        schema = {"type": "boolean"}
    elif isinstance(kind, Integer):
        schema = {"type": "integer"}
    elif isinstance(kind, DateTime):
        schema = {"type": "string", "pattern": DATETIME_OUT}
    elif isinstance(kind, Date):
        schema = {"type": "string", "format": "date"}
    elif isinstance(kind, Numeric | String):
        schema = {"type": "string"}
    else:
        schema = {}
    schema.update(title=label, readOnly=True)
    return nullable(schema, key not in ("id", "version"))
