"""Workflow screens (app/views/workflow.py): the record page's transition buttons and history,
the transition dialog (page and POST), and every way a posted dialog is refused."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.portal import portal_of
from app.workflow.store import history
from tests.support.app import csrf_token, login
from tests.support.factories import make_record

COMP = "/compensationview"
TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"
TOKEN_PAGE = "/resetmypassword/form"  # a page with a form for every role


def _client(app: Flask, user: str, lang: str = "en") -> FlaskClient:
    client = app.test_client()
    login(client, user)
    assert client.get(f"/lang/{lang}").status_code == 302
    return client


def _uid(app: Flask, username: str) -> int:
    with app.app_context():
        return app.appbuilder.sm.find_user(username=username).id


def _comp(app: Flask, amount: str, state: str = "draft", owner: str = "staff",
          **values: Any) -> int:
    """A compensation proposed by its owner, put in `state` (agreement and fulfilment
    references empty unless given: the dialogs ask for them)."""
    form = portal_of(app).spec.form("compensation")
    values = {"agreement_no": None, "fulfilment_ref": None, **values}
    record = make_record(app, form, owner, amount=Decimal(amount), kind="refund",
                         proposed_by=_uid(app, owner), **values)
    if state != "draft":
        with app.app_context():
            _get(app, "compensation", record.id).state = state
            app.appbuilder.session.commit()
    return record.id


def _get(app: Flask, form_key: str, record_id: int) -> Any:
    return app.appbuilder.session.get(portal_of(app).models.models[form_key],
                                      record_id)


def _stored(app: Flask, form_key: str, record_id: int) -> tuple[Any, int]:
    """(record as stored, number of its workflow events), read in a fresh session."""
    with app.app_context():
        record = _get(app, form_key, record_id)
        app.appbuilder.session.expunge(record)
        return record, len(history(app.appbuilder.session, form_key, record_id))


def _snapshot(app: Flask, record_id: int) -> tuple[str, int, int]:
    """A compensation's (state, version, number of workflow events)."""
    record, events = _stored(app, "compensation", record_id)
    return record.state, record.version, events


def _buttons(page: str) -> list[str]:
    return re.findall(r'<a class="btn btn-sm btn-primary portal-transition" '
                      r'id="portal-transition-([a-z_]+)"', page)


def _post(client: FlaskClient, record_id: int, key: str, url: str = COMP,
          **data: Any) -> Any:
    """Post the dialog like a browser: token and version as the dialog page gave them."""
    page = client.get(f"{url}/transition/{record_id}/{key}").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page)
    form = {"csrf_token": csrf_token(client, TOKEN_PAGE),
            "version": version.group(1) if version else "1", **data}
    return client.post(f"{url}/transition/{record_id}/{key}", data=form)


def _alert(response: Any) -> str:
    page = response.get_data(as_text=True)
    match = re.search(r'id="portal-transition-error">(.*?)</div>', page, re.S)
    return match.group(1).strip() if match else f"no alert in: {page[:2000]}"


def _has_form(response: Any) -> bool:  # the dialog's form, not only its message
    return 'class="portal-transition-form"' in response.get_data(as_text=True)


