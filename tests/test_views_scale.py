"""What a page costs does not grow with the tables it touches: a pinned number of SQL
statements per page, pages that never list a referenced table, a bounded count and a
bounded paging depth (app/views/base.py, app/views/guard.py)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.portal import portal_of
from tests.support.app import login
from tests.support.factories import bulk_records
from tests.support.statements import statements_of

# the most statements each page may run (session, user, roles, groups, permissions, then
# the page's own reads, the navigation bar's unread notifications (one indexed count), then
# the audit append: 3); a record page also reads, per form referring to it, its newest
# related records (a complaint: compensations and callbacks)
LIMITS = {"/complaintview/list/": 13, "/customerview/list/": 13, "/complaintview/add": 7,
          "/complaintview/show/{id}": 15, "/lookup/complaint/customer?q=客户": 9,
          "/search/?q=客户": 11, "/complaintview/list/?_flt_0_customer={customer}": 13}


def statements(app: Flask, client: Any, url: str) -> list[str]:
    status, seen = statements_of(app, client, url)
    assert status == 200, (url, status)
    return seen


@pytest.fixture(scope="module")
def seeded(make_app: Any) -> Flask:
    """30 customers and 30 complaints, each of another customer (an N+1 would show)."""
    app = make_app()
    spec = portal_of(app).spec
    bulk_records(app, spec.form("customer"), 30, name=lambda i: f"客户{i:02d}")
    bulk_records(app, spec.form("complaint"), 30)
    return app


@pytest.mark.parametrize("user", ["admin", "staff"])
def test_each_page_runs_a_pinned_number_of_statements(seeded: Flask, user: str) -> None:
    with seeded.app_context():
        complaint = seeded.appbuilder.session.execute(sa.text(
            "select id, customer_id from form_complaint order by id desc limit 1")).one()
    client = seeded.test_client()
    login(client, user)
    counts = {}
    for url in LIMITS:
        full = url.format(id=complaint.id, customer=complaint.customer_id)
        client.get(full)  # warm: first-use caches are not what a page costs
        counts[url] = len(statements(seeded, client, full))
    assert counts == {url: min(counts[url], LIMITS[url]) for url in LIMITS}, counts


def test_no_page_grows_with_the_referenced_table(make_app: Any) -> None:
    """5,000 customers against 50: the add page and the complaint list are byte for byte
    the same size (nothing lists the customers)."""
    app = make_app()
    customer = portal_of(app).spec.form("customer")
    client = app.test_client()
    login(client, "admin")

    def sizes() -> list[int]:
        return [len(client.get(url).get_data()) for url in
                ("/complaintview/add", "/complaintview/list/", "/compensationview/add")]

    bulk_records(app, customer, 50)
    small = sizes()
    bulk_records(app, customer, 4_950)
    assert sizes() == small


def test_a_long_list_counts_to_a_thousand_and_exactly_on_request(make_app: Any) -> None:
    app = make_app()
    bulk_records(app, portal_of(app).spec.form("customer"), 1_001)
    client = app.test_client()
    login(client, "admin")
    page = client.get("/customerview/list/").get_data(as_text=True)
    assert '<span id="portal-count-value">超过 1,000 条</span>' in page
    assert 'href="/customerview/list/?_count=exact"' in page
    exact = client.get("/customerview/list/?_count=exact").get_data(as_text=True)
    assert '<span id="portal-count-value">1,001</span>' in exact
    assert "portal-count-exact" not in exact


def test_a_short_list_shows_its_exact_count(seeded: Flask) -> None:
    client = seeded.test_client()
    login(client, "admin")
    page = client.get("/customerview/list/").get_data(as_text=True)
    assert '<span id="portal-count-value">30</span>' in page


def test_paging_beyond_ten_thousand_rows_is_refused_with_a_way_on(seeded: Flask) -> None:
    client = seeded.test_client()
    login(client, "admin")
    url = "/customerview/list/?psize_CustomerView=25&page_CustomerView="
    assert client.get(url + "399").status_code == 200
    response = client.get(url + "400")
    assert response.status_code == 400
    assert ("第 401 页太靠后：列表只能翻看前 10,000 条记录（400 页）。请用筛选条件缩小范围，"
            "或反向排序查看末尾的记录。") in response.get_data(as_text=True)
    wide = client.get("/customerview/list/?page_CustomerView=100&psize_CustomerView=100")
    assert wide.status_code == 400
