"""app.config.source: plain data that remembers where it came from, and YAML problems located."""

from __future__ import annotations

import pytest

from app.config.errors import Problem
from app.config.source import LDict, LList, Loc, format_path, load_yaml

FORM = """\
# a comment line
key: complaint
label: {zh: 投诉, en: Complaints}
fields:
  - key: customer
    type: reference
  - key: priority
    choices:
      - {value: low, label: 低}
      - value: urgent
        label: 紧急
"""


def load(text: str) -> LDict:
    data, problems = load_yaml(text, "form.yaml")
    assert problems == []
    assert isinstance(data, LDict)
    return data


def only_problem(text: str) -> Problem:
    data, problems = load_yaml(text, "form.yaml")
    assert data is None
    assert len(problems) == 1
    return problems[0]


# -- locations ------------------------------------------------------------------------------

def test_mapping_knows_where_keys_and_values_stand() -> None:
    data = load(FORM)
    assert data == {
        "key": "complaint", "label": {"zh": "投诉", "en": "Complaints"},
        "fields": [{"key": "customer", "type": "reference"},
                   {"key": "priority", "choices": [{"value": "low", "label": "低"},
                                                   {"value": "urgent", "label": "紧急"}]}],
    }
    assert data.loc == Loc("form.yaml", 2, 1)  # the comment line is skipped
    assert data.path == ()
    assert data.where("key") == Loc("form.yaml", 2, 1)
    assert data.where("key", value=True) == Loc("form.yaml", 2, 6)
    assert data.where("label", value=True) == Loc("form.yaml", 3, 8)
    assert data.where() == data.loc


def test_nested_items_know_their_path_and_position() -> None:
    data = load(FORM)
    fields = data["fields"]
    assert isinstance(fields, LList)
    assert fields.path == ("fields",)
    assert fields.where(0) == Loc("form.yaml", 5, 5)
    assert fields.where(1) == Loc("form.yaml", 7, 5)
    priority = fields[1]
    assert isinstance(priority, LDict)
    assert priority.path == ("fields", 1)
    assert priority.where("choices") == Loc("form.yaml", 8, 5)
    flow, block = priority["choices"]
    assert flow.path == ("fields", 1, "choices", 0)
    assert flow.loc == Loc("form.yaml", 9, 9)  # the '{' of a flow mapping
    assert flow.where("label", value=True) == Loc("form.yaml", 9, 29)
    assert block.path == ("fields", 1, "choices", 1)
    assert block.where("label") == Loc("form.yaml", 11, 9)
    assert data["label"].where("en", value=True) == Loc("form.yaml", 3, 21)


def test_where_falls_back_to_something_useful() -> None:
    data = load(FORM)
    assert data.where("missing") == data.loc
    priority = data["fields"][1]
    assert priority.where("choices", value=True) == Loc("form.yaml", 9, 7)
    assert data["fields"].where(99) == data["fields"].loc
    assert data["fields"].where() == data["fields"].loc


def test_columns_count_characters_not_bytes() -> None:
    data = load("label: 中文标签\nnext: {zh: 中文, en: x}\n")
    assert data["next"].where("en", value=True) == Loc("form.yaml", 2, 20)


def test_non_string_keys_become_text() -> None:
    data = load("1: one\ntrue: yes\n")
    assert data == {"1": "one", "True": True}
    assert data.where("True") == Loc("form.yaml", 2, 1)


def test_scalar_values_keep_their_yaml_types() -> None:
    data = load("a: 1\nb: 1.5\nc: true\nd: 2024-02-29\ne: '1'\nf:\n")
    assert [type(v).__name__ for v in data.values()] == [
        "int", "float", "bool", "date", "str", "NoneType"]


@pytest.mark.parametrize(("path", "text"), [
    ((), ""),
    (("fields",), "fields"),
    (("fields", 3, "default"), "fields[3].default"),
    (("roles", 1, "grants", "complaint", 2), "roles[1].grants.complaint[2]"),
    (("forms", "complaint", "fields", 0), "forms.complaint.fields[0]"),
])
def test_format_path(path: tuple, text: str) -> None:
    assert format_path(path) == text


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n"])
def test_empty_document_is_none_without_problems(text: str) -> None:
    assert load_yaml(text, "f.yaml") == (None, [])


def test_top_level_list_and_scalar_are_returned_as_is() -> None:
    data, problems = load_yaml("- a\n- b\n", "f.yaml")
    assert problems == [] and isinstance(data, LList) and data == ["a", "b"]
    assert load_yaml("just text\n", "f.yaml") == ("just text", [])


# -- duplicate keys ------------------------------------------------------------------------

def test_duplicate_key_is_reported_at_the_second_occurrence_and_the_first_kept() -> None:
    data, problems = load_yaml("key: a\nlabel: first\nlabel: second\n", "f.yaml")
    assert data == {"key": "a", "label": "first"}
    assert problems == [Problem(
        "PORTAL-E002", "f.yaml", 3, 1, "label", "duplicate key 'label' (first defined at line 2)",
        "a key may appear once per mapping; merge the two entries")]


