"""The screens never change a record's workflow state or SLA columns, and a record in a
locked state (app/views/protect.py) can be neither edited nor deleted, by anyone."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.portal import portal_of
from app.sla.workdays import due_at
from tests.support.app import csrf_token, login
from tests.support.audit import stored_form
from tests.support.factories import make_record, post_data
from tests.support.workflow import set_state, stored_row

LOCKED = ("This record is “{}” and can no longer be edited or deleted; use its workflow "
          "actions.")
CRAFTED = {"state": "closed", "sla_resolution_due": "2030-01-01 00:00:00",
           "sla_response_due": "2030-01-01 00:00:00", "sla_response_breached": "y",
           "sla_resolution_breached": "y", "sla_resolved_on": "2026-01-01 00:00:00"}
SYSTEM = ("state", "version", "sla_response_due", "sla_resolution_due", "sla_responded_on",
          "sla_resolved_on", "sla_response_breached", "sla_resolution_breached")


def _client(app: Flask, user: str) -> FlaskClient:
    client = app.test_client()
    login(client, user)
    client.get("/lang/en")
    return client




def _spec(app: Flask) -> Any:
    return portal_of(app).spec


def _compensation(app: Flask, state: str = "draft", amount: str = "300") -> int:
    with app.app_context():
        staff = app.appbuilder.sm.find_user(username="staff").id
    rec = make_record(app, _spec(app).form("compensation"), kind="refund",
                      amount=Decimal(amount), reason="原始理由", proposed_by=staff)
    if state != "draft":
        set_state(app, "compensation", rec.id, state)
    return int(rec.id)


def _flashes(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(
        r'<div class="alert alert-[a-z]+">.*?</button>(.*?)</div>', page, re.S)]


# -- state and SLA columns are not form fields ---------------------------------------------
def test_a_crafted_edit_post_saves_the_fields_but_not_the_state_or_sla(app: Flask) -> None:
    form = _spec(app).form("complaint")
    pk = make_record(app, form).id
    before = stored_row(app, "complaint", pk)
    client = _client(app, "staff")
    url = f"/complaintview/edit/{pk}"
    data = {**stored_form(app, form, pk), "description": "改过的问题描述内容",
            "row_version": str(before["version"]), **CRAFTED,
            "csrf_token": csrf_token(client, url)}
    response = client.post(url, data=data)
    assert response.status_code == 302
    after = stored_row(app, "complaint", pk)
    assert after["description"] == "改过的问题描述内容"
    assert after["version"] == before["version"] + 1
    assert {k: after[k] for k in SYSTEM if k != "version"} == {
        k: before[k] for k in SYSTEM if k != "version"}
    assert after["state"] == "registered" and not after["sla_response_breached"]
    page = client.get(f"/complaintview/edit/{pk}").get_data(as_text=True)
    assert 'name="state"' not in page and 'name="sla_' not in page


def test_a_crafted_add_post_starts_in_the_initial_state_with_computed_deadlines(
        app: Flask) -> None:
    form = _spec(app).form("complaint")
    client = _client(app, "staff")
    with app.app_context():
        staff = app.appbuilder.sm.find_user(username="staff").id
    posted, _ = post_data(app, form, staff)
    posted.update(priority="normal", description="伪造状态的新投诉记录")
    page = client.get("/complaintview/add").get_data(as_text=True)
    assert 'name="state"' not in page and 'name="sla_' not in page
    response = client.post("/complaintview/add", data={
        **posted, **CRAFTED, "csrf_token": csrf_token(client, "/complaintview/add")})
    assert response.status_code == 302
    with app.app_context():
        session = app.appbuilder.session
        pk = session.scalar(sa.text("select max(id) from form_complaint where description = "
                                    "'伪造状态的新投诉记录'"))
        session.rollback()
    row = stored_row(app, "complaint", pk)
    assert row["state"] == "registered" and row["version"] == 1
    assert not row["sla_response_breached"] and not row["sla_resolution_breached"]
    assert row["sla_resolved_on"] is None and row["sla_responded_on"] is None
    sla, calendar = form.sla, _spec(app).calendar
    target = sla.target("normal")  # 1 and 3 working days from creation, not the crafted date
    assert row["sla_response_due"] == due_at(row["created_on"], target.first_response,
                                             calendar, sla.working_days)
    assert row["sla_resolution_due"] == due_at(row["created_on"], target.resolution,
                                               calendar, sla.working_days)


# -- locked states -------------------------------------------------------------------------
def test_editing_a_locked_record_is_refused_and_leads_to_its_page(app: Flask) -> None:
    for state, label in (("submitted", "Awaiting supervisor"), ("approved", "Approved"),
                         ("customer_agreed", "Agreed by customer"), ("closed", "Closed")):
        pk = _compensation(app, state)
        for user in ("staff", "admin"):
            client = _client(app, user)
            response = client.get(f"/compensationview/edit/{pk}")
            assert response.status_code == 302, (state, user)
            assert response.location.endswith(f"/compensationview/show/{pk}")
            page = client.get(response.location).get_data(as_text=True)
            assert LOCKED.format(label) in _flashes(page), (state, user)


def test_a_crafted_edit_post_on_a_locked_record_changes_nothing(app: Flask) -> None:
    pk = _compensation(app, "approved")
    before = stored_row(app, "compensation", pk)
    form = _spec(app).form("compensation")
    for user in ("staff", "manager", "admin"):
        client = _client(app, user)
        data = {**stored_form(app, form, pk), "reason": "批准后再改理由", "amount": "99999",
                "row_version": str(before["version"]), "state": "draft",
                "csrf_token": csrf_token(client, "/compensationview/add")}
        response = client.post(f"/compensationview/edit/{pk}", data=data)
        assert response.status_code == 302
        assert response.location.endswith(f"/compensationview/show/{pk}")
        page = client.get(response.location).get_data(as_text=True)
        assert LOCKED.format("Approved") in _flashes(page)
        assert stored_row(app, "compensation", pk) == before, user


def test_deleting_a_locked_record_is_refused_even_for_admins(app: Flask) -> None:
    pk = _compensation(app, "fulfilled")
    complaint = make_record(app, _spec(app).form("complaint"))
    set_state(app, "complaint", complaint.id, "closed")
    for form_key, rid, label in (("compensation", pk, "Fulfilled"),
                                 ("complaint", complaint.id, "Followed up and closed")):
        before = stored_row(app, form_key, rid)
        for user in ("manager", "admin"):
            client = _client(app, user)
            view = f"/{form_key}view"
            response = client.post(f"{view}/delete/{rid}", data={
                "csrf_token": csrf_token(client, f"{view}/add")})
            assert response.status_code == 302
            assert response.location.endswith(f"{view}/show/{rid}")
            page = client.get(response.location).get_data(as_text=True)
            assert LOCKED.format(label) in _flashes(page), (form_key, user)
            assert stored_row(app, form_key, rid) == before


def test_a_record_not_locked_can_still_be_edited_and_deleted(app: Flask) -> None:
    for state in ("draft",):
        pk = _compensation(app, state)
        client = _client(app, "manager")
        page = client.get(f"/compensationview/edit/{pk}")
        assert page.status_code == 200 and 'name="reason"' in page.get_data(as_text=True)
        response = client.post(f"/compensationview/delete/{pk}", data={
            "csrf_token": csrf_token(client, "/compensationview/add")})
        assert response.status_code == 302
        assert stored_row(app, "compensation", pk) is None
    complaint = make_record(app, _spec(app).form("complaint"))
    set_state(app, "complaint", complaint.id, "resolved")  # not locked in complaint.yaml
    page = _client(app, "staff").get(f"/complaintview/edit/{complaint.id}")
    assert page.status_code == 200 and 'name="description"' in page.get_data(as_text=True)


def test_the_list_offers_no_edit_or_delete_on_locked_rows(app: Flask) -> None:
    draft, approved = _compensation(app, "draft"), _compensation(app, "approved")
    page = _client(app, "manager").get("/compensationview/list/?psize_CompensationView=100"
                                       ).get_data(as_text=True)
    for pk in (draft, approved):
        assert f'href="/compensationview/show/{pk}' in page
    assert f'href="/compensationview/edit/{draft}' in page
    assert f"btn-delete-/compensationview/delete/{draft}" in page
    assert f"/compensationview/edit/{approved}" not in page
    assert f"/compensationview/delete/{approved}" not in page
    assert page.count('class="portal-locked"') >= 1


def test_the_show_page_of_a_locked_record_offers_no_edit_or_delete(app: Flask) -> None:
    pk = _compensation(app, "approved")
    page = _client(app, "admin").get(f"/compensationview/show/{pk}").get_data(as_text=True)
    assert "Approved" in page and f"/compensationview/edit/{pk}" not in page
    assert f"/compensationview/delete/{pk}" not in page
