"""The schema plan's refusals and checks, each against real data; a refused plan changes
nothing (byte for byte on SQLite, in content on PostgreSQL)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import sqlalchemy as sa

from tests.test_schema_story import live_rows, replace


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
