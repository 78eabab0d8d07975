"""The quick search: one text, looked up in every form the user may list, within their row
scope, a few newest matches per form. A form's record matches when

- the text is its number (`#123` or `123`): its id;
- the text is a phone number: exactly, on the form's searchable phone fields;
- the text matches (app/records/lookup.py `name_match`: substring on PostgreSQL through a
  trigram index, prefix on SQLite) its record name or a searchable text field.

Each match shows its record name and the matched or listed fields, sensitive ones masked
(revealing one is done, and audited, on the record page). Every query is bounded: at most
CANDIDATES matching ids are read through the match's indexes, the newest of those shown
(app/records/lookup.py `candidates`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select

from app.fieldtypes.registry import field_type, mask
from app.portal import portal_of
from app.records.lookup import (
    MAX_ID,
    MAX_TEXT,
    candidates,
    name_match,
    phone_text,
    scoped,
    session,
)
from app.schema import trigram
from app.schema.trigram import TEXT_TYPES
from app.spec import FieldSpec, FormSpec

PER_FORM = 8
NUMBER = re.compile(r"^#?(\d{1,12})$")
SHOWN = 3  # fields shown with each match, besides its name


@dataclass(frozen=True)
class Hit:
    id: int
    name: str
    fields: list[tuple[str, str]]  # (label, value as the user may see it)


@dataclass
class FormHits:
    form: FormSpec
    hits: list[Hit] = field(default_factory=list)
    more: bool = False


def match_fields(form: FormSpec) -> list[FieldSpec]:
    """The fields a text can match: searchable text and phone fields, and the record name."""
    return [f for f in trigram.searched(form) if f.type in (*TEXT_TYPES, "phone")]


def clause(model: Any, form: FormSpec, text: str) -> Any:
    """SQL condition for the records of `form` matching `text`; None: none can."""
    conditions = []
    number = NUMBER.match(text)
    if number and int(number.group(1)) <= MAX_ID:
        conditions.append(model.id == int(number.group(1)))
    phone = phone_text(text)
    for f in match_fields(form):
        column = getattr(model, f.column)
        if f.type == "phone":
            if phone:
                conditions.append(column == phone)
        elif not text.startswith("#"):
            conditions.append(name_match(column, text))
    return or_(*conditions) if conditions else None


def quick_search(text: str, forms: list[FormSpec]) -> list[FormHits]:
    """The forms with matches, in the order given."""
    text = text.strip()[:MAX_TEXT]
    if not text:
        return []
    out = []
    for form in forms:
        model = portal_of().model(form.key)
        where = clause(model, form, text)
        if where is None:
            continue
        found = candidates(scoped(session().query(model), model, form), model, where)
        # The newest among the candidates, chosen inside them: ordered outside, PostgreSQL
        # walked the whole primary key backwards to merge with them (100 ms at 1M rows).
        newest = select(found.c.id).order_by(found.c.id.desc()).limit(PER_FORM + 1)
        rows = (session().query(model).filter(model.id.in_(newest))
                .order_by(model.id.desc()).all())
        if rows:
            out.append(FormHits(form, [hit(form, row) for row in rows[:PER_FORM]],
                                len(rows) > PER_FORM))
    return out


def hit(form: FormSpec, row: Any) -> Hit:
    shown = [f for f in match_fields(form) if f.key != form.display]
    shown += [f for f in form.fields if f.key in form.list_columns
              and f.key != form.display and f not in shown]
    return Hit(row.id, str(row), [(f.label.get(), value(form, f, row))
                              for f in shown[:SHOWN]])


def value(form: FormSpec, f: FieldSpec, row: Any) -> str:
    raw = getattr(row, f.key, None)
    if raw is None or raw == "":
        return "—"
    if f.sensitive:  # revealed, audited, on the record page only
        return mask(f, raw)
    return str(field_type(f.type).export(f)(raw))  # plain text: labels, not markup
