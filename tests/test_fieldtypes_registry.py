"""The field-type registry (app/fieldtypes/registry.py): every type's functions agree with
each other, so a value survives every path through the portal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from app.config.lint.forms import OPTION_TYPES, SENSITIVE_TYPES
from app.fieldtypes.forms import FieldContext
from app.fieldtypes.registry import (
    FIELD_TYPES,
    REGISTRY,
    build_field,
    field_type,
    mask,
    to_formdata,
    to_json,
)
from app.fieldtypes.values import FieldError
from app.records.forms import RecordForm
from app.spec import Choice, FieldSpec, Label

DOCS = Path(__file__).resolve().parent.parent / "docs" / "field-types.md"
CHOICES = (Choice("a", Label("甲", "A")), Choice("b", Label("乙", "B")))
# A stored value of every type that is not a record.
SAMPLES: dict[str, Any] = {
    "string": "张三", "text": "第一行\n第二行", "integer": -42, "decimal": Decimal("12.50"),
    "money": Decimal("1234.50"), "date": dt.date(2026, 1, 15),
    "datetime": dt.datetime(2026, 1, 15, 8, 30, 5), "boolean": True, "choice": "b",
    "multi_choice": "a,b", "phone": "13812345678", "email": "kehu@example.com", "rating": 4,
}


def spec(ftype: str, **kw: Any) -> FieldSpec:
    if ftype in ("choice", "multi_choice"):
        kw.setdefault("choices", CHOICES)
    if ftype == "rating":
        kw.update(min=1, max=5)
    return FieldSpec(key="x", label=Label("值", "Value"), type=ftype, **kw)


def submit(field: FieldSpec, posted: list[str]) -> Any:
    """The field's own WTForms field, posted and validated; the value it would store."""
    context = FieldContext(datamodel=None, fetch=lambda f: lambda pk: None, label=lambda f: str)
    form_class = type("One", (RecordForm,), {"x": build_field(field, context)})
    form = form_class(formdata=MultiDict([("x", v) for v in posted]))
    assert form.validate(), form.errors
    record = SimpleNamespace()
    form["x"].populate_obj(record, "x")
    return record.x


def test_every_type_is_in_the_registry_and_documented() -> None:
    # Records and signatures do not round-trip as values (tests/test_fieldtypes_signature.py);
    # files are uploaded, never a JSON value or a cell (tests/test_fieldtypes_uploads.py).
    assert set(SAMPLES) | {"reference", "user", "autonumber", "signature", "file",
                           "image"} == set(FIELD_TYPES)
    text = DOCS.read_text(encoding="utf-8")
    assert [t for t in FIELD_TYPES if f"`{t}`" not in text] == []


@pytest.mark.parametrize("ftype", list(SAMPLES))
def test_a_value_sent_back_as_the_api_answered_it_is_stored_unchanged(app: Flask,
                                                                         ftype: str) -> None:
    field = spec(ftype)
    with app.test_request_context():
        answered = to_json(field, SAMPLES[ftype])
        assert submit(field, to_formdata(field, answered)) == SAMPLES[ftype]


@pytest.mark.parametrize("ftype", list(SAMPLES))
def test_an_exported_cell_imports_back_to_the_same_value(app: Flask, ftype: str) -> None:
    field = spec(ftype)
    kind = field_type(ftype)
    with app.test_request_context():
        cell = str(kind.export(field)(SAMPLES[ftype]))
        assert kind.read_cell is not None
        value = kind.read_cell(field, cell)
        assert submit(field, to_formdata(field, value)) == SAMPLES[ftype]


def test_records_are_looked_up_not_read_from_cells() -> None:
    assert [t.name for t in REGISTRY.values() if t.read_cell is None] == [
        "reference", "user", "signature", "file", "image"]  # ignored columns, never read
    assert all(spec(t).stores_id for t in ("reference", "user"))


def test_no_value_posts_what_the_browser_posts(app: Flask) -> None:
    with app.test_request_context():
        assert to_formdata(spec("reference", form="customer"), None) == ["__None"]
        assert to_formdata(spec("boolean"), None) == [""]  # not answered
        assert to_formdata(spec("boolean"), False) == ["0"]
        assert to_formdata(spec("multi_choice"), None) == []
        assert to_formdata(spec("string"), None) == [""]
        with pytest.raises(FieldError, match="此项为必填项。"):
            to_formdata(spec("string", required=True), None)


def test_masks_by_type() -> None:
    assert mask(spec("phone"), "13812345678") == "138****5678"
    assert mask(spec("email"), "zhang@example.com") == "z***@example.com"
    assert mask(spec("string"), "浙江省杭州市西湖区") == "浙江****"
    assert mask(spec("string"), None) == ""


def test_the_linter_reads_its_type_rules_from_the_registry() -> None:
    assert SENSITIVE_TYPES == ("string", "text", "phone", "email")
    assert OPTION_TYPES["min"] == ("integer", "decimal", "money", "rating")
    assert OPTION_TYPES["choices"] == ("choice", "multi_choice")
    assert OPTION_TYPES["form"] == ("reference",)
    assert OPTION_TYPES["max_files"] == OPTION_TYPES["accept"] == ("file", "image")
    assert [t for t in FIELD_TYPES if not field_type(t).unique] == [
        "text", "boolean", "multi_choice", "signature", "file", "image"]
    assert [t for t in FIELD_TYPES if not field_type(t).searchable] == [
        "signature", "file", "image"]


def test_a_yes_no_question_is_unanswered_until_answered(app: Flask) -> None:
    """客户满意 showed 否 before any callback: a yes/no is 是, 否 or — (None)."""
    with app.test_request_context():
        assert submit(spec("boolean"), [""]) is None
        assert submit(spec("boolean"), ["1"]) is True and submit(spec("boolean"), ["y"]) is True
        assert submit(spec("boolean"), ["0"]) is False
        context = FieldContext(datamodel=None, fetch=lambda f: lambda pk: None,
                               label=lambda f: str)
        form_class = type("One", (RecordForm,), {
            "x": build_field(spec("boolean", required=True), context)})
        form = form_class(formdata=MultiDict([("x", "")]))
        assert not form.validate() and form.errors == {"x": ["此项为必填项。"]}
        bad = form_class(formdata=MultiDict([("x", "maybe")]))
        assert not bad.validate() and "x" in bad.errors


def test_required_selects_start_with_nothing_chosen(app: Flask) -> None:
    """A required choice without a YAML default, and a required rating, render a blank first
    option selected: the first choice or one star were saved unseen."""
    context = FieldContext(datamodel=None, fetch=lambda f: lambda pk: None, label=lambda f: str)
    with app.test_request_context():
        for field in (spec("choice", required=True), spec("rating", required=True)):
            form_class = type("One", (RecordForm,), {"x": build_field(field, context)})
            html = str(form_class()["x"])
            assert '<option selected value="">—</option>' in html, html
            empty = form_class(formdata=MultiDict([("x", "")]))
            assert not empty.validate() and empty.errors == {"x": ["此项为必填项。"]}
        chosen = spec("choice", required=True, default="b")
        form_class = type("One", (RecordForm,), {"x": build_field(chosen, context)})
        assert '<option selected value="b">' in str(form_class()["x"])
