"""/search/ (app/views/search.py): the navigation bar's box, the results page, its scope,
its limits and its audit."""

from __future__ import annotations

from flask import Flask

from app.portal import portal_of
from tests.support.app import login
from tests.support.audit import details, events_after, last_seq
from tests.support.factories import make_record


def test_every_signed_in_page_has_the_search_box(app: Flask) -> None:
    client = app.test_client()
    assert 'class="navbar-form navbar-left portal-quick-search"' not in client.get(
        "/login/").get_data(as_text=True)
    login(client, "staff")
    page = client.get("/mywork/").get_data(as_text=True)
    assert 'action="/search/"' in page and 'placeholder="电话、名称或编号"' in page


def test_results_link_to_their_records_and_the_search_is_audited(app: Flask) -> None:
    record = make_record(app, portal_of(app).spec.form("complaint"), product_name="玻色因精华液X9")
    seq = last_seq(app)
    client = app.test_client()
    login(client, "admin")
    page = client.get("/search/?q=玻色因精华").get_data(as_text=True)
    assert f'href="/complaintview/show/{record.id}"' in page
    assert f"<strong>{record.ticket_no} " in page and " 玻色因精华液X9</strong>" in page
    [event] = events_after(app, seq, "search")
    assert (event.username, details(event)) == ("admin", {"q": "玻色因精华", "rows": 1})
    empty = client.get("/search/?q=不存在的东西").get_data(as_text=True)
    assert "没有找到与“不存在的东西”匹配的记录。" in empty


def test_records_outside_the_users_scope_are_not_found(app: Flask) -> None:
    complaint = portal_of(app).spec.form("complaint")
    make_record(app, complaint, "supervisor", product_name="主管的产品")
    client = app.test_client()
    login(client, "staff")  # scope own on complaints
    page = client.get("/search/?q=主管").get_data(as_text=True)
    assert "主管的产品" not in page and "没有找到" in page


def test_signed_out_it_asks_to_sign_in_and_long_text_gets_400(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/search/?q=abc")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    login(client, "staff")
    long = client.get("/search/?q=" + "a" * 101)
    assert long.status_code == 400
    assert "搜索内容过长（最多 100 个字符）。" in long.get_data(as_text=True)
