"""My work (app/views/mywork.py): per user, what waits for them — approvals, overdue records,
assignments and their own drafts — with the workflow's rules and row scopes applied."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.portal import portal_of
from app.views import mywork
from app.workflow.engine import actor_for, fire
from tests.support.app import PASSWORD, login
from tests.support.factories import make_record

URL = "/mywork/"


def _new_user(app: Flask, role: str) -> tuple[str, int]:
    """A user of `role` in no team (its own scope only, where the role's scope is team)."""
    name = f"{role}_{uuid.uuid4().hex[:8]}"
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.add_user(name, name, "test", f"{name}@example.com", sm.find_role(role),
                           password=PASSWORD)
        return name, user.id


def _user_id(app: Flask, username: str) -> int:
    with app.app_context():
        return app.appbuilder.sm.find_user(username=username).id


def _set(app: Flask, form_key: str, record_id: int, **values: Any) -> None:
    """Test setup straight through the ORM (state, deadlines)."""
    model = portal_of(app).models.models[form_key]
    with app.app_context():
        session = app.appbuilder.session
        record = session.get(model, record_id)
        for name, value in values.items():
            setattr(record, name, value)
        session.commit()


def _compensation(app: Flask, owner: str, amount: str, state: str) -> int:
    form = portal_of(app).spec.form("compensation")
    record = make_record(app, form, _owner=owner, amount=Decimal(amount),
                         proposed_by=_user_id(app, owner), reason=f"mw-{uuid.uuid4().hex}")
    _set(app, "compensation", record.id, state=state)
    return record.id


def _complaint(app: Flask, owner: str = "staff", **values: Any) -> tuple[int, str]:
    form = portal_of(app).spec.form("complaint")
    name = f"产品-{uuid.uuid4().hex[:10]}"
    return make_record(app, form, _owner=owner, product_name=name, **values).id, name


def _client(app: Flask, username: str, lang: str = "en") -> FlaskClient:
    client = app.test_client()
    login(client, username)
    client.get(f"/lang/{lang}")
    return client


def _page(client: FlaskClient) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _section(page: str, key: str) -> str:
    start = page.index(f'id="mywork-{key}"')
    return page[start:page.index("</table>", start)]


def _count(page: str, key: str) -> int:
    match = re.search(rf'id="mywork-{key}-count">(\d+)<', page)
    assert match, key
    return int(match.group(1))


def _row(page: str, key: str, form: str, record_id: int) -> str:
    """The row of a record in a section ('' when it is not there)."""
    section = _section(page, key)
    marker = f'data-form="{form}" data-id="{record_id}"'
    if marker not in section:
        return ""
    start = section.index(marker)
    return section[start:section.index("</tr>", start)]


def _fire(app: Flask, form_key: str, record_id: int, key: str, username: str) -> str:
    form = portal_of(app).spec.form(form_key)
    model = portal_of(app).models.models[form_key]
    with app.test_request_context():
        session = app.appbuilder.session
        record = session.get(model, record_id)
        user = app.appbuilder.sm.find_user(username=username)
        actor = actor_for(user, portal_of(app).spec)
        return fire(session, form, record, key, actor, version=record.version)


def test_supervisor_approves_a_small_compensation_of_staff_and_staff_does_not(
        app: Flask) -> None:
    rid = _compensation(app, "staff", "300", "submitted")
    row = _row(_page(_client(app, "supervisor")), "approve", "compensation", rid)
    assert f'href="/compensationview/show/{rid}"' in row
    assert "Compensation" in row and 'data-state="submitted"' in row
    assert "Awaiting supervisor" in row
    # working buttons: each opens the transition's dialog, as on the record page
    assert (f'<a class="btn btn-xs btn-primary mywork-action" href="/compensationview/'
            f'transition/{rid}/approve">Approve</a>') in row
    assert f'href="/compensationview/transition/{rid}/reject">Reject</a>' in row
    assert " CNY 300.00 · TS-" in row  # named by its title: kind, amount, complaint
    staff = _page(_client(app, "staff"))
    assert not _row(staff, "approve", "compensation", rid)
    # awaiting approval, it waits for the supervisor, not for its proposer (who could cancel)
    assert not _row(staff, "other", "compensation", rid)


def test_nobody_sees_their_own_proposal_to_approve(app: Flask) -> None:
    rid = _compensation(app, "supervisor", "200", "submitted")
    page = _page(_client(app, "supervisor"))
    assert not _row(page, "approve", "compensation", rid)
    # the manager (who inherits the supervisor's transitions) may approve it
    assert "Approve" in _row(_page(_client(app, "manager")), "approve", "compensation", rid)


def test_the_manager_approves_above_500_and_the_supervisor_does_not(app: Flask) -> None:
    rid = _compensation(app, "staff", "800", "manager_review")
    row = _row(_page(_client(app, "manager")), "approve", "compensation", rid)
    assert "Approve (manager)" in row and "Awaiting manager" in row
    assert "Co-approve" not in row  # its condition (amount > 5000) is not met
    assert not _row(_page(_client(app, "supervisor")), "approve", "compensation", rid)


def test_joint_approval_leaves_the_queue_of_the_manager_who_approved(app: Flask) -> None:
    rid = _compensation(app, "staff", "8000", "manager_review")
    second, _ = _new_user(app, "manager")
    before = _row(_page(_client(app, "manager")), "approve", "compensation", rid)
    assert "Co-approve (two managers) (0/2)" in before
    assert "Approve (manager)" not in before
    _fire(app, "compensation", rid, "joint_approve", "manager")
    with app.app_context():
        model = portal_of(app).models.models["compensation"]
        assert app.appbuilder.session.get(model, rid).state == "manager_review"  # 1 of 2
    assert not _row(_page(_client(app, "manager")), "approve", "compensation", rid)
    after = _row(_page(_client(app, second)), "approve", "compensation", rid)
    assert "Co-approve (two managers) (1/2)" in after
    _fire(app, "compensation", rid, "joint_approve", second)
    assert not _row(_page(_client(app, second)), "approve", "compensation", rid)


def test_overdue_complaints_reach_the_owner_and_the_team_not_outsiders(app: Flask) -> None:
    late, name = _complaint(app)
    _set(app, "complaint", late, state="accepted",
         sla_resolution_due=dt.datetime.now() - dt.timedelta(days=1))
    closed, closed_name = _complaint(app)
    _set(app, "complaint", closed, state="closed",
         sla_resolution_due=dt.datetime.now() - dt.timedelta(days=1))
    for username in ("staff", "supervisor"):
        page = _page(_client(app, username))
        row = _row(page, "overdue", "complaint", late)
        assert name in row and 'data-state="accepted"' in row, username
        assert "portal-overdue" in row  # the passed deadline in red
        assert not _row(page, "overdue", "complaint", closed), username  # final: never late
        assert closed_name not in page
    staff = _page(_client(app, "staff"))
    assert "Start investigating" in _row(staff, "overdue", "complaint", late)
    assert staff.count(f'data-form="complaint" data-id="{late}"') == 1  # listed once
    outsider, _ = _new_user(app, "staff")
    page = _page(_client(app, outsider))
    assert name not in page
    assert _count(page, "overdue") == 0 and "Nothing overdue." in _section(page, "overdue")


def test_a_late_first_response_is_flagged(app: Flask) -> None:
    rid, _ = _complaint(app)
    _set(app, "complaint", rid, sla_response_due=dt.datetime.now() - dt.timedelta(hours=1),
         sla_resolution_due=dt.datetime.now() + dt.timedelta(days=2))
    row = _row(_page(_client(app, "staff")), "overdue", "complaint", rid)
    assert "portal-response-overdue" in row and "portal-overdue" not in row


def test_assigned_to_me_lists_open_complaints_of_the_handler_only(app: Flask) -> None:
    handler, handler_id = _new_user(app, "staff")
    open_id, open_name = _complaint(app, "supervisor", handler=handler_id)
    _set(app, "complaint", open_id, state="investigating")
    done_id, done_name = _complaint(app, "supervisor", handler=handler_id)
    _set(app, "complaint", done_id, state="closed")
    other_id, other_name = _complaint(app, "supervisor")
    page = _page(_client(app, handler))
    assert _count(page, "assigned") == 1
    row = _row(page, "assigned", "complaint", open_id)
    assert open_name in row and "Answer the customer" in row and "Escalate" in row
    assert done_name not in page and other_name not in page
    assert _count(page, "approve") == 0 and _count(page, "other") == 0


def test_own_drafts_are_other_actions_and_not_someone_elses(app: Flask) -> None:
    rid = _compensation(app, "staff", "120", "draft")
    row = _row(_page(_client(app, "staff")), "other", "compensation", rid)
    assert "Submit to supervisor" in row and "Cancel" in row
    assert "Submit to manager" not in row  # amount <= 500
    assert not _row(_page(_client(app, "supervisor")), "other", "compensation", rid)


def test_candidates_are_capped_per_form(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    owner, owner_id = _new_user(app, "staff")
    first = _complaint(app, owner)[0]
    second = _complaint(app, owner)[0]
    monkeypatch.setattr(mywork, "LIMIT", 1)
    page = _page(_client(app, owner))
    assert _count(page, "other") == 1
    assert _row(page, "other", "complaint", first) and not _row(page, "other", "complaint",
                                                                second)
    assert "Complaints: showing the first 1." in page


def test_the_auditor_gets_an_empty_queue(app: Flask) -> None:
    _compensation(app, "staff", "300", "submitted")
    late, name = _complaint(app)
    _set(app, "complaint", late, sla_resolution_due=dt.datetime.now() - dt.timedelta(days=1))
    page = _page(_client(app, "auditor"))
    for key, empty in (("approve", "Nothing waiting for your approval."),
                       ("overdue", "Nothing overdue."),
                       ("assigned", "Nothing assigned to you."),
                       ("other", "Nothing else waiting for you.")):
        assert _count(page, key) == 0, key
        assert empty in _section(page, key)
    assert name not in page  # overdue, but nothing an auditor could do about it


def test_forms_the_user_may_not_show_are_left_out(app: Flask) -> None:
    rid = _compensation(app, "staff", "300", "submitted")
    client = _client(app, "supervisor")
    assert _row(_page(client), "approve", "compensation", rid)
    with app.app_context():
        sm = app.appbuilder.sm
        pv = sm.find_permission_view_menu("can_show", "CompensationView")
        role = sm.find_role("supervisor")
        role.permissions.remove(pv)
        sm.session.commit()
    try:
        assert not _row(_page(client), "approve", "compensation", rid)
    finally:
        with app.app_context():
            sm = app.appbuilder.sm
            role = sm.find_role("supervisor")  # held: a temporary would be collected
            role.permissions.append(sm.find_permission_view_menu("can_show",
                                                                 "CompensationView"))
            sm.session.commit()


def test_anonymous_users_are_sent_to_login(app: Flask) -> None:
    response = app.test_client().get(URL)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


@pytest.mark.parametrize("username", ["staff", "supervisor", "manager", "auditor", "admin"])
def test_my_work_is_the_first_menu_item_of_everyone(app: Flask, username: str) -> None:
    client = _client(app, username, lang="zh")
    home = client.get("/").get_data(as_text=True)
    assert f'href="{URL}"' in home and "fa-inbox" in home
    assert home.index(f'href="{URL}"') < home.index("/complaintview/list/")
    assert app.appbuilder.menu.get_list()[0].name == "my_work"
    page = _page(client)
    assert 'id="mywork-approve"' in page and 'id="mywork-other"' in page


def test_the_count_answers_how_many_records_wait(app: Flask) -> None:
    rid = _compensation(app, "staff", "310", "submitted")
    client = _client(app, "supervisor")
    page = _page(client)
    answer = client.get("/mywork/count")
    assert answer.status_code == 200 and "no-store" in answer.headers["Cache-Control"]
    count = answer.get_json()["count"]
    assert count == page.count('class="mywork-row"') and count >= 1
    assert f'id="mywork-total" data-count="{count}"' in page
    assert f'data-id="{rid}"' in page
    assert app.test_client().get("/mywork/count").status_code in (302, 401)
