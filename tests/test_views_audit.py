"""The auditor's screens: list and filters, event details (masked per viewer), a record's
history, a user's activity, CSV export, the chain check; visible only with `audit: true`
(and to admins), and an auditor can change nothing anywhere."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from flask import Flask
from flask.testing import FlaskClient
from flask_appbuilder.models.sqla.filters import (
    FilterEqual,
    FilterGreater,
    FilterNotEqual,
    FilterSmaller,
)

from app.audit import log as audit
from app.audit.log import AuditEvent
from app.portal import portal_of
from tests.support.app import CONFIG, login
from tests.support.factories import make_record
from tests.support.readonly import violations

URLS = ("/audit/list/", "/audit/show/{id}", "/audit/timeline/customer/9001",
        "/audit/user/{user}", "/audit/export/", "/audit/verify/")


@dataclass
class World:
    app: Flask
    ids: dict[str, int]  # seeded event name → event id
    users: dict[str, int]  # username → user id
    boundary: str  # a time between the older (customer) and the newer events


def _seed(app: Flask) -> World:
    """Three older events on customer 9001, then three newer ones, from known addresses."""
    plan = [
        ("create", "staff", "10.0.0.7", "customer", 9001, "ok",
         {"values": {"name": "张三", "phone": "13812341234"}}),
        ("update", "supervisor", "10.0.0.8", "customer", 9001, "ok",
         {"changes": {"phone": ["13812341234", "13998765678"], "name": ["张三", "张三丰"]}}),
        ("list", "staff", "10.0.0.7", "customer", None, "ok",
         {"filters": [["phone", "等于", "13812341234"]], "page": 0}),
        None,  # the boundary
        ("delete", "supervisor", "10.0.0.8", "complaint", 9002, "ok",
         {"values": {"product_name": "甲产品", "priority": "urgent"}}),
        ("denied", "staff", "10.0.0.7", "complaint", 9002, "denied",
         {"changes": {"priority": ["urgent", "low"]}}),
        ("view", "admin", "192.168.1.20", "customer", 9001, "ok", None),
    ]
    ids: dict[str, int] = {}
    boundary = ""
    with app.app_context():
        session = app.appbuilder.session
        users = {u: app.appbuilder.sm.find_user(username=u) for u in ("staff", "supervisor",
                                                                      "admin", "auditor")}
        for step in plan:
            if step is None:
                session.commit()
                time.sleep(1.05 - dt.datetime.now().microsecond / 1e6)  # a new second
                boundary = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
                time.sleep(0.01)
                continue
            name, user, ip, form, record_id, outcome, details = step
            action = "update" if name == "denied" else name
            with app.test_request_context(environ_base={"REMOTE_ADDR": ip}):
                audit.record(session, action, form=form, record_id=record_id,
                             outcome=outcome, details=details, user=users[user])
            ids[name] = session.scalar(sa.select(sa.func.max(AuditEvent.id)))
        session.commit()
        user_ids = {k: int(u.id) for k, u in users.items()}
    return World(app, ids, user_ids, boundary)


@pytest.fixture(scope="module")
def world(make_app: Callable[..., Flask]) -> World:
    return _seed(make_app())


def _client(world: World, user: str) -> FlaskClient:
    client = world.app.test_client()
    login(client, user)
    return client


def _page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return response.get_data(as_text=True)


def _shown(world: World, page: str) -> set[str]:
    """The seeded events a list page shows, by name."""
    shown = {int(i) for i in re.findall(r'/audit/show/(\d+)"', page)}
    return {name for name, i in world.ids.items() if i in shown}


def _flt(world: World, column: str, kind: type) -> int:
    view = next(v for v in world.app.appbuilder.baseviews
                if type(v).__name__ == "AuditEventView")
    return next(i for i, f in enumerate(view._filters.get_search_filters()[column])
                if type(f) is kind)


@pytest.mark.parametrize(("filters", "expected"), [
    ((), {"create", "update", "list", "delete", "denied", "view"}),
    ((("username", FilterEqual, "staff"),), {"create", "list", "denied"}),
    ((("action", FilterEqual, "update"),), {"update", "denied"}),
    ((("action", FilterNotEqual, "update"),), {"create", "list", "delete", "view"}),
    ((("form", FilterEqual, "complaint"),), {"delete", "denied"}),
    ((("record_id", FilterEqual, "9001"),), {"create", "update", "view"}),
    ((("outcome", FilterEqual, "denied"),), {"denied"}),
    ((("at", FilterGreater, "{boundary}"),), {"delete", "denied", "view"}),
    ((("at", FilterSmaller, "{boundary}"),), {"create", "update", "list"}),
    ((("ip", FilterEqual, "10.0.0.8"),), {"update", "delete"}),
    ((("username", FilterEqual, "staff"), ("form", FilterEqual, "customer")),
     {"create", "list"}),
], ids=["none", "user", "action", "not-action", "form", "record", "outcome", "after",
        "before", "ip", "user-and-form"])
@pytest.mark.parametrize("user", ["auditor", "admin"])
def test_each_filter_narrows_the_list(world: World, user: str, filters: tuple,
                                      expected: set[str]) -> None:
    args = "&".join(f"_flt_{_flt(world, c, k)}_{c}={v.format(boundary=world.boundary)}"
                    for c, k, v in filters)
    page = _page(_client(world, user), f"/audit/list/?psize_AuditEventView=100&{args}")
    assert _shown(world, page) == expected


def test_the_list_shows_labels_links_and_newest_first(world: World) -> None:
    page = _page(_client(world, "auditor"),
                 f"/audit/list/?psize_AuditEventView=100&_flt_"
                 f"{_flt(world, 'record_id', FilterEqual)}_record_id=9001")
    assert [int(i) for i in re.findall(r'/audit/show/(\d+)"', page)] == [
        world.ids["view"], world.ids["update"], world.ids["create"]]
    for text in ("审计日志", "时间", "用户", "角色", "IP 地址", "操作", "表单/数据表", "记录号",
                 "结果", "客户档案", "新建", "修改", "查看记录", "成功", "客服专员", "客服主管",
                 "10.0.0.8", "导出 CSV", "校验审计日志"):
        assert text in page, text
    assert f'href="/audit/user/{world.users["supervisor"]}">supervisor</a>' in page
    assert 'href="/audit/timeline/customer/9001">9001</a>' in page
    assert "/audit/add" not in page and "/audit/edit" not in page and "/audit/delete" not in page


def test_the_show_page_masks_changes_for_the_auditor_and_not_for_admins(world: World) -> None:
    url = f"/audit/show/{world.ids['update']}"
    page = _page(_client(world, "auditor"), url)
    for text in ("字段", "修改前", "修改后", "联系电话", "138****1234", "139****5678", "张三丰",
                 "10.0.0.8", "supervisor", "客户档案"):
        assert text in page, text
    assert "13812341234" not in page and "13998765678" not in page
    assert '{"changes"' not in page and "&#34;changes" not in page  # never raw JSON
    assert 'href="/audit/timeline/customer/9001"' in page
    assert f'href="/audit/user/{world.users["supervisor"]}"' in page
    admin = _page(_client(world, "admin"), url)
    assert "13812341234" in admin and "13998765678" in admin


def test_created_values_and_list_filters_are_masked_too(world: World) -> None:
    client = _client(world, "auditor")
    created = _page(client, f"/audit/show/{world.ids['create']}")
    assert "138****1234" in created and "13812341234" not in created and "张三" in created
    listed = _page(client, f"/audit/show/{world.ids['list']}")
    assert "筛选字段" in listed and "138****1234" in listed and "13812341234" not in listed
    deleted = _page(client, f"/audit/show/{world.ids['delete']}")
    assert "甲产品" in deleted and "紧急" in deleted  # choice label, not 'urgent'


def test_the_record_history_lists_its_events_oldest_first(world: World) -> None:
    page = _page(_client(world, "auditor"), "/audit/timeline/customer/9001")
    assert "客户档案 #9001 的历史记录" in page  # a record since deleted: its number
    rows = [int(i) for i in re.findall(r'class="portal-audit-event" data-id="(\d+)"', page)]
    assert rows == [world.ids["create"], world.ids["update"], world.ids["view"]]
    assert "138****1234" in page and "13812341234" not in page
    assert "139****5678" in page and "staff" in page and "supervisor" in page
    assert f'/audit/show/{world.ids["update"]}"' in page


def test_a_form_record_page_links_to_its_history_for_audit_roles_only(world: World) -> None:
    customer = make_record(world.app, portal_of(world.app).spec.form("customer"))
    link = f'href="/audit/timeline/customer/{customer.id}"'
    for user, shown in (("auditor", True), ("admin", True), ("supervisor", False),
                        ("staff", False)):
        page = _page(_client(world, user), f"/customerview/show/{customer.id}")
        assert (link in page) is shown, user


def test_odd_page_numbers_and_user_ids_are_no_error(world: World) -> None:
    client = _client(world, "auditor")
    for page in ("²", "abc", "99999999999999999999999", "-1"):
        assert client.get(f"/audit/timeline/customer/9001?p={page}").status_code == 200
    assert client.get("/audit/user/99999999999999999999").status_code == 404
    assert client.get("/audit/timeline/customer/90%0001").status_code == 404
    assert client.get("/audit/user/424242").status_code == 200  # nobody: no events


def test_a_users_activity_lists_only_their_events_newest_first(world: World) -> None:
    page = _page(_client(world, "auditor"), f"/audit/user/{world.users['staff']}")
    assert "用户 staff 的操作记录" in page
    rows = [int(i) for i in re.findall(r'data-id="(\d+)"', page)]
    seeded = [i for i in rows if i in world.ids.values()]
    assert seeded == [world.ids["denied"], world.ids["list"], world.ids["create"]]
    assert "投诉登记" in page and "被拒绝" in page and "138****1234" in page
    assert "13812341234" not in page


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")  # UTF-8 with BOM: Excel reads the Chinese
    return list(csv.reader(io.StringIO(body[1:])))


def _row(world: World, name: str, details: str) -> list[str]:
    with world.app.app_context():
        event = world.app.appbuilder.session.get(AuditEvent, world.ids[name])
        return [str(event.id), str(event.seq), event.at.strftime("%Y-%m-%d %H:%M:%S"),
                event.username, str(event.user_id), {"staff": "客服专员",
                                                    "supervisor": "客服主管",
                                                    "admin": "系统管理员"}[event.username],
                event.ip or "", event.user_agent or "", *details.split("|")]


@pytest.mark.parametrize(("user", "phone", "new_phone"), [
    ("auditor", "138****1234", "139****5678"), ("admin", "13812341234", "13998765678")])
def test_export_is_the_filtered_list_masked_per_viewer(world: World, user: str, phone: str,
                                                      new_phone: str) -> None:
    client = _client(world, user)
    equal = _flt(world, "record_id", FilterEqual)
    rows = _csv(client.get(f"/audit/export/?_flt_{equal}_record_id=9001"))
    assert rows[0] == ["编号", "序号", "时间", "用户", "用户编号", "角色", "IP 地址", "浏览器",
                       "操作", "表单/数据表", "记录号", "结果", "详情"]
    assert rows[1:] == [
        _row(world, "view", "查看记录|客户档案|9001|成功|"),
        _row(world, "update", f"修改|客户档案|9001|成功|客户名称: 张三 → 张三丰; "
                              f"联系电话: {phone} → {new_phone}"),
        _row(world, "create", f"新建|客户档案|9001|成功|客户名称: 张三; 联系电话: {phone}"),
    ]
    with world.app.app_context():
        event = world.app.appbuilder.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "export")
            .order_by(AuditEvent.seq.desc())).first()
    assert (event.username, event.form, event.outcome) == (user, "portal_audit_event", "ok")
    assert json.loads(event.details) == {"rows": 3,
                                         "filters": [["record_id", "等于", "9001"]]}


def test_export_without_filters_holds_every_event(world: World) -> None:
    rows = _csv(_client(world, "auditor").get("/audit/export/"))
    exported = {int(r[0]) for r in rows[1:]}
    assert set(world.ids.values()) <= exported
    with world.app.app_context():
        total = world.app.appbuilder.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    assert len(exported) == len(rows) - 1 <= total


def test_verify_reports_an_intact_chain_and_names_an_edited_event(world: World) -> None:
    client = _client(world, "auditor")
    page = _page(client, "/audit/verify/")
    assert re.search(r"审计日志完整：已校验 \d+ 条事件。", page)
    target = world.ids["update"]
    with world.app.app_context():
        session = world.app.appbuilder.session
        session.execute(sa.text("UPDATE portal_audit_event SET username = 'mallory' "
                                "WHERE id = :id"), {"id": target})
        session.commit()
    try:
        page = _page(client, "/audit/verify/")
        assert f"审计日志在事件 {target} 处被篡改：内容与其哈希不符（该事件被修改过）。" in page
        assert f'href="/audit/show/{target}"' in page
    finally:
        with world.app.app_context():
            session = world.app.appbuilder.session
            session.execute(sa.text("UPDATE portal_audit_event SET username = 'supervisor' "
                                    "WHERE id = :id"), {"id": target})
            session.commit()
    assert "审计日志完整" in _page(client, "/audit/verify/")


def test_the_menu_shows_the_audit_screens_to_audit_roles(world: World) -> None:
    for user in ("auditor", "admin"):
        page = _page(_client(world, user), "/")
        assert "审计" in page and 'href="/audit/list/"' in page and \
            'href="/audit/verify/"' in page, user


@pytest.mark.parametrize("user", ["staff", "supervisor"])
def test_other_roles_get_403_everywhere_and_no_menu(world: World, user: str) -> None:
    client = _client(world, user)
    for url in URLS:
        url = url.format(id=world.ids["update"], user=world.users["staff"])
        assert client.get(url).status_code == 403, url
    page = _page(client, "/")
    assert "/audit/" not in page and "审计日志" not in page


def test_no_add_edit_or_delete_exists_for_the_audit_screens(world: World) -> None:
    with world.app.app_context():
        sm = world.app.appbuilder.sm
        names = {pv.permission.name for pv in world.app.appbuilder.session.query(
            sm.permissionview_model).all() if pv.view_menu.name == "AuditEventView"}
    assert names == {"can_list", "can_show", "can_export", "can_verify"}
    rules = [r for r in world.app.url_map.iter_rules() if r.rule.startswith("/audit/")]
    assert len(rules) == 6
    assert all(r.methods - {"HEAD", "OPTIONS"} == {"GET"} for r in rules)


def test_an_auditor_can_change_nothing_anywhere(world: World) -> None:
    sent: list[str] = []
    assert violations(world.app, "auditor", sent=sent) == []
    for expected in ("POST CustomerView.add", "GET CustomerView.edit", "POST ComplaintView.delete",
                     "PUT ComplaintFormApi.put", "DELETE CustomerFormApi.delete",
                     "POST CustomerView.reveal", "POST UserDBModelView.edit",
                     "POST RoleModelView.action", "POST TeamView.add",
                     "POST ResetPasswordView.this_form_post", "POST PortalSecurityApi.login"):
        assert expected in sent, expected


def test_the_matrix_catches_an_auditor_given_edit(make_app: Callable[..., Flask],
                                                  tmp_path: Path) -> None:
    """Were the auditor given `edit` on complaints, the matrix would say so."""
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config, ignore=shutil.ignore_patterns("industries"))
    roles = yaml.safe_load((config / "roles.yaml").read_text(encoding="utf-8"))
    auditor = next(r for r in roles["roles"] if r["key"] == "auditor")
    auditor["grants"]["complaint"] = ["list", "show", "edit"]
    (config / "roles.yaml").write_text(yaml.safe_dump(roles, allow_unicode=True),
                                       encoding="utf-8")
    app = make_app(config)
    found = violations(app, "auditor", only=lambda endpoint: "Complaint" in endpoint)
    assert any("POST /complaintview/edit/" in f and "changed form_complaint" in f
               for f in found), found
    assert any("PUT /api/v1/complaint/" in f for f in found), found
    assert any("GET /complaintview/edit/" in f and "answered 200" in f for f in found), found


def test_the_screens_speak_english_too(world: World) -> None:
    client = _client(world, "auditor")
    client.get("/lang/en")
    page = _page(client, f"/audit/show/{world.ids['update']}")
    for text in ("Audit log", "Changed", "Customers", "Before", "After", "Phone",
                 "History of this record"):
        assert text in page, text
    assert "The audit log is intact" in _page(client, "/audit/verify/")