def test_duplicate_keys_in_nested_mappings_all_reported() -> None:
    text = ("fields:\n"
            "  - key: a\n"
            "    required: true\n"
            "    required: false\n"
            "  - {key: b, key: c}\n"
            "grants:\n"
            "  customer: [list]\n"
            "  customer: all\n")
    data, problems = load_yaml(text, "f.yaml")
    assert data is not None
    assert [(p.code, p.line, p.column, p.path, p.message) for p in problems] == [
        ("PORTAL-E002", 4, 5, "fields[0].required",
         "duplicate key 'required' (first defined at line 3)"),
        ("PORTAL-E002", 5, 14, "fields[1].key", "duplicate key 'key' (first defined at line 5)"),
        ("PORTAL-E002", 8, 3, "grants.customer",
         "duplicate key 'customer' (first defined at line 7)"),
    ]


def test_same_key_in_different_mappings_is_fine() -> None:
    data, problems = load_yaml("a: {key: x}\nb: {key: y}\n", "f.yaml")
    assert problems == [] and data == {"a": {"key": "x"}, "b": {"key": "y"}}


# -- syntax errors -------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "line", "column", "message"), [
    pytest.param("key: a\n\tlabel: b\n", 2, 1,
                 "found character '\\t' that cannot start any token", id="tab"),
    pytest.param("key: a\nfields:\n  - key: b\n      label: c\n", 4, 12,
                 "mapping values are not allowed here", id="over-indented"),
    pytest.param("key: a\nfields:\n  - key: b\n    label: c\n   type: d\n", 5, 4,
                 "expected <block end>, but found '<block mapping start>'",
                 id="under-indented"),
    pytest.param('key: a\nlabel: "unclosed\nother: 1\n', 2, 8,
                 "found unexpected end of stream while scanning a quoted scalar",
                 id="unclosed-double-quote"),
    pytest.param("key: a\nlabel: 'unclosed\nother: 1\n", 2, 8,
                 "found unexpected end of stream while scanning a quoted scalar",
                 id="unclosed-single-quote"),
    pytest.param("key: a\nlabel: {zh: x, en: y\nother: 1\n", 2, 8,
                 "expected ',' or '}', but got ':' while parsing a flow mapping",
                 id="unclosed-brace"),
    pytest.param("key: a\nkeys: [a, b\nother: 1\n", 2, 7,
                 "expected ',' or ']', but got ':' while parsing a flow sequence",
                 id="unclosed-bracket"),
    pytest.param("key: a\nlabel b\nother: 1\n", 2, 1,
                 "could not find expected ':' while scanning a simple key",
                 id="missing-colon"),
    pytest.param('key: "a\\qb"\n', 1, 9, "found unknown escape character 'q'",
                 id="bad-escape"),
    pytest.param("key: a\n---\nkey: b\n", 2, 1,
                 "expected a single document in the stream, but found another document",
                 id="two-documents"),
    pytest.param("key: *nowhere\n", 1, 6, "found undefined alias 'nowhere'",
                 id="undefined-alias"),
    pytest.param("a: 1\nday: 2024-02-30\n", 2, 6,
                 "invalid value '2024-02-30' (day is out of range for month)",
                 id="impossible-date"),
    pytest.param("a: !!int many\n", 1, 4,
                 "invalid value 'many' (invalid literal for int() with base 10: 'many')",
                 id="bad-explicit-int"),
    pytest.param("a: !!python/object:os.system x\n", 1, 4,
                 "could not determine a constructor for the tag "
                 "'tag:yaml.org,2002:python/object:os.system'", id="unsafe-tag"),
])
def test_syntax_error_position(text: str, line: int, column: int, message: str) -> None:
    problem = only_problem(text)
    assert problem == Problem("PORTAL-E001", "form.yaml", line, column, "",
                              f"YAML syntax error: {message}",
                              "check indentation, colons and quotes around this position")


def test_syntax_error_format_is_one_line_plus_hint() -> None:
    problem = only_problem("key: a\n\tlabel: b\n")
    assert problem.format() == (
        "form.yaml:2:1 PORTAL-E001 YAML syntax error: found character '\\t' that cannot "
        "start any token\n    hint: check indentation, colons and quotes around this position")


def test_fast_and_pure_loaders_agree_on_every_shipped_file() -> None:
    """libyaml is used for speed; data and every location must match the pure loader."""
    from pathlib import Path

    from app.config import source as yaml_source

    if yaml_source.FAST_LOADER is None:
        print("libyaml not available: nothing to compare")
        return
    root = Path(__file__).resolve().parent.parent
    files = sorted((root / "config").rglob("*.yaml")) + sorted(
        (root / "tests" / "corpus" / "base").rglob("*.yaml"))
    assert len(files) >= 10

    def walk(value, out, where="$"):
        if isinstance(value, yaml_source.LDict):
            out.append((where, value.loc, dict(value.key_locs), dict(value.value_locs)))
            for k, v in value.items():
                walk(v, out, f"{where}.{k}")
        elif isinstance(value, yaml_source.LList):
            out.append((where, value.loc, list(value.item_locs)))
            for i, v in enumerate(value):
                walk(v, out, f"{where}[{i}]")
        return out

    for path in files:
        text = path.read_text(encoding="utf-8")
        fast, fast_problems = yaml_source.load_yaml(text, str(path))
        pure, pure_problems = yaml_source._load_pure(text, str(path))
        assert fast == pure and fast_problems == pure_problems == []
        assert walk(fast, []) == walk(pure, []), path
