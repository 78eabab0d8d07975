"""Safe workflow conditions from YAML: parsed by ast, whitelisted node by node, interpreted here."""

from __future__ import annotations

import ast
import datetime as dt
import difflib
import operator as op_
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

MAX_LENGTH, MAX_NODES, MAX_DEPTH = 500, 200, 50
Kinds = dict[str, tuple[str, tuple[str, ...] | None]]  # name -> kind, choice values to check
TOO_COMPLEX = f"the condition is too complex (more than {MAX_NODES} parts)"
SYSTEM, USER_ATTRS = ("state", "id", "created_by"), ("id", "username", "roles")
BUILT_IN: Kinds = {"state": ("choice", None), "id": ("id", None), "created_by": ("id", None),
            "user.id": ("id", None), "user.username": ("text", None), "user.roles": ("list", None)}
KINDS = {"integer": "number", "decimal": "number", "money": "number", "rating": "number",
         "string": "text", "text": "text", "phone": "text", "email": "text", "choice": "choice",
         "multi_choice": "multi", "date": "date", "datetime": "datetime", "boolean": "boolean",
         "reference": "id", "user": "id"}
# kind -> (what a value of it is, the kind of literal it compares with)
EXPECT = {"number": ("a number", "number"), "id": ("an id", "number"), "text": ("text", "text"),
          "choice": ("a choice", "text"), "multi": ("a multi-choice", "text"),
          "date": ("a date", "date"), "datetime": ("a date-time", "date"),
          "boolean": ("true/false", "boolean"), "list": ("a list", "")}
PHRASE = {"number": "a number", "text": "a string", "date": "a date like '2024-01-31'",
          "boolean": "true or false"}
FORBIDDEN: dict[type, str] = {
    ast.Call: "function calls", ast.Subscript: "indexing and slicing ([...])",
    ast.Lambda: "lambda functions", ast.JoinedStr: "f-strings", ast.Dict: "dictionaries ({...})",
    ast.NamedExpr: "assignment expressions (:=)", ast.Starred: "starred expressions (*...)",
    ast.IfExp: "conditional expressions (... if ... else ...)", ast.Set: "sets ({...})",
    ast.Await: "await expressions", ast.Yield: "yield expressions",
    ast.YieldFrom: "yield expressions", **dict.fromkeys(
        (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp), "comprehensions")}
ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
BAD_BINOPS = {ast.Pow: "**", ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
              ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&"}
COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
           ast.In: "in", ast.NotIn: "not in"}
ORDER = {"<": op_.lt, "<=": op_.le, ">": op_.gt, ">=": op_.ge}
CALC = {"+": op_.add, "-": op_.sub, "*": op_.mul, "neg": op_.sub, "/": op_.truediv}
LITERALS = {"true": True, "True": True, "false": False, "False": False, "null": None, "None": None}
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


class ExprError(ValueError):
    """A condition that cannot be parsed or makes no sense: why, where, and how to fix it."""

    def __init__(self, message: str, offset: int, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.offset, self.hint = message, offset, hint


@dataclass(frozen=True)
class Node:
    """One node of a condition: const, list, name, not, and, or, compare or arith."""

    kind: str
    at: int  # character offset into the text
    value: Any = None  # a const's value, a name's key, a compare's operators, an arith operator
    args: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Expression:
    """A parsed condition: its text, its checked tree, and the record names it reads."""

    text: str
    tree: Node = field(repr=False)
    names: frozenset[str] = frozenset()


@dataclass(frozen=True)
class UserFacts:
    """What a condition may know about the acting user (user.id, user.username, user.roles)."""

    id: int | None
    username: str = ""
    roles: tuple[str, ...] = ()


def parse(text: str) -> Expression:
    """The condition's tree; ExprError for bad syntax or anything outside the language."""
    if len(text) > MAX_LENGTH:
        raise ExprError(f"a condition may be at most {MAX_LENGTH} characters, not {len(text)}",
                        MAX_LENGTH)
    if "\x00" in text:
        raise ExprError("a condition cannot contain null characters", text.index("\x00"))
    body = text.lstrip()
    if not body.strip():
        raise ExprError("a condition must not be empty", 0)
    shift = len(text) - len(body)
    try:
        tree = ast.parse(body, mode="eval").body
    except SyntaxError as exc:
        raise _syntax_error(text, shift, body, exc) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExprError(TOO_COMPLEX, 0) from None
    count, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH or count > MAX_NODES:
            raise ExprError(f"the condition is nested too deeply (more than {MAX_DEPTH} levels)"
                            if depth > MAX_DEPTH else TOO_COMPLEX, 0)
        stack.extend((c, depth + 1) for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr))
    root = _Converter(body, shift).convert(tree)
    names = {n.value for n in _walk(root) if n.kind == "name" and "." not in n.value}
    return Expression(text, root, frozenset(names))


