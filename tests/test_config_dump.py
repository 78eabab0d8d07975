"""`config show` output: the merged spec as YAML an admin can read."""

from __future__ import annotations

import yaml

from app.config.dump import dump
from app.config.lint.forms import load_spec
from tests.conftest import CONFIG


def test_dump_shows_merged_fields_choices_and_grants() -> None:
    data = yaml.safe_load(dump(load_spec(str(CONFIG), "cosmetics")))
    assert data["industry"] == "cosmetics"
    complaint = next(f for f in data["forms"] if f["key"] == "complaint")
    priority = next(f for f in complaint["fields"] if f["key"] == "priority")
    assert priority["default"] == "normal"
    assert {"value": "urgent", "label": {"zh": "紧急", "en": "Urgent"}} in priority["choices"]
    staff = next(r for r in data["roles"] if r["key"] == "staff")
    assert staff["grants"]["complaint"] == ["add", "edit", "list", "show"]
    amount = next(f for f in next(f for f in data["forms"] if f["key"] == "compensation")
                  ["fields"] if f["key"] == "amount")
    assert (amount["min"], amount["precision"], amount["scale"]) == (0, 12, 2)
