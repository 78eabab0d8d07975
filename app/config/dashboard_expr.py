"""Conditions of dashboard widgets (`where`, `rate`): the formula language of computed values
(app/config/formulas.py) plus has(form), "another form has a record referring to this one"
(a complaint with a callback). Parsed when the YAML is read; run only as SQL (app/reports/)."""

from __future__ import annotations

import ast

from app.config import expressions as ex
from app.config import formulas
from app.config.expressions import ExprError, Expression, Node


class _Converter(formulas._Converter):
    def convert(self, node: ast.expr, list_ok: bool = False) -> Node:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "has":
            at = self.pos(node.lineno, node.col_offset)
            arg = node.args[0] if len(node.args) == 1 and not node.keywords else None
            if not isinstance(arg, ast.Name) or not ex.FIELD_NAME.match(arg.id):
                raise ExprError("has() takes one form key, e.g. has(satisfaction_survey)", at)
            return Node("has", at, arg.id)
        if isinstance(node, ast.Call):
            at = self.pos(node.lineno, node.col_offset)
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            if name not in formulas.FUNCTIONS:
                raise ExprError("only has(form), days(a, b) and hours(a, b) may be called", at,
                                "e.g. has(satisfaction_survey)")
        return super().convert(node, list_ok)


def parse(text: str) -> Expression:
    """A widget condition's tree; ExprError for bad syntax or anything outside the language."""
    return formulas.parse(text, _Converter)


def related_forms(expr: Expression) -> list[Node]:
    """The has(form) nodes of a condition."""
    return [n for n in ex._walk(expr.tree) if n.kind == "has"]