@pytest.mark.parametrize(("amount", "state", "user", "expected"), [
    ("500", "draft", "staff", ["submit", "cancel"]),  # up to 500: the supervisor's
    ("500.01", "draft", "staff", ["submit_to_manager", "cancel"]),
    ("300", "draft", "supervisor", ["submit", "cancel"]),  # inherits staff
    ("300", "draft", "auditor", []),
    ("300", "submitted", "staff", ["cancel"]),  # may not approve
    ("300", "submitted", "supervisor", ["approve", "reject", "cancel"]),
    ("300", "submitted", "auditor", []),
    ("800", "manager_review", "supervisor", ["reject", "cancel"]),  # manager approves
    ("800", "manager_review", "manager", ["manager_approve", "reject", "cancel"]),
    ("8000", "manager_review", "manager", ["joint_approve", "reject", "cancel"]),
    ("300", "closed", "admin", []),
])
def test_the_record_page_offers_exactly_what_the_role_may_fire(
        app: Flask, amount: str, state: str, user: str, expected: list[str]) -> None:
    rid = _comp(app, amount, state)
    page = _client(app, user).get(f"{COMP}/show/{rid}").get_data(as_text=True)
    assert _buttons(page) == expected
    assert re.search(rf'id="portal-state"><span class="label portal-state" '
                     rf'data-state="{state}"', page)
    for key in expected:  # a modal per button, and a plain link to the dialog page
        assert f'id="portal-modal-{key}"' in page
        assert f'href="{COMP}/transition/{rid}/{key}"' in page
    assert 'class="table table-condensed table-striped portal-history"' in page


def test_labels_are_in_the_users_language_with_approval_progress(app: Flask) -> None:
    rid = _comp(app, "300")
    page = _client(app, "staff", "zh").get(f"{COMP}/show/{rid}").get_data(as_text=True)
    assert 'id="portal-transition-submit"' in page and ">提交主管审批</a>" in page
    big = _comp(app, "9000", "manager_review")
    assert _post(_client(app, "manager"), big, "joint_approve").status_code == 302
    admin = _client(app, "admin")
    page = admin.get(f"{COMP}/show/{big}").get_data(as_text=True)
    assert ">Co-approve (two managers) (1/2)</a>" in page
    page = admin.get(f"{COMP}/transition/{big}/joint_approve").get_data(as_text=True)
    assert re.search(r'class="portal-approvals">1 / 2\s*<span class="text-muted">\(manager\)',
                     page)


def test_a_form_without_workflow_has_no_workflow_parts(app: Flask) -> None:
    customer = make_record(app, portal_of(app).spec.form("customer"))
    client = _client(app, "admin")
    page = client.get(f"/customerview/show/{customer.id}").get_data(as_text=True)
    assert "portal-workflow" not in page and "portal-history-row" not in page
    assert client.get(f"/customerview/transition/{customer.id}/submit").status_code == 404


def test_the_dialog_page_asks_for_the_empty_required_fields_and_a_comment(
        app: Flask) -> None:
    rid = _comp(app, "300", "approved")
    stored, _ = _stored(app, "compensation", rid)
    response = _client(app, "staff").get(f"{COMP}/transition/{rid}/sign")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="portal-transition-label">Customer signs<' in page
    assert 'class="portal-current-state"><span class="label portal-state" ' \
           'data-state="approved"' in page
    assert 'class="portal-target-state"><span class="label portal-state" ' \
           'data-state="customer_agreed"' in page
    assert re.search(r'class="portal-record-name">Refund CNY 300.00 · TS-\d{8}-\d{4} ', page)
    assert re.search(r'<input[^>]*name="agreement_no"', page)
    assert "Filled in once the customer signs the agreement" in page  # the field's help
    assert re.search(r'<textarea[^>]*maxlength="2000"[^>]*name="comment"', page)
    assert not re.search(r'<textarea[^>]*name="comment"[^>]*required', page)  # optional
    assert f'name="version" type="hidden" value="{stored.version}"' in page
    assert 'name="fulfilment_ref"' not in page and 'name="amount"' not in page
    assert "portal-approvals" not in page  # not an approval step
    # A field already filled is not asked again; a required comment is marked required.
    filled = _comp(app, "300", "approved", agreement_no="AG-1")
    page = _client(app, "staff").get(f"{COMP}/transition/{filled}/sign").get_data(
        as_text=True)
    assert 'name="agreement_no"' not in page and 'name="comment"' in page
    submitted = _comp(app, "300", "submitted")
    page = _client(app, "supervisor").get(f"{COMP}/transition/{submitted}/reject").get_data(
        as_text=True)
    assert re.search(r'<textarea[^>]*name="comment"[^>]*required', page)


