"""Writes are audited at the session level: every path (screens, REST API, CLI, FAB's user
screens, role sync, ORM bulk statements) yields create / update / delete events with the
values or the field-by-field changes, in the same transaction; passwords never appear."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select, update

from app.portal import portal_of
from tests.support.api import call, json_body
from tests.support.app import PASSWORD, csrf_token, login
from tests.support.audit import details, events_after, last_seq, spec_form, stored_form
from tests.support.factories import make_record, post_data


def test_a_record_added_on_the_screen_is_audited_with_its_values(app: Flask) -> None:
    form = spec_form(app, "customer")
    client = app.test_client()
    login(client, "staff")
    posted, expected = post_data(app, form, 0)
    posted["csrf_token"] = csrf_token(client, "/customerview/add")
    before = last_seq(app)
    assert client.post("/customerview/add", data=posted).status_code == 302
    [event] = events_after(app, before, "create")
    assert (event.username, event.roles, event.ip, event.form, event.outcome) == (
        "staff", "staff", "127.0.0.1", "customer", "ok")
    assert event.user_agent.startswith("Werkzeug")
    values = details(event)["values"]
    assert values == {f.key: _json(expected[f.column]) for f in form.fields}
    model = portal_of(app).models.models["customer"]
    with app.app_context():
        stored = app.appbuilder.session.execute(select(model.id).where(
            model.name == expected["name"])).scalar()
    assert event.record_id == str(stored)


def test_an_edit_records_only_the_changed_fields_old_and_new(app: Flask) -> None:
    record = make_record(app, spec_form(app, "customer"), name="王小明", company="杭州")
    client = app.test_client()
    login(client, "staff")
    page = client.get(f"/customerview/edit/{record.id}").get_data(as_text=True)
    assert "王小明" in page
    data = stored_form(app, spec_form(app, "customer"), record.id)
    data.update(name="王大明", csrf_token=csrf_token(client, f"/customerview/edit/{record.id}"))
    before = last_seq(app)
    assert client.post(f"/customerview/edit/{record.id}", data=data).status_code == 302
    [event] = events_after(app, before, "update")
    assert (event.form, event.record_id, event.username) == ("customer", str(record.id),
                                                              "staff")
    assert details(event) == {"changes": {"name": ["王小明", "王大明"]}}


def test_a_delete_records_the_values_that_were_lost(app: Flask) -> None:
    record = make_record(app, spec_form(app, "customer"), name="删除客户")
    client = app.test_client()
    login(client, "supervisor")
    token = csrf_token(client, f"/customerview/show/{record.id}")
    before = last_seq(app)
    response = client.post(f"/customerview/delete/{record.id}", data={"csrf_token": token})
    assert response.status_code == 302
    [event] = events_after(app, before, "delete")
    assert (event.form, event.record_id, event.username) == ("customer", str(record.id),
                                                              "supervisor")
    assert details(event)["values"]["name"] == "删除客户"


def test_api_writes_are_audited_with_the_token_user(app: Flask) -> None:
    form = spec_form(app, "complaint")
    before = last_seq(app)
    created = call(app, "POST", "/api/v1/complaint/", "staff",
                   json=json_body(app, form, "staff"))
    assert created.status_code == 201, created.get_data(as_text=True)
    pk = created.get_json()["id"]
    changed = call(app, "PUT", f"/api/v1/complaint/{pk}", "staff",
                   json={"description": "接口修改的问题描述", "version": 1})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert call(app, "DELETE", f"/api/v1/complaint/{pk}", "supervisor").status_code == 200
    events = [e for e in events_after(app, before, "create", "update", "delete")
              if e.form == "complaint" and e.record_id == str(pk)]
    assert [(e.action, e.username) for e in events] == [
        ("create", "staff"), ("update", "staff"), ("delete", "supervisor")]
    assert details(events[1])["changes"]["description"][1] == "接口修改的问题描述"
    assert details(events[2])["values"]["description"] == "接口修改的问题描述"


def test_a_rolled_back_write_leaves_no_event(app: Flask) -> None:
    model = portal_of(app).models.models["customer"]
    before = last_seq(app)
    with app.app_context():
        session = app.appbuilder.session
        session.add(model(name="未保存", phone="13800000000"))
        session.flush()
        session.rollback()
    assert events_after(app, before) == []


def test_a_refused_form_post_writes_nothing_and_logs_nothing(app: Flask) -> None:
    client = app.test_client()
    login(client, "staff")
    token = csrf_token(client, "/customerview/add")
    before = last_seq(app)
    response = client.post("/customerview/add", data={"name": "", "csrf_token": token})
    assert response.status_code == 200
    assert events_after(app, before, "create", "update", "delete") == []


def test_orm_bulk_update_and_delete_log_every_row(app: Flask) -> None:
    model = portal_of(app).models.models["customer"]
    rows = [make_record(app, spec_form(app, "customer"), company="宁波批量") for _ in range(3)]
    before = last_seq(app)
    with app.app_context():
        session = app.appbuilder.session
        session.execute(update(model).where(model.company == "宁波批量").values(company="温州批量"))
        session.commit()
    updates = events_after(app, before, "update")
    assert sorted(int(e.record_id) for e in updates) == sorted(r.id for r in rows)
    assert {json.dumps(details(e), ensure_ascii=False) for e in updates} == {
        '{"bulk": true, "changes": {"company": ["宁波批量", "温州批量"]}}'}
    before = last_seq(app)
    with app.app_context():
        session = app.appbuilder.session
        session.query(model).filter(model.company == "温州批量").delete()
        session.commit()
    deletes = events_after(app, before, "delete")
    assert sorted(int(e.record_id) for e in deletes) == sorted(r.id for r in rows)
    assert all(details(e)["values"]["company"] == "温州批量" for e in deletes)


def test_cli_user_changes_are_audited_without_the_password(app: Flask) -> None:
    runner = app.test_cli_runner()
    before = last_seq(app)
    created = runner.invoke(args=["portal", "user", "create", "audit_li", "--role", "staff",
                                  "--password", PASSWORD])
    assert created.exit_code == 0, created.output
    assert runner.invoke(args=["portal", "user", "roles", "audit_li", "supervisor"]
                         ).exit_code == 0
    assert runner.invoke(args=["portal", "user", "disable", "audit_li"]).exit_code == 0
    events = [e for e in events_after(app, before) if e.form == "ab_user"]
    assert [e.action for e in events] == ["create", "update", "update"]
    assert all(e.username.startswith("cli:") for e in events)
    values = details(events[0])["values"]
    assert (values["username"], values["roles"], values["password"]) == (
        "audit_li", ["staff"], "<redacted>")
    assert details(events[1]) == {"changes": {"roles": {"added": ["supervisor"],
                                                        "removed": ["staff"]}}}
    assert details(events[2]) == {"changes": {"active": [True, False]}}
    with app.app_context():
        raw = " ".join(e.details or "" for e in events)
        stored = app.appbuilder.sm.find_user(username="audit_li").password
    assert stored not in raw and PASSWORD not in raw


def test_an_admin_password_reset_on_the_screen_is_logged_redacted(app: Flask) -> None:
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.add_user("audit_reset", "重置", "用户", "audit_reset@example.com",
                           sm.find_role("staff"), password=PASSWORD)
        uid = user.id
    client = app.test_client()
    login(client, "admin")
    url = f"/resetpassword/form?pk={uid}"
    new = "Another-Secret-2026"
    before = last_seq(app)
    response = client.post(url, data={"password": new, "conf_password": new,
                                      "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    [event] = [e for e in events_after(app, before, "update") if e.form == "ab_user"]
    assert (event.record_id, event.username) == (str(uid), "admin")
    assert details(event) == {"changes": {"password": ["<redacted>", "<redacted>"]}}
    assert new not in (event.details or "")


def test_a_role_sync_is_one_event_naming_each_permission_withdrawn(
        make_app: Callable[..., Flask], tmp_path: Any) -> None:
    import shutil

    from app.security.permissions import sync_roles
    from tests.support.app import CONFIG

    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    app = make_app(config)
    roles = (config / "roles.yaml").read_text(encoding="utf-8")
    edited = roles.replace("compensation: [list, show, add, edit]\n    reveal",
                           "compensation: [list, show]\n    reveal", 1)
    assert edited != roles
    (config / "roles.yaml").write_text(edited, encoding="utf-8")
    second = make_app(config, setup=False,
                      SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                      PORTAL_REVISIONS_DIR=app.config["PORTAL_REVISIONS_DIR"])
    before = last_seq(second)
    sync_roles(second)
    # One event for the sync (it was one per permission row: 276 of 342 events after a
    # first start), naming what changed.
    [event] = events_after(second, before)
    assert event.action == "role_sync"
    assert details(event) == {
        "rows": 1, "tables": {"ab_role update": 1},
        "lines": ["role staff: - can_add on CompensationView",
                  "role staff: - can_edit on CompensationView"]}
    before = last_seq(second)
    sync_roles(second)
    assert events_after(second, before) == []  # nothing changed: nothing to record


def test_team_membership_changes_are_audited(app: Flask) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["portal", "team", "create", "审计测试组"]).exit_code == 0
    before = last_seq(app)
    result = runner.invoke(args=["portal", "team", "add", "审计测试组", "staff"])
    assert result.exit_code == 0, result.output
    [event] = [e for e in events_after(app, before) if e.form == "portal_team"]
    assert details(event) == {"changes": {"members": {"added": ["staff"], "removed": []}}}
    before = last_seq(app)
    assert runner.invoke(args=["portal", "team", "delete", "审计测试组", "--yes"]).exit_code == 0
    [gone] = [e for e in events_after(app, before) if e.form == "portal_team"]
    assert (gone.action, details(gone)["values"]["members"]) == ("delete", ["staff"])


def test_money_and_dates_are_stored_readably(app: Flask) -> None:
    before = last_seq(app)
    make_record(app, spec_form(app, "compensation"), amount=Decimal("1200.50"))
    [event] = [e for e in events_after(app, before, "create") if e.form == "compensation"]
    assert details(event)["values"]["amount"] == "1200.50"


@pytest.mark.parametrize("table", ["portal_audit_event", "portal_audit_head",
                                   "portal_session"])
def test_the_log_does_not_log_itself_or_the_session_registry(app: Flask, table: str) -> None:
    from app.audit.capture import NOT_AUDITED

    assert table in NOT_AUDITED
    before = last_seq(app)
    login(app.test_client(), "staff")  # writes portal_session rows
    assert [e.action for e in events_after(app, before)] == ["login"]


def test_deleting_with_a_core_statement_on_a_session_is_logged_too(app: Flask) -> None:
    model = portal_of(app).models.models["customer"]
    record = make_record(app, spec_form(app, "customer"), company="核心删除")
    before = last_seq(app)
    with app.app_context():
        session = app.appbuilder.session
        session.execute(delete(model).where(model.id == record.id))
        session.commit()
    [event] = events_after(app, before, "delete")
    assert (event.record_id, details(event)["values"]["company"]) == (str(record.id), "核心删除")


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
