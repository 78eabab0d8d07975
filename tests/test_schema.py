"""app.config.keys: every documented key, and the structural Checker built on them."""

from __future__ import annotations

import pytest

from app.config.keys import ACTIONS, FIELD_TYPES, KINDS, SECTION_TITLES, SECTIONS, Checker, Key
from app.config.source import LDict, load_yaml

Row = tuple[str, int, int, str, str, str]


def check(text: str, section: str) -> tuple[bool, list[Row]]:
    """Run the Checker on one YAML document; (sound?, [(code, line, col, path, msg, hint)])."""
    data, problems = load_yaml(text, "x.yaml")
    assert problems == []
    assert isinstance(data, LDict)
    checker = Checker()
    ok = checker.check(data, section)
    return ok, [(p.code, p.line, p.column, p.path, p.message, p.hint) for p in checker.problems]


def problems(text: str, section: str) -> list[Row]:
    ok, found = check(text, section)
    assert not ok
    return found


# -- the declarations ----------------------------------------------------------------------

ALL_KEYS = [pytest.param(section, key, id=f"{section}.{key.name}")
            for section, keys in SECTIONS.items() for key in keys]


@pytest.mark.parametrize(("section", "key"), ALL_KEYS)
def test_every_key_has_help_text(section: str, key: Key) -> None:
    assert key.help.strip(), f"{section}.{key.name} needs help text"


@pytest.mark.parametrize(("section", "key"), ALL_KEYS)
def test_every_key_has_a_known_kind_and_a_fitting_default(section: str, key: Key) -> None:
    kind = key.kind
    if kind.startswith(("list:", "map:", "section:")):
        assert kind.split(":", 1)[1] in SECTIONS
    else:
        assert kind in KINDS
    if key.allowed:
        assert key.default is None or key.default in key.allowed
    assert not (key.required and key.default is not None), "a required key has no default"


def test_sections_are_titled_and_keys_unique() -> None:
    assert set(SECTION_TITLES) == set(SECTIONS)
    for section, keys in SECTIONS.items():
        names = [k.name for k in keys]
        assert len(names) == len(set(names)), section


def _names(section: str, required_only: bool = False) -> set[str]:
    return {k.name for k in SECTIONS[section] if k.required or not required_only}


def test_overrides_mirror_their_base_sections() -> None:
    assert _names("field_override") == _names("field") | {"add_choices"}
    assert _names("form_override") == _names("form") - {"key"} | {
        "add_list_columns", "add_search_columns"}
    assert _names("role_override") == _names("role")
    assert _names("field_override", required_only=True) == {"key"}
    assert _names("form_override", required_only=True) == set()


# -- valid input ---------------------------------------------------------------------------

def test_valid_form_passes() -> None:
    ok, found = check(
        "key: complaint\n"
        "label: {zh: 投诉, en: Complaints}\n"
        "category: service\n"
        "list_columns: [customer]\n"
        "page_size: 20\n"
        "fields:\n"
        "  - key: customer\n"
        "    label: 客户\n"
        "    type: reference\n"
        "    form: customer\n"
        "  - key: amount\n"
        "    label: 金额\n"
        "    type: money\n"
        "    min: 0.5\n"
        "    default: 10\n"
        "  - key: priority\n"
        "    label: 优先级\n"
        "    type: choice\n"
        "    choices: [{value: low, label: 低}]\n", "form")
    assert (ok, found) == (True, [])


def test_valid_roles_pass() -> None:
    ok, found = check(
        "roles:\n"
        "  - key: staff\n"
        "    inherits: [viewer]\n"
        "    grants: {complaint: [list, show], customer: all, '*': [list]}\n", "roles_file")
    assert (ok, found) == (True, [])


# -- unknown keys --------------------------------------------------------------------------

def test_unknown_key_gets_did_you_mean_hint() -> None:
    assert problems("key: a\nlabel: A\ncategory: c\nfields: []\npage_sise: 5\n", "form") == [
        ("PORTAL-E010", 5, 1, "page_sise", "unknown key 'page_sise'",
         "did you mean 'page_size'?")]


