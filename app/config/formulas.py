"""Computed values of a form (its `computed` list): the safe condition language
(app/config/expressions.py) plus `A if CONDITION else B`, the functions days(a, b) and
hours(a, b) (from a to b, one decimal; None when either is empty) and the names `today`
and `now`. Parsed and checked when the YAML is read, evaluated for each record shown."""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from app.config import expressions as ex
from app.config.expressions import ExprError, Expression, Node

FUNCTIONS = {"days": 86_400, "hours": 3_600}  # name → seconds per unit
NOW_NAMES = ("today", "now")
NOBODY = ex.UserFacts(id=None)
TENTH = Decimal("0.1")


class _Converter(ex._Converter):
    """The condition converter, also taking conditional expressions and the functions."""

    def convert(self, node: ast.expr, list_ok: bool = False) -> Node:
        at = self.pos(node.lineno, node.col_offset)
        if isinstance(node, ast.IfExp):
            return Node("if", at, None, (self.convert(node.test), self.convert(node.body),
                                         self.convert(node.orelse)))
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            if name not in FUNCTIONS or node.keywords or len(node.args) != 2:
                raise ExprError("only days(a, b) and hours(a, b) may be called", at,
                                "e.g. hours(created_on, sla_resolved_on)")
            return Node("call", at, name, tuple(self.convert(a) for a in node.args))
        return super().convert(node, list_ok)

    def name(self, name: str, at: int) -> Node:
        return Node("name", at, name) if name in NOW_NAMES else super().name(name, at)


def parse(text: str, converter: type[_Converter] | None = None) -> Expression:
    """A computed value's tree; ExprError for bad syntax or anything outside the language.
    `converter`: a wider language built on this one (the dashboards' has(form))."""
    if len(text) > ex.MAX_LENGTH:
        raise ExprError(f"a formula may be at most {ex.MAX_LENGTH} characters", ex.MAX_LENGTH)
    body = text.lstrip()
    if not body.strip() or "\x00" in text:
        raise ExprError("a formula must not be empty or hold null characters", 0)
    shift = len(text) - len(body)
    try:
        tree = ast.parse(body, mode="eval").body
    except SyntaxError as exc:
        raise ex._syntax_error(text, shift, body, exc) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExprError(ex.TOO_COMPLEX, 0) from None
    if sum(1 for _ in ast.walk(tree)) > ex.MAX_NODES:
        raise ExprError(ex.TOO_COMPLEX, 0)
    root = (converter or _Converter)(body, shift).convert(tree)
    names = {n.value for n in ex._walk(root) if n.kind == "name" and "." not in n.value}
    return Expression(text, root, frozenset(names) - set(NOW_NAMES))


def unknown_names(expr: Expression, known: set[str]) -> list[ExprError]:
    """Names the formula reads that the form does not have."""
    return [ExprError(f"unknown field '{n.value}'", n.at) for n in ex._walk(expr.tree)
            if n.kind == "name" and n.value not in known and n.value not in NOW_NAMES]


def evaluate(expr: Expression, record: Mapping[str, Any]) -> Any:
    """The value for one record (its fields by key, system columns); None when it cannot
    be computed (an empty date, text where a number belongs …)."""
    now = dt.datetime.now().replace(microsecond=0)
    values = {**record, "today": now.date(), "now": now}
    try:
        return _value(expr.tree, values)
    except Exception:  # odd record values: no value rather than an error  # noqa: BLE001
        return None


def _value(node: Node, record: Mapping[str, Any]) -> Any:
    if node.kind == "if":
        test, then, otherwise = node.args
        holds = _test(test, record)
        return None if holds is None else _value(then if holds else otherwise, record)
    if node.kind == "call":
        start, end = (_moment(_value(a, record)) for a in node.args)
        if start is None or end is None:
            return None
        seconds = Decimal((end - start).total_seconds())
        return (seconds / FUNCTIONS[node.value]).quantize(TENTH)
    if node.kind in ("and", "or", "not", "compare"):
        return _test(node, record)
    if node.kind == "arith":
        args = [_value(a, record) for a in node.args]
        left, right = ([0] if len(args) == 1 else []) + args
        if not (ex._number(left) and ex._number(right)):
            return None
        return ex.CALC[node.value](Decimal(left) if node.value == "/" else left, right)
    return ex._value(node, record, NOBODY)


def _test(node: Node, record: Mapping[str, Any]) -> bool | None:
    """True, false, or None when it depends on a value that is empty (a date not entered
    yet): then the formula has no value, rather than a guess."""
    if node.kind in ("and", "or", "not"):
        parts = [_test(a, record) for a in node.args]
        if None in parts:
            return None
        return not parts[0] if node.kind == "not" else (all if node.kind == "and" else any)(
            parts)
    if node.kind == "compare":
        left = _value(node.args[0], record)
        for i, op in enumerate(node.value):
            right = _value(node.args[i + 1], record)
            if op in ex.ORDER and (left is None or right is None):
                return None
            if not ex._holds(op, node.args[i], left, node.args[i + 1], right):
                return False
            left = right
        return True
    value = _value(node, record)
    return None if value is None else bool(value)


def _moment(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return None
