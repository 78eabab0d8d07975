"""The linter against a corpus of broken configurations (tests/corpus/cases.yaml).

Every case is a small edit of the valid config in tests/corpus/base/. For each one the exact
problems (code, file:line:column, path, message) are pinned, the one-screen report must show
them, `flask portal check` must print them without a traceback, and create_app must refuse to
start without touching an existing database.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from app.cli import portal_cli
from app.config.errors import ConfigError, Problem
from app.config.load import load_spec
from tests.support.linter import make_config

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"
BASE = CORPUS / "base"
CASES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "cases.yaml").read_text("utf-8"))
BY_ID = {case["id"]: case for case in CASES}
CODE_RE = re.compile(r"PORTAL-E\d{3}")

Row = tuple[str, str, int, int, str, str]


# -- helpers ------------------------------------------------------------------------------

def expected_rows(*cases: dict[str, Any]) -> list[Row]:
    rows = []
    for case in cases:
        for p in case["expect"]:
            file, line, column = p["at"].rsplit(":", 2)
            rows.append((p["code"], file, int(line), int(column), p["path"], p["message"]))
    return sorted(rows)


def actual_rows(problems: list[Problem], cfg: Path) -> list[Row]:
    return sorted((p.code, Path(os.path.relpath(p.file, cfg)).as_posix(), p.line, p.column,
                   p.path, p.message) for p in problems)


def report_line(cfg: Path, row: Row) -> str:
    """How the report shows a problem: the file relative to the config folder's parent."""
    code, file, line, column, path, message = row
    where = f"{cfg.name}/{file}:{line}:{column}"
    return f"{where} {code} {path}: {message}" if path else f"{where} {code} {message}"


def industry_of(*cases: dict[str, Any]) -> str | None:
    industries = {case.get("industry") for case in cases} - {None}
    assert len(industries) <= 1
    return industries.pop() if industries else None