def test_a_dialog_the_user_may_not_fire_now_answers_with_the_reason(app: Flask) -> None:
    rid = _comp(app, "300", "submitted")
    response = _client(app, "staff").get(f"{COMP}/transition/{rid}/approve")
    assert response.status_code == 403 and not _has_form(response)
    assert _alert(response) == "Your role may not Approve."
    response = _client(app, "staff").get(f"{COMP}/transition/{rid}/submit")
    assert response.status_code == 409 and not _has_form(response)
    assert _alert(response) == "“Submit to supervisor” is not possible while the record is " \
                               "Awaiting supervisor."
    own = _comp(app, "300", "submitted", owner="supervisor")
    response = _client(app, "supervisor").get(f"{COMP}/transition/{own}/approve")
    assert response.status_code == 403
    assert _alert(response) == "You proposed this record and may not approve it yourself."


def test_posting_fires_flashes_and_records_the_history(app: Flask) -> None:
    rid = _comp(app, "300")
    client = _client(app, "staff")
    before, _ = _stored(app, "compensation", rid)
    response = _post(client, rid, "submit", comment="请主管审批")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{COMP}/show/{rid}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Done: Submit to supervisor. The record is now Awaiting supervisor." in page
    stored, events = _stored(app, "compensation", rid)
    assert (stored.state, stored.version, events) == ("submitted", before.version + 1, 1)
    with app.app_context():
        event = history(app.appbuilder.session, "compensation", rid)[0]
        assert (event.kind, event.transition, event.from_state, event.to_state,
                event.user_id, event.comment) == ("transition", "submit", "draft",
                                                  "submitted", _uid(app, "staff"), "请主管审批")
    assert _buttons(page) == ["cancel"]  # the page now offers what is left


def test_the_history_table_lists_transitions_and_approvals(app: Flask) -> None:
    rid = _comp(app, "9000")
    assert _post(_client(app, "staff"), rid, "submit_to_manager",
                 comment="金额较大").status_code == 302
    manager = _client(app, "manager")
    response = _post(manager, rid, "joint_approve", comment="同意")
    assert response.status_code == 302
    page = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert "Approved: 1 of 2 approvals for “Co-approve (two managers)”." in page
    assert _stored(app, "compensation", rid)[0].state == "manager_review"
    assert _post(_client(app, "admin"), rid, "joint_approve").status_code == 302
    page = _client(app, "auditor").get(f"{COMP}/show/{rid}").get_data(as_text=True)
    rows = re.findall(
        r'<tr class="portal-history-row" data-kind="(\w+)" data-transition="(\w+)">\s*'
        r'<td class="portal-history-at">([^<]*)</td>\s*'
        r'<td class="portal-history-user">([^<]*)</td>\s*'
        r'<td class="portal-history-action">([^<]*)</td>\s*'
        r'<td class="portal-history-states">.*?data-state="(\w+)".*?&rarr;.*?'
        r'data-state="(\w+)".*?</td>\s*'
        r'<td class="portal-history-comment"[^>]*>([^<]*)</td>\s*'
        r'<td class="portal-history-details">([^<]*)</td>', page, re.S)
    assert [r[:2] + r[3:] for r in rows] == [
        ("transition", "submit_to_manager", "staff", "Submit to manager", "draft",
         "manager_review", "金额较大", ""),
        ("approval", "joint_approve", "manager",
         "Approval (1/2): Co-approve (two managers)", "manager_review", "manager_review",
         "同意", "Approvers: manager"),
        ("transition", "joint_approve", "admin", "Co-approve (two managers)",
         "manager_review", "approved", "", "Approvers: manager、admin"),
    ]
    assert all(re.fullmatch(TIME, r[2]) for r in rows)
    assert _buttons(page) == [] and "Workflow history" in page  # the auditor only reads


