"""Value conversion between field types (app/fieldtypes/convert.py through the registry):
exact or refused, never lossy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.fieldtypes.convert import NotConvertible
from app.fieldtypes.registry import can_convert, convert_value
from app.spec import Choice, FieldSpec, Label


def field(ftype: str, **kw) -> FieldSpec:
    return FieldSpec(key="x", label=Label("x", "x"), type=ftype, **kw)


@pytest.mark.parametrize(("value", "old", "new", "expected"), [
    ("42", "string", field("integer"), 42),
    ("42.00", "string", field("integer"), 42),
    (3, "integer", field("money"), Decimal("3")),
    ("12.50", "string", field("decimal"), Decimal("12.50")),
    (Decimal("7"), "decimal", field("integer"), 7),
    ("2026-01-15", "string", field("date"), dt.date(2026, 1, 15)),
    (dt.date(2026, 1, 15), "date", field("datetime"), dt.datetime(2026, 1, 15)),
    (dt.datetime(2026, 1, 15, 8, 30), "datetime", field("string", max_length=50),
     "2026-01-15 08:30:00"),
    (True, "boolean", field("text"), "true"),
    ("1", "string", field("boolean"), True),
    ("quality", "string", field("choice", choices=(Choice("quality", Label("质量", "Q")),)),
     "quality"),
    ("quality", "choice", field("multi_choice", choices=(Choice("quality", Label("q", "q")),)),
     "quality"),
    (4, "integer", field("rating", min=1, max=5), 4),
    (None, "string", field("integer"), None),
    ("张三@例子.中国", "string", field("email"), "张三@例子.中国"),  # as the edit screen accepts
])
def test_values_that_convert(value, old: str, new: FieldSpec, expected) -> None:
    assert convert_value(value, new) == expected


@pytest.mark.parametrize(("value", "old", "new"), [
    ("12a", "string", field("integer")),
    ("1.5", "string", field("integer")),
    ("1.005", "string", field("money", scale=2)),
    ("12345678901", "string", field("decimal", precision=12, scale=2)),
    ("NaN", "string", field("decimal")),
    ("2026-13-01", "string", field("date")),
    (dt.datetime(2026, 1, 1, 9), "datetime", field("date")),
    ("很长的文字" * 10, "text", field("string", max_length=20)),
    ("yes", "string", field("boolean")),
    ("fax", "string", field("choice", choices=(Choice("phone", Label("电话", "P")),))),
    (9, "integer", field("rating", min=1, max=5)),
    ("12345", "string", field("phone")),
    ("13812345678\n", "string", field("phone")),  # '$' used to let a final line break pass
    ("a..b@example.com", "string", field("email")),  # as the edit screen refuses
])
def test_values_that_do_not(value, old: str, new: FieldSpec) -> None:
    with pytest.raises(NotConvertible):
        convert_value(value, new)


def test_references_never_change_type() -> None:
    ref = {"type": "reference", "form": "customer"}
    assert can_convert(ref, field("integer")) == (
        "references cannot change type or target; add a new field instead")
    assert can_convert(ref, field("reference", form="complaint")) is not None
    assert can_convert(ref, field("reference", form="customer")) is None
    assert can_convert({"type": "date"}, field("boolean")) == (
        "date values cannot become true/false")
    assert can_convert({"type": "string"}, field("integer")) is None
