"""A record page's related records (客户 360): each form with a reference to this one lists
the records of it that point here and that the user may see — a count, the newest few by
their titles, a link to the list filtered by this record and an add button with the
reference filled in — and the add screen fills in a reference named in its address
(`/compensationview/add?complaint=12`), within the user's row scope."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask import current_app, request, url_for
from sqlalchemy import func, select

from app.db.titles import loaders
from app.portal import portal_of
from app.records import lookup
from app.spec import FieldSpec, FormSpec

SHOWN = 5  # newest related records listed on the page
COUNT_CAP = 100  # counted up to this many, then "100+"


@dataclass(frozen=True)
class RelatedRow:
    id: int
    title: str
    url: str | None  # None: the user may list, not open, these records


@dataclass(frozen=True)
class RelatedPanel:
    form: FormSpec
    field: FieldSpec
    count: int
    capped: bool
    rows: list[RelatedRow]
    list_url: str | None  # None: reached through another form, no list filter for it
    add_url: str | None
    via: FormSpec | None = None  # reached through this form's records (a customer's
    #                              compensations through their complaints)


def _can(permission: str, form: FormSpec) -> bool:
    return bool(current_app.extensions["appbuilder"].sm.has_access(permission,
                                                                   form.view_name))


def related_panels(referrers: Any, record: Any) -> list[RelatedPanel]:
    """One panel per form referring to `record`'s form that the user may list, then one per
    form referring to those (their records through the first: a customer's compensations
    and callbacks through their complaints), without an add button or a list filter."""
    out = []
    portal = portal_of()
    session = current_app.extensions["appbuilder"].session
    for referrer in referrers:
        form, model = referrer.form, referrer.model
        field = next(f for f in form.fields if f.column == referrer.column)
        if _can("can_list", form):
            query = lookup.scoped(session.query(model), model, form).filter(
                getattr(model, referrer.column) == record.id)
            panel = _panel(form, field, query, model, record)
            out.append(replace(panel, list_url=url_for(
                f"{form.view_name}.list", **{f"_flt_0_{field.key}": record.id}),
                add_url=url_for(f"{form.view_name}.add", **{field.key: record.id})
                if _can("can_add", form) else None))
        for second in portal.form(form.key).referrers:
            if second.form.key in (form.key, type(record).__form__.key) or not _can(
                    "can_list", second.form):
                continue
            link = next(f for f in second.form.fields if f.column == second.column)
            query = lookup.scoped(session.query(second.model), second.model, second.form) \
                .join(model, getattr(second.model, second.column) == model.id) \
                .filter(getattr(model, referrer.column) == record.id)
            out.append(_panel(second.form, link, query, second.model, record, via=form))
    return out


def _panel(form: FormSpec, field: FieldSpec, query: Any, model: Any, record: Any,
           via: FormSpec | None = None) -> RelatedPanel:
    session = current_app.extensions["appbuilder"].session
    rows = (query.options(*loaders(model, form, portal_of().models.models))
            .order_by(model.id.desc()).limit(SHOWN + 1).all())
    count = len(rows)
    if count > SHOWN:
        found = query.with_entities(model.id).limit(COUNT_CAP + 1).subquery()
        count = int(session.scalar(select(func.count()).select_from(found)) or 0)
    can_show = _can("can_show", form)
    return RelatedPanel(
        form=form, field=field, count=min(count, COUNT_CAP), capped=count > COUNT_CAP,
        rows=[RelatedRow(r.id, str(r), url_for(f"{form.view_name}.show", pk=r.id)
                         if can_show else None) for r in rows[:SHOWN]],
        list_url=None, add_url=None, via=via)


def prefill_references(form: FormSpec, wtform: Any) -> None:
    """On the add screen, the reference and user fields named in the address (?customer=12)
    take that record, if the field may offer it to this user; anything else is ignored."""
    for field in form.entered:
        if not field.stores_id or field.key not in request.args or field.key not in wtform:
            continue
        found = lookup.fetch(field, request.args.get(field.key))
        if found is not None:
            wtform[field.key].data = found