def test_a_missing_required_comment_is_400_and_changes_nothing(app: Flask) -> None:
    rid = _comp(app, "300", "submitted")
    before = _snapshot(app, rid)
    response = _post(_client(app, "supervisor"), rid, "reject", comment="   ")
    assert response.status_code == 400
    assert _alert(response) == "A comment is required for “Reject”."
    assert _has_form(response)  # kept, to add the comment
    assert _snapshot(app, rid) == before


def test_a_missing_required_field_is_400_then_fires_with_the_value(app: Flask) -> None:
    rid = _comp(app, "300", "approved")
    client = _client(app, "staff")
    response = _post(client, rid, "sign", agreement_no="", comment="客户已签")
    assert response.status_code == 400
    assert _alert(response) == "Fill in before “Customer signs”: Settlement agreement no."
    page = response.get_data(as_text=True)
    assert re.search(r'<textarea[^>]*name="comment"[^>]*>\s*客户已签</textarea>', page)
    stored, events = _stored(app, "compensation", rid)
    assert (stored.state, stored.agreement_no, events) == ("approved", None, 0)
    response = _post(client, rid, "sign", agreement_no="AG-2026-7", comment="客户已签")
    assert response.status_code == 302
    stored, events = _stored(app, "compensation", rid)
    assert (stored.state, stored.agreement_no, events) == ("customer_agreed", "AG-2026-7", 1)
    page = client.get(f"{COMP}/show/{rid}").get_data(as_text=True)
    assert "Fields set: Settlement agreement no." in page


def test_a_user_field_asked_by_the_dialog_is_stored(app: Flask) -> None:
    complaint = make_record(app, portal_of(app).spec.form("complaint"))
    url = "/complaintview"
    client = _client(app, "staff")
    page = client.get(f"{url}/transition/{complaint.id}/accept").get_data(as_text=True)
    assert re.search(r'<select[^>]*name="handler"', page)
    handler = _uid(app, "supervisor")
    response = _post(client, complaint.id, "accept", url=url, handler=str(handler))
    assert response.status_code == 302
    stored, _ = _stored(app, "complaint", complaint.id)
    assert (stored.state, stored.handler_id) == ("accepted", handler)
    other = make_record(app, portal_of(app).spec.form("complaint"))
    response = _post(client, other.id, "accept", url=url, handler="999999")
    assert response.status_code == 400
    assert _alert(response) == "Not done: correct the fields marked below."
    assert "Please choose one of the listed records." in response.get_data(as_text=True)
    assert _stored(app, "complaint", other.id)[0].state == "registered"


