"""Every form of every pack through the HTTP UI, with CSRF on: add, list, show, edit, delete."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from flask import Flask

from app.portal import portal_of
from app.spec import FormSpec
from tests.support.app import PACKS, csrf_token, login
from tests.support.factories import make_record, post_data


def _pack_forms() -> list:
    from app.config.load import load_spec
    from tests.support.app import CONFIG

    return [pytest.param(pack, form.key, id=f"{pack or 'base'}-{form.key}")
            for pack in PACKS for form in load_spec(str(CONFIG), pack).forms]


def _row(app: Flask, form: FormSpec, pk: int):
    model = portal_of(app).models.models[form.key]
    with app.app_context():
        return app.appbuilder.session.get(model, pk)


def _ids(app: Flask, form: FormSpec) -> set[int]:
    model = portal_of(app).models.models[form.key]
    with app.app_context():
        return {r.id for r in app.appbuilder.session.query(model).all()}


@pytest.mark.parametrize(("pack", "form_key"), _pack_forms())
def test_crud_through_the_ui(pack_apps: dict, pack: str | None, form_key: str) -> None:
    app = pack_apps[pack]
    spec = portal_of(app).spec
    form = spec.form(form_key)
    client = app.test_client()
    login(client, "admin")
    view = f"/{form.view_name.lower()}"
    with app.app_context():
        admin_id = app.appbuilder.sm.find_user(username="admin").id

    add_page = client.get(f"{view}/add").get_data(as_text=True)
    for field in form.entered:
        shown = f'name="{field.key}"' in add_page
        assert shown == field.on_add, f"{field.key} on the add page: {shown}"
        assert field.label.zh in add_page or not field.on_add, field.key

    before = _ids(app, form)
    posted, expected = post_data(app, form, admin_id)
    posted["csrf_token"] = csrf_token(client, f"{view}/add")
    response = client.post(f"{view}/add", data=posted)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    new_ids = _ids(app, form) - before
    assert len(new_ids) == 1
    pk = new_ids.pop()
    row = _row(app, form, pk)
    later = {f.column: f for f in form.entered if not f.on_add}  # filled in after adding
    for column, value in expected.items():
        if column in later:
            assert getattr(row, column) is None, column  # posted anyway: not taken
            continue
        assert getattr(row, column) == value, f"{column}: {getattr(row, column)!r} != {value!r}"
    assert row.version == 1 and row.created_by_fk == admin_id

    listing = client.get(f"{view}/list/").get_data(as_text=True)
    assert form.label.zh in listing
    assert f"{view}/show/{pk}" in listing

    shown = client.get(f"{view}/show/{pk}").get_data(as_text=True)
    for field in form.fields:
        assert field.label.zh in shown
    if form.display and form.field(form.display).type in ("string", "phone", "email"):
        assert str(getattr(row, form.display)) in shown

    text_field = next((f for f in form.fields if f.type in ("string", "text")
                       and not f.pattern and not f.unique), None)
    if text_field is not None:
        edit = dict(posted)
        edit[text_field.key] = "已修改的内容（编辑测试）"[: text_field.max_length or 100]
        edit["csrf_token"] = csrf_token(client, f"{view}/edit/{pk}")
        response = client.post(f"{view}/edit/{pk}", data=edit)
        assert response.status_code == 302
        row = _row(app, form, pk)
        assert getattr(row, text_field.key) == edit[text_field.key]
        assert row.version == 2

    assert client.get(f"{view}/delete/{pk}").status_code == 302  # GET never deletes
    assert client.post(f"{view}/delete/{pk}").status_code == 400  # nor a POST without token
    assert _row(app, form, pk) is not None
    token = csrf_token(client, f"{view}/list/")
    response = client.post(f"{view}/delete/{pk}", data={"csrf_token": token})
    assert response.status_code == 302
    assert _row(app, form, pk) is None


def test_required_and_format_errors_are_shown_and_nothing_is_saved(app: Flask) -> None:
    spec = portal_of(app).spec
    form = spec.form("customer")
    client = app.test_client()
    login(client, "staff")
    before = _ids(app, form)
    data = {"name": "", "phone": "12345", "email": "not-an-email",
            "csrf_token": csrf_token(client, "/customerview/add")}
    page = client.post("/customerview/add", data=data).get_data(as_text=True)
    assert "此项为必填项" in page
    assert "请输入有效的电话号码" in page
    assert "请输入有效的电子邮箱地址" in page
    assert _ids(app, form) == before


def test_pattern_and_range_messages(app: Flask) -> None:
    client = app.test_client()
    login(client, "admin")
    spec = portal_of(app).spec
    complaint = make_record(app, spec.form("complaint"))
    before = _ids(app, spec.form("compensation"))
    data = {"complaint": str(complaint.id), "kind": "refund", "amount": "-5",
            "reason": "测试", "csrf_token": csrf_token(client, "/compensationview/add")}
    page = client.post("/compensationview/add", data=data).get_data(as_text=True)
    assert "请输入 0 到 1000000 之间的数字" in page
    assert _ids(app, spec.form("compensation")) == before

    data = {"customer": str(complaint.customer_id), "channel": "phone",
            "product_name": "面霜", "batch_no": "批号 1",
            "occurred_at": "2026-01-01 10:00:00", "description": "使用后皮肤发红",
            "recorded_by": "1", "csrf_token": csrf_token(client, "/complaintview/add")}
    page = client.post("/complaintview/add", data=data).get_data(as_text=True)
    assert "批号只能包含字母、数字和连字符" in page


def test_reference_select_names_records_by_display_field(app: Flask) -> None:
    """The add page's select is empty; the lookup names customers by name, then masked
    phone; an edit page shows the chosen customer so."""
    spec = portal_of(app).spec
    customer = make_record(app, spec.form("customer"), name="欧阳雪琪", phone="13812345678")
    client = app.test_client()
    login(client, "staff")
    page = client.get("/complaintview/add").get_data(as_text=True)
    assert f'value="{customer.id}"' not in page
    found = client.get("/lookup/complaint/customer?q=欧阳雪").get_json()["results"]
    assert found == [{"id": customer.id, "text": "欧阳雪琪 · 138****5678"}]
    complaint = make_record(app, spec.form("complaint"), customer=customer.id)
    edit = client.get(f"/complaintview/edit/{complaint.id}").get_data(as_text=True)
    assert f'<option value="{customer.id}" selected>欧阳雪琪 · 138****5678</option>' in edit


def test_a_reference_id_that_does_not_exist_is_a_validation_error(app: Flask) -> None:
    client = app.test_client()
    login(client, "admin")
    data = {"complaint": "999999", "kind": "refund", "amount": "10", "reason": "测试",
            "proposed_by": "1", "csrf_token": csrf_token(client, "/compensationview/add")}
    response = client.post("/compensationview/add", data=data)
    assert response.status_code == 200
    assert "请从列表中选择一条记录" in response.get_data(as_text=True)


def test_choice_labels_in_list_and_english_switch(app: Flask) -> None:
    spec = portal_of(app).spec
    make_record(app, spec.form("compensation"), kind="coupon")
    client = app.test_client()
    login(client, "admin")
    page = client.get("/compensationview/list/").get_data(as_text=True)
    assert "优惠券" in page and "补偿审批" in page
    client.get("/lang/en")
    page = client.get("/compensationview/list/").get_data(as_text=True)
    assert "Coupon" in page and "Compensation" in page
    assert "优惠券" not in page


def test_export_csv_has_labels_and_choice_labels(app: Flask) -> None:
    spec = portal_of(app).spec
    record = make_record(app, spec.form("compensation"), kind="gift", reason="多行\n说明",
                         amount=Decimal("1234.50"))
    client = app.test_client()
    login(client, "supervisor")
    response = client.get("/compensationview/export/")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    header = text.splitlines()[0]
    assert "补偿方式" in header and "金额（元）" in header
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    row = next(r for r in rows if r[0] == str(record.id))
    values = dict(zip(rows[0], row, strict=True))
    assert values["补偿方式"] == "赠品"
    assert values["金额（元）"] == "1234.50"  # a number a spreadsheet can sum
    assert values["补偿理由"] == "多行\n说明"  # raw text, no display HTML
    assert "<" not in text


@pytest.mark.parametrize("typed", ["2026-03-02T10:30", "2026-03-02T10:30:15",
                                   "2026-03-02 10:30:15", "2026-03-02 10:30"])
def test_datetime_accepts_browser_and_plain_formats(app: Flask, typed: str) -> None:
    import datetime as dt

    spec = portal_of(app).spec
    customer = make_record(app, spec.form("customer"))
    client = app.test_client()
    login(client, "staff")
    page = client.get("/complaintview/add").get_data(as_text=True)
    assert 'type="datetime-local"' in page and 'id="occurred_at"' in page
    before = _ids(app, spec.form("complaint"))
    data = {"customer": str(customer.id), "channel": "phone", "product_name": "面霜",
            "occurred_at": typed, "description": "使用后皮肤发红", "recorded_by": "1",
            "csrf_token": csrf_token(client, "/complaintview/add")}
    assert client.post("/complaintview/add", data=data).status_code == 302
    (pk,) = _ids(app, spec.form("complaint")) - before
    seconds = 15 if typed.count(":") == 2 else 0
    assert _row(app, spec.form("complaint"), pk).occurred_at == dt.datetime(
        2026, 3, 2, 10, 30, seconds)


def test_a_bad_datetime_is_a_validation_message(app: Flask) -> None:
    client = app.test_client()
    login(client, "staff")
    data = {"occurred_at": "昨天下午", "csrf_token": csrf_token(client, "/complaintview/add")}
    response = client.post("/complaintview/add", data=data)
    assert response.status_code == 200
    assert "不是有效的日期与时间值" in response.get_data(as_text=True)


def _search_input(page: str, column: str) -> str:
    """The HTML FAB's search widget embeds (as JSON) for a column's filter value."""
    import json
    import re

    match = re.search(re.escape(f'"{column}": "') + r'(\\u003c(?:[^"\\]|\\.)*)"', page)
    assert match, f"no search input for {column}"
    return json.loads(f'"{match.group(1)}"')


def test_search_filters_offer_choice_labels(app: Flask) -> None:
    client = app.test_client()
    login(client, "staff")
    page = client.get("/complaintview/list/").get_data(as_text=True)
    html = _search_input(page, "category")
    assert html.startswith("<select") and '<option value="quality">产品质量</option>' in html
    survey = client.get("/satisfactionsurveyview/list/").get_data(as_text=True)
    assert "<input" in _search_input(survey, "callback_date")


def test_export_follows_the_list_order(app: Flask) -> None:
    spec = portal_of(app).spec
    for name in ("b-排序", "a-排序", "c-排序"):
        make_record(app, spec.form("customer"), name=name)
    client = app.test_client()
    login(client, "supervisor")
    for direction, expected in (("asc", ["a-排序", "b-排序", "c-排序"]),
                                ("desc", ["c-排序", "b-排序", "a-排序"])):
        text = client.get(f"/customerview/export/?_oc_CustomerView=name&_od_CustomerView="
                          f"{direction}&_flt_2_name=-排序").get_data(as_text=True)
        names = [row[1] for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))][1:]
        assert names == expected, direction
