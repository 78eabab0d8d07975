"""Widget conditions and computed values as SQL: the formula tree of app/config/formulas.py
(plus has(form)) compiled to SQLAlchemy clauses over a form's table, so dashboards count
in the database, never in Python over rows.

Conditions follow the workflows' two-valued logic (a comparison with an empty value is false,
`not in` too, but `x != 'a'` holds for an empty x and `x == null` for an empty text); a
computed value's `if` gives no value when its test reads an empty value, as on the record
page. Durations are exact here (the record page rounds them to one decimal).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from app.config.expressions import Node
from app.db.computed import SYSTEM
from app.db.worktime import calendar_seconds
from app.portal import Portal
from app.spec import FormSpec

CMP = {"==": "__eq__", "!=": "__ne__", "<": "__lt__", "<=": "__le__", ">": "__gt__",
       ">=": "__ge__"}


@dataclass
class Compiler:
    """Compiles the conditions and values of one form's widgets for one dialect and moment."""

    portal: Portal
    form: FormSpec
    dialect: str
    now: dt.datetime
    model: Any = field(init=False)

    def __post_init__(self) -> None:
        self.model = self.portal.model(self.form.key)
        self.computed = {c.key: c for c in self.form.computed}
        self.fields = {f.key: f for f in self.form.fields}

    # -- names ---------------------------------------------------------------------------
    def column(self, name: str) -> Any:
        """A field, system column or computed value of the form as a SQL value."""
        if name == "now":
            return literal(self.now, DateTime)
        if name == "today":
            return literal(self.now.date(), Date)
        if name in self.computed:
            return self.value(self.computed[name].formula.tree)
        if name in self.fields:
            spec = self.fields[name]
            column = getattr(self.model, spec.column)
            if spec.type == "money" and self.dialect == "sqlite":  # kept in minor units
                return cast(type_coerce(column, Integer), Float) / (10 ** spec.scale)
            return column
        if name in SYSTEM:
            return getattr(self.model, name)
        raise KeyError(name)

    def is_text(self, node: Node) -> bool:
        return node.kind == "name" and name_type(self, node.value) in ("text", "multi")

    # -- values --------------------------------------------------------------------------
    def value(self, node: Node) -> Any:
        if node.kind == "const":
            return literal(node.value) if node.value is not None else null()
        if node.kind == "name":
            return self.column(node.value)
        if node.kind == "arith":
            args = [self.value(a) for a in node.args]
            if node.value == "neg":
                return -args[0]
            left, right = args
            if node.value == "/":
                return cast(left, Float) / func.nullif(right, 0)
            return getattr(left, {"+": "__add__", "-": "__sub__", "*": "__mul__"}[
                node.value])(right)
        if node.kind == "call":
            start, end = (self.value(a) for a in node.args)
            per = 86_400 if node.value == "days" else 3_600
            return calendar_seconds(start, end, self.dialect) / per
        if node.kind == "if":
            test, then, otherwise = node.args
            held = self.test3(test)
            return case((held.is_(None), null()), (held, self.value(then)),
                        else_=self.value(otherwise))
        return case((self.truth(node), true()), else_=false())

    def test3(self, node: Node) -> Any:
        """A computed value's test in SQL's own three-valued logic (NULL: cannot tell)."""
        if node.kind == "compare" and all(op in CMP and op not in ("==", "!=")
                                          for op in node.value):
            parts = [getattr(self.value(left), CMP[op])(self.value(right)) for left, op, right
                     in zip(node.args, node.value, node.args[1:], strict=False)]
            return and_(*parts) if len(parts) > 1 else parts[0]
        return self.truth(node)

    # -- conditions (never NULL) ---------------------------------------------------------
    def truth(self, node: Node) -> ColumnElement[bool]:
        if node.kind == "and":
            return and_(*(self.truth(a) for a in node.args))
        if node.kind == "or":
            return or_(*(self.truth(a) for a in node.args))
        if node.kind == "not":
            return not_(self.truth(node.args[0]))
        if node.kind == "has":
            return self.has(node.value)
        if node.kind == "compare":
            parts = [self.compare(left, op, right) for left, op, right
                     in zip(node.args, node.value, node.args[1:], strict=False)]
            return and_(*parts) if len(parts) > 1 else parts[0]
        value = self.value(node)
        kind = name_type(self, node.value) if node.kind == "name" else "other"
        if kind == "boolean":
            return and_(value.is_not(None), value == literal(True))
        return and_(value.is_not(None), value != ("" if kind == "text" else literal(0)))

    def has(self, form_key: str) -> ColumnElement[bool]:
        other_form = self.portal.spec.form(form_key)
        other = self.portal.model(form_key)
        refs = [getattr(other, f.column) == self.model.id for f in other_form.fields
                if f.type == "reference" and f.form == self.form.key]
        return exists(select(literal(1)).select_from(other).where(or_(*refs)))

    def compare(self, lnode: Node, op: str, rnode: Node) -> ColumnElement[bool]:
        if op in ("in", "not in"):
            return self.contains(lnode, op, rnode)
        left, right = self.operand(lnode, rnode), self.operand(rnode, lnode)
        if op in ("==", "!="):
            if rnode.kind == "const" and rnode.value is None:
                left, right, lnode, rnode = right, left, rnode, lnode
            if lnode.kind == "const" and lnode.value is None:
                empty = right.is_(None)
                if self.is_text(rnode):
                    empty = or_(empty, right == "")
                return empty if op == "==" else not_(empty)
            equal = and_(left.is_not(None), right.is_not(None), left == right)
            return equal if op == "==" else not_(equal)
        return and_(left.is_not(None), right.is_not(None), getattr(left, CMP[op])(right))

    def operand(self, node: Node, other: Node) -> Any:
        """A value; a text literal compared with a date column is read as a date."""
        if node.kind == "const" and isinstance(node.value, str) and other.kind == "name":
            kind = name_type(self, other.value)
            if kind in ("date", "datetime"):
                parsed = (dt.datetime if kind == "datetime" else dt.date).fromisoformat(
                    node.value)
                return literal(parsed, DateTime if kind == "datetime" else Date)
        if node.kind == "const" and isinstance(node.value, Decimal):
            return literal(float(node.value))
        return self.value(node)

    def contains(self, lnode: Node, op: str, rnode: Node) -> ColumnElement[bool]:
        left = self.value(lnode)
        if rnode.kind == "list":
            values = [self.operand(item, lnode) for item in rnode.args]
            hit: Any = and_(left.is_not(None), left.in_(values)) if values else false()
        elif rnode.kind == "name" and name_type(self, rnode.value) == "multi":
            column = self.column(rnode.value)  # stored 'a,b,c'
            find = func.strpos if self.dialect == "postgresql" else func.instr
            hit = and_(column.is_not(None), left.is_not(None),
                       find(literal(",") + cast(column, String) + literal(","),
                            literal(",") + cast(left, String) + literal(",")) > 0)
        else:
            hit = false()
        # as in workflows, any comparison with an empty value is false, `not in` too
        return hit if op == "in" else and_(left.is_not(None), not_(hit))


def name_type(compiler: Compiler, name: str) -> str:
    """What a name holds: text, multi, boolean, date, datetime or other (numbers, ids)."""
    if name in compiler.fields:
        return FIELD_KINDS.get(compiler.fields[name].type, "other")
    if name == "today":
        return "date"
    if name == "state":
        return "text"
    if name.endswith("_breached"):
        return "boolean"
    if name in ("created_on", "changed_on", "now") or name.startswith("sla_"):
        return "datetime"
    return "other"


FIELD_KINDS = {"string": "text", "text": "text", "phone": "text", "email": "text",
               "choice": "text", "autonumber": "text", "multi_choice": "multi",
               "boolean": "boolean", "date": "date", "datetime": "datetime"}
