"""Search-as-you-type for reference and user fields: a page of at most `PAGE` matches from
the field's target, within the signed-in user's row scope, sensitive values masked;
and the one record a posted id names, checked the same way. Nothing loads a whole table.

A reference matches on its target's record name (the form's `display` field) and, when the
text is a phone number, exactly on its phone fields; a user on username or name. How text
matches a name (`name_match`): on PostgreSQL a substring (`ILIKE`, served by the trigram
index the migration adds, app/schema/plan.py) once the text has 3 characters, on SQLite and
for shorter texts a prefix (a range on the column's B-tree index, so case-sensitive).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_appbuilder.security.sqla.models import Role, User
from sqlalchemy import and_, false, func, or_, select

from app.db.titles import NAME_TYPES, name_fields, title_fields
from app.fieldtypes.registry import mask
from app.portal import portal_of
from app.security.access import current_access, scope_clause
from app.spec import FieldSpec, FormSpec

PAGE = 20  # matches per answer
CANDIDATES = 1_000  # matching rows read, in no order, before ordering them
MAX_PAGES = 10  # deeper than 200 matches: type more
MAX_TEXT = 100  # characters of search text
TRIGRAM = 3  # pg_trgm needs a whole trigram to use its index
MAX_ID = 2**31 - 1  # ids are INTEGER columns: a larger one is no record (and PostgreSQL
#                     refuses to compare with it)
PHONE_TEXT = re.compile(r"^\+?[\d\s-]{5,}$")
_TOP = "\U0010ffff"  # above every character: `col < text + _TOP` closes a prefix range


@dataclass(frozen=True)
class Option:
    id: int
    text: str


def session() -> Any:
    return current_app.extensions["appbuilder"].session


def name_match(column: Any, text: str) -> Any:
    """`column` matches the search text: substring on PostgreSQL (3+ characters), prefix
    elsewhere. LIKE wildcards in the text are taken literally."""
    if session().get_bind().dialect.name == "postgresql" and len(text) >= TRIGRAM:
        return column.ilike(f"%{like_escaped(text)}%", escape="\\")
    return and_(column >= text, column < text + _TOP)


def like_escaped(text: str) -> str:
    """The text for a LIKE pattern, its wildcards taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def phone_text(text: str) -> str | None:
    """The text as a stored phone number (spaces and dashes dropped), or None."""
    return re.sub(r"[\s-]", "", text) if PHONE_TEXT.match(text) else None


def target_form(field: FieldSpec) -> FormSpec:
    return portal_of().spec.form(field.form)  # type: ignore[arg-type]


def scoped(query: Any, model: Any, form: FormSpec) -> Any:
    """`query` kept to the records of `form` in the signed-in user's row scope."""
    clause = scope_clause(model, form, current_access())
    return query if clause is None else query.filter(clause)


def _users_query(field: FieldSpec) -> Any:
    """Active users a user field may offer: with one of its `roles`, a role inheriting one,
    or an admin role (as transitions allow admins always) when the YAML lists any."""
    query = session().query(User).filter(User.active.is_(True))
    if field.roles:
        names = [r.key for r in portal_of().spec.roles
                 if r.admin or r.key in field.roles or set(r.ancestors) & set(field.roles)]
        query = query.filter(User.roles.any(Role.name.in_(names)))
    return query


def fetch(field: FieldSpec, pk: Any) -> Any:
    """The record (or user) with id `pk` if the field may offer it, else None."""
    try:
        ident = int(pk)
    except (TypeError, ValueError):
        return None
    if not 0 < ident <= MAX_ID:
        return None
    if field.type == "user":
        return _users_query(field).filter(User.id == ident).one_or_none()
    form = target_form(field)
    model = portal_of().model(form.key)
    return scoped(session().query(model), model, form).filter(
        model.id == ident).one_or_none()


def search(field: FieldSpec, text: str, page: int = 1) -> tuple[list[Option], bool]:
    """A page of matches for `text` (all offered records when blank) and whether more
    follow."""
    text = text.strip()[:MAX_TEXT]
    page = min(max(page, 1), MAX_PAGES)
    if field.type == "user":
        query, order = _user_matches(field, text)
    elif text and session().get_bind().dialect.name == "postgresql":
        rows = _prefix_first(field, text, page)
        more = len(rows) > PAGE and page < MAX_PAGES
        return [option(field, row) for row in rows[:PAGE]], more
    else:
        query, order = _record_matches(field, text)
    rows = query.order_by(*order).limit(PAGE + 1).offset((page - 1) * PAGE).all()
    more = len(rows) > PAGE and page < MAX_PAGES
    return [option(field, row) for row in rows[:PAGE]], more


