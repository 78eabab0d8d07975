"""Which search filters a column offers (app/views/protect.py `restrict_filters`): exact
values only for choices and the workflow state (no LIKE over the table), and for sensitive
fields (no guessing a masked value by its prefix); screens and API alike."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from app.portal import portal_of
from tests.support.api import call
from tests.support.app import login
from tests.support.factories import make_record


def test_choices_and_state_are_filtered_by_exact_value_only(app: Flask) -> None:
    views = {type(v).__name__: v for v in app.appbuilder.baseviews}
    for name in ("ComplaintView", "ComplaintFormApi"):
        filters = views[name]._filters
        for column in ("priority", "channel", "state"):
            assert [type(f).__name__ for f in filters._all_filters[column]] == [
                "FilterEqual", "FilterNotEqual", "FilterIn", "FilterNotIn"], (name, column)
        assert [type(f).__name__ for f in filters._all_filters["product_name"]][:3] == [
            "FilterStartsWith", "FilterEndsWith", "FilterContains"]  # free text keeps them


def test_a_choice_filter_matches_the_value_not_a_prefix_and_runs_no_like(app: Flask) -> None:
    form = portal_of(app).spec.form("complaint")
    urgent = make_record(app, form, priority="urgent", product_name="精华液-筛选")
    make_record(app, form, priority="normal", product_name="精华液-筛选")
    client = app.test_client()
    login(client, "admin")
    statements: list[str] = []
    with app.app_context():
        engine = app.extensions["migrate"].db.engine

    def seen(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        exact = client.get("/complaintview/list/?_flt_0_priority=urgent"
                           "&_flt_2_product_name=精华液-筛选")
        prefix = client.get("/complaintview/list/?_flt_0_priority=urg"
                            "&_flt_2_product_name=精华液-筛选")
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert exact.status_code == prefix.status_code == 200
    assert f"/complaintview/show/{urgent.id}" in exact.get_data(as_text=True)
    assert "/complaintview/show/" not in prefix.get_data(as_text=True)  # no "starts with"
    listed = [s for s in statements if "FROM form_complaint" in s and "priority" in s]
    assert listed and all("form_complaint.priority = " in s for s in listed)
    assert not any("lower(form_complaint.priority) LIKE" in s for s in statements)


def test_the_api_refuses_a_prefix_operator_on_a_choice(app: Flask) -> None:
    response = call(app, "GET", "/api/v1/complaint/?q=(filters:!((col:priority,opr:sw,"
                    "value:urg)))", "admin")
    assert response.status_code == 400, response.get_json()
    assert response.get_json() == {"message": "未知的筛选条件：priority sw"}
    info = call(app, "GET", "/api/v1/complaint/_info?q=(keys:!(filters))", "admin")
    assert [f["operator"] for f in info.get_json()["filters"]["priority"]] == [
        "eq", "neq", "in", "not_in"]