def _syntax_error(text: str, shift: int, body: str, exc: SyntaxError) -> ExprError:
    message, _, hint = re.sub(r" \(detected at line \d+\)", "", exc.msg or "").partition(". ")
    if not exc.offset or not exc.lineno:
        return ExprError("unexpected end of the condition", len(text))
    starts = [0] + [m.end() for m in re.finditer("\n", body)]
    at = min(shift + starts[min(exc.lineno, len(starts)) - 1] + exc.offset - 1, len(text))
    if text[at:at + 1] == "=" and text[at:at + 2] != "==":
        hint = hint or "use == to compare"
    return ExprError(f"{message or 'invalid syntax'} at column {at + 1}", at, hint)


class _Converter:
    """Turns a Python ast into condition nodes, allowing only whitelisted constructs."""

    def __init__(self, body: str, shift: int) -> None:
        self.body, self.shift = body, shift
        self.lines = [line.encode() for line in body.split("\n")]
        self.starts = [0] + [m.end() for m in re.finditer("\n", body)]

    def pos(self, lineno: int | None, col: int | None) -> int:
        """Character offset into the text of ast's (line, UTF-8 byte column)."""
        line = self.lines[(lineno or 1) - 1][:col or 0].decode("utf-8", "replace")
        return self.shift + self.starts[(lineno or 1) - 1] + len(line)

    def between(self, symbol: str, left: ast.expr, right: ast.expr) -> int:
        """Where an operator sits between two operands (ast keeps no position for it)."""
        start, end = self.pos(left.end_lineno, left.end_col_offset), self.pos(right.lineno,
                                                                              right.col_offset)
        found = self.body.find(symbol, start - self.shift, end - self.shift)
        return start if found < 0 else found + self.shift

    def convert(self, node: ast.expr, list_ok: bool = False) -> Node:
        at = self.pos(node.lineno, node.col_offset)
        if type(node) in FORBIDDEN:
            raise ExprError(f"{FORBIDDEN[type(node)]} are not allowed in a condition", at)
        if isinstance(node, ast.BoolOp):
            kind = "and" if isinstance(node.op, ast.And) else "or"
            return Node(kind, at, None, tuple(self.convert(v) for v in node.values))
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, (ast.Not, ast.USub)):
                kind, value = ("not", None) if isinstance(node.op, ast.Not) else ("arith", "neg")
                return Node(kind, at, value, (self.convert(node.operand),))
            symbol = "~" if isinstance(node.op, ast.Invert) else "unary +"
            raise ExprError(f"the {symbol} operator is not allowed in a condition", at)
        if isinstance(node, ast.BinOp):
            if type(node.op) in BAD_BINOPS:
                symbol = BAD_BINOPS[type(node.op)]
                raise ExprError(f"the {symbol} operator is not allowed in a condition",
                                self.between(symbol, node.left, node.right))
            args = (self.convert(node.left), self.convert(node.right))
            return Node("arith", at, ARITH[type(node.op)], args)
        if isinstance(node, ast.Compare):
            ops, operands = [], [node.left, *node.comparators]
            for cmp, left, right in zip(node.ops, operands, operands[1:], strict=False):
                if isinstance(cmp, (ast.Is, ast.IsNot)):
                    word = "is" if isinstance(cmp, ast.Is) else "is not"
                    raise ExprError(f"'{word}' is not allowed in a condition",
                                    self.between("is", left, right), "use == or != instead")
                ops.append(COMPARE[type(cmp)])
            rights = [self.convert(c, o in ("in", "not in"))
                      for o, c in zip(ops, node.comparators, strict=True)]
            return Node("compare", at, tuple(ops), (self.convert(node.left), *rights))
        if isinstance(node, ast.Attribute):
            if not (isinstance(node.value, ast.Name) and node.value.id == "user"):
                raise ExprError("attribute access is not allowed in a condition",
                                self.between(".", node.value, node),
                                "only user.id, user.username and user.roles may be used")
            if node.attr not in USER_ATTRS:
                raise ExprError(f"user has no attribute '{node.attr}'",
                                self.pos(node.end_lineno, node.end_col_offset) - len(node.attr),
                                "use user.id, user.username or user.roles")
            return Node("name", at, f"user.{node.attr}")
        if isinstance(node, (ast.List, ast.Tuple)):
            if not list_ok:
                raise ExprError("a list can only be used on the right of 'in'", at)
            return Node("list", at, None, tuple(self.item(e) for e in node.elts))
        if isinstance(node, ast.Name):
            return self.name(node.id, at)
        if isinstance(node, ast.Constant):
            return self.constant(node, at)
        raise ExprError("this expression is not allowed in a condition", at)

    def name(self, name: str, at: int) -> Node:
        if name in LITERALS:
            return Node("const", at, LITERALS[name])
        if name == "user":
            raise ExprError("user can only be used as user.id, user.username or user.roles", at)
        if name.startswith("_"):
            raise ExprError("names starting with '_' are not allowed in a condition", at)
        if not FIELD_NAME.match(name):
            raise ExprError(f"'{name}' is not a field name; field names are lower_snake_case", at)
        return Node("name", at, name)

    def constant(self, node: ast.Constant, at: int) -> Node:
        value = node.value
        if isinstance(value, float):  # read the digits again: decimals never go through float
            end = self.pos(node.end_lineno, node.end_col_offset)
            return Node("const", at, Decimal(self.body[at - self.shift:end - self.shift]))
        if value is None or isinstance(value, (str, int)):  # bool is an int
            return Node("const", at, value)
        what = {bytes: "bytes literals (b'...') are", complex: "complex numbers (...j) are",
                type(...): "'...' is"}
        raise ExprError(f"{what[type(value)]} not allowed in a condition", at)

    def item(self, node: ast.expr) -> Node:
        item = None if isinstance(node, (ast.List, ast.Tuple)) else self.convert(node)
        if item and item.value == "neg" and item.args[0].kind == "const" \
                and _number(item.args[0].value):
            return Node("const", item.at, -item.args[0].value)
        if item is None or item.kind != "const":
            raise ExprError("a list may only contain literal values (strings, numbers, true, "
                            "false, null)", self.pos(node.lineno, node.col_offset))
        return item