def _user_matches(field: FieldSpec, text: str) -> tuple[Any, list]:
    query = _users_query(field)
    if text:
        query = query.filter(or_(*[name_match(c, text) for c in
                                   (User.username, User.first_name, User.last_name)]))
    return query, [User.username, User.id]


def _record_matches(field: FieldSpec, text: str) -> tuple[Any, list]:
    form = target_form(field)
    model = portal_of().model(form.key)
    query = scoped(session().query(model), model, form)
    name = _name_column(model, form)
    if text:
        matches = [name_match(getattr(model, f.column), text) for f in name_fields(form)]
        phone = phone_text(text)
        if phone:
            matches += [getattr(model, f.column) == phone for f in form.fields
                        if f.type == "phone"]
        if not matches:  # nothing to match on: no records rather than every one
            return query.filter(model.id.is_(None)), [model.id]
        found = candidates(query, model, or_(*matches))
        query = query.filter(model.id.in_(select(found.c.id)))
    return query, ([name, model.id] if name is not None else [model.id.desc()])


def _prefix_first(field: FieldSpec, text: str, page: int) -> list[Any]:
    """PostgreSQL: the records whose name starts with the text (or whose phone is it) first,
    through the prefix index, then those containing it (trigram index, 3+ characters); each
    group in name order. Page 1 of a prefix typed into a big table reads the prefix index
    only (app/schema/trigram.py)."""
    form = target_form(field)
    model = portal_of().model(form.key)
    base = scoped(session().query(model), model, form)
    name = _name_column(model, form)
    order = [name, model.id] if name is not None else [model.id.desc()]
    starts = [getattr(model, f.column).like(f"{like_escaped(text)}%", escape="\\")
              for f in name_fields(form)]
    phone = phone_text(text)
    if phone:
        starts += [getattr(model, f.column) == phone for f in form.fields if f.type == "phone"]
    if not starts:
        return []
    first = or_(*starts)
    offset = (page - 1) * PAGE
    rows = (base.filter(model.id.in_(select(candidates(base, model, first).c.id)))
            .order_by(*order).offset(offset).limit(PAGE + 1).all())
    if len(rows) > PAGE or len(text) < TRIGRAM or not name_fields(form):
        return rows
    if rows or offset == 0:
        shown = offset + len(rows)  # every prefix match is on this page or before it
    else:
        found = candidates(base, model, first)
        shown = int(session().scalar(select(func.count()).select_from(found)) or 0)
    contains = and_(or_(*[name_match(getattr(model, f.column), text)
                          for f in name_fields(form)]), ~func.coalesce(first, false()))
    rest = base.filter(model.id.in_(select(candidates(base, model, contains).c.id)))
    return rows + rest.order_by(*order).offset(max(0, offset - shown)).limit(
        PAGE + 1 - len(rows)).all()


def candidates(query: Any, model: Any, where: Any) -> Any:
    """The ids of at most CANDIDATES rows of `query` matching `where`, found by the match's
    own indexes (trigram, B-tree, phone) in no order: the caller orders those few. Ordered
    by itself, the database walked its name or id index testing every row when few match
    (tens of milliseconds at 100,000 rows, growing with the table)."""
    return query.filter(where).with_entities(model.id).limit(CANDIDATES).subquery()


def _name_column(model: Any, form: FormSpec) -> Any:
    """The display field's column when it holds text to match on."""
    if not form.display:
        return None
    field = form.field(form.display)
    if field.type not in NAME_TYPES:
        return None
    return getattr(model, field.column)


def option(field: FieldSpec, row: Any) -> Option:
    """How a record is offered: its title, then its phone when the title has none, so that
    two customers of one name differ; a sensitive one masked (revealing is done, audited, on
    the record page)."""
    if field.type == "user":
        full = row.get_full_name().strip()
        return Option(row.id, f"{full} ({row.username})" if full else row.username)
    form = target_form(field)
    named = {f.key for f in title_fields(form)}
    parts = [str(row)] + [mask(f, value) if f.sensitive else str(value)
                          for f in form.fields if f.type == "phone" and f.key not in named
                          for value in [getattr(row, f.key, None)] if value not in (None, "")]
    return Option(row.id, " · ".join(parts))
