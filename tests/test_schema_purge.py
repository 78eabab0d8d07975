"""Purging retired data: only retired fields/forms, exported first, confirmed, logged."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import sqlalchemy as sa

from app.schema.upgrade import upgrade
from tests.support.factories import drop_form_from_dashboards, drop_form_from_roles
from tests.support.schema import replace


def _columns(app, table: str) -> set[str]:
    with app.app_context():
        return {c["name"] for c in sa.inspect(app.extensions["migrate"].db.engine)
                .get_columns(table)}


def test_purge_exports_then_drops_a_retired_field_only(story, make_app, tmp_path) -> None:
    app, cfg, _plan_after = story
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["portal", "purge", "customer.company", "--yes"])
    assert refused.exit_code == 1
    assert ("customer.company is not a retired field; remove it from the YAML and run "
            "'flask portal migrate' first; nothing was changed") in refused.output
    not_confirmed = runner.invoke(args=["portal", "purge", "customer.company"], input="x\n")
    assert not_confirmed.exit_code == 1 and "not confirmed; nothing was changed" in \
        not_confirmed.output

    replace(cfg / "forms/customer.yaml",
            "  - key: company\n    label: {zh: 公司名称, en: Company}\n    max_length: 200\n"
            "    searchable: true\n    list: true\n", "")
    stepped = make_app(cfg, setup=False, SQLALCHEMY_DATABASE_URI=url,
                       PORTAL_PURGE_DIR=str(tmp_path / "purged"))
    assert upgrade(stepped).applied
    assert "company" in _columns(stepped, "form_customer")  # retired, still there
    done = stepped.test_cli_runner().invoke(args=["portal", "purge", "customer.company",
                                                  "--yes"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("purge field customer.company: column form_customer.company "
                                  "dropped; its 45 values were exported to ")
    export = Path(done.output.strip().rsplit(" to ", 1)[1])
    assert export.parent == tmp_path / "purged"
    with export.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["id", "company"] and len(rows) == 61 and rows[2] == ["2", "公司1"]
    assert "company" not in _columns(stepped, "form_customer")
    with stepped.app_context():
        engine = stepped.extensions["migrate"].db.engine
        with engine.connect() as conn:
            log = conn.execute(sa.text("select applied_by, plan from portal_schema_migration "
                                       "order by id desc")).first()
            customers = conn.execute(sa.text("select count(*) from form_customer")).scalar()
    import getpass

    assert log.applied_by == f"{getpass.getuser()} (flask portal purge)"
    assert log.plan.startswith("purge field")
    with stepped.app_context(), engine.connect() as conn:
        event = conn.execute(sa.text("select username, form, details from portal_audit_event "
                                     "where action = 'purge'")).one()
    assert (event.username, event.form) == (f"cli:{getpass.getuser()}", "customer")
    assert json.loads(event.details) == {"target": "customer.company",
                                         "result": done.output.strip()}
    assert customers == 60  # only the column went
    assert upgrade(stepped).reason == "nothing to do"


def test_purge_of_a_retired_form_exports_its_rows_then_drops_the_table(story, make_app,
                                                                        tmp_path) -> None:

    app, cfg, _plan_after = story
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    (cfg / "forms/compensation.yaml").unlink()
    drop_form_from_roles(cfg / "roles.yaml", "compensation")
    drop_form_from_dashboards(cfg, "compensation")
    stepped = make_app(cfg, setup=False, SQLALCHEMY_DATABASE_URI=url,
                       PORTAL_PURGE_DIR=str(tmp_path / "purged"))
    assert upgrade(stepped).applied
    with stepped.app_context():
        assert "form_compensation" in sa.inspect(
            stepped.extensions["migrate"].db.engine).get_table_names()
    done = stepped.test_cli_runner().invoke(args=["portal", "purge", "compensation", "--yes"])
    assert done.exit_code == 0, done.output
    export = Path(done.output.strip().rsplit(" to ", 1)[1])
    with export.open(encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh))
    assert {"id", "kind", "amount", "reason"} <= set(header)
    with stepped.app_context():
        assert "form_compensation" not in sa.inspect(
            stepped.extensions["migrate"].db.engine).get_table_names()
    assert upgrade(stepped).reason == "nothing to do"
