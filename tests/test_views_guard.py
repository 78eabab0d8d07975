"""Hostile list parameters: a clear 400 with a Chinese message, never a 500 or all rows."""

from __future__ import annotations

import pytest
from flask import Flask

from app.portal import portal_of
from tests.support.app import login
from tests.support.factories import make_record


@pytest.mark.parametrize(("query", "message"), [
    ("psize_ComplaintView=abc", "每页条数无效：abc（允许 1 到 100）"),
    ("psize_ComplaintView=-1", "每页条数无效：-1（允许 1 到 100）"),
    ("psize_ComplaintView=100000", "每页条数无效：100000（允许 1 到 100）"),
    ("page_ComplaintView=x", "页码无效：x"),
    ("page_ComplaintView=-2", "页码无效：-2"),
    ("_oc_ComplaintView=nope&_od_ComplaintView=asc", "不能按“nope”排序"),
    ("_oc_ComplaintView=product_name&_od_ComplaintView=sideways", "排序方向无效：sideways"),
    ("_flt_99_category=x", "未知的筛选条件：_flt_99_category"),
    ("_flt_0_description=x", "未知的筛选条件：_flt_0_description"),  # not searchable
    ("_flt_0_customer=abc", "筛选值无效（customer）：abc"),
    # Found by tests/test_fuzz.py. FAB matches its parameters anywhere in the name and calls
    # int() on every page_/psize_ value: these were 500s or skipped the checks.
    ("xpage_ComplaintView=", "页码无效："),
    ("page_OtherView=abc", "页码无效：abc"),
    ("page_ComplaintView=%C2%B2", "页码无效：²"),  # '²'.isdigit() is True, int('²') fails
    ("xpsize_ComplaintView=100000", "每页条数无效：100000（允许 1 到 100）"),
    ("x_oc_ComplaintView=nope&_od_ComplaintView=asc", "不能按“nope”排序"),
    ("a_flt_0_customer=abc", "筛选值无效（customer）：abc"),
    ("_flt_0_customer=", "筛选值无效（customer）："),  # PostgreSQL: '' is no integer
    ("_flt_0_product_name=a%00b", "筛选值无效（product_name）：a\ufffdb"),  # NUL
    (f"psize_ComplaintView={'9' * 5000}", f"每页条数无效：{'9' * 60}…（允许 1 到 100）"),
])
def test_bad_list_parameters_are_a_clear_400(app: Flask, query: str, message: str) -> None:
    client = app.test_client()
    login(client, "staff")
    response = client.get(f"/complaintview/list/?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page.replace("&#34;", '"').replace("&#39;", "'")
    assert "Traceback" not in page


def test_bad_filter_values_by_column_type(app: Flask) -> None:
    client = app.test_client()
    login(client, "staff")
    for column, bad in (("callback_date", "2026-13-45"), ("complaint", "1 OR 1=1")):
        index = 0
        response = client.get(f"/satisfactionsurveyview/list/?_flt_{index}_{column}={bad}")
        assert response.status_code == 400, column
        assert f"筛选值无效（{column}）" in response.get_data(as_text=True)


def test_valid_parameters_still_work(app: Flask) -> None:
    spec = portal_of(app).spec
    mine = make_record(app, spec.form("complaint"), product_name="唯一产品XYZ",
                       category="quality")
    client = app.test_client()
    login(client, "staff")
    ok = client.get("/complaintview/list/?psize_ComplaintView=5&page_ComplaintView=0"
                    "&_oc_ComplaintView=product_name&_od_ComplaintView=desc")
    assert ok.status_code == 200
    view = app.appbuilder.baseviews  # the filter index of "equal to" on a string column
    complaint_view = next(v for v in view if type(v).__name__ == "ComplaintView")
    names = [f.name for f in complaint_view._filters.get_search_filters()["product_name"]]
    index = next(i for i, f in enumerate(complaint_view._filters.get_search_filters()
                                         ["product_name"]) if type(f).__name__ == "FilterEqual")
    assert names
    page = client.get(f"/complaintview/list/?_flt_{index}_product_name=唯一产品XYZ")
    assert page.status_code == 200
    assert f"/complaintview/show/{mine.id}" in page.get_data(as_text=True)


def test_csrf_failure_is_a_readable_400(app: Flask) -> None:
    client = app.test_client()
    login(client, "staff")
    response = client.post("/customerview/add", data={"name": "x"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def _filter_index(app: Flask, view_name: str, column: str, filter_name: str) -> int:
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == view_name)
    return next(i for i, f in enumerate(view._filters.get_search_filters()[column])
                if type(f).__name__ == filter_name)


def test_ends_with_a_backslash_is_a_400_not_a_like_error(app: Flask) -> None:
    """PostgreSQL refused the LIKE pattern '%abc\\' (found by tests/test_fuzz.py)."""
    index = _filter_index(app, "ComplaintView", "product_name", "FilterEndsWith")
    client = app.test_client()
    login(client, "staff")
    response = client.get("/complaintview/list/", query_string={
        f"_flt_{index}_product_name": "abc\\"})
    assert response.status_code == 400
    assert "筛选值无效（product_name）：abc\\" in response.get_data(as_text=True)
    ok = client.get("/complaintview/list/", query_string={
        f"_flt_{index}_product_name": "a\\\\"})  # an escaped backslash is fine
    assert ok.status_code == 200


def test_a_boolean_filter_takes_the_ticked_box_only(pack_apps: dict) -> None:
    """'n' reached PostgreSQL as text: "operator does not exist: boolean = character
    varying" (found by tests/test_fuzz.py); FAB only understands 'y'."""
    app = pack_apps["cosmetics"]
    client = app.test_client()
    login(client, "staff")
    for value in ("n", "", "true"):
        response = client.get("/complaintview/list/", query_string={
            "_flt_0_saw_doctor": value})
        assert response.status_code == 400, value
        assert f"筛选值无效（saw_doctor）：{value}" in response.get_data(as_text=True)
    assert client.get("/complaintview/list/?_flt_0_saw_doctor=y").status_code == 200


@pytest.mark.parametrize("pk", ["99999999999999999999", "2147483648", "-1", "%EF%BC%91",
                                "%C2%B2", "1.0", "%00", "abc"])
@pytest.mark.parametrize("action", ["show", "edit", "delete"])
def test_record_ids_that_cannot_exist_are_404(app: Flask, pk: str, action: str) -> None:
    """/show/99999999999999999999 overflowed SQLite (500); '１' (full-width) showed record 1."""
    make_record(app, portal_of(app).spec.form("customer"))
    client = app.test_client()
    login(client, "supervisor")
    assert client.get(f"/customerview/{action}/{pk}").status_code == 404


@pytest.mark.parametrize(("url", "form", "status", "message"), [
    ("/users/action/no_such_action/1", {}, 404, None),
    ("/users/action/resetpasswords/999999", {}, 404, None),
    ("/roles/action/copyrole/1", {}, 404, None),  # a list-only action on one record's route
    ("/roles/action_post", {"action": "bogus", "rowid": "1"}, 400, "未知的操作：bogus"),
    ("/roles/action_post", {"action": "copyrole"}, 400, "未选择任何记录。"),
    ("/roles/action_post", {"action": "copyrole", "rowid": "99999"}, 404, None),
    ("/users/action_post", {"action": "resetpasswords", "rowid": "1"}, 400,
     "此操作一次只能用于一条记录。"),
])
def test_hostile_action_requests_are_refused_not_crashed(app: Flask, url: str, form: dict,
                                                         status: int, message: str | None
                                                         ) -> None:
    """FAB called whatever action and record the request named: unknown ones raised 500."""
    from tests.support.app import csrf_token

    client = app.test_client()
    login(client, "admin")
    with app.app_context():
        roles = len(app.appbuilder.sm.get_all_roles())
    response = client.post(url, data={**form, "csrf_token": csrf_token(client, "/users/add")})
    assert response.status_code == status
    if message:
        assert message in response.get_data(as_text=True)
    with app.app_context():
        assert len(app.appbuilder.sm.get_all_roles()) == roles