def test_unknown_key_without_close_match_lists_allowed_keys() -> None:
    assert problems("key: a\nlabel: A\nzzz: 1\n", "category") == [
        ("PORTAL-E010", 3, 1, "zzz", "unknown key 'zzz'", "allowed: key, label, icon")]


def test_unknown_key_in_nested_item_has_full_path() -> None:
    found = problems("categories:\n  - key: a\n    label: A\n    icno: fa-x\n", "menu_file")
    assert found == [("PORTAL-E010", 4, 5, "categories[0].icno", "unknown key 'icno'",
                      "did you mean 'icon'?")]


def test_label_mapping_keys_are_checked() -> None:
    found = problems("key: a\nlabel: {zh: 甲, eng: A}\n", "category")
    assert found == [("PORTAL-E010", 2, 16, "label.eng", "unknown key 'eng'",
                      "did you mean 'en'?")]


# -- missing required keys -----------------------------------------------------------------

def test_missing_required_keys_are_all_reported_at_the_mapping() -> None:
    found = problems("# comment\nicon: fa-table\n", "form")
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in found] == [
        ("PORTAL-E012", 2, 1, "", f"missing required key '{name}'")
        for name in ("key", "label", "category", "fields")]
    assert found[0][5] == SECTIONS["form"][0].help


def test_missing_required_key_in_list_item() -> None:
    found = problems("roles:\n  - label: 无名\n", "roles_file")
    assert found == [("PORTAL-E012", 2, 5, "roles[0]", "missing required key 'key'",
                      "Role name as stored in the user management screens.")]


def test_label_mapping_needs_zh() -> None:
    found = problems("key: a\nlabel: {en: A}\n", "category")
    assert found == [("PORTAL-E012", 2, 8, "label", "missing required key 'zh'",
                      "Chinese text (shown by default).")]


# -- wrong kinds ---------------------------------------------------------------------------

FIELD_HEAD = "key: f\nlabel: F\n"


@pytest.mark.parametrize(("line", "path", "message"), [
    ("type: 3", "type", "expected a text value, found 3 (int)"),
    ("key: [a]", "key", "expected an identifier: lower-case letters and digits, words joined "
     "by '_' (e.g. batch_no), found a list"),
    ("required: 'true'", "required", "expected true or false, found 'true' (str)"),
    ("required: 1", "required", "expected true or false, found 1 (int)"),
    ("max_length: 10.5", "max_length", "expected a whole number, found 10.5 (float)"),
    ("max_length: true", "max_length", "expected a whole number, found true (boolean)"),
    ("min: '5'", "min", "expected a number, found '5' (str)"),
    ("min: false", "min", "expected a number, found false (boolean)"),
    ("default:", "default", "expected a text, number, boolean or date value, found nothing"),
    ("default: [a, b]", "default", "expected a text, number, boolean or date value, found a "
     "list"),
    ("help: ''", "help", "expected a text, or a mapping with zh and en texts, found '' (str)"),
    ("help: [a]", "help", "expected a text, or a mapping with zh and en texts, found a list"),
    ("choices: {value: a}", "choices", "expected a list, found a mapping"),
    ("choices: [a]", "choices[0]", "expected a mapping, found 'a' (str)"),
])
def test_wrong_kind_in_field(line: str, path: str, message: str) -> None:
    text = FIELD_HEAD.replace("key: f\n", "") if line.startswith("key:") else FIELD_HEAD
    found = problems(text + line + "\n", "field")
    assert [(code, p, msg) for code, _, _, p, msg, _ in found] == [
        ("PORTAL-E011", path, message)]


def test_wrong_kind_is_located_at_the_value() -> None:
    found = problems(FIELD_HEAD + "max_length: '100'\n", "field")
    assert found[0][:3] == ("PORTAL-E011", 3, 13)


@pytest.mark.parametrize(("text", "path", "message"), [
    ("list_columns: a, b", "list_columns", "expected a list of identifiers, found 'a, b' (str)"),
    ("list_columns: [a, 1]", "list_columns", "expected a list of identifiers, found a list"),
    ("fields: {key: a}", "fields", "expected a list, found a mapping"),
])
def test_wrong_kind_in_form(text: str, path: str, message: str) -> None:
    found = problems("key: a\nlabel: A\ncategory: c\n" + text + "\n"
                     + ("fields: []\n" if not text.startswith("fields") else ""), "form")
    assert [(code, p, msg) for code, _, _, p, msg, _ in found] == [
        ("PORTAL-E011", path, message)]


