"""Computed values' formulas (app/config/formulas.py): the condition language with
conditional expressions, days()/hours(), today and now; no value rather than a guess."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.config.expressions import ExprError
from app.config.formulas import evaluate, parse, unknown_names

D, T = dt.date, dt.datetime


def test_hours_and_days_between_two_moments() -> None:
    hours = parse("hours(created_on, sla_resolved_on)")
    assert hours.names == {"created_on", "sla_resolved_on"}
    assert evaluate(hours, {"created_on": T(2026, 12, 1, 9), "sla_resolved_on":
                            T(2026, 12, 2, 11, 30)}) == Decimal("26.5")
    assert evaluate(hours, {"created_on": T(2026, 12, 1, 9), "sla_resolved_on": None}) is None
    days = parse("days(production_date, occurred_at)")
    assert evaluate(days, {"production_date": D(2026, 1, 1),
                           "occurred_at": T(2026, 1, 11, 12)}) == Decimal("10.5")


def test_a_conditional_value_and_no_guess_when_its_input_is_empty() -> None:
    shelf = parse("'已过保质期' if days(production_date, occurred_at) > 1095 else '保质期内'")
    when = T(2026, 12, 6, 10)
    assert evaluate(shelf, {"production_date": D(2022, 1, 1), "occurred_at": when}) == \
        "已过保质期"
    assert evaluate(shelf, {"production_date": D(2026, 1, 1), "occurred_at": when}) == "保质期内"
    assert evaluate(shelf, {"production_date": None, "occurred_at": when}) is None


def test_today_arithmetic_and_conditions() -> None:
    age = parse("days(created_on, today) >= 3 and state != 'closed'")
    old = {"created_on": T(2020, 1, 1), "state": "open"}
    assert evaluate(age, old) is True
    assert evaluate(age, {**old, "state": "closed"}) is False
    assert evaluate(parse("amount * 2 + 1"), {"amount": Decimal("10.5")}) == Decimal("22.0")
    assert evaluate(parse("amount * 2"), {"amount": "abc"}) is None  # text is no number


@pytest.mark.parametrize(("text", "message"), [
    ("max(a, b)", "only days(a, b) and hours(a, b) may be called"),
    ("days(a)", "only days(a, b) and hours(a, b) may be called"),
    ("a.b", "attribute access is not allowed in a condition"),
    ("", "a formula must not be empty or hold null characters"),
    ("[x for x in y]", "comprehensions are not allowed in a condition"),
])
def test_what_a_formula_may_not_do(text: str, message: str) -> None:
    with pytest.raises(ExprError) as caught:
        parse(text)
    assert caught.value.message == message


def test_unknown_names_are_reported_and_today_is_known() -> None:
    formula = parse("days(purchase_date, today) > warranty_days")
    assert [e.message for e in unknown_names(formula, {"purchase_date"})] == [
        "unknown field 'warranty_days'"]
