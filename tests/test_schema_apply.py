"""Applying plans: conversions with progress, retired state, the migration log."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.schema.apply import next_state
from app.schema.plan import Plan
from app.schema.state import FieldState, FormState
from tests.support.schema import replace


def test_a_type_change_converts_in_batches_and_reports_progress(story, make_app) -> None:
    app, cfg, _plan_after = story
    with app.app_context():
        session = app.appbuilder.session
        session.execute(sa.text("UPDATE form_customer SET company = CAST(id AS VARCHAR(20))"))
        session.commit()
    replace(cfg / "forms/customer.yaml", "    max_length: 200\n    searchable: true\n",
            "    type: integer\n    searchable: true\n")
    from app.schema.upgrade import upgrade

    stepped = make_app(cfg, setup=False,
                       SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    lines: list[str] = []
    result = upgrade(stepped, allow_risky=True, progress=lines.append)
    assert result.applied
    assert lines == ["change type of company from string to integer (every stored value "
                     "converts)", "    converted 60 of 60 rows"]
    with stepped.app_context():
        engine = stepped.extensions["migrate"].db.engine
        with engine.connect() as conn:
            values = dict(conn.execute(sa.text("select id, company from form_customer")).all())
            log = conn.execute(sa.text("select plan from portal_schema_migration order by id")
                               ).scalars().all()
    assert values[1] == 1 and values[60] == 60 and isinstance(values[7], int)
    assert "change type of company from string to integer" in log[-1]


def test_next_state_keeps_what_left_the_yaml_as_retired() -> None:
    from app.config.load import load_spec
    from tests.support.app import CONFIG

    spec = load_spec(str(CONFIG))
    long_ago = dt.datetime(2025, 1, 1)
    old = {
        "customer": FormState("customer", "form_customer", "active", None, {
            "fax": FieldState("fax", "fax", {"type": "string"}, "retired", long_ago),
            "wechat": FieldState("wechat", "wechat", {"type": "string"}, "active")}),
        "legacy": FormState("legacy", "form_legacy", "active", None, {}),
    }
    new = next_state(old, Plan([], {}, spec))
    assert new["legacy"].status == "retired" and new["legacy"].retired_on is not None
    assert new["customer"].fields["fax"].retired_on == long_ago  # retired since stays
    assert new["customer"].fields["wechat"].status == "retired"
    assert new["customer"].fields["phone"].status == "active"
