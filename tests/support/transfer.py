"""Builders for the Excel/CSV transfer tests: records with every field filled (formula-looking
and multi-line text, money, dates, choices, references, users, sensitive values), a list's
export through its route, an XLSX file from rows, and stored values read back by field."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook

from app.portal import portal_of
from app.spec import FormSpec
from tests.support.factories import make_record, offered_user, python_value
from tests.support.importer import run
from tests.support.signatures import stored_signature

_numbers = itertools.count(1)
# Text a spreadsheet would run as a formula, and text over several lines.
STRINGS = ("=HYPERLINK(\"http://x\")", "-2", "+1+1", "@SUM(1)", "'=quoted")
TEXTS = ("第一行\n=SUM(A1:A3)\n第三行，含“引号”, 逗号", "-5 低于零\n下一行")


def forms_in_order(forms: tuple[FormSpec, ...] | list[FormSpec]) -> list[FormSpec]:
    """Referenced forms before the forms referring to them."""
    done: list[FormSpec] = []
    pending = list(forms)
    while pending:
        for form in pending:
            needs = {f.form for f in form.fields if f.type == "reference" and f.form != form.key}
            if needs <= {d.key for d in done}:
                done.append(form)
                pending.remove(form)
                break
        else:
            raise AssertionError(f"reference cycle among {[f.key for f in pending]}")
    return done


def _fits(field: Any, text: str) -> bool:
    return (not field.min_length or len(text) >= field.min_length) and (
        not field.max_length or len(text) <= field.max_length) and not field.pattern


def rich_value(app: Flask, form: FormSpec, field: Any, k: int, ids: dict[str, list[int]]
               ) -> Any:
    """The k-th seeded record's value of `field`: every field filled, text that looks like a
    formula where the field allows it."""
    n = next(_numbers)
    kind = field.type
    if kind == "signature":  # exported as 已签名（…）, ignored by the import
        return stored_signature(app, form.key, field.key, "staff")
    if kind == "reference":
        targets = ids[str(field.form)]
        return targets[k % len(targets)]
    if kind == "user":
        with app.app_context():
            staff = app.appbuilder.sm.find_user(username=("staff", "supervisor")[k % 2]).id
        return offered_user(app, field, staff)
    if kind == "boolean":
        return k % 2 == 0
    if kind == "choice":
        return field.choices[k % len(field.choices)].value
    if kind == "multi_choice":
        return ",".join(c.value for c in field.choices[k % 2:k % 2 + 2])
    if kind == "date":
        return (dt.date(2026, 2, 28), dt.date(1999, 12, 31))[k % 2]
    if kind == "datetime":
        return (dt.datetime(2026, 1, 15, 10, 30, 5), dt.datetime(2025, 12, 31, 23, 59, 59))[k % 2]
    if kind in ("decimal", "money"):
        value = Decimal("1234.56") if k % 2 else Decimal("88.5")
        if field.max is not None and value > Decimal(str(field.max)):
            value = Decimal(str(field.max))
        return value.quantize(Decimal(1).scaleb(-field.scale))
    if kind in ("string", "text") and not field.unique and form.display != field.key:
        pool = TEXTS if kind == "text" else STRINGS
        text = f"{pool[(n + k) % len(pool)]}{n}"
        if _fits(field, text):
            return text
    return python_value(field, n)


def importable(form: FormSpec) -> list[Any]:
    """The fields a file can fill: every entered one but signatures (drawn, not imported)."""
    return [f for f in form.entered if not f.signed]


def seed(app: Flask, per_form: int = 2) -> dict[str, list[int]]:
    """`per_form` records of every form, every entered field filled; their ids by form."""
    spec = portal_of(app).spec
    ids: dict[str, list[int]] = {}
    for form in forms_in_order(spec.forms):
        ids[form.key] = []
        for k in range(per_form):
            values = {f.key: rich_value(app, form, f, k, ids) for f in form.entered
                      if not (f.type == "reference" and f.form == form.key)}
            ids[form.key].append(make_record(app, form, **values).id)
    return ids


def export(client: FlaskClient, form: FormSpec, fmt: str, query: str = "") -> bytes:
    response = client.get(f"/{form.view_name.lower()}/export/?format={fmt}{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data()


def stored_rows(app: Flask, form: FormSpec, ids: list[int] | None = None,
                after: int | None = None) -> list[dict[str, Any]]:
    """The importable fields' stored values (references and users by id) of records, by id."""
    model = portal_of(app).models.models[form.key]
    with app.app_context():
        query = sa.select(model).order_by(model.id)
        if ids is not None:
            query = query.where(model.id.in_(ids))
        if after is not None:
            query = query.where(model.id > after)
        return [{f.key: getattr(r, f.column) for f in importable(form)}
                for r in app.appbuilder.session.scalars(query)]


def last_id(app: Flask, form: FormSpec) -> int:
    model = portal_of(app).models.models[form.key]
    with app.app_context():
        return int(app.appbuilder.session.scalar(sa.select(sa.func.max(model.id))) or 0)


def move_unique_values(app: Flask, form: FormSpec, ids: list[int], suffix: str) -> None:
    """Set the unique text fields of records `ids` apart (value + suffix) or back, so that
    their exported copies import without a clash."""
    model = portal_of(app).models.models[form.key]
    unique = [f for f in form.entered if f.unique]
    if not unique:
        return
    with app.app_context():
        session = app.appbuilder.session
        for record in session.scalars(sa.select(model).where(model.id.in_(ids))):
            for f in unique:
                value = getattr(record, f.key)
                if value is not None:
                    setattr(record, f.key, value[:-len(suffix)] if value.endswith(suffix)
                            else value + suffix)
        session.commit()


def delete_after(app: Flask, form: FormSpec, after: int) -> None:
    model = portal_of(app).models.models[form.key]
    with app.app_context():
        app.appbuilder.session.execute(sa.delete(model).where(model.id > after))
        app.appbuilder.session.commit()


def xlsx_file(path: Path, rows: list[list[Any]], formulas: dict[tuple[int, int], str] | None
              = None) -> Path:
    """A workbook of `rows`, strings as strings (also those starting with "="); cells of
    `formulas` ((row, column), 1-based) hold real formulas."""
    book = Workbook()
    sheet: Any = book.active
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row, 1):
            if value is None or value == "":
                continue
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
    for (r, c), formula in (formulas or {}).items():
        sheet.cell(row=r, column=c).value = formula  # a str starting with "=": a formula
    book.save(path)
    return path


def sheet_rows(data: bytes) -> list[list[Any]]:
    sheet: Any = load_workbook(io.BytesIO(data)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


def import_rows(app: Flask, path: Path, form: str, **kwargs: Any) -> tuple[Any, list[str]]:
    return run(app, path, form=form, **kwargs)
