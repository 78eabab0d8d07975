"""The generated views' base: referential delete guard, readable database errors."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_appbuilder.exceptions import DatabaseException

from app.portal import portal_of
from tests.support.app import csrf_token, login
from tests.support.factories import make_record


def _exists(app: Flask, form_key: str, pk: int) -> bool:
    model = portal_of(app).models.models[form_key]
    with app.app_context():
        return app.appbuilder.session.get(model, pk) is not None


def test_a_referenced_record_cannot_be_deleted_and_says_why(app: Flask) -> None:
    spec = portal_of(app).spec
    complaint = make_record(app, spec.form("complaint"))
    client = app.test_client()
    login(client, "supervisor")
    token = csrf_token(client, "/customerview/list/")
    page = client.post(f"/customerview/delete/{complaint.customer_id}",
                       data={"csrf_token": token}, follow_redirects=True)
    assert "无法删除：仍有 1 条“投诉登记”记录引用此记录。" in page.get_data(as_text=True)
    assert _exists(app, "customer", complaint.customer_id)

    token = csrf_token(client, "/complaintview/list/")
    client.post(f"/complaintview/delete/{complaint.id}", data={"csrf_token": token})
    assert not _exists(app, "complaint", complaint.id)
    client.post(f"/customerview/delete/{complaint.customer_id}", data={"csrf_token": token})
    assert not _exists(app, "customer", complaint.customer_id)


def test_database_errors_become_readable_messages(app: Flask) -> None:
    spec = portal_of(app).spec
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "CustomerView")
    record = make_record(app, spec.form("customer"))
    model = portal_of(app).models.models["customer"]
    with app.test_request_context():
        session = app.appbuilder.session
        row = session.get(model, record.id)
        with session.get_bind().begin() as conn:  # someone else saves first
            conn.execute(sa.text("UPDATE form_customer SET version = version + 1 "
                                 "WHERE id = :id"), {"id": record.id})
        row.name = "迟到的修改"
        with pytest.raises(DatabaseException) as exc:
            view.datamodel.edit(row)
        # who saved last and when, read back from the database
        assert re.fullmatch(r"未保存：staff 于 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d "
                            r"修改了此记录（在您打开之后）。您的修改未应用，请重新打开记录查看最新内容。",
                            str(exc.value))
        session.expunge_all()
        duplicate = model(name="重复", phone="13800000000")
        duplicate.id = record.id  # primary key clash: an IntegrityError underneath
        with pytest.raises(DatabaseException) as exc:
            view.datamodel.add(duplicate)
        assert str(exc.value) == "未保存：与其他记录冲突（值重复，或记录仍被引用）。"
        session.rollback()
    with app.app_context():
        assert app.appbuilder.session.get(model, record.id).name == record.name


def test_every_export_is_audited_with_its_filters_and_what_it_revealed(app: Flask) -> None:
    import json

    spec = portal_of(app).spec
    for n in range(3):
        make_record(app, spec.form("complaint"), product_name=f"导出审计{n}")
    client = app.test_client()
    login(client, "supervisor")
    with app.app_context():
        before = app.appbuilder.session.execute(sa.text(
            "select coalesce(max(seq), 0) from portal_audit_event")).scalar()
    response = client.get("/complaintview/export/?_flt_0_product_name=导出审计")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("导出审计") == 3
    with app.app_context():
        event = app.appbuilder.session.execute(sa.text(
            "select username, form, outcome, details from portal_audit_event "
            "where action = 'export' and seq > :s"), {"s": before}).one()
    assert (event.username, event.form, event.outcome) == ("supervisor", "complaint", "ok")
    assert json.loads(event.details) == {
        "rows": 3, "format": "csv", "revealed": [],
        "filters": [["product_name", "sw", "导出审计"]]}
