"""/lookup/<form>/<field> (app/views/lookup.py): who may ask, what bad input gets, and that
every lookup is audited as a search."""

from __future__ import annotations

from flask import Flask

from app.portal import portal_of
from tests.support.app import login
from tests.support.audit import details, events_after, last_seq
from tests.support.factories import make_record


def test_signed_out_the_lookup_answers_401(app: Flask) -> None:
    response = app.test_client().get("/lookup/complaint/customer?q=王")
    assert response.status_code == 401
    assert response.get_json() == {"message": "请先登录。"}


def test_unknown_forms_and_fields_and_non_references_answer_404(app: Flask) -> None:
    client = app.test_client()
    login(client, "admin")
    for url in ("/lookup/nothing/customer", "/lookup/complaint/nothing",
                "/lookup/complaint/product_name"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.get_json() == {"message": "没有这个引用字段。"}


def test_a_user_who_cannot_use_the_form_gets_403(app: Flask) -> None:
    """A reference select appears on a form's list (filter), add and edit screens: a role
    with none of those on the form may not look up its references."""
    from tests.support.app import PASSWORD

    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.add_role("nobody")
        sm.add_user("nobody", "无", "权限", "nobody@example.com", role, password=PASSWORD)
    client = app.test_client()
    login(client, "nobody")
    response = client.get("/lookup/complaint/customer?q=王")
    assert response.status_code == 403
    assert response.get_json() == {"message": "没有访问权限"}


def test_bad_text_and_pages_get_400(app: Flask) -> None:
    client = app.test_client()
    login(client, "staff")
    long = client.get("/lookup/complaint/customer?q=" + "王" * 101)
    assert long.status_code == 400
    assert long.get_json() == {"message": "搜索内容过长（最多 100 个字符）。"}
    for page in ("0", "-1", "abc", "11", "9999", ""):
        response = client.get(f"/lookup/complaint/customer?q=王&page={page}")
        assert response.status_code == 400, page
        assert response.get_json() == {"message": "页码必须是 1 到 10 之间的整数。"}


def test_every_lookup_is_audited_as_a_search(app: Flask) -> None:
    record = make_record(app, portal_of(app).spec.form("customer"), name="赵女士")
    seq = last_seq(app)
    client = app.test_client()
    login(client, "staff")
    found = client.get("/lookup/complaint/customer?q=赵").get_json()
    assert [r["id"] for r in found["results"]] == [record.id]
    events = events_after(app, seq, "search")
    assert [(e.form, e.username, details(e)) for e in events] == [
        ("complaint", "staff", {"field": "customer", "q": "赵", "rows": 1})]
