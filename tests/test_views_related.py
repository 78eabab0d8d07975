"""Related records on a record page (app/views/related.py): a customer's complaints, a
complaint's compensations and callbacks — within the user's scope, by title, with a count, a
link to the filtered list and an add button that fills the reference in; and a new record
saved from the add screen opens its own page."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from sqlalchemy import select

from app.portal import portal_of
from tests.support.app import PASSWORD, csrf_token, login
from tests.support.factories import make_record, two_teams
from tests.support.statements import statements_of


def _customer_with_complaints(app: Flask, n: int, owner: str = "staff", name: str = "陈女士"):  # noqa: ANN202
    spec = portal_of(app).spec
    customer = make_record(app, spec.form("customer"), owner, name=name)
    complaints = [make_record(app, spec.form("complaint"), owner, customer=customer.id,
                              product_name=f"精华水{i}") for i in range(n)]
    return customer, complaints


def test_a_customer_page_lists_their_complaints_with_an_add_button(app: Flask) -> None:
    customer, complaints = _customer_with_complaints(app, 7)
    client = app.test_client()
    login(client, "staff")
    page = client.get(f"/customerview/show/{customer.id}").get_data(as_text=True)
    panel = page[page.index('id="portal-related-complaint"'):]
    panel = panel[:panel.index("</div>\n    </div>") if "</div>\n    </div>" in panel else None]
    assert 'data-count="7"' in page
    shown = re.findall(r'<a href="/complaintview/show/(\d+)">([^<]+)</a>', panel)
    assert [int(pk) for pk, _ in shown] == [c.id for c in complaints[::-1][:5]]  # newest 5
    assert shown[0][1] == f"{complaints[-1].ticket_no} 陈女士 精华水6"
    assert f'href="/complaintview/list/?_flt_0_customer={customer.id}"' in panel
    assert "查看全部 7 条" in panel
    assert f'href="/complaintview/add?customer={customer.id}"' in panel
    assert "新增投诉登记" in panel
    assert 'id="portal-related-satisfaction_survey"' not in page  # no reference to customers


def test_the_add_screen_fills_in_the_reference_from_the_address(app: Flask) -> None:
    customer, _ = _customer_with_complaints(app, 0, name="方先生")
    client = app.test_client()
    login(client, "staff")
    page = client.get(f"/complaintview/add?customer={customer.id}").get_data(as_text=True)
    assert f'<option value="{customer.id}" selected>方先生 · 138****' in page
    for bad in ("abc", "-1", "99999999", "1e3"):
        page = client.get(f"/complaintview/add?customer={bad}").get_data(as_text=True)
        assert " selected>" not in page.split('name="customer"')[1][:400], bad


def test_records_outside_the_users_scope_are_neither_listed_nor_filled_in(
        make_app: Callable[..., Flask]) -> None:
    app = make_app()
    two_teams(app, PASSWORD)
    customer, _ = _customer_with_complaints(app, 2, owner="staff", name="外组客户")
    client = app.test_client()
    login(client, "admin")
    assert 'data-count="2"' in client.get(
        f"/customerview/show/{customer.id}").get_data(as_text=True)
    other = app.test_client()  # every customer, but only complaints of their own
    login(other, "staff2")
    page = other.get(f"/customerview/show/{customer.id}").get_data(as_text=True)
    assert 'data-count="0"' in page and "暂无记录。" in page and "精华水" not in page
    mine = make_record(app, portal_of(app).spec.form("complaint"), "staff2",
                       customer=customer.id, product_name="乙录入的")
    page = other.get(f"/customerview/show/{customer.id}").get_data(as_text=True)
    assert 'data-count="1"' in page and f"{mine.ticket_no} 外组客户 乙录入的" in page
    hidden = other.get("/satisfactionsurveyview/add?complaint="
                       f"{mine.id - 1}").get_data(as_text=True)  # staff's complaint
    assert " selected>" not in hidden.split('name="complaint"')[1][:400]
    shown = other.get(f"/satisfactionsurveyview/add?complaint={mine.id}").get_data(as_text=True)
    assert f'<option value="{mine.id}" selected>{mine.ticket_no} 外组客户 乙录入的' in shown


def test_saving_a_new_record_opens_its_page(app: Flask) -> None:
    customer, _ = _customer_with_complaints(app, 0, name="袁女士")
    client = app.test_client()
    login(client, "staff")
    with app.app_context():
        staff = app.appbuilder.sm.find_user(username="staff").id
    response = client.post("/complaintview/add", data={
        "csrf_token": csrf_token(client, "/complaintview/add"), "customer": str(customer.id),
        "channel": "phone", "product_name": "保存后跳转霜", "occurred_at": "2026-12-06T09:00",
        "description": "用后皮肤发红", "recorded_by": str(staff), "severity": "normal",
        "priority": "normal"})
    model = portal_of(app).model("complaint")
    with app.app_context():
        row = app.appbuilder.session.scalars(
            select(model).where(model.product_name == "保存后跳转霜")).one()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/complaintview/show/{row.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'id="portal-record-title">{row.ticket_no} 袁女士 保存后跳转霜</h3>' in page


def test_the_record_page_costs_the_same_with_3_or_30_related_records(app: Flask) -> None:
    few, _ = _customer_with_complaints(app, 3, name="少")
    many, _ = _customer_with_complaints(app, 30, name="多")
    client = app.test_client()
    login(client, "admin")
    _, small = statements_of(app, client, f"/customerview/show/{few.id}")
    _, large = statements_of(app, client, f"/customerview/show/{many.id}")
    assert len(large) == len(small) + 1  # the bounded count, once more than 5


def test_the_record_page_offers_edit_only_where_the_user_may_edit(app: Flask) -> None:
    spec = portal_of(app).spec
    complaint = make_record(app, spec.form("complaint"), "staff", product_name="可编辑霜")
    staff = app.test_client()
    login(staff, "staff")
    page = staff.get(f"/complaintview/show/{complaint.id}").get_data(as_text=True)
    assert f'id="portal-edit" href="/complaintview/edit/{complaint.id}"' in page
    auditor = app.test_client()
    login(auditor, "auditor")
    page = auditor.get(f"/complaintview/show/{complaint.id}").get_data(as_text=True)
    assert "可编辑霜" in page and 'id="portal-edit"' not in page  # read-only role
    locked = make_record(app, spec.form("compensation"), "staff", complaint=complaint.id)
    with app.app_context():  # 待主管审批: locked, moved on by its workflow only
        app.appbuilder.session.get(portal_of(app).model("compensation"),
                                   locked.id).state = "submitted"
        app.appbuilder.session.commit()
    page = staff.get(f"/compensationview/show/{locked.id}").get_data(as_text=True)
    assert "待主管审批" in page and 'id="portal-edit"' not in page


def test_a_customer_page_lists_compensations_and_callbacks_through_complaints(
        app: Flask) -> None:
    """客户 360: what refers to the customer's complaints is the customer's too."""
    spec = portal_of(app).spec
    customer, complaints = _customer_with_complaints(app, 2, name="两跳客户")
    comp = make_record(app, spec.form("compensation"), "staff", complaint=complaints[0].id)
    survey = make_record(app, spec.form("satisfaction_survey"), "staff",
                         complaint=complaints[1].id)
    other, _ = _customer_with_complaints(app, 1, name="别的客户")
    client = app.test_client()
    login(client, "staff")
    page = client.get(f"/customerview/show/{customer.id}").get_data(as_text=True)
    via = page[page.index('id="portal-related-compensation-via-complaint"'):]
    via = via[:via.index("</ul>")]
    assert 'data-count="1"' in via and "（经投诉登记）" in via
    assert f'href="/compensationview/show/{comp.id}"' in via
    assert "portal-related-add" not in via  # the complaint has to be chosen: no add here
    assert f'href="/satisfactionsurveyview/show/{survey.id}"' in page
    page = client.get(f"/customerview/show/{other.id}").get_data(as_text=True)
    assert f'href="/compensationview/show/{comp.id}"' not in page
