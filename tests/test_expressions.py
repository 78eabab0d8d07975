"""Workflow conditions: what they mean, what they refuse, and the exact words of each refusal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.config.expressions import ExprError, UserFacts, check, evaluate, parse
from app.spec import Choice, FieldSpec, Label


@dataclass(frozen=True)
class Opt:
    value: str


@dataclass(frozen=True)
class Field:
    type: str
    choices: tuple[Opt, ...] = ()


def opts(*values: str) -> tuple[Opt, ...]:
    return tuple(Opt(v) for v in values)


FIELDS = {
    "amount": Field("money"), "quantity": Field("integer"), "score": Field("rating"),
    "priority": Field("choice", opts("low", "normal", "urgent")),
    "skin_reaction": Field("multi_choice", opts("redness", "itching", "swelling")),
    "satisfied": Field("boolean"), "description": Field("text"), "phone": Field("phone"),
    "due": Field("date"), "visited_at": Field("datetime"), "handler": Field("user"),
    "customer": Field("reference"),
}
AMY = UserFacts(7, "amy", ("agent", "manager"))
RECORD = {"amount": Decimal("750.00"), "quantity": 3, "priority": "urgent", "handler": 7,
          "skin_reaction": "redness,itching", "satisfied": False, "description": "broken lid",
          "due": dt.date(2024, 3, 1), "visited_at": dt.datetime(2024, 3, 1, 9, 30),
          "state": "open", "id": 12, "created_by": 7}


def run(text: str, record: dict[str, Any] | None = None, user: UserFacts = AMY) -> bool:
    return evaluate(parse(text), RECORD if record is None else record, user)


def refusal(text: str) -> tuple[str, int, str]:
    with pytest.raises(ExprError) as caught:
        parse(text)
    return caught.value.message, caught.value.offset, caught.value.hint


def problems(text: str, fields: Any = None) -> list[tuple[str, int, str]]:
    found = check(parse(text), FIELDS if fields is None else fields)
    return [(e.message, e.offset, e.hint) for e in found]


@pytest.mark.parametrize(("text", "expected"), [
    # literals and names
    ("true", True), ("false", False), ("True", True), ("False", False), ("null", False),
    ("None", False), ("1", True), ("0", False), ("'x'", True), ('""', False), ("2.5", True),
    ("quantity", True), ("satisfied", False), ("unknown_field", False),
    # comparisons, both outcomes
    ("amount > 500", True), ("amount > 1000", False), ("amount >= 750", True),
    ("amount < 750", False), ("amount <= 750.00", True), ("quantity != 3", False),
    ("quantity == 3", True), ("priority == 'urgent'", True), ('priority == "low"', False),
    ("priority != 'low'", True), ("0 < quantity <= 3", True), ("0 < quantity < 3", False),
    ("1 < 2 < 3 < 4", True), ("1 < 3 < 2", False),
    # and / or / not / parentheses
    ("priority == 'urgent' and handler == user.id", True),
    ("priority == 'urgent' and handler != user.id", False),
    ("quantity > 5 or amount > 500", True), ("quantity > 5 or amount > 5000", False),
    ("not satisfied", True), ("not (amount > 500)", False), ("not not satisfied", False),
    ("(quantity > 5 or amount > 500) and not satisfied", True),
    ("quantity > 5 or (amount > 500 and satisfied)", False),
    # in / not in
    ("priority in ['urgent', 'normal']", True), ("priority in ('low',)", False),
    ("priority not in ['low']", True), ("quantity in [1, 2, 3]", True),
    ("quantity not in [1, 2, 3]", False), ("-1 in [-1]", True), ("quantity in []", False),
    ("'manager' in user.roles", True), ("'admin' in user.roles", False),
    ("'redness' in skin_reaction", True), ("'swelling' in skin_reaction", False),
    ("'swelling' not in skin_reaction", True), ("'red' in skin_reaction", False),
    # arithmetic
    ("quantity * 2 + 1 == 7", True), ("quantity - 4 == -1", True), ("-quantity < 0", True),
    ("amount / 2 == 375", True), ("quantity / 2 == 1.5", True), ("amount + 0.5 > 750.49", True),
    ("quantity * 2 > 6", False),
    # system names and user facts
    ("state == 'open'", True), ("state in ['closed']", False), ("id == 12", True),
    ("created_by == user.id", True), ("user.username == 'amy'", True),
    ("user.username != 'amy'", False), ("user.id == 8", False),
    # dates
    ("due == '2024-03-01'", True), ("due > '2024-02-29'", True), ("due < '2024-03-01'", False),
    ("visited_at > '2024-03-01'", True), ("visited_at >= '2024-03-01 09:31'", False),
    ("due in ['2024-03-01', '2024-04-01']", True),
])
def test_each_construct_evaluates(text: str, expected: bool) -> None:
    assert run(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("amount > 500", False), ("amount < 500", False), ("amount >= 0", False),
    ("amount == 0", False), ("amount != 0", True), ("amount == null", True),
    ("null == amount", True), ("amount != null", False), ("amount in [1, null]", False),
    ("amount not in [1]", False), ("'redness' in skin_reaction", False),
    ("'redness' not in skin_reaction", False), ("not satisfied", True), ("satisfied", False),
    ("handler == user.id", False), ("handler != user.id", True), ("amount + 1 > 0", False),
    ("not (amount > 500)", True), ("description == null", True), ("null == null", True),
])
def test_missing_values_are_none(text: str, expected: bool) -> None:
    assert run(text, {}, UserFacts(None)) is expected


def test_empty_string_counts_as_null() -> None:
    assert run("description == null", {"description": ""})
    assert not run("description != null", {"description": ""})
    assert run("description != null", {"description": "x"})


@pytest.mark.parametrize(("text", "amount", "expected"), [
    ("amount <= 500", Decimal("500.00"), True), ("amount > 500", Decimal("500.00"), False),
    ("amount == 500", Decimal("500.00"), True), ("amount > 500", Decimal("500.01"), True),
    ("amount >= 500.01", Decimal("500.01"), True), ("amount > 500.001", Decimal("500.01"), True),
    ("amount < 0.3", Decimal("0.1") + Decimal("0.2"), False), ("amount == 0.3", 0.3, True),
    ("amount > 500", 501, True),
])
def test_money_against_thresholds(text: str, amount: Any, expected: bool) -> None:
    assert run(text, {"amount": amount}) is expected


def test_decimals_never_become_floats() -> None:
    tree = parse("0.1").tree
    assert tree.value == Decimal("0.1") and isinstance(tree.value, Decimal)
    assert parse("1_000.50").tree.value == Decimal("1000.50")
    assert run("0.1 + 0.2 == 0.3", {})
    assert isinstance(parse("3").tree.value, int)


def test_multi_choice_membership() -> None:
    assert run("'itching' in skin_reaction", {"skin_reaction": "redness, itching"})
    assert run("'itching' in skin_reaction", {"skin_reaction": ["itching"]})
    assert not run("'itching' in skin_reaction", {"skin_reaction": ""})
    assert not run("'redness,itching' in skin_reaction", {"skin_reaction": "redness,itching"})


def test_user_facts() -> None:
    nobody = UserFacts(None)
    assert not run("handler == user.id", {"handler": None}, nobody)
    assert not run("'manager' in user.roles", {}, nobody)
    assert run("user.id == null and user.username == null", {}, nobody)
    assert not run("user.roles == null", {}, UserFacts(1, "x", ()))  # no roles is not null


class Hostile:
    def __eq__(self, other: object) -> bool:
        raise RuntimeError("boom")

    __lt__ = __gt__ = __le__ = __ge__ = __eq__
    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise RuntimeError("boom")


@pytest.mark.parametrize(("text", "record", "expected"), [
    ("amount > 500", {"amount": "abc"}, False), ("amount < 500", {"amount": "abc"}, False),
    ("amount / 0 > 1", {"amount": 5}, False), ("not (amount / 0 > 1)", {"amount": 5}, True),
    ("amount + 1 > 0", {"amount": "1"}, False), ("-amount < 0", {"amount": True}, False),
    ("due > '2024-13-01'", {"due": dt.date(2024, 1, 1)}, False),
    ("due > 'soon'", {"due": dt.datetime(2024, 1, 1)}, False),
    ("due > '2024-01-01'", {"due": "2024-06-01"}, True),  # plain strings order as text
    ("amount > 1", {"amount": Decimal("NaN")}, False), ("amount", {"amount": Hostile()}, False),
    ("amount == 1", {"amount": Hostile()}, False), ("amount in [1]", {"amount": Hostile()}, False),
    ("'a' in amount", {"amount": 5}, False), ("'a' in amount", {"amount": Hostile()}, False),
    ("amount * 1000000000000 > 1", {"amount": Decimal("9E+999999")}, False),
    ("visited_at > '2024-01-01'",
     {"visited_at": dt.datetime(2024, 3, 1, tzinfo=dt.UTC)}, True),
    ("visited_at > '2024-01-01T00:00+08:00'", {"visited_at": dt.datetime(2024, 3, 1)}, False),
])
def test_mismatches_make_the_comparison_false(text: str, record: dict[str, Any],
                                              expected: bool) -> None:
    assert run(text, record) is expected


VALUES = st.one_of(st.none(), st.text(max_size=5), st.integers(), st.decimals(), st.floats(),
                   st.booleans(), st.dates(), st.datetimes(), st.lists(st.text(max_size=3)))
SAMPLES = [parse(t) for t in (
    "amount > 500 and priority in ['low', 1]", "'x' in skin_reaction or not satisfied",
    "-amount * 2 / quantity >= 1.5", "due > '2024-01-01' or amount == null", "amount != due",
    "quantity < amount <= due")]


@given(amount=VALUES, quantity=VALUES, due=VALUES, other=VALUES)
def test_evaluate_never_raises(amount: Any, quantity: Any, due: Any, other: Any) -> None:
    record = {"amount": amount, "quantity": quantity, "due": due, "priority": other,
              "skin_reaction": other, "satisfied": other}
    for expr in SAMPLES:
        assert evaluate(expr, record, AMY) in (True, False)


def test_and_or_short_circuit() -> None:
    assert run("quantity > 1 or amount / 0 > 1", {"quantity": 2, "amount": Hostile()})
    assert not run("quantity > 5 and amount", {"quantity": 2, "amount": Hostile()})


def test_names_lists_record_names_only() -> None:
    expr = parse("amount > 1 and handler == user.id and state == 'new' or created_by == id")
    assert expr.names == frozenset({"amount", "handler", "state", "created_by", "id"})
    assert parse("'manager' in user.roles and true").names == frozenset()
    assert parse("   amount > 1").text == "   amount > 1"


NOT_ALLOWED = "is not allowed in a condition"
ARE_NOT = "are not allowed in a condition"
LITERALS_ONLY = "a list may only contain literal values (strings, numbers, true, false, null)"


@pytest.mark.parametrize(("text", "message", "offset"), [
    ("len(x) > 1", f"function calls {ARE_NOT}", 0),
    ("x[0] == 1", f"indexing and slicing ([...]) {ARE_NOT}", 0),
    ("x[1:2] == 1", f"indexing and slicing ([...]) {ARE_NOT}", 0),
    ("(lambda: 1) == 1", f"lambda functions {ARE_NOT}", 1),
    ("[x for x in y]", f"comprehensions {ARE_NOT}", 0),
    ("a in {x for x in y}", f"comprehensions {ARE_NOT}", 5),
    ("a in (x for x in y)", f"comprehensions {ARE_NOT}", 5),
    ("{k: 1 for k in y}", f"comprehensions {ARE_NOT}", 0),
    ("f'{a}' == 'x'", f"f-strings {ARE_NOT}", 0),
    ("(a := 1) == 1", f"assignment expressions (:=) {ARE_NOT}", 1),
    ("amount ** 2 > 1", f"the ** operator {NOT_ALLOWED}", 7),
    ("amount // 2 > 1", f"the // operator {NOT_ALLOWED}", 7),
    ("amount % 2 == 0", f"the % operator {NOT_ALLOWED}", 7),
    ("a | b", f"the | operator {NOT_ALLOWED}", 2), ("a & b", f"the & operator {NOT_ALLOWED}", 2),
    ("a ^ b", f"the ^ operator {NOT_ALLOWED}", 2), ("a << 1", f"the << operator {NOT_ALLOWED}", 2),
    ("a >> 1", f"the >> operator {NOT_ALLOWED}", 2), ("a @ b", f"the @ operator {NOT_ALLOWED}", 2),
    ("~a", f"the ~ operator {NOT_ALLOWED}", 0),
    ("+a > 1", f"the unary + operator {NOT_ALLOWED}", 0),
    ("a is None", f"'is' {NOT_ALLOWED}", 2), ("a is not None", f"'is not' {NOT_ALLOWED}", 2),
    ("amount.real > 1", f"attribute access {NOT_ALLOWED}", 6),
    ("x == 'a'.upper", f"attribute access {NOT_ALLOWED}", 8),
    ("user.password == 'x'", "user has no attribute 'password'", 5),
    ("user.__class__", "user has no attribute '__class__'", 5),
    ("user == 1", "user can only be used as user.id, user.username or user.roles", 0),
    ("__builtins__", f"names starting with '_' {ARE_NOT}", 0),
    ("_private == 1", f"names starting with '_' {ARE_NOT}", 0),
    ("Amount > 1", "'Amount' is not a field name; field names are lower_snake_case", 0),
    ("数量 > 1", "'数量' is not a field name; field names are lower_snake_case", 0),
    ("a if b else c", f"conditional expressions (... if ... else ...) {ARE_NOT}", 0),
    ("a in [*b]", f"starred expressions (*...) {ARE_NOT}", 6),
    ("a == {'k': 1}", f"dictionaries ({{...}}) {ARE_NOT}", 5),
    ("a in {'x'}", f"sets ({{...}}) {ARE_NOT}", 5),
    ("a == b'x'", f"bytes literals (b'...') {ARE_NOT}", 5),
    ("a == 2j", f"complex numbers (...j) {ARE_NOT}", 5),
    ("a == ...", f"'...' {NOT_ALLOWED}", 5),
    ("a in (yield)", f"yield expressions {ARE_NOT}", 6),
    ("['a'] == x", "a list can only be used on the right of 'in'", 0),
    ("a in [b]", LITERALS_ONLY, 6), ("a in [1, [2]]", LITERALS_ONLY, 9),
    ("'说明' == a and a.b", f"attribute access {NOT_ALLOWED}", 15),
])
def test_rejected_constructs(text: str, message: str, offset: int) -> None:
    assert refusal(text)[:2] == (message, offset)


def test_rejections_carry_hints() -> None:
    assert refusal("a is None")[2] == "use == or != instead"
    assert refusal("x.y")[2] == "only user.id, user.username and user.roles may be used"
    assert refusal("user.name")[2] == "use user.id, user.username or user.roles"


@pytest.mark.parametrize("text", [
    "__import__('os').system('x')", "().__class__", "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd')", "[c for c in ().__class__.__base__.__subclasses__()]",
    "user.__init__.__globals__", "getattr(user, 'id')", "eval('1')", "user.id.__class__",
])
def test_hostile_text_is_refused_at_parse_time(text: str) -> None:
    with pytest.raises(ExprError):
        parse(text)


def test_builtin_names_are_just_record_keys() -> None:
    assert parse("exec or globals").names == frozenset({"exec", "globals"})
    assert not run("exec or globals", {})
    assert problems("exec")[0][:2] == ("unknown field 'exec'", 0)


@pytest.mark.parametrize(("text", "message", "offset", "hint"), [
    ("amount > > 1", "invalid syntax at column 10", 9, ""),
    ("amount >", "unexpected end of the condition", 8, ""),
    ("amount = 500", "invalid syntax at column 8", 7, "use == to compare"),
    ("priority == 'urgent", "unterminated string literal at column 13", 12, ""),
    ("(amount > 1", "'(' was never closed at column 1", 0, ""),
    ("amount > 1)", "unmatched ')' at column 11", 10, ""),
    ("  amount > > 1", "invalid syntax at column 12", 11, ""),
    ("'说明' == == 1", "invalid syntax at column 9", 8, ""),
    ("(a > 1\n and b == == 2)", "invalid syntax at column 18", 17, ""),
    ("a > 1\nand b", "invalid syntax at column 7", 6, ""),
    ("", "a condition must not be empty", 0, ""), ("  \n", "a condition must not be empty", 0, ""),
    ("a\x00", "a condition cannot contain null characters", 1, ""),
])
def test_syntax_errors(text: str, message: str, offset: int, hint: str) -> None:
    assert refusal(text) == (message, offset, hint)


def test_multi_line_conditions_inside_parentheses() -> None:
    assert run("(amount > 500\n and priority == 'urgent')")


def test_limits() -> None:
    assert run("quantity == 3 or " * 29 + "x" * 7)  # 500 characters exactly
    assert refusal("a" * 501)[:2] == ("a condition may be at most 500 characters, not 501", 500)
    many = "quantity in [" + ",".join("1" * 240) + "]"
    assert refusal(many)[:2] == ("the condition is too complex (more than 200 parts)", 0)
    deep = "-" * 60 + "1 < 0"
    assert refusal(deep)[:2] == ("the condition is nested too deeply (more than 50 levels)", 0)
    assert run("-" * 40 + "1 > 0")


@pytest.mark.parametrize(("text", "expected"), [
    ("amout > 5", [("unknown field 'amout'", 0, "did you mean 'amount'?")]),
    ("qty > 1 and stat == 'x'", [("unknown field 'qty'", 0, ""),
                                ("unknown field 'stat'", 12, "did you mean 'state'?")]),
    ("priority == 'urgnt'", [("'urgnt' is not a choice of priority", 12,
                              "choices: 'low', 'normal', 'urgent'")]),
    ("'urgnt' != priority", [("'urgnt' is not a choice of priority", 0,
                              "choices: 'low', 'normal', 'urgent'")]),
    ("priority in ['low', 'hi']", [("'hi' is not a choice of priority", 20,
                                    "choices: 'low', 'normal', 'urgent'")]),
    ("'rednes' in skin_reaction", [("'rednes' is not a choice of skin_reaction", 0,
                                    "choices: 'redness', 'itching', 'swelling'")]),
    ("amount > 'abc'", [("amount is a number; compare it with a number, not 'abc'", 9, "")]),
    ("'1' < quantity", [("quantity is a number; compare it with a number, not '1'", 0, "")]),
    ("score in [1, 'x']", [("score is a number; compare it with a number, not 'x'", 13, "")]),
    ("description == 5", [("description is text; compare it with a string, not 5", 15, "")]),
    ("phone != 1.5", [("phone is text; compare it with a string, not 1.5", 9, "")]),
    ("priority == 1", [("priority is a choice; compare it with a string, not 1", 12, "")]),
    ("satisfied == 'yes'",
     [("satisfied is true/false; compare it with true or false, not 'yes'", 13, "")]),
    ("customer == 'x'", [("customer is an id; compare it with a number, not 'x'", 12, "")]),
    ("due > 5", [("due is a date; compare it with a date like '2024-01-31', not 5", 6, "")]),
    ("due > '2024-13-01'", [("'2024-13-01' is not a date (YYYY-MM-DD)", 6, "")]),
    ("visited_at < 'noon'",
     [("'noon' is not a date-time (YYYY-MM-DD or YYYY-MM-DD HH:MM)", 13, "")]),
    ("satisfied > false", [("satisfied is true/false and cannot be ordered with >", 0, "")]),
    ("priority <= 'low'", [("priority is a choice and cannot be ordered with <=", 0, "")]),
    ("1 < state", [("state is a choice and cannot be ordered with <", 4, ""),
                   ("state is a choice; compare it with a string, not 1", 0, "")]),
    ("amount > null", [("null can only be compared with == or !=", 9, "")]),
    ("'x' in description", [("'in' needs a list or a multi-choice field on its right, "
                             "not description", 7, "")]),
    ("'x' in 'xyz'", [("'in' needs a list or a multi-choice field on its right, not 'xyz'", 7,
                       "")]),
    ("priority + 1 > 2", [("arithmetic needs numbers, not priority", 0, "")]),
    ("amount * 'x' > 2", [("arithmetic needs numbers, not 'x'", 9, "")]),
    ("amount > 500 and priority in ['low', 'urgent'] and 'redness' in skin_reaction", []),
    ("state == 'anything' and id == 3 and created_by == user.id and handler == user.id", []),
    ("due >= '2024-01-31' and visited_at < '2024-01-31 08:00' and satisfied == true", []),
    ("'manager' in user.roles and user.username != 'bot' and amount == null", []),
])
def test_check(text: str, expected: list[tuple[str, int, str]]) -> None:
    assert problems(text) == expected


def test_check_with_real_field_specs() -> None:
    def spec(key: str, ftype: str, *choices: str) -> FieldSpec:
        return FieldSpec(key=key, label=Label(key, key), type=ftype,
                         choices=tuple(Choice(c, Label(c, c)) for c in choices))
    fields = {"priority": spec("priority", "choice", "low", "urgent"),
              "amount": spec("amount", "money")}
    assert problems("priority == 'urgent' and amount > 500", fields) == []
    assert problems("priority == 'mid'", fields) == [
        ("'mid' is not a choice of priority", 12, "choices: 'low', 'urgent'")]