def _walk(node: Node) -> list[Node]:
    """The node and all nodes below it."""
    return [node] + [n for arg in node.args for n in _walk(arg)]


def _number(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _shown(node: Node) -> str:
    """A name or literal as written in messages; '' for anything else."""
    if node.kind != "const":
        return str(node.value) if node.kind == "name" else ""
    if isinstance(node.value, bool) or node.value is None:
        return {True: "true", False: "false", None: "null"}[node.value]
    return repr(node.value) if isinstance(node.value, str) else str(node.value)


def check(expr: Expression, fields: Mapping[str, Any]) -> list[ExprError]:
    """Meaning errors against the form's fields: unknown names, bad choices, mismatched types."""
    errors: list[ExprError] = []
    kinds: Kinds = {key: (KINDS.get(getattr(spec, "type", ""), "other"), tuple(
        str(c.value) for c in getattr(spec, "choices", ()) or ())) for key, spec in fields.items()}
    kinds = {**BUILT_IN, **kinds}  # the linter passes `state` with the workflow's states
    for node in _walk(expr.tree):
        if node.kind == "name" and node.value not in kinds:
            close = difflib.get_close_matches(node.value, [*fields, *SYSTEM], n=1)
            errors.append(ExprError(f"unknown field '{node.value}'", node.at,
                                    f"did you mean '{close[0]}'?" if close else ""))
        elif node.kind == "arith":
            for arg in node.args:
                kind = _kind(arg, kinds)
                if (arg.kind == "const" and not _number(arg.value)) or \
                        (kind and kind[0] not in ("number", "id", "other")):
                    errors.append(ExprError(f"arithmetic needs numbers, not {_shown(arg)}",
                                            arg.at))
        elif node.kind == "compare":
            for left, op, right in zip(node.args, node.value, node.args[1:], strict=False):
                errors.extend(_check_pair(left, op, right, kinds))
    return errors


def _kind(node: Node, kinds: Kinds) -> tuple[str, tuple[str, ...] | None] | None:
    """A name's kind and choice values (None: not checked); None for unknown names or non-names."""
    return kinds.get(node.value) if node.kind == "name" else None


def _check_pair(left: Node, op: str, right: Node, kinds: Kinds) -> list[ExprError]:
    errors = []
    if op in ORDER:
        for side in (left, right):
            kind = _kind(side, kinds)
            if kind and kind[0] in ("choice", "multi", "boolean"):
                what = "true/false" if kind[0] == "boolean" else "a choice"
                errors.append(ExprError(f"{side.value} is {what} and cannot be ordered with {op}",
                                        side.at))
            if side.kind == "const" and side.value is None:
                errors.append(ExprError("null can only be compared with == or !=", side.at))
    if op not in ("in", "not in"):
        pair = (right, left) if right.kind == "name" and left.kind == "const" else (left, right)
        return errors + _check_literal(*pair, kinds)
    kind = _kind(right, kinds)
    if right.kind == "list":
        return [e for item in right.args for e in _check_literal(left, item, kinds)]
    if kind and kind[0] == "multi":
        return _check_literal(right, left, kinds)
    if right.kind == "name" and (kind is None or kind[0] in ("list", "other")):
        return []
    suffix = f", not {_shown(right)}" if _shown(right) else ""
    return [ExprError(f"'in' needs a list or a multi-choice field on its right{suffix}", right.at)]


def _check_literal(name: Node, lit: Node, kinds: Kinds) -> list[ExprError]:
    kind, value = _kind(name, kinds), lit.value
    if not kind or kind[0] not in EXPECT or lit.kind != "const" or value is None:
        return []
    (noun, wanted), choices = EXPECT[kind[0]], kind[1]
    have = "boolean" if isinstance(value, bool) else "number" if _number(value) else "text"
    if wanted and have != wanted.replace("date", "text"):
        return [ExprError(f"{name.value} is {noun}; compare it with {PHRASE[wanted]}, "
                          f"not {_shown(lit)}", lit.at)]
    if kind[0] in ("date", "datetime"):
        try:
            (dt.datetime if kind[0] == "datetime" else dt.date).fromisoformat(value)
        except ValueError:
            form = "YYYY-MM-DD" if kind[0] == "date" else "YYYY-MM-DD or YYYY-MM-DD HH:MM"
            return [ExprError(f"{_shown(lit)} is not {noun} ({form})", lit.at)]
    if kind[0] in ("choice", "multi") and choices is not None and value not in choices:
        hint = "choices: " + ", ".join(map(repr, choices)) if choices else "it has no choices"
        return [ExprError(f"{_shown(lit)} is not a choice of {name.value}", lit.at, hint)]
    return []


def evaluate(expr: Expression, record: Mapping[str, Any], user: UserFacts) -> bool:
    """Whether the condition holds for the record and user; never raises for odd values."""
    return _truth(expr.tree, record, user)


def _truth(node: Node, record: Mapping[str, Any], user: UserFacts) -> bool:
    """A node as true/false; a comparison of values that do not fit together is false."""
    try:
        if node.kind in ("and", "or"):
            test = all if node.kind == "and" else any
            return test(_truth(arg, record, user) for arg in node.args)
        if node.kind == "not":
            return not _truth(node.args[0], record, user)
        if node.kind == "compare":
            left = _value(node.args[0], record, user)
            for i, op in enumerate(node.value):
                right = _value(node.args[i + 1], record, user)
                if not _holds(op, node.args[i], left, node.args[i + 1], right):
                    return False
                left = right
            return True
        return bool(_value(node, record, user))
    except Exception:  # odd record values, bad dates, division by zero...  # noqa: BLE001
        return False


def _value(node: Node, record: Mapping[str, Any], user: UserFacts) -> Any:
    if node.kind == "const":
        return node.value
    if node.kind == "list":
        return tuple(item.value for item in node.args)
    if node.kind == "name":
        value = getattr(user, node.value[5:]) if "." in node.value else record.get(node.value)
        return Decimal(repr(value)) if isinstance(value, float) else value
    if node.kind == "arith":
        left, right = [0] * (2 - len(node.args)) + [_value(a, record, user) for a in node.args]
        if not (_number(left) and _number(right)):
            raise TypeError("arithmetic needs numbers")
        return CALC[node.value](Decimal(left) if node.value == "/" else left, right)
    return _truth(node, record, user)


def _holds(op: str, lnode: Node, left: Any, rnode: Node, right: Any) -> bool:
    if op in ("==", "!="):
        if lnode.kind == "const" and left is None:
            equal = right is None or right == ""
        elif rnode.kind == "const" and right is None:
            equal = left is None or left == ""
        else:  # a missing value equals nothing but null
            equal = left is not None and right is not None and bool(op_.eq(*_coerce(left, right)))
        return equal == (op == "==")
    if left is None or right is None:
        return False
    if op in ORDER:
        return bool(ORDER[op](*_coerce(left, right)))
    if isinstance(right, str):  # a multi-choice value: 'redness,itching'
        right = [part.strip() for part in right.split(",") if part.strip()]
    elif not isinstance(right, (tuple, list, set, frozenset)):
        return False
    return any(op_.eq(*_coerce(left, item)) for item in right) == (op == "in")


def _coerce(left: Any, right: Any) -> tuple[Any, Any]:
    """A string compared with a date or date-time is read as one ('2024-01-31')."""
    if isinstance(left, str) and isinstance(right, dt.date):
        return _coerce(right, left)[::-1]
    if not (isinstance(right, str) and isinstance(left, dt.date)):
        return left, right
    if not isinstance(left, dt.datetime):
        return left, dt.date.fromisoformat(right)
    value = dt.datetime.fromisoformat(right)
    return left, value.replace(tzinfo=left.tzinfo) if value.tzinfo is None else value