@pytest.mark.parametrize(("grants", "path", "message"), [
    ("all", "roles[0].grants",
     "expected a mapping of form key → list of actions, or 'all', found 'all' (str)"),
    ("{complaint: list}", "roles[0].grants.complaint",
     "expected a list of actions or 'all', found 'list' (str)"),
    ("{complaint: [list, 1]}", "roles[0].grants.complaint",
     "expected a list of actions or 'all', found a list"),
])
def test_wrong_kind_in_grants(grants: str, path: str, message: str) -> None:
    found = problems(f"roles:\n  - key: r\n    grants: {grants}\n", "roles_file")
    assert [(code, p, msg) for code, _, _, p, msg, _ in found] == [
        ("PORTAL-E011", path, message)]


def test_pack_forms_must_be_a_mapping() -> None:
    found = problems("label: 包\nforms: [complaint]\n", "pack")
    assert found == [("PORTAL-E011", 2, 8, "forms", "expected a mapping, found a list", "")]


def test_pack_form_override_is_checked_as_such() -> None:
    found = problems("label: 包\nforms:\n  complaint:\n    key: x\n    fields:\n"
                     "      - label: no key\n", "pack")
    assert [(code, p, msg) for code, _, _, p, msg, _ in found] == [
        ("PORTAL-E010", "forms.complaint.key", "unknown key 'key'"),
        ("PORTAL-E012", "forms.complaint.fields[0]", "missing required key 'key'"),
    ]


def test_every_problem_of_a_file_is_collected() -> None:
    found = problems("key: Bad\nlabel: 3\ncategory: c\npage_size: many\nfields:\n"
                     "  - {key: a, label: A, type: txt, requird: true}\n", "form")
    assert sorted((line, code, p) for code, line, _, p, _, _ in found) == [
        (1, "PORTAL-E014", "key"), (2, "PORTAL-E011", "label"),
        (4, "PORTAL-E011", "page_size"),
        (6, "PORTAL-E010", "fields[0].requird"), (6, "PORTAL-E013", "fields[0].type"),
    ]


# -- allowed values, identifiers, actions --------------------------------------------------

def test_value_not_allowed_gets_hint() -> None:
    found = problems(FIELD_HEAD + "type: integr\n", "field")
    assert found == [("PORTAL-E013", 3, 7, "type",
                      f"'integr' is not one of ({', '.join(FIELD_TYPES)})",
                      "did you mean 'integer'?")]


def test_value_not_allowed_without_close_match_has_no_hint() -> None:
    found = problems(FIELD_HEAD + "type: zzz\n", "field")
    assert found[0][0] == "PORTAL-E013" and found[0][5] == ""


@pytest.mark.parametrize("value", ["Customer", "1st", "batch-no", "batch__no", "_x", "x_",
                                   "客户"])
def test_invalid_identifier(value: str) -> None:
    found = problems(f"key: '{value}'\nlabel: A\n", "category")
    assert found == [("PORTAL-E014", 1, 6, "key", f"'{value}' is not a valid identifier",
                      KINDS["key"])]


@pytest.mark.parametrize("value", ["customer", "batch_no", "form2", "a1_b2"])
def test_valid_identifier(value: str) -> None:
    assert check(f"key: {value}\nlabel: A\n", "category") == (True, [])


def test_unknown_action_in_grants() -> None:
    found = problems("roles:\n  - key: r\n    grants:\n      complaint: [list, shwo, purge]\n",
                     "roles_file")
    allowed = ", ".join(ACTIONS)
    assert found == [
        ("PORTAL-E033", 4, 25, "roles[0].grants.complaint[1]",
         f"unknown action 'shwo'; allowed: {allowed}", "did you mean 'show'?"),
        ("PORTAL-E033", 4, 31, "roles[0].grants.complaint[2]",
         f"unknown action 'purge'; allowed: {allowed}", ""),
    ]
