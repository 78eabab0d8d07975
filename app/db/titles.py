"""How a record is named wherever it is referred to (selects, related lists, 我的待办, the
audit, page titles): its form's `title` template, e.g. "{ticket_no} {customer} {product_name}",
or else its display field, or else its number (#12).

Each part shows as a person reads it: a choice's label, 是/否, a date, a referenced record by
its title (whose own references show by their display field: names never chain further), a
user by name, a
sensitive value masked (a name is shown to everyone who sees the reference). An empty part is
left out together with the text before it, so "{a} · {b} · {c}" without b reads "a · c".
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import selectinload

from app.fieldtypes import autonumber
from app.fieldtypes.registry import field_type, mask
from app.spec import FieldSpec, FormSpec


def title(row: Any, nested: bool = False) -> str:
    """The record's name (the generated classes' `__str__`); `nested`: it is a part of
    another record's title, and its own references show by their display field."""
    form: FormSpec = type(row).__form__
    if not form.title:
        return display_name(row)
    template = form.title.get()
    segments, position = [], 0
    for match in autonumber.PART.finditer(template):
        segments.append((template[position:match.start()],
                         part(row, form, match.group(1), nested)))
        position = match.end()
    text, shown = segments[0][0] if segments else "", False
    for before, value in segments:
        if value:
            text += (before if shown else "") + value
            shown = True
    if not shown:
        return f"#{row.id}"
    return re.sub(r"\s+", " ", text + template[position:]).strip()


def display_name(row: Any) -> str:
    """The record's display field, or its number."""
    form: FormSpec = type(row).__form__
    if form.display:
        field = form.field(form.display)
        value = getattr(row, field.key, None)
        if value is not None and value != "":
            if field.sensitive:
                return mask(field, value)
            return field.choice_label(value) if field.type == "choice" else str(value)
    return f"#{row.id}"


def part(row: Any, form: FormSpec, key: str, nested: bool = False) -> str:
    """One part of a title as text ('' when empty)."""
    if key == "id":
        return f"#{row.id}" if row.id is not None else ""
    field = form.field(key)
    value = getattr(row, key, None)
    if value is None or value == "":
        return ""
    if field.type == "reference":
        return display_name(value) if nested else title(value, nested=True)
    if field.type == "user":
        return (value.get_full_name() or "").strip() or str(value.username)
    if field.sensitive:
        return mask(field, value)
    return str(field_type(field.type).export(field)(value))


def title_fields(form: FormSpec) -> list[FieldSpec]:
    """The fields a form's title names (its display field without a title)."""
    if not form.title:
        return [form.field(form.display)] if form.display else []
    keys = [m.group(1) for m in autonumber.PART.finditer(form.title.zh + form.title.en)]
    return [f for f in form.fields if f.key in keys]


NAME_TYPES = ("string", "phone", "email", "autonumber")  # texts a name search matches


def name_fields(form: FormSpec) -> list[FieldSpec]:
    """The fields a record is found by its name on: the text fields of its title (or its
    display field), never a sensitive one."""
    return [f for f in title_fields(form) if f.type in NAME_TYPES and not f.sensitive]


def loaders(model: Any, form: FormSpec, models: dict[str, Any], path: Any = None,
            depth: int = 0) -> list[Any]:
    """Loader options that read, with a list of `model` rows, the records and users their
    titles name (two levels: a reference's title names its own references): one query per
    relationship and page, not one per row."""
    out = []
    for field in title_fields(form):
        if not field.stores_id:
            continue
        attr = getattr(model, field.key)
        option = selectinload(attr) if path is None else path.selectinload(attr)
        out.append(option)
        if field.type == "reference" and depth < 1:
            target = models[str(field.form)]
            out += loaders(target, target.__form__, models, option, depth + 1)
    return out


def reference_loaders(model: Any, form: FormSpec, keys: Any,
                      models: dict[str, Any]) -> list[Any]:
    """Loader options for the reference and user fields `keys` of `model` and what their
    records' titles name in turn (a list showing a survey's complaint by its title)."""
    out: list[Any] = []
    for field in form.fields:
        if not field.stores_id or field.key not in keys:
            continue
        option = selectinload(getattr(model, field.key))
        out.append(option)
        if field.type == "reference":
            target = models[str(field.form)]
            out += loaders(target, target.__form__, models, option)
    return out
