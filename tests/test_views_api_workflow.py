"""The form APIs and the workflow (app/views/api/workflow.py): the state and SLA columns are
read-only, locked records refuse PUT and DELETE, and transitions are fired through
POST /api/v1/<form>/<pk>/transition/<key>."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_babel import format_datetime

from app.audit.log import AuditEvent
from app.portal import portal_of
from app.workflow.store import WorkflowEvent
from tests.support.api import call, json_body
from tests.support.app import user_id
from tests.support.factories import make_record
from tests.support.readonly import violations
from tests.support.workflow import set_state, stored_row

EN = {"Accept-Language": "en"}
READ_ONLY = "Read-only: the workflow changes it, through its transitions."
LOCKED = ("This record is “{}” and can no longer be edited or deleted; use its workflow "
          "actions.")


def _api(app: Flask, method: str, url: str, user: str | None, **kwargs: Any) -> Any:
    return call(app, method, url, user, headers=EN, **kwargs)


def _spec(app: Flask) -> Any:
    return portal_of(app).spec



def _count(app: Flask, form_key: str) -> int:
    with app.app_context():
        session = app.appbuilder.session
        n = session.scalar(sa.text(f"select count(*) from form_{form_key}"))
        session.rollback()
        return int(n)



def _events(app: Flask, form_key: str, pk: int) -> list[tuple]:
    with app.app_context():
        session = app.appbuilder.session
        rows = session.scalars(sa.select(WorkflowEvent).where(
            WorkflowEvent.form == form_key, WorkflowEvent.record_id == pk).order_by(
            WorkflowEvent.id)).all()
        out = [(e.kind, e.transition, e.from_state, e.to_state, e.user.username, e.comment)
               for e in rows]
        session.rollback()
        return out


def _complaint(app: Flask, **values: Any) -> int:
    return int(make_record(app, _spec(app).form("complaint"), **values).id)


def _compensation(app: Flask, amount: str = "300", owner: str = "staff") -> int:
    return int(make_record(app, _spec(app).form("compensation"), _owner=owner, kind="refund",
                           amount=Decimal(amount), reason="原始理由",
                           proposed_by=user_id(app, owner)).id)


# -- state and SLA columns are read-only ---------------------------------------------------
def test_post_with_state_or_sla_columns_is_400_and_adds_nothing(app: Flask) -> None:
    form = _spec(app).form("complaint")
    before = _count(app, "complaint")
    body = {**json_body(app, form, "staff"), "state": "closed",
            "sla_resolution_due": "2030-01-01 00:00:00", "sla_response_breached": True}
    response = _api(app, "POST", "/api/v1/complaint/", "staff", json=body)
    assert response.status_code == 400
    assert response.get_json() == {"message": {
        "state": [READ_ONLY], "sla_resolution_due": [READ_ONLY],
        "sla_response_breached": [READ_ONLY]}}
    assert _count(app, "complaint") == before
    del body["state"], body["sla_resolution_due"], body["sla_response_breached"]
    created = _api(app, "POST", "/api/v1/complaint/", "staff", json=body).get_json()
    assert created["result"]["state"] == "registered"
    assert stored_row(app, "complaint", created["id"])["state"] == "registered"


def test_put_with_state_or_sla_columns_is_400_and_changes_nothing(app: Flask) -> None:
    pk = _complaint(app)
    before = stored_row(app, "complaint", pk)
    for extra in ({"state": "closed"}, {"sla_resolved_on": "2026-01-01 00:00:00"},
                  {"sla_resolution_breached": True}):
        response = _api(app, "PUT", f"/api/v1/complaint/{pk}", "admin",
                        json={"description": "改过的问题描述内容", **extra})
        assert response.status_code == 400
        assert response.get_json() == {"message": {next(iter(extra)): [READ_ONLY]}}
        assert stored_row(app, "complaint", pk) == before
    patch = _api(app, "PATCH", f"/api/v1/complaint/{pk}", "admin", json={"state": "closed"})
    assert patch.status_code == 405  # the API has no PATCH
    assert stored_row(app, "complaint", pk) == before


# -- locked states -------------------------------------------------------------------------
def test_put_and_delete_of_a_locked_record_are_409_even_for_admins(app: Flask) -> None:
    for state, label in (("submitted", "Awaiting supervisor"),
                         ("manager_review", "Awaiting manager"), ("approved", "Approved"),
                         ("customer_agreed", "Agreed by customer"), ("fulfilled", "Fulfilled"),
                         ("closed", "Closed"), ("cancelled", "Cancelled")):
        pk = _compensation(app)
        set_state(app, "compensation", pk, state)
        before = stored_row(app, "compensation", pk)
        for user in ("manager", "admin"):
            url = f"/api/v1/compensation/{pk}"
            for method, body in (("PUT", {"amount": "99999", "version": before["version"]}),
                                 ("DELETE", None)):
                response = _api(app, method, url, user, json=body)
                assert response.status_code == 409, (state, user, method)
                assert response.get_json() == {"message": LOCKED.format(label)}
                assert stored_row(app, "compensation", pk) == before


def test_a_final_complaint_is_locked_and_an_open_one_is_not(app: Flask) -> None:
    closed, resolved = _complaint(app), _complaint(app)
    set_state(app, "complaint", closed, "closed")
    set_state(app, "complaint", resolved, "resolved")
    response = _api(app, "PUT", f"/api/v1/complaint/{closed}", "admin",
                    json={"description": "结案后再改描述"})
    assert response.status_code == 409
    assert response.get_json() == {"message": LOCKED.format("Followed up and closed")}
    ok = _api(app, "PUT", f"/api/v1/complaint/{resolved}", "admin",
              json={"description": "解决后补充描述"})
    assert ok.status_code == 200 and ok.get_json()["result"]["state"] == "resolved"
    assert stored_row(app, "complaint", resolved)["description"] == "解决后补充描述"
    assert _api(app, "DELETE", f"/api/v1/complaint/{resolved}", "admin").status_code == 200
    assert stored_row(app, "complaint", resolved) is None and stored_row(app, "complaint", closed)


# -- the transition endpoint ---------------------------------------------------------------
def test_transitions_lists_what_the_caller_may_fire_now(app: Flask) -> None:
    pk = _complaint(app)
    response = _api(app, "GET", f"/api/v1/complaint/{pk}/transitions", "staff")
    assert response.status_code == 200
    assert response.get_json() == {"id": pk, "state": "registered", "version": 1, "result": [
        {"key": "accept", "label": "Accept and assign", "to": "accepted",
         "comment": "optional", "required_fields": ["handler"],
         "approvals": {"needed": 0, "done": 0}}]}
    auditor = _api(app, "GET", f"/api/v1/complaint/{pk}/transitions", "auditor")
    assert auditor.status_code == 200 and auditor.get_json()["result"] == []
    customer = make_record(app, _spec(app).form("customer")).id
    none = _api(app, "GET", f"/api/v1/customer/{customer}/transitions", "staff")
    assert none.status_code == 404
    assert none.get_json() == {"message": "This form has no workflow."}
    assert call(app, "GET", f"/api/v1/complaint/{pk}/transitions", None).status_code == 401


def test_firing_a_transition_with_its_required_field(app: Flask) -> None:
    pk = _complaint(app)
    url = f"/api/v1/complaint/{pk}/transition/accept"
    missing = _api(app, "POST", url, "staff", json={"version": 1})
    assert missing.status_code == 400
    assert missing.get_json() == {"message": "Fill in before “Accept and assign”: Handler"}
    assert stored_row(app, "complaint", pk)["state"] == "registered"
    staff = user_id(app, "staff")
    response = _api(app, "POST", url, "staff", json={
        "version": 1, "comment": "分派给自己", "values": {"handler": staff}})
    assert response.status_code == 200
    assert response.get_json() == {
        "message": "Done: Accept and assign. The record is now Accepted.",
        "state": "accepted", "version": 2}
    row = stored_row(app, "complaint", pk)
    assert (row["state"], row["handler_id"], row["version"]) == ("accepted", staff, 2)
    assert _events(app, "complaint", pk) == [
        ("transition", "accept", "registered", "accepted", "staff", "分派给自己")]
    with app.app_context():
        audit = app.appbuilder.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.form == "complaint", AuditEvent.record_id == str(pk),
            AuditEvent.action == "transition")).all()
        assert [(a.username, a.outcome, json.loads(a.details)) for a in audit] == [
            ("staff", "ok", {"transition": "accept", "from": "registered", "to": "accepted",
                             "comment": "分派给自己", "fields": ["handler"]})]
        app.appbuilder.session.rollback()


def test_a_stale_version_is_409_with_who_moved_the_record(app: Flask) -> None:
    pk = _complaint(app)
    before = stored_row(app, "complaint", pk)
    _api(app, "POST", f"/api/v1/complaint/{pk}/transition/accept", "supervisor",
         json={"version": 1, "values": {"handler": user_id(app, "staff")}})
    moved = stored_row(app, "complaint", pk)
    response = _api(app, "POST", f"/api/v1/complaint/{pk}/transition/investigate", "staff",
                    json={"version": 1, "values": {"category": "quality"}})
    assert response.status_code == 409
    with app.test_request_context(headers=EN):
        when = format_datetime(moved["changed_on"], "yyyy-MM-dd HH:mm:ss")
    assert response.get_json() == {"message": (
        f"Not done: supervisor changed this record at {when}, after you opened it (it is now "
        "Accepted). Open it again to see what you may do.")}
    assert stored_row(app, "complaint", pk) == moved
    assert (moved["state"], moved["version"], moved["category"]) == (
        "accepted", 2, before["category"])


def test_refusals_answer_with_the_engines_status_and_message(app: Flask) -> None:
    pk = _compensation(app, "300")
    url = f"/api/v1/compensation/{pk}/transition/"
    cases = [
        ("auditor", "submit", {"version": 1}, 403, "Your role may not Submit to supervisor."),
        ("supervisor", "approve", {"version": 1}, 409,
         "“Approve” is not possible while the record is Draft."),
        ("staff", "submit_to_manager", {"version": 1}, 400,
         "“Submit to manager” does not apply to this record: amount > 500 is not met."),
        ("staff", "cancel", {"version": 1, "comment": "  "}, 400,
         "A comment is required for “Cancel”."),
        ("staff", "nonsense", {"version": 1}, 404, "Unknown action."),
    ]
    before = stored_row(app, "compensation", pk)
    for user, key, body, status, message in cases:
        response = _api(app, "POST", url + key, user, json=body)
        assert (response.status_code, response.get_json()) == (status, {"message": message})
        assert stored_row(app, "compensation", pk) == before
    assert _events(app, "compensation", pk) == []
    anonymous = _api(app, "POST", url + "submit", None, json={"version": 1})
    assert anonymous.status_code == 401 and stored_row(app, "compensation", pk) == before
    managers = _compensation(app, "300", owner="manager")  # outside staff's own scope
    outside = _api(app, "POST", f"/api/v1/compensation/{managers}/transition/submit", "staff",
                   json={"version": 1})
    assert (outside.status_code, outside.get_json()) == (404, {"message": "Record not found."})
    assert stored_row(app, "compensation", managers)["state"] == "draft"


def test_a_malformed_request_is_400_and_changes_nothing(app: Flask) -> None:
    pk = _complaint(app)
    url = f"/api/v1/complaint/{pk}/transition/accept"
    before = stored_row(app, "complaint", pk)
    staff = user_id(app, "staff")
    as_json = {"Content-Type": "application/json", **EN}
    cases = [
        ({"data": "{not json", "headers": as_json}, "The request body is not valid JSON."),
        ({"data": "version=1"}, "Send the record as a JSON object with the header "
                                "Content-Type: application/json."),
        ({"json": [1]}, "Send the record as a JSON object with the header "
                        "Content-Type: application/json."),
        ({"json": {}}, {"version": ["This field is required."]}),
        ({"json": {"version": "1"}}, {"version": ["Enter a whole number."]}),
        ({"json": {"version": True}}, {"version": ["Enter a whole number."]}),
        ({"json": {"version": 1, "comment": 5, "values": [staff], "state": "accepted"}},
         {"comment": ["Enter a text."], "state": ["Unknown field."],
          "values": ["Send the values as a JSON object of field keys."]}),
        ({"json": {"version": 1, "values": {"handler": "staff", "state": "closed",
                                            "description": "顺手改描述", "nope": 1}}},
         {"handler": ["Enter the id of a record (a whole number)."], "state": [READ_ONLY],
          "description": ["“Accept and assign” does not set this field; edit the record to "
                          "change it."], "nope": ["Unknown field."]}),
    ]
    for kwargs, message in cases:
        headers = kwargs.pop("headers", EN)
        response = call(app, "POST", url, "staff", headers=headers, **kwargs)
        assert (response.status_code, response.get_json()) == (400, {"message": message})
        assert stored_row(app, "complaint", pk) == before
    unknown = _api(app, "POST", url, "staff", json={"version": 1,
                                                    "values": {"handler": 2147483647}})
    assert (unknown.status_code, unknown.get_json()) == (400, {"message": {
        "handler": ["Please choose one of the listed records."]}})
    assert stored_row(app, "complaint", pk) == before and _events(app, "complaint", pk) == []


def test_two_managers_approve_a_big_compensation_which_is_then_locked(app: Flask) -> None:
    pk = _compensation(app, "6000")
    base = f"/api/v1/compensation/{pk}"
    submitted = _api(app, "POST", f"{base}/transition/submit_to_manager", "staff",
                     json={"version": 1})
    assert submitted.get_json() == {"message": "Done: Submit to manager. The record is now "
                                    "Awaiting manager.", "state": "manager_review",
                                    "version": 2}
    offered = _api(app, "GET", f"{base}/transitions", "manager").get_json()["result"]
    assert [(o["key"], o["approvals"]) for o in offered] == [
        ("joint_approve", {"needed": 2, "done": 0}), ("reject", {"needed": 0, "done": 0}),
        ("cancel", {"needed": 0, "done": 0})]  # a manager is a staff member too
    first = _api(app, "POST", f"{base}/transition/joint_approve", "manager",
                 json={"version": 2, "comment": "同意"})
    assert first.get_json() == {"message": "Approved: 1 of 2 approvals for “Co-approve (two "
                                "managers)”.", "state": "manager_review", "version": 3}
    again = _api(app, "POST", f"{base}/transition/joint_approve", "manager",
                 json={"version": 3})
    assert (again.status_code, again.get_json()) == (400, {
        "message": "You have already approved; waiting for 1 more approval(s)."})
    offered = _api(app, "GET", f"{base}/transitions", "admin").get_json()["result"]
    assert {o["key"]: o["approvals"] for o in offered}["joint_approve"] == {
        "needed": 2, "done": 1}
    second = _api(app, "POST", f"{base}/transition/joint_approve", "admin",
                  json={"version": 3})
    assert second.get_json() == {"message": "Done: Co-approve (two managers). The record is "
                                 "now Approved.", "state": "approved", "version": 4}
    locked = _api(app, "PUT", base, "manager", json={"amount": "60000"})
    assert (locked.status_code, locked.get_json()) == (409, {"message": LOCKED.format(
        "Approved")})
    signed = _api(app, "POST", f"{base}/transition/sign", "staff",
                  json={"version": 4, "values": {"agreement_no": "XY-2026-001"}})
    assert signed.get_json()["state"] == "customer_agreed"
    row = stored_row(app, "compensation", pk)
    assert (row["state"], row["agreement_no"], row["amount"], row["version"]) == (
        "customer_agreed", "XY-2026-001", Decimal("6000.00"), 5)
    assert [(e[0], e[1], e[3], e[4]) for e in _events(app, "compensation", pk)] == [
        ("transition", "submit_to_manager", "manager_review", "staff"),
        ("approval", "joint_approve", "manager_review", "manager"),
        ("transition", "joint_approve", "approved", "admin"),
        ("transition", "sign", "customer_agreed", "staff")]


def test_nobody_approves_their_own_proposal_through_the_api(app: Flask) -> None:
    pk = _compensation(app, "800", owner="manager")
    _api(app, "POST", f"/api/v1/compensation/{pk}/transition/submit_to_manager", "manager",
         json={"version": 1})
    response = _api(app, "POST", f"/api/v1/compensation/{pk}/transition/manager_approve",
                    "manager", json={"version": 2})
    assert (response.status_code, response.get_json()) == (403, {
        "message": "You proposed this record and may not approve it yourself."})
    assert stored_row(app, "compensation", pk)["state"] == "manager_review"


def test_a_too_long_comment_is_400(app: Flask) -> None:
    pk = _complaint(app)
    response = _api(app, "POST", f"/api/v1/complaint/{pk}/transition/accept", "staff",
                    json={"version": 1, "comment": "长" * 2001,
                          "values": {"handler": user_id(app, "staff")}})
    assert (response.status_code, response.get_json()) == (400, {"message": {"comment": [
        "The comment is too long: at most 2000 characters (it has 2001)."]}})
    assert stored_row(app, "complaint", pk)["state"] == "registered"


def test_the_auditor_fires_no_transition_through_the_api(app: Flask) -> None:
    """tests/support/readonly.py sends each form's first transition with a valid body."""
    sent: list[str] = []
    found = violations(app, "auditor", only=lambda e: e.endswith("FormApi.transition"),
                       sent=sent)
    assert found == []
    assert "POST ComplaintFormApi.transition" in sent
    assert "POST CompensationFormApi.transition" in sent
    record = make_record(app, _spec(app).form("compensation"), _owner="staff",
                         proposed_by=user_id(app, "staff"), amount=Decimal("10"))
    response = _api(app, "POST", f"/api/v1/compensation/{record.id}/transition/submit",
                    "auditor", json={"version": 1, "comment": "只读检查"})
    assert (response.status_code, response.get_json()) == (403, {
        "message": "Your role may not Submit to supervisor."})