def lint_error(cfg: Path, industry: str | None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_spec(str(cfg), industry)
    return info.value


def case_params() -> list[Any]:
    return [pytest.param(case, id=case["id"]) for case in CASES]


# -- the corpus itself --------------------------------------------------------------------

def test_corpus_is_well_formed() -> None:
    assert len(CASES) >= 30
    assert len(BY_ID) == len(CASES), "case ids must be unique"
    for case in CASES:
        assert set(case) <= {"id", "about", "industry", "edits", "expect"}, case["id"]
        assert case.get("about"), case["id"]
        assert case["expect"], case["id"]
        for p in case["expect"]:
            assert set(p) <= {"code", "at", "path", "message", "hint"}, case["id"]
            assert CODE_RE.fullmatch(p["code"]), case["id"]


@pytest.mark.parametrize("industry", [None, "demo"])
def test_base_config_is_valid(industry: str | None) -> None:
    spec = load_spec(str(BASE), industry)
    forms = {f.key: f for f in spec.forms}
    assert {"customer", "complaint", "survey"} <= set(forms)
    priority = forms["complaint"].field("priority")
    assert forms["complaint"].fields.index(priority) == 3  # the issue's fields[3].default
    assert priority.default == "normal"
    assert forms["complaint"].field("recorded_by").type == "user"
    assert forms["complaint"].field("customer").form == "customer"
    if industry:
        assert "install_order" in forms
        assert [c.value for c in priority.choices] == ["low", "normal", "urgent", "critical"]
        assert spec.industry == "demo" and spec.industry_label is not None
    else:
        assert "install_order" not in forms


# -- every case: exact problems, and the report ---------------------------------------------

@pytest.mark.parametrize("case", case_params())
def test_corpus_case(case: dict[str, Any], tmp_path: Path) -> None:
    cfg = make_config(tmp_path, case)
    error = lint_error(cfg, case.get("industry"))
    assert actual_rows(error.problems, cfg) == expected_rows(case)

    hints = {(p.code, p.line, p.column): p.hint for p in error.problems}
    for p in case["expect"]:
        if "hint" in p:
            line, column = map(int, p["at"].rsplit(":", 2)[1:])
            assert hints[(p["code"], line, column)] == p["hint"]

    report = error.report()
    for row in expected_rows(case):
        assert report_line(cfg, row) in report.splitlines()
    n = len(case["expect"])
    assert report.splitlines()[-1] == (
        f"{n} problem{'s' if n != 1 else ''} found; the portal was not started and the "
        "database was not touched.")
    assert str(error) == report


def test_issue_example_exact_message(tmp_path: Path) -> None:
    """The issue's own example, spelt out."""
    cfg = make_config(tmp_path, BY_ID["bad-default-choice"])
    error = lint_error(cfg, None)
    [problem] = error.problems
    assert problem.code == "PORTAL-E040"
    assert problem.path == "fields[3].default"
    assert problem.message == "'urgentt' is not one of the choices (low, normal, urgent)"
    assert ("config/forms/complaint.yaml:22:14 PORTAL-E040 fields[3].default: 'urgentt' is "
            "not one of the choices (low, normal, urgent)") in error.report()


def test_missing_config_folder(tmp_path: Path) -> None:
    error = lint_error(tmp_path / "nowhere", None)
    assert [(p.code, p.file, p.line, p.column, p.message) for p in error.problems] == [
        ("PORTAL-E004", str(tmp_path / "nowhere"), 1, 1, "config folder does not exist")]


# -- collect-all: several files, one run ---------------------------------------------------

COMBINATIONS = {
    # structural problems (the loader's pass), one per file
    "structure": ["yaml-unclosed-flow-mapping", "unknown-key-typo", "unknown-action",
                  "yaml-impossible-date", "unknown-key-replaces-required"],
    # semantic problems (the linter's pass), one per file, including a role cycle next to
    # form problems
    "semantics": ["duplicate-category-key", "unknown-category", "bad-default-choice",
                  "unknown-field-in-list-columns", "inherits-cycle"],
    # an industry pack plus base files
    "pack": ["pack-bad-default-on-overridden-field", "pack-form-unknown-category",
             "bad-default-date", "unknown-role-in-inherits"],
}


@pytest.mark.parametrize("name", sorted(COMBINATIONS))
def test_all_problems_reported_in_one_run(name: str, tmp_path: Path) -> None:
    cases = [BY_ID[i] for i in COMBINATIONS[name]]
    files = [e["file"] for c in cases for e in c.get("edits", [])]
    assert len(files) == len(set(files)), "each case of a combination edits its own file"
    cfg = make_config(tmp_path, *cases)
    error = lint_error(cfg, industry_of(*cases))
    assert actual_rows(error.problems, cfg) == expected_rows(*cases)
    assert len({p.file for p in error.problems}) == len(cases)
    report = error.report()
    for row in expected_rows(*cases):
        assert report_line(cfg, row) in report


# -- the database is never touched by a broken config ---------------------------------------

@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A SQLite database set up once from the valid base config (with the demo pack)."""
    from app import create_app
    from app.schema.upgrade import upgrade

    root = tmp_path_factory.mktemp("db")
    cfg = make_config(root)
    db = root / "data" / "portal.db"
    db.parent.mkdir()
    app = create_app(_settings(cfg, "demo", db))
    result = upgrade(app)
    assert result.applied and "create table form_complaint" in result.plan.text()
    with app.app_context():
        app.extensions["migrate"].db.engine.dispose()
    return {"path": db, "state": _state(db)}


def _settings(cfg: Path, industry: str | None, db: Path) -> dict[str, Any]:
    return {"PORTAL_CONFIG_DIR": str(cfg), "PORTAL_INDUSTRY": industry,
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(db), "SECRET_KEY": "test-secret",
            "PORTAL_REVISIONS_DIR": str(db.parent / "revisions")}


def _state(db: Path) -> tuple[str, list[str]]:
    """The database file's hash, and every file beside it (journals, WAL)."""
    return hashlib.sha256(db.read_bytes()).hexdigest(), sorted(os.listdir(db.parent))


@pytest.mark.parametrize("case", case_params())
def test_broken_config_leaves_database_untouched(case: dict[str, Any], tmp_path: Path,
                                                 database: dict[str, Any]) -> None:
    from app import create_app

    cfg = make_config(tmp_path, case)
    with pytest.raises(ConfigError) as info:
        create_app(_settings(cfg, case.get("industry"), database["path"]))
    assert actual_rows(info.value.problems, cfg) == expected_rows(case)
    assert _state(database["path"]) == database["state"]


def test_broken_config_creates_no_database(tmp_path: Path) -> None:
    from app import create_app

    cfg = make_config(tmp_path, BY_ID["bad-default-choice"])
    db = tmp_path / "data" / "portal.db"
    db.parent.mkdir()
    with pytest.raises(ConfigError):
        create_app(_settings(cfg, None, db))
    assert os.listdir(db.parent) == []


def test_database_state_notices_a_schema_change(tmp_path: Path,
                                                database: dict[str, Any]) -> None:
    """Control for the test above: the recorded state does change when the schema does."""
    from app import create_app
    from app.schema.upgrade import upgrade

    db = tmp_path / "data" / "portal.db"
    db.parent.mkdir()
    shutil.copyfile(database["path"], db)
    shutil.copytree(database["path"].parent / "revisions", db.parent / "revisions")
    before = _state(db)
    cfg = make_config(tmp_path)
    with (cfg / "forms" / "customer.yaml").open("a", encoding="utf-8") as fh:
        fh.write("  - key: wechat\n    label: 微信号\n")
    app = create_app(_settings(cfg, "demo", db))
    result = upgrade(app)
    assert result.applied
    assert "  + add field wechat (column wechat VARCHAR(200))" in result.plan.text()
    with app.app_context():
        app.extensions["migrate"].db.engine.dispose()
    assert _state(db) != before


# -- flask portal check --------------------------------------------------------------------

@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("PORTAL_INDUSTRY", raising=False)
    monkeypatch.delenv("PORTAL_CONFIG_DIR", raising=False)
    return CliRunner()


def _check_args(cfg: Path, industry: str | None) -> list[str]:
    return ["check", "--config-dir", str(cfg)] + (["--industry", industry] if industry else [])


@pytest.mark.parametrize("case", case_params())
def test_cli_check_lists_problems(case: dict[str, Any], tmp_path: Path,
                                  runner: CliRunner) -> None:
    cfg = make_config(tmp_path, case)
    result = runner.invoke(portal_cli, _check_args(cfg, case.get("industry")))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "OK:" not in result.stdout
    lines = result.stderr.splitlines()
    for row in expected_rows(case):
        assert report_line(cfg, row) in lines
    assert lines[-1].endswith("the portal was not started and the database was not touched.")


@pytest.mark.parametrize(("industry", "summary"), [
    (None, "OK: 3 forms, 10 fields, 3 roles (industry: base pack only)."),
    ("demo", "OK: 4 forms, 13 fields, 4 roles (industry: demo)."),
])
def test_cli_check_valid_config(industry: str | None, summary: str, tmp_path: Path,
                                runner: CliRunner) -> None:
    cfg = make_config(tmp_path)
    result = runner.invoke(portal_cli, _check_args(cfg, industry))
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert result.stdout.strip() == summary
    assert "Traceback" not in result.output


def test_cli_check_reads_industry_from_environment(tmp_path: Path, runner: CliRunner,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = make_config(tmp_path)
    monkeypatch.setenv("PORTAL_INDUSTRY", "hotel")
    result = runner.invoke(portal_cli, ["check", "--config-dir", str(cfg)])
    assert result.exit_code == 1
    assert "PORTAL-E050 industry pack 'hotel' not found" in result.stderr


# -- error codes: used in app/, documented, and exercised by the corpus ----------------------

def _codes_in_source() -> set[str]:
    codes: set[str] = set()
    for path in (ROOT / "app").rglob("*.py"):
        codes |= set(CODE_RE.findall(path.read_text("utf-8")))
    return codes


def _documented_codes() -> set[str]:
    text = (ROOT / "docs" / "error-codes.md").read_text("utf-8")
    return set(re.findall(r"^\|\s*(PORTAL-E\d{3})\s*\|", text, re.MULTILINE))


def test_every_code_is_documented() -> None:
    used = _codes_in_source()
    assert len(used) >= 20
    documented = _documented_codes()
    assert used - documented == set(), "add these codes to docs/error-codes.md"
    assert documented - used == set(), "docs/error-codes.md lists codes app/ no longer uses"


def test_every_code_is_in_the_corpus() -> None:
    in_corpus = {p["code"] for case in CASES for p in case["expect"]}
    assert _codes_in_source() - in_corpus == set(), "add a corpus case for these codes"
    assert in_corpus - _codes_in_source() == set()


def test_columns_lists_sort_or_filter_by_are_indexed_where_an_index_is_sound() -> None:
    """Search, sort and default-order columns get an index, except long or multi-valued
    text, unique fields (their constraint is an index) and records (their key is)."""
    from tests.support.app import CONFIG

    spec = load_spec(str(CONFIG), "cosmetics")
    complaint = spec.form("complaint")
    queried = {*complaint.search_columns, *complaint.order_columns}
    for f in complaint.fields:
        sound = (f.type not in ("text", "multi_choice") and not f.unique
                 and not f.stores_id and (f.max_length or 0) <= 255)
        if f.key in queried and sound:
            assert f.indexed, f.key
        if not sound:
            assert not f.indexed, f.key
    assert {"priority", "category", "channel", "product_name"} <= {
        f.key for f in complaint.fields if f.indexed}
    assert not complaint.field("description").indexed  # text: a LIKE needs trigrams


def test_fields_a_dashboard_or_alert_counts_by_get_an_index(tmp_path: Path) -> None:
    import shutil

    cfg = tmp_path / "config"
    shutil.copytree(CORPUS / "base", cfg)
    survey = cfg / "forms" / "survey.yaml"
    survey.write_text(survey.read_text(encoding="utf-8") + (
        "  - {key: called_on, label: 回访时间, type: datetime}\n"
        "  - {key: outcome, label: 结果, type: choice, choices: [{value: ok, label: 好}]}\n"),
        encoding="utf-8")
    plain = {f.key: f.indexed for f in load_spec(str(cfg)).form("survey").fields}
    (cfg / "dashboards").mkdir()
    (cfg / "dashboards" / "d.yaml").write_text(
        "key: d\nlabel: 看板\nwidgets:\n"
        "  - {key: a, label: A, form: survey, date: called_on, group_by: outcome,"
        " chart: bar}\n", encoding="utf-8")
    counted = {f.key: f.indexed for f in load_spec(str(cfg)).form("survey").fields}
    assert (plain["called_on"], plain["outcome"]) == (False, False)
    assert (counted["called_on"], counted["outcome"]) == (True, True)
