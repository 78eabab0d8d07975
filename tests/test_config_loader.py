"""Industry pack merge: field overrides, added choices, new fields, role grants, and
extending the base form's column lists."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.config.errors import ConfigError
from app.config.load import load_spec

BASE = Path(__file__).resolve().parent / "corpus" / "base"


def _pack(tmp_path: Path, survey_override: str) -> Path:
    """The corpus's demo pack with an override of the survey form added (at line 6)."""
    config = tmp_path / "config"
    shutil.copytree(BASE, config)
    path = config / "industries" / "demo" / "pack.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("forms:\n", "forms:\n  survey:\n" + survey_override, 1),
                    encoding="utf-8")
    return config


def _problems(config: Path) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_spec(str(config), "demo")
    return [p.format(str(config)) for p in exc.value.problems]


def test_shipped_packs_override_and_extend_the_base() -> None:
    root = Path(__file__).resolve().parent.parent / "config"
    base, cosmetics = load_spec(str(root)), load_spec(str(root), "cosmetics")
    b, c = base.form("complaint"), cosmetics.form("complaint")
    assert not b.field("batch_no").required and c.field("batch_no").required
    assert [x.value for x in b.field("category").choices] == ["quality", "misuse", "service"]
    assert [x.value for x in c.field("category").choices][:3] == ["quality", "misuse",
                                                                  "service"]
    assert len(c.field("category").choices) > 3  # add_choices appended
    assert c.search_columns[:len(b.search_columns)] == b.search_columns
    assert {"order_no", "skin_reaction"} <= set(c.search_columns)
    staff = {r.key: r for r in cosmetics.roles}["staff"]
    assert "return_exchange" in staff.grants and staff.grants["complaint"] == (
        "add", "edit", "import", "list", "show")


def test_add_search_columns_appends(tmp_path: Path) -> None:
    config = _pack(tmp_path, "    add_list_columns: [callback_date]\n")
    base = load_spec(str(config)).form("survey")
    merged = load_spec(str(config), "demo").form("survey")
    assert merged.list_columns == base.list_columns + ("callback_date",)


def test_add_and_replace_of_the_same_list_conflict(tmp_path: Path) -> None:
    config = _pack(tmp_path, "    list_columns: [complaint]\n"
                             "    add_list_columns: [score]\n")
    assert _problems(config) == [
        "config/industries/demo/pack.yaml:8:5 PORTAL-E041 forms.survey.add_list_columns: "
        "'add_list_columns' conflicts with 'list_columns' in the same override\n"
        "    hint: either replace the list (list_columns) or extend it (add_list_columns)"]


def test_extending_a_list_the_base_does_not_have(tmp_path: Path) -> None:
    config = _pack(tmp_path, "    add_search_columns: [score]\n")
    assert _problems(config) == [
        "config/industries/demo/pack.yaml:7:5 PORTAL-E041 forms.survey.add_search_columns: "
        "the base form has no search_columns to extend\n"
        "    hint: it marks fields with 'searchable: true'; mark the new fields the same way"]


def test_an_unknown_added_column_is_located_in_the_pack(tmp_path: Path) -> None:
    config = _pack(tmp_path, "    add_list_columns: [callback_date, scroe]\n")
    assert _problems(config) == [
        "config/industries/demo/pack.yaml:7:39 PORTAL-E031 "
        "forms.survey.add_list_columns[1]: unknown field 'scroe'\n"
        "    hint: did you mean 'score'?"]
