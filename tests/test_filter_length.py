"""Filter values are bounded (app/views/guard.py MAX_FILTER_LENGTH): a 60 KB "contains" or
"starts with" value was a LIKE pattern SQLite refuses ("LIKE or GLOB pattern too complex",
a 500) on every list screen and the form API; now a 400 that says so, and nothing is logged."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from app.portal import portal_of
from app.views.guard import MAX_FILTER_LENGTH
from tests.support.api import call
from tests.support.app import login
from tests.support.audit import events_after, last_seq
from tests.support.factories import make_record

HUGE = "x" * 60_000


def _index(app: Flask, view_name: str, column: str, filter_name: str) -> int:
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == view_name)
    return next(i for i, f in enumerate(view._filters.get_search_filters()[column])
                if type(f).__name__ == filter_name)


@pytest.mark.parametrize(("user", "view", "url", "column", "flt"), [
    ("staff", "ComplaintView", "/complaintview/list/", "product_name", "FilterContains"),
    ("supervisor", "ComplaintView", "/complaintview/export/", "product_name", "FilterContains"),
    ("supervisor", "CustomerView", "/customerview/list/", "name", "FilterStartsWith"),
    ("auditor", "AuditEventView", "/audit/list/", "username", "FilterContains"),
    ("auditor", "AuditEventView", "/audit/export/", "ip", "FilterStartsWith"),
    ("admin", "UserDBModelView", "/users/list/", "username", "FilterContains"),
    ("admin", "RoleModelView", "/roles/list/", "name", "FilterStartsWith"),
    ("admin", "PermissionModelView", "/permissions/list/", "name", "FilterContains"),
])
def test_a_huge_filter_value_is_a_400_on_every_screen(app: Flask, user: str, view: str,
                                                      url: str, column: str, flt: str) -> None:
    client = app.test_client()
    login(client, user)
    arg = f"_flt_{_index(app, view, column, flt)}_{column}"
    before = last_seq(app)
    response = client.get(url, query_string={arg: HUGE})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert (f"<strong>400</strong> — 筛选值过长（{column}）：60000 个字符（最多 500 个）。"
            in page)
    assert "Traceback" not in page and HUGE[:1000] not in page
    assert events_after(app, before, "list", "export") == []  # nothing read, nothing logged
    at_limit = client.get(url, query_string={arg: "x" * MAX_FILTER_LENGTH})
    assert at_limit.status_code == 200


def test_a_value_at_the_limit_still_finds_records(app: Flask) -> None:
    name = "长" * (MAX_FILTER_LENGTH - 1) + "Z"
    record = make_record(app, portal_of(app).spec.form("complaint"), product_name="长")
    client = app.test_client()
    login(client, "staff")
    arg = f"_flt_{_index(app, 'ComplaintView', 'product_name', 'FilterStartsWith')}_product_name"
    assert MAX_FILTER_LENGTH == 500
    found = client.get("/complaintview/list/", query_string={arg: "长"})
    assert f"/complaintview/show/{record.id}" in found.get_data(as_text=True)
    missing = client.get("/complaintview/list/", query_string={arg: name})
    assert missing.status_code == 200
    assert f"/complaintview/show/{record.id}" not in missing.get_data(as_text=True)


@pytest.fixture(scope="module")
def api_app(make_app: Callable[..., Flask]) -> Flask:
    app = make_app()
    make_record(app, portal_of(app).spec.form("customer"), name="客户甲")
    return app


@pytest.mark.parametrize("operator", ["ct", "sw"])
def test_a_huge_filter_value_is_a_json_400_on_the_api(api_app: Flask, operator: str) -> None:
    before = last_seq(api_app)
    response = call(api_app, "GET", "/api/v1/customer/", "staff", query_string={
        "q": f"(filters:!((col:name,opr:{operator},value:'{HUGE}')))"})
    assert (response.status_code, response.get_json()) == (400, {
        "message": "筛选值过长（name）：60000 个字符（最多 500 个）。"})
    assert events_after(api_app, before, "list") == []
    ok = call(api_app, "GET", "/api/v1/customer/", "staff", query_string={
        "q": f"(filters:!((col:name,opr:{operator},value:'{'客' * MAX_FILTER_LENGTH}')))"})
    assert (ok.status_code, ok.get_json()["count"]) == (200, 0)
    found = call(api_app, "GET", "/api/v1/customer/", "staff", query_string={
        "q": f"(filters:!((col:name,opr:{operator},value:'客户')))"})
    assert [r["name"] for r in found.get_json()["result"]] == ["客户甲"]


def test_each_value_of_an_in_filter_is_bounded(api_app: Flask) -> None:
    response = call(api_app, "GET", "/api/v1/customer/", "staff", query_string={
        "q": f"(filters:!((col:name,opr:in,value:!(a,'{'y' * 501}'))))"})
    assert (response.status_code, response.get_json()) == (400, {
        "message": "筛选值过长（name）：501 个字符（最多 500 个）。"})
