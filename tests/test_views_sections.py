"""Sections of a form (app/views/sections.py): the add, edit and record pages group fields
under their headings in the YAML's order, two columns where asked; `on_add: false` fields
wait for later; a section of some workflow states shows, and is edited, only in them — and a
save in another state leaves its fields as stored."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from app.portal import portal_of
from tests.support.app import CONFIG, csrf_token, login
from tests.support.factories import make_record


def _legends(page: str) -> list[str]:
    return re.findall(r'<legend class="portal-section-title">([^<]+)</legend>', page)


def _section_fields(page: str, key: str) -> list[str]:
    part = page.split(f'data-section="{key}"')[1].split("</fieldset>")[0]
    return re.findall(r'name="(\w+)"', part) or re.findall(r"<th[^>]*>([^<]+)</th>", part)


def test_the_complaint_form_is_grouped_and_leaves_the_handling_for_later(app: Flask) -> None:
    client = app.test_client()
    login(client, "staff")
    page = client.get("/complaintview/add").get_data(as_text=True)
    assert _legends(page) == ["客户信息", "产品信息", "问题", "处理"]
    assert _section_fields(page, "customer_info") == ["customer", "channel", "recorded_by",
                                                      "recorder_signature"]
    assert _section_fields(page, "handling") == ["handler"]  # resolution, satisfied: later
    assert 'class="table table-bordered portal-columns-2"' in page
    assert re.search(r'<tr class="portal-wide">\s*<td class="col-lg-2 portal-label">\s*'
                     r'<label for="description"', page)


def test_the_record_page_groups_fields_then_workflow_and_record_columns(app: Flask) -> None:
    record = make_record(app, portal_of(app).spec.form("complaint"), "staff")
    client = app.test_client()
    login(client, "staff")
    page = client.get(f"/complaintview/show/{record.id}").get_data(as_text=True)
    assert _legends(page) == ["客户信息", "产品信息", "问题", "处理", "流程与时限", "记录信息"]
    assert _section_fields(page, "handling") == ["处理人", "处理时长（小时）", "处理结果",
                                                 "客户满意"]
    assert _section_fields(page, "workflow")[:3] == ["状态", "首次响应期限", "首次响应时间"]
    assert _section_fields(page, "record") == ["创建人", "创建时间", "修改人", "修改时间"]


def _app_with_states(make_app: Callable[..., Flask], tmp_path: Path) -> Flask:
    """The base config, the 处理 section only from 调查处理中 on, severity off the add form."""
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config, ignore=shutil.ignore_patterns("industries"))
    path = config / "forms" / "complaint.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("fields: [handler, handling_hours, resolution, satisfied]}",
                        "fields: [handler, handling_hours, resolution, satisfied],\n"
                        "     states: [investigating, awaiting_confirmation, resolved, closed]}")
    text = text.replace("    type: choice\n    default: normal\n    choices:\n"
                        "      - {value: minor",
                        "    type: choice\n    default: normal\n    on_add: false\n"
                        "    choices:\n      - {value: minor", 1)
    path.write_text(text, encoding="utf-8")
    return make_app(config)


def test_a_section_of_later_states_is_neither_shown_nor_blanked_before(
        make_app: Callable[..., Flask], tmp_path: Path) -> None:
    app = _app_with_states(make_app, tmp_path)
    client = app.test_client()
    login(client, "admin")
    add = client.get("/complaintview/add").get_data(as_text=True)
    assert "处理" not in _legends(add) and 'name="severity"' not in add
    form = portal_of(app).spec.form("complaint")
    record = make_record(app, form, "admin", resolution="已退款", handler=None)
    page = client.get(f"/complaintview/show/{record.id}").get_data(as_text=True)
    assert "处理" not in _legends(page) and "已退款" not in page
    edit_url = f"/complaintview/edit/{record.id}"
    edit = client.get(edit_url).get_data(as_text=True)
    assert 'name="resolution"' not in edit
    response = client.post(edit_url, data={
        "csrf_token": csrf_token(client, edit_url), "row_version": "1",
        "customer": str(record.customer_id), "channel": "email",
        "product_name": "改过的产品", "occurred_at": "2026-12-06T09:00",
        "description": "描述改过了", "recorded_by": str(record.recorded_by_id),
        "severity": "serious", "priority": "normal"})
    assert response.status_code == 302
    model = portal_of(app).model("complaint")
    with app.app_context():
        row = app.appbuilder.session.get(model, record.id)
        assert (row.product_name, row.resolution) == ("改过的产品", "已退款")  # kept
        row.state = "investigating"
        app.appbuilder.session.commit()
    page = client.get(f"/complaintview/show/{record.id}").get_data(as_text=True)
    assert "处理" in _legends(page) and "已退款" in page
    assert 'name="resolution"' in client.get(edit_url).get_data(as_text=True)


def test_a_field_left_off_the_add_form_takes_its_default(
        make_app: Callable[..., Flask], tmp_path: Path) -> None:
    app = _app_with_states(make_app, tmp_path)
    client = app.test_client()
    login(client, "staff")
    customer = make_record(app, portal_of(app).spec.form("customer"), "staff")
    with app.app_context():
        staff = app.appbuilder.sm.find_user(username="staff").id
    response = client.post("/complaintview/add", data={
        "csrf_token": csrf_token(client, "/complaintview/add"), "customer": str(customer.id),
        "channel": "phone", "product_name": "默认严重程度", "occurred_at": "2026-12-06T09:00",
        "description": "用后皮肤发红", "recorded_by": str(staff), "priority": "normal",
        "severity": "serious"})  # posted anyway: not on the form, not taken
    assert response.status_code == 302
    model = portal_of(app).model("complaint")
    with app.app_context():
        row = app.appbuilder.session.query(model).filter_by(product_name="默认严重程度").one()
        assert row.severity == "normal"
