"""Field defaults (app/fieldtypes/defaults.py, through the registry): parsed at lint time
with exact messages, evaluated when a form opens."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.fieldtypes.defaults import BadDefault
from app.fieldtypes.registry import default_of, parse_default
from app.spec import FieldSpec, Label

CHOICES = {"choices": [{"value": "low"}, {"value": "normal"}, {"value": "urgent"}]}


@pytest.mark.parametrize(("ftype", "raw", "expected"), [
    ("string", "未填写", "未填写"),
    ("integer", 3, 3),
    ("money", 12.5, Decimal("12.5")),
    ("boolean", False, False),
    ("date", "today+3", "today+3"),
    ("date", dt.date(2026, 1, 1), dt.date(2026, 1, 1)),
    ("datetime", "now", "now"),
    ("choice", "normal", "normal"),
    ("multi_choice", "low, urgent", "low,urgent"),
    ("user", "current_user", "current_user"),
    ("phone", "010-12345678", "010-12345678"),
])
def test_valid_defaults(ftype: str, raw, expected) -> None:
    assert parse_default(ftype, raw, CHOICES) == expected


@pytest.mark.parametrize(("ftype", "raw", "message"), [
    ("choice", "urgentt", "'urgentt' is not one of the choices (low, normal, urgent)"),
    ("multi_choice", "low,bad", "'bad' is not one of the choices (low, normal, urgent)"),
    ("integer", "3", "'3' is not a whole number"),
    ("integer", True, "True is not a whole number"),
    ("money", "abc", "'abc' is not a number"),
    ("date", "tomorrow", "'tomorrow' is not a date; use YYYY-MM-DD, 'today' or 'today+N'"),
    ("datetime", "today", "'today' is not a date and time; use 'now' or YYYY-MM-DD HH:MM:SS"),
    ("boolean", "yes", "'yes' is not true or false"),
    ("user", "admin", "'admin' is not allowed; a user field's default can only be "
                      "'current_user'"),
    ("reference", 1, "a reference field cannot have a default"),
    ("phone", "12345", "'12345' is not a phone number"),
    ("email", "a@b", "'a@b' is not an e-mail address"),
    # One rule with the screens: a final line break, consecutive dots.
    ("phone", "13812345678\n", "'13812345678\n' is not a phone number"),
    ("email", "a..b@example.com", "'a..b@example.com' is not an e-mail address"),
])
def test_bad_defaults_say_what_is_allowed(ftype: str, raw, message: str) -> None:
    with pytest.raises(BadDefault) as exc:
        parse_default(ftype, raw, CHOICES)
    assert str(exc.value) == message


def test_an_internationalised_address_is_a_valid_default() -> None:
    """The edit screen accepts it, so the YAML may use it."""
    assert parse_default("email", "张三@例子.中国", {}) == "张三@例子.中国"


def evaluate_default(ftype: str, value):  # noqa: ANN001, ANN201
    return default_of(FieldSpec(key="x", label=Label("x", "x"), type=ftype, default=value))


def test_evaluated_defaults() -> None:
    today = dt.date.today()
    assert evaluate_default("date", "today") == today
    assert evaluate_default("date", "today+3") == today + dt.timedelta(days=3)
    assert abs(evaluate_default("datetime", "now") - dt.datetime.now()).total_seconds() < 5
    assert evaluate_default("multi_choice", "a,b") == ["a", "b"]
    assert evaluate_default("string", "x") == "x"
    assert evaluate_default("string", None) is None
