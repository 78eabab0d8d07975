"""Autonumbers given on save (app/db/numbers.py): every way a record is created gets one,
concurrent creations get distinct consecutive numbers (SQLite and, in CI, PostgreSQL), a
rolled-back creation gives its number back, and no form, import or API request sets one."""

from __future__ import annotations

import datetime as dt
import re
import threading

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.numbers import Sequence
from app.portal import portal_of
from tests.support.app import csrf_token, login
from tests.support.factories import make_record

NUMBER = re.compile(r"^TS-(\d{8})-(\d{4,})$")


def _today() -> str:
    return dt.date.today().strftime("%Y%m%d")


def _seq(number: str) -> int:
    match = NUMBER.match(number)
    assert match and match.group(1) == _today(), number
    return int(match.group(2))


def test_a_record_made_by_the_orm_gets_the_next_number_of_the_day(app: Flask) -> None:
    form = portal_of(app).spec.form("complaint")
    first = make_record(app, form)
    second = make_record(app, form)
    assert _seq(second.ticket_no) == _seq(first.ticket_no) + 1
    with app.app_context():
        name = f"complaint.ticket_no:TS-{_today()}-{{seq}}"
        counter = app.appbuilder.session.get(Sequence, name)
        assert counter is not None and counter.value == _seq(second.ticket_no)


def _engine(app: Flask):  # noqa: ANN202 - SQLAlchemy's Engine
    with app.app_context():
        return app.extensions["migrate"].db.engine


def test_twenty_concurrent_creations_get_twenty_consecutive_numbers(app: Flask) -> None:
    model = portal_of(app).model("complaint")
    customer = make_record(app, portal_of(app).spec.form("customer"))
    with app.app_context():
        admin = app.appbuilder.sm.find_user(username="admin").id
    engine = _engine(app)
    barrier = threading.Barrier(20)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def create(i: int) -> None:
        try:
            with Session(engine) as session:
                row = model(customer_id=customer.id, channel="phone", product_name=f"并发{i}",
                            occurred_at=dt.datetime(2026, 12, 6, 9), description="包装破损无法使用",
                            recorded_by_id=admin)
                session.add(row)
                barrier.wait(timeout=30)
                session.commit()
                numbers.append(row.ticket_no)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    seqs = sorted(_seq(n) for n in numbers)
    assert len(set(numbers)) == 20
    assert seqs == list(range(seqs[0], seqs[0] + 20))  # consecutive: no gap, no repeat


def test_a_rolled_back_creation_gives_its_number_back(app: Flask) -> None:
    form = portal_of(app).spec.form("complaint")
    model = portal_of(app).model("complaint")
    before = make_record(app, form)
    with Session(_engine(app)) as session:
        row = model(customer_id=before.customer_id, channel="phone", product_name="撤销",
                    occurred_at=dt.datetime(2026, 12, 6, 9), description="包装破损无法使用",
                    recorded_by_id=before.recorded_by_id)
        session.add(row)
        session.flush()
        assert _seq(row.ticket_no) == _seq(before.ticket_no) + 1
        session.rollback()
    after = make_record(app, form)
    assert _seq(after.ticket_no) == _seq(before.ticket_no) + 1


def test_the_add_screen_has_no_input_and_the_saved_record_shows_its_number(app: Flask) -> None:
    client = app.test_client()
    login(client, "staff")
    page = client.get("/complaintview/add").get_data(as_text=True)
    assert 'name="product_name"' in page and 'name="ticket_no"' not in page
    customer = make_record(app, portal_of(app).spec.form("customer"), "staff", name="编号客户")
    with app.app_context():
        staff = app.appbuilder.sm.find_user(username="staff").id
    token = csrf_token(client, "/complaintview/add")
    response = client.post("/complaintview/add", data={
        "csrf_token": token, "customer": str(customer.id), "channel": "phone",
        "product_name": "编号测试霜", "occurred_at": "2026-12-06T09:00",
        "description": "用后皮肤发红", "recorded_by": str(staff), "severity": "normal",
        "priority": "normal", "ticket_no": "FORGED-1"})
    assert response.status_code == 302
    model = portal_of(app).model("complaint")
    with app.app_context():
        row = app.appbuilder.session.scalars(
            select(model).where(model.product_name == "编号测试霜")).one()
        assert NUMBER.match(row.ticket_no), row.ticket_no  # the posted one was ignored
        shown = client.get(f"/complaintview/show/{row.id}").get_data(as_text=True)
        assert row.ticket_no in shown and "工单号" in shown


def test_the_api_numbers_new_records_and_refuses_a_number_sent(app: Flask) -> None:
    from tests.support.api import json_body, token

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token(app, 'staff')}"}
    body = json_body(app, portal_of(app).spec.form("complaint"), "staff")
    refused = client.post("/api/v1/complaint/", json={**body, "ticket_no": "TS-1"},
                          headers=headers)
    assert refused.status_code == 400
    assert refused.get_json()["message"] == {"ticket_no": ["只读：保存记录时由系统生成。"]}
    created = client.post("/api/v1/complaint/", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    number = created.get_json()["result"]["ticket_no"]
    assert NUMBER.match(number)
    pk = created.get_json()["id"]
    same = client.put(f"/api/v1/complaint/{pk}", json={"ticket_no": number,
                                                       "product_name": "改名"},
                      headers=headers)
    assert same.status_code == 200, same.get_json()  # a record sent back as it was read
    changed = client.put(f"/api/v1/complaint/{pk}", json={"ticket_no": "TS-2"},
                         headers=headers)
    assert changed.status_code == 400
    assert changed.get_json()["message"] == {"ticket_no": ["只读：保存记录时由系统生成。"]}
    info = client.get("/api/v1/complaint/_info", headers=headers).get_json()
    assert "ticket_no" not in [c["name"] for c in info["add_columns"]]
