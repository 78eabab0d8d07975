"""Spec objects: labels per language, stable derived names."""

from __future__ import annotations

from app.config.load import load_spec
from app.spec import FieldSpec, Label
from tests.support.app import CONFIG


def test_label_picks_the_language_and_defaults_to_chinese() -> None:
    label = Label("投诉登记", "Complaints")
    assert label.get("zh") == "投诉登记" and label.get("en") == "Complaints"
    assert str(label) == "投诉登记"  # outside a request: Chinese


def test_derived_names_are_stable() -> None:
    spec = load_spec(str(CONFIG))
    survey = spec.form("satisfaction_survey")
    assert survey.table == "form_satisfaction_survey"
    assert survey.class_name == "SatisfactionSurvey"
    assert survey.view_name == "SatisfactionSurveyView"
    complaint = spec.form("complaint")
    assert complaint.field("customer").column == "customer_id"
    assert complaint.field("recorded_by").column == "recorded_by_id"
    assert complaint.field("batch_no").column == "batch_no"


def test_choice_label_falls_back_to_the_stored_value() -> None:
    spec = load_spec(str(CONFIG))
    channel = spec.form("complaint").field("channel")
    assert channel.choice_label("social", "zh") == "社交媒体"
    assert channel.choice_label("social", "en") == "Social media"
    assert channel.choice_label("fax", "zh") == "fax"  # a value no longer offered


def test_fingerprint_changes_with_meaning_not_with_formatting(tmp_path) -> None:
    import shutil

    config = tmp_path / "config"
    shutil.copytree(CONFIG, config, ignore=shutil.ignore_patterns("industries"))
    before = load_spec(str(config)).fingerprint
    path = config / "forms" / "customer.yaml"
    path.write_text("# a comment\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_spec(str(config)).fingerprint == before
    path.write_text(path.read_text(encoding="utf-8").replace("客户名称", "客户姓名"),
                    encoding="utf-8")
    assert load_spec(str(config)).fingerprint != before


def test_field_defaults() -> None:
    field = FieldSpec(key="x", label=Label("x", "x"), type="string")
    assert (field.required, field.unique, field.list, field.sensitive) == (False,) * 4


def test_fingerprint_is_the_same_in_every_process() -> None:
    import os
    import subprocess
    import sys

    code = ("from app.config.load import load_spec; "
            f"print(load_spec({str(CONFIG)!r}, 'cosmetics').fingerprint)")
    prints = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}, check=True,
                             ).stdout.strip() for seed in ("1", "2", "3")}
    assert prints == {load_spec(str(CONFIG), "cosmetics").fingerprint}
