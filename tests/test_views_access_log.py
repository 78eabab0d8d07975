"""The access log: list screens and list API calls with their filters, record pages and API
reads, and every 403, each recorded with who, from where and what."""

from __future__ import annotations

import json
from urllib.parse import quote

from flask import Flask

from app.portal import portal_of
from tests.support.api import call
from tests.support.app import csrf_token, login
from tests.support.audit import details, events_after, last_seq, spec_form
from tests.support.factories import make_record


def test_a_list_screen_is_logged_with_its_filters_order_and_page(app: Flask) -> None:
    client = app.test_client()
    login(client, "staff")
    before = last_seq(app)
    url = ("/customerview/list/?_flt_0_name=%E7%8E%8B&_flt_3_company=%E5%85%AC%E5%8F%B8"
           "&_oc_CustomerView=name&_od_CustomerView=desc&page_CustomerView=1")
    assert client.get(url).status_code == 200
    [event] = events_after(app, before)
    assert (event.action, event.form, event.username, event.outcome, event.ip) == (
        "list", "customer", "staff", "ok", "127.0.0.1")
    assert details(event) == {"filters": [["name", "sw", "王"], ["company", "eq", "公司"]],
                              "order": ["name", "desc"], "page": "1"}


def test_an_unfiltered_list_is_logged_too(app: Flask) -> None:
    client = app.test_client()
    login(client, "supervisor")
    before = last_seq(app)
    assert client.get("/complaintview/list/").status_code == 200
    [event] = events_after(app, before)
    assert (event.action, event.form, event.username, details(event)) == (
        "list", "complaint", "supervisor", {"filters": []})


def test_record_pages_are_logged_as_views(app: Flask) -> None:
    record = make_record(app, spec_form(app, "customer"))
    client = app.test_client()
    login(client, "staff")
    before = last_seq(app)
    assert client.get(f"/customerview/show/{record.id}").status_code == 200
    assert client.get(f"/customerview/edit/{record.id}").status_code == 200
    events = events_after(app, before)
    assert [(e.action, e.form, e.record_id, details(e)) for e in events] == [
        ("view", "customer", str(record.id), {}),
        ("view", "customer", str(record.id), {"page": "edit"})]


def test_api_reads_are_logged_with_the_token_user_and_the_query(app: Flask) -> None:
    record = make_record(app, spec_form(app, "customer"))
    before = last_seq(app)
    query = quote("(filters:!((col:name,opr:eq,value:'王')),page:0,page_size:5)")
    assert call(app, "GET", f"/api/v1/customer/?q={query}", "staff").status_code == 200
    assert call(app, "GET", f"/api/v1/customer/{record.id}", "staff").status_code == 200
    events = events_after(app, before, "list", "view")
    assert [(e.action, e.form, e.record_id, e.username) for e in events] == [
        ("list", "customer", None, "staff"), ("view", "customer", str(record.id), "staff")]
    assert details(events[0]) == {"filters": [["name", "eq", "王"]], "page": 0}


def test_a_refused_screen_action_is_logged_as_denied_and_changes_nothing(app: Flask) -> None:
    record = make_record(app, spec_form(app, "customer"), name="不能删")
    client = app.test_client()
    login(client, "staff")
    token = csrf_token(client, f"/customerview/show/{record.id}")
    before = last_seq(app)
    response = client.post(f"/customerview/delete/{record.id}", data={"csrf_token": token})
    assert response.status_code == 403
    [event] = events_after(app, before)
    assert (event.action, event.outcome, event.form, event.username) == (
        "denied", "denied", "customer", "staff")
    assert details(event) == {"endpoint": "CustomerView.delete", "method": "POST",
                              "path": f"/customerview/delete/{record.id}", "status": 403}
    model = portal_of(app).models.models["customer"]
    with app.app_context():
        assert app.appbuilder.session.get(model, record.id).name == "不能删"


def test_a_screen_outside_the_role_is_denied_and_logged(app: Flask) -> None:
    client = app.test_client()
    login(client, "staff")
    before = last_seq(app)
    assert client.get("/teamview/list/").status_code == 403
    [event] = events_after(app, before)
    assert (event.action, event.form, details(event)["path"]) == ("denied", None,
                                                                  "/teamview/list/")


def test_a_refused_api_call_is_logged_as_denied(app: Flask) -> None:
    record = make_record(app, spec_form(app, "customer"))
    before = last_seq(app)
    response = call(app, "DELETE", f"/api/v1/customer/{record.id}", "staff")
    assert response.status_code == 403
    [event] = events_after(app, before)
    assert (event.action, event.outcome, event.form, event.username) == (
        "denied", "denied", "customer", "staff")
    assert details(event)["method"] == "DELETE"


def test_login_and_logout_carry_address_browser_and_roles(app: Flask) -> None:
    client = app.test_client()
    before = last_seq(app)
    token = csrf_token(client, "/login/")
    client.post("/login/", data={"username": "supervisor", "password": "wrong-password-1",
                                 "csrf_token": token},
                headers={"User-Agent": "Mozilla/5.0 审计测试"},
                environ_base={"REMOTE_ADDR": "10.8.0.7"})
    login(client, "supervisor")
    client.get("/logout/")
    events = events_after(app, before, "login", "logout")
    assert [(e.action, e.outcome, e.username) for e in events] == [
        ("login", "failed", None), ("login", "ok", "supervisor"),
        ("logout", "ok", "supervisor")]
    failed = events[0]
    assert (failed.ip, failed.user_agent) == ("10.8.0.7", "Mozilla/5.0 审计测试")
    assert json.loads(failed.details) == {"username": "supervisor", "via": "form"}
    assert events[1].roles == "supervisor" and events[2].roles == "supervisor"


def test_anonymous_requests_and_static_files_are_not_logged(app: Flask) -> None:
    client = app.test_client()
    before = last_seq(app)
    assert client.get("/customerview/list/").status_code == 302  # to the login page
    with client.get("/static/appbuilder/css/ab.css") as static:
        assert static.status_code == 200
    assert events_after(app, before) == []


def test_a_logged_read_holds_one_database_connection_at_most(app: Flask) -> None:
    """The access event is written on the request's own connection: a second one per
    request, while the page's was still checked out, exhausted the pool at ~20 users."""
    from sqlalchemy import event

    with app.app_context():
        engine = app.extensions["migrate"].db.engine
    held = {"now": 0, "most": 0}

    def checkout(*_args: object) -> None:
        held["now"] += 1
        held["most"] = max(held["most"], held["now"])

    def checkin(*_args: object) -> None:
        held["now"] -= 1

    client = app.test_client()
    login(client, "staff")
    record = make_record(app, spec_form(app, "customer"))
    before = last_seq(app)
    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    try:
        for url in ("/customerview/list/", f"/customerview/show/{record.id}",
                    "/complaintview/list/?_flt_0_product_name=x"):
            assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "checkin", checkin)
    assert [e.action for e in events_after(app, before)] == ["list", "view", "list"]
    assert held["most"] == 1