def test_a_stale_dialog_is_409_naming_who_moved_the_record(app: Flask) -> None:
    rid = _comp(app, "300")
    staff = _client(app, "staff")
    opened = staff.get(f"{COMP}/transition/{rid}/submit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', opened).group(1)
    assert _post(_client(app, "supervisor"), rid, "cancel",
                 comment="客户撤回").status_code == 302
    before = _snapshot(app, rid)
    response = staff.post(f"{COMP}/transition/{rid}/submit", data={
        "csrf_token": csrf_token(staff, TOKEN_PAGE), "version": version})
    assert response.status_code == 409 and not _has_form(response)
    assert re.fullmatch(rf"Not done: supervisor changed this record at {TIME}, after you "
                        r"opened it \(it is now Cancelled\)\. Open it again to see what you "
                        r"may do\.", _alert(response))
    assert f'id="portal-back-to-record" href="{COMP}/show/{rid}"' in \
        response.get_data(as_text=True)
    assert _snapshot(app, rid) == ("cancelled", *before[1:])


def test_an_auditor_post_is_403_and_changes_nothing(app: Flask) -> None:
    rid = _comp(app, "300")
    before = _snapshot(app, rid)
    response = _post(_client(app, "auditor"), rid, "submit", comment="x")
    assert response.status_code == 403 and not _has_form(response)
    assert _alert(response) == "Your role may not Submit to supervisor."
    assert _snapshot(app, rid) == before


@pytest.mark.parametrize("path", [
    "/transition/{rid}/no_such_step", "/transition/{rid}/%3Cscript%3E",
    "/transition/{rid}/submit%00", "/transition/99999999999999999999/submit",
    "/transition/2147483647/submit"])
def test_unknown_transitions_and_records_are_404(app: Flask, path: str) -> None:
    rid = _comp(app, "300")
    client = _client(app, "staff")
    url = COMP + path.format(rid=rid)
    assert client.get(url).status_code == 404
    token = csrf_token(client, TOKEN_PAGE)
    assert client.post(url, data={"csrf_token": token, "version": "1"}).status_code == 404
    assert _stored(app, "compensation", rid)[1] == 0


def test_a_record_outside_the_users_scope_is_404(app: Flask) -> None:
    rid = _comp(app, "300", owner="admin")  # staff sees only their own proposals
    client = _client(app, "staff")
    assert client.get(f"{COMP}/transition/{rid}/submit").status_code == 404
    token = csrf_token(client, TOKEN_PAGE)
    response = client.post(f"{COMP}/transition/{rid}/submit",
                           data={"csrf_token": token, "version": "1"})
    assert response.status_code == 404
    stored, events = _stored(app, "compensation", rid)
    assert (stored.state, events) == ("draft", 0)


def test_a_post_without_csrf_token_changes_nothing(app: Flask) -> None:
    rid = _comp(app, "300")
    before = _snapshot(app, rid)
    response = _client(app, "staff").post(f"{COMP}/transition/{rid}/submit",
                                          data={"version": str(before[1])})
    assert response.status_code == 400
    assert _snapshot(app, rid) == before


@pytest.mark.parametrize(("data", "message", "form_kept"), [
    ({"version": "abc"}, "Not done: the form did not say which version of the record you "
                         "saw. Open the record again and retry.", False),
    ({"version": ""}, "Not done: the form did not say which version of the record you saw. "
                      "Open the record again and retry.", False),
    ({"version": "1" * 40}, "Not done: the form did not say which version of the record "
                            "you saw. Open the record again and retry.", False),
    ({"comment": "长" * 2001}, "The comment is too long: at most 2000 characters (it has "
                              "2001).", True),
    ({"comment": "bad\x00comment"}, "Not done: correct the fields marked below.", True),
])
def test_hostile_posts_are_400_with_a_message(app: Flask, data: dict, message: str,
                                              form_kept: bool) -> None:
    rid = _comp(app, "300")
    client = _client(app, "staff")
    before = _snapshot(app, rid)
    form = {"csrf_token": csrf_token(client, TOKEN_PAGE),
            "version": str(before[1]), **data}
    response = client.post(f"{COMP}/transition/{rid}/submit", data=form)
    assert response.status_code == 400
    assert _alert(response) == message
    assert _has_form(response) is form_kept
    assert _snapshot(app, rid) == before


def test_a_comment_of_the_maximum_length_is_kept(app: Flask) -> None:
    rid = _comp(app, "300")
    assert _post(_client(app, "staff"), rid, "submit", comment="长" * 2000).status_code == 302
    with app.app_context():
        assert history(app.appbuilder.session, "compensation", rid)[0].comment == "长" * 2000


@pytest.mark.parametrize(("mode", "inputs"), [
    ("none", ["csrf_token", "version"]),
    ("optional", ["comment", "csrf_token", "version"]),
])
def test_a_transition_without_comment_has_no_comment_input(app: Flask, mode: str,
                                                           inputs: list[str]) -> None:
    rid = _comp(app, "300")
    view = next(v for v in app.appbuilder.baseviews
                if type(v).__name__ == "CompensationView")
    submit = portal_of(app).spec.form("compensation").workflow.transition(
        "submit")
    with app.test_request_context():
        record = _get(app, "compensation", rid)
        dialog = view.dialog(record, dataclasses.replace(submit, comment=mode), [])
        assert sorted(f.name for f in dialog.form) == inputs
        assert dialog.form.version.data == record.version
