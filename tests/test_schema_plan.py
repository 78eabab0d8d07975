"""The schema plan's refusals and checks, each against real data; a refused plan changes
nothing (byte for byte on SQLite, in content on PostgreSQL)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import sqlalchemy as sa

from app.portal import portal_of
from app.schema.upgrade import upgrade
from tests.support.schema import live_rows, replace


def _lines(result) -> list[str]:
    return result.plan.text().splitlines()


def test_shortening_below_stored_values_is_refused_with_ids(story) -> None:
    _app, _cfg, plan_after = story
    _, result = plan_after(lambda cfg: replace(
        cfg / "forms/complaint.yaml", "    max_length: 100\n  - key: product_spec",
        "    max_length: 4\n  - key: product_spec"))
    assert result.reason == "refused"
    assert _lines(result)[1] == ("  ! REFUSED: shorten product_name from 100 to 4 characters: "
                                 "90 rows are longer (ids 1, 2, 3, 4, 5)")


def test_required_with_empty_rows_and_unique_with_duplicates_are_refused(story) -> None:
    _app, _cfg, plan_after = story
    _, result = plan_after(lambda cfg: replace(
        cfg / "forms/customer.yaml", "    max_length: 200\n    searchable: true\n",
        "    max_length: 200\n    required: true\n    unique: true\n    searchable: true\n"))
    assert _lines(result)[1:3] == [
        "  ! REFUSED: make company required: 15 rows have no value (ids 1, 5, 9, 13, 17)",
        "  ! REFUSED: make company unique: 7 values appear more than once"]


def _recorded_state(app) -> list:
    with app.app_context():
        engine = app.extensions["migrate"].db.engine
        with engine.connect() as conn:
            state = conn.execute(sa.text(
                "select form_key, key, snapshot, status from portal_schema_field "
                "order by form_key, key")).all()
        engine.dispose()  # nothing holds the SQLite file open while its bytes are read
    return state


def test_a_refused_plan_changes_nothing(story) -> None:
    app, _cfg, plan_after = story
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    before_rows = live_rows(app)
    state_before = _recorded_state(app)
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite") else None
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path else None
    stepped, result = plan_after(lambda cfg: replace(
        cfg / "forms/complaint.yaml", "    required: true\n    max_length: 100\n",
        "    required: true\n    type: integer\n"))
    assert result.reason == "refused" and not result.applied
    state_after = _recorded_state(stepped)
    if path is not None:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest  # byte for byte
    assert live_rows(stepped) == before_rows and state_after == state_before


def test_plan_command_prints_and_changes_nothing(story, make_app) -> None:
    app, cfg, _plan_after = story
    replace(cfg / "forms/customer.yaml", "  - key: phone\n",
            "  - key: mobile\n    renamed_from: phone\n")
    replace(cfg / "roles.yaml", "customer.phone", "customer.mobile")
    cli_app = make_app(cfg, setup=False,
                       SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    result = cli_app.test_cli_runner().invoke(args=["portal", "migrate", "--plan"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "customer (form_customer, 60 rows)",
        "  ~ rename field phone → mobile (column phone → mobile), 60 values kept  [risky]",
        "1 change"]
    with cli_app.app_context():
        columns = {c["name"] for c in sa.inspect(cli_app.extensions["migrate"].db.engine)
                   .get_columns("form_customer")}
    assert "phone" in columns and "mobile" not in columns
    runner = cli_app.test_cli_runner()
    held = runner.invoke(args=["portal", "migrate"])  # risky: needs review or --yes
    assert held.exit_code == 1
    assert "not applied: the plan has risky changes" in held.output
    applied = runner.invoke(args=["portal", "migrate", "--yes"])
    assert applied.exit_code == 0, applied.output
    lines = applied.output.splitlines()
    assert lines[0] == "rename field phone → mobile (column phone → mobile), 60 values kept"
    assert lines[1].startswith("applied as form_")
    assert lines[2:] == ["customer (form_customer, 60 rows)", "  ~ rename field phone → mobile "
                         "(column phone → mobile), 60 values kept  [risky]", "1 change"]
    again = runner.invoke(args=["portal", "migrate", "--plan"])
    assert again.output.strip() == "The database matches the configuration; nothing to do."


def test_decimal_digits_change_is_a_checked_conversion(story, make_app) -> None:
    from decimal import Decimal

    app, cfg, _plan_after = story
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    spec = portal_of(app).spec
    from tests.support.factories import bulk_records

    bulk_records(app, spec.form("compensation"), 3,
                 amount=lambda i: (Decimal("12.50"), Decimal("999.99"), Decimal("0.05"))[i])
    replace(cfg / "forms/compensation.yaml", "    max: 1000000\n",
            "    max: 1000000\n    precision: 14\n    scale: 3\n")
    stepped = make_app(cfg, setup=False, SQLALCHEMY_DATABASE_URI=url)
    result = upgrade(stepped, allow_risky=True)
    assert result.applied, result.plan.text()
    assert _lines(result)[1] == ("  ~ change amount from 12 digits with 2 decimals to 14 with "
                                 "3 (every stored value converts)  [risky]")
    with stepped.app_context():
        model = portal_of(stepped).models.models["compensation"]
        amounts = sorted(r.amount for r in stepped.appbuilder.session.query(model))
    assert amounts == [Decimal("0.05"), Decimal("12.50"), Decimal("999.99")]
    with stepped.app_context():  # the list filters by amount: the new column keeps an index
        indexes = sa.inspect(stepped.extensions["migrate"].db.engine).get_indexes(
            "form_compensation")
    assert {"name": "ix_form_compensation_amount", "column_names": ["amount"]} in [
        {"name": ix["name"], "column_names": ix["column_names"]} for ix in indexes]

    replace(cfg / "forms/compensation.yaml", "    precision: 14\n    scale: 3\n",
            "    precision: 14\n    scale: 1\n")
    refused = upgrade(make_app(cfg, setup=False, SQLALCHEMY_DATABASE_URI=url))
    assert _lines(refused)[1] == ("  ! REFUSED: change amount from 14 digits with 3 decimals "
                                  "to 14 with 1: 2 rows do not convert (ids 2, 3)")  # 12.50 fits


def test_unique_can_be_added_and_dropped_again(story, make_app) -> None:
    app, cfg, _plan_after = story
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        app.appbuilder.session.execute(sa.text("UPDATE form_customer SET email = "
                                               "'c' || id || '@example.com'"))
        app.appbuilder.session.commit()
    replace(cfg / "forms/customer.yaml", "    type: email\n", "    type: email\n    unique: true\n")
    made = upgrade(make_app(cfg, setup=False, SQLALCHEMY_DATABASE_URI=url))
    assert made.applied and "  ~ make email unique" in _lines(made)
    replace(cfg / "forms/customer.yaml", "    type: email\n    unique: true\n", "    type: email\n")
    dropped = make_app(cfg, setup=False, SQLALCHEMY_DATABASE_URI=url)
    result = upgrade(dropped)
    assert result.applied
    assert "  ~ allow repeated values in email (drop the unique constraint)" in _lines(result)
    with dropped.app_context():
        session = dropped.appbuilder.session
        session.execute(sa.text("UPDATE form_customer SET email = 'same@example.com'"))
        session.commit()  # would fail if the constraint were still there


def test_a_table_without_the_created_on_index_gets_it(make_app) -> None:
    """Tables made before created_on was indexed: the plan adds the index, lists sorting by
    the default order then use it instead of sorting the whole table, and the next plan has
    nothing left to do."""
    app = make_app()
    table = portal_of(app).spec.form("complaint").table
    with app.app_context():
        engine = app.extensions["migrate"].db.engine
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP INDEX ix_{table}_created_on"))
    result = upgrade(app)
    assert result.applied
    assert _lines(result) == ["complaint (form_complaint, 0 rows)",
                              "  ~ add index on created_on (lists sort by it)", "1 change"]
    with app.app_context():
        engine = app.extensions["migrate"].db.engine
        indexes = {ix["name"]: ix["column_names"] for ix in sa.inspect(engine).get_indexes(table)}
        assert indexes[f"ix_{table}_created_on"] == ["created_on"]
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                plan = " ".join(str(row[-1]) for row in conn.execute(sa.text(
                    f"EXPLAIN QUERY PLAN SELECT * FROM {table} "
                    "ORDER BY created_on DESC LIMIT 20")))
            assert f"INDEX ix_{table}_created_on" in plan
            assert "TEMP B-TREE" not in plan  # no sort of the whole table
    assert upgrade(app).reason == "nothing to do"


def test_a_column_lists_start_filtering_by_gets_an_index(story) -> None:
    """Declaring a column searchable (or sortable) indexes it; migrate adds the index to the
    live table."""
    _app, _cfg, plan_after = story
    stepped, result = plan_after(lambda cfg: replace(
        cfg / "forms/customer.yaml", "    type: email\n",
        "    type: email\n    searchable: true\n"))
    assert result.applied, result.plan.text()
    assert "  ~ add index on email" in _lines(result)
    with stepped.app_context():
        engine = stepped.extensions["migrate"].db.engine
        names = {ix["name"] for ix in sa.inspect(engine).get_indexes("form_customer")}
    assert "ix_form_customer_email" in names
