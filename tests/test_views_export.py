"""A list's export (app/views/export.py), CSV and XLSX: permissions, row scope, masking,
typed Excel cells, headers in the user's language, the list's filters and order, the export
limit, the audit event written before the file streams, and rows fetched in batches."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from openpyxl import load_workbook

from app.portal import portal_of
from tests.support.app import CONFIG, login
from tests.support.factories import make_record
from tests.support.transfer import sheet_rows

# A role that may export customers without the right to reveal their phone or address.
EXPORTER = """
  - key: exporter
    label: {zh: 导出员, en: Exporter}
    scope: all
    grants:
      customer: [list, show, export]
      compensation: [list, export]
"""
PHONE, ADDRESS = "13900000001", "机密路1号"
NAME = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture(scope="module")
def world(make_app: Callable[..., Flask], tmp_path_factory: pytest.TempPathFactory
          ) -> dict[str, Any]:
    config = tmp_path_factory.mktemp("export") / "config"
    shutil.copytree(CONFIG, config, ignore=shutil.ignore_patterns("industries"))
    roles = config / "roles.yaml"
    roles.write_text(roles.read_text(encoding="utf-8") + EXPORTER, encoding="utf-8")
    app = make_app(config)
    spec = portal_of(app).spec
    customers = [make_record(app, spec.form("customer"), name=name, phone=PHONE,
                             address=ADDRESS, company="导出测试")
                 for name in (NAME, "乙客户", "甲客户")]
    complaint = make_record(app, spec.form("complaint"), customer=customers[1].id)
    compensation = make_record(app, spec.form("compensation"), complaint=complaint.id,
                               amount=Decimal("-1234.50"), kind="refund", reason="-2")
    return {"app": app, "customers": [c.id for c in customers],
            "compensation": compensation.id}


def _client(app: Flask, user: str) -> Any:
    client = app.test_client()
    login(client, user)
    return client


def _events(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        return [{**r, "details": json.loads(r["details"])} for r in app.appbuilder.session.execute(
            sa.text("select username, form, details from portal_audit_event where action = "
                    "'export' order by id")).mappings()]


def test_an_xlsx_export_masks_types_and_neutralises_its_cells(world: dict[str, Any]) -> None:
    app = world["app"]
    response = _client(app, "exporter").get("/customerview/export/?format=xlsx")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == ("application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet")
    assert response.headers["Content-Disposition"] == "attachment; filename=customer.xlsx"
    sheet: Any = load_workbook(io.BytesIO(response.get_data())).active
    assert sheet.title == "客户档案"
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["编号", "客户名称", "联系电话", "公司名称"]
    rows = {r[0].value: {h: c for h, c in zip(header, r, strict=True)}
            for r in sheet.iter_rows(min_row=2)}
    first = rows[world["customers"][0]]
    assert (first["联系电话"].value, first["地址"].value) == ("139****0001", "机****")
    name = first["客户名称"]
    assert (name.value, name.data_type, name.quotePrefix) == (NAME, "s", True)
    assert first["创建时间"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert rows[world["customers"][1]]["客户名称"].quotePrefix is False
    assert PHONE.encode() not in response.get_data()  # (zipped: also checked per cell above)
    [*_, event] = _events(app)
    assert (event["username"], event["form"]) == ("exporter", "customer")
    assert event["details"] == {"rows": 3, "format": "xlsx", "revealed": [], "filters": []}


def test_money_is_a_number_with_a_yuan_format_and_text_stays_text(
        world: dict[str, Any]) -> None:
    data = _client(world["app"], "exporter").get(
        "/compensationview/export/?format=xlsx").get_data()
    sheet: Any = load_workbook(io.BytesIO(data)).active
    header = sheet_rows(data)[0]
    amount = sheet.cell(row=2, column=header.index("金额（元）") + 1)
    assert (amount.value, amount.number_format) == (-1234.5, '"¥"#,##0.00')
    reason = sheet.cell(row=2, column=header.index("补偿理由") + 1)
    assert (reason.value, reason.data_type, reason.quotePrefix) == ("-2", "s", True)


def test_a_supervisor_exports_in_clear_in_english(world: dict[str, Any]) -> None:
    app = world["app"]
    client = _client(app, "supervisor")
    client.get("/lang/en")
    rows = sheet_rows(client.get("/customerview/export/?format=xlsx&_flt_3_company=导出测试"
                                 "&_oc_CustomerView=name&_od_CustomerView=asc").get_data())
    assert rows[0][:4] == ["No.", "Customer name", "Phone", "Company"]
    assert [r[1] for r in rows[1:]] == sorted([NAME, "乙客户", "甲客户"])
    assert {r[2] for r in rows[1:]} == {PHONE}
    [*_, event] = _events(app)
    assert event["details"] == {
        "rows": 3, "format": "xlsx", "revealed": ["address", "phone"],
        "filters": [["company", "eq", "导出测试"]], "order": ["name", "asc"]}


def test_a_list_over_the_limit_is_refused_with_its_count(world: dict[str, Any]) -> None:
    app = world["app"]
    client = _client(app, "exporter")
    before = len(_events(app))
    app.config["PORTAL_EXPORT_MAX_ROWS"] = 2
    try:
        for fmt in ("xlsx", "csv"):
            response = client.get(f"/customerview/export/?format={fmt}&_flt_3_company=导出测试")
            assert response.status_code == 302
            assert response.location.endswith("/customerview/list/?_flt_3_company=%E5%AF%BC%E5"
                                               "%87%BA%E6%B5%8B%E8%AF%95")
            page = client.get(response.location).get_data(as_text=True)
            assert "此列表有 3 条记录，一次导出最多 2 条。请先筛选列表，减少记录后再导出。" in page
    finally:
        app.config["PORTAL_EXPORT_MAX_ROWS"] = 1_048_575
    assert len(_events(app)) == before  # nothing exported, nothing audited


def test_an_unknown_format_is_refused(world: dict[str, Any]) -> None:
    client = _client(world["app"], "exporter")
    response = client.get("/customerview/export/?format=pdf", follow_redirects=True)
    assert "未知的导出格式“pdf”；请使用 csv 或 xlsx。" in response.get_data(as_text=True)


def test_export_needs_its_permission(world: dict[str, Any]) -> None:
    app = world["app"]
    before = len(_events(app))
    response = _client(app, "staff").get("/customerview/export/?format=xlsx")
    assert response.status_code in (302, 403) and b"PK" not in response.get_data()[:2]
    assert len(_events(app)) == before


def test_rows_are_fetched_in_batches_while_the_file_streams(
        world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The list's SELECT runs once, after the audit event, while the body is read; the users
    its cells name are loaded once per batch of YIELD rows, not all at once."""
    app = world["app"]
    monkeypatch.setattr("app.views.export.YIELD", 1)
    client = _client(app, "exporter")
    with app.app_context():
        engine = app.extensions["migrate"].db.engine
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get("/customerview/export/?format=csv&_flt_3_company=导出测试")
        sent = len(seen)
        assert response.is_streamed
        body = response.get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert not any("FROM form_customer" in s and "count(" not in s for s in seen[:sent])
    later = seen[sent:]
    assert sum("FROM form_customer" in s for s in later) == 1
    assert sum("FROM ab_user" in s for s in later) >= 3  # one batch per row
    assert body.startswith("\ufeff编号,客户名称") and body.count("导出测试") == 3
