"""Row scopes (own / team / all), combined roles, masking rules, and the IDOR matrix: a record
outside a user's scope is unreachable by id through every screen action."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.fieldtypes.registry import mask
from app.portal import portal_of
from app.security.access import Access, access_for
from app.security.teams import Team, teammate_ids
from app.spec import FieldSpec, Label
from tests.support.app import PASSWORD, csrf_token, login
from tests.support.factories import REACH, two_teams

L = Label("x", "x")


# -- unit: masks ---------------------------------------------------------------------------
@pytest.mark.parametrize(("ftype", "value", "masked"), [
    ("phone", "13812341234", "138****1234"),
    ("phone", "010-12345678", "010****5678"),
    ("phone", "1234567", "12****67"),
    ("phone", "12345", "****"),
    ("email", "zhang.san@example.com", "z***@example.com"),
    ("string", "浙江省杭州市西湖区文三路100号", "浙江省杭****"),
    ("string", "王", "****"),
    ("text", "", ""),
    ("string", None, ""),
])
def test_mask_keeps_enough_to_recognise_not_to_use(ftype: str, value: Any, masked: str) -> None:
    assert mask(FieldSpec("f", L, ftype), value) == masked


# -- unit: combining roles -----------------------------------------------------------------
class _Role:
    def __init__(self, name: str) -> None:
        self.name = name


class _User:
    is_authenticated = True

    def __init__(self, uid: int, *roles: str) -> None:
        self.id = uid
        self.roles = [_Role(r) for r in roles]


def test_access_combines_roles_widest_scope_union_of_reveal_intersection_of_readonly(
        app: Flask) -> None:
    spec = portal_of(app).spec
    staff = access_for(_User(7, "staff"), spec)
    assert staff.scope("complaint") == "own" and staff.scope("customer") == "all"
    assert staff.can_reveal("customer", "phone") and not staff.can_reveal("customer", "address")
    assert staff.readonly_fields("compensation") == {"amount", "kind"}
    both = access_for(_User(7, "staff", "supervisor"), spec)
    assert both.scope("complaint") == "team"
    assert both.can_reveal("customer", "address")
    # the supervisor role edits compensation without restriction: the union of rights wins
    assert both.readonly_fields("compensation") == frozenset()
    auditor = access_for(_User(8, "auditor"), spec)
    assert auditor.scope("compensation") == "all"
    assert not auditor.can_reveal("customer", "phone")
    admin = access_for(_User(1, "admin"), spec)
    assert admin.admin and admin.scope("anything") == "all" and admin.can_reveal("x", "y")
    nobody = access_for(None, spec)
    assert nobody == Access(user_id=None) and nobody.scope("complaint") == "own"
    unknown_role = access_for(_User(9, "hand-made"), spec)
    assert unknown_role.scopes == {} and not unknown_role.reveal


# -- the IDOR matrix -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(make_app: Callable[..., Flask]) -> dict[str, Any]:
    """Two teams and four complaints (two_teams in tests/support/factories.py)."""
    app = make_app()
    return {"app": app, "records": two_teams(app, PASSWORD)}


def _problems(app: Flask) -> dict[int, str]:
    with app.app_context():
        rows = app.appbuilder.session.execute(sa.text(
            "select id, description from form_complaint")).all()
    return {r.id: r.description for r in rows}


def test_teammates_are_everyone_sharing_a_team(world: dict[str, Any]) -> None:
    app = world["app"]
    with app.app_context():
        sm = app.appbuilder.sm
        ids = {u: sm.find_user(username=u).id for u in ("staff", "staff2", "staff3",
                                                         "supervisor2", "supervisor")}
        mates = teammate_ids(sm.session, ids["staff3"])
    assert set(mates) == {ids["staff3"], ids["supervisor2"]}


@pytest.mark.parametrize("user", sorted(REACH))
def test_list_shows_exactly_the_records_in_scope(world: dict[str, Any], user: str) -> None:
    app, records = world["app"], world["records"]
    client = app.test_client()
    login(client, user)
    page = client.get("/complaintview/list/?psize_ComplaintView=100").get_data(as_text=True)
    shown = {k for k, rid in records.items() if f"/complaintview/show/{rid}\"" in page}
    assert shown == REACH[user]


@pytest.mark.parametrize("user", sorted(REACH))
def test_out_of_scope_records_are_404_for_every_action(world: dict[str, Any],
                                                       user: str) -> None:
    app, records = world["app"], world["records"]
    client = app.test_client()
    login(client, user)
    before = _problems(app)
    can_edit = user != "auditor"
    token = csrf_token(client, "/complaintview/add") if can_edit else ""
    for key, rid in records.items():
        inside = key in REACH[user]
        show = client.get(f"/complaintview/show/{rid}")
        assert show.status_code == (200 if inside else 404), (key, "show")
        if not can_edit:
            continue
        edit = client.get(f"/complaintview/edit/{rid}")
        assert edit.status_code == (200 if inside else 404), (key, "edit")
        if not inside:
            posted = client.post(f"/complaintview/edit/{rid}",
                                 data={"csrf_token": token, "description": "篡改"})
            assert posted.status_code == 404, (key, "edit post")
            deleted = client.post(f"/complaintview/delete/{rid}", data={"csrf_token": token})
            assert deleted.status_code in (403, 404), (key, "delete")
    assert _problems(app) == before  # nothing outside the scope was changed or deleted


def test_export_contains_only_records_in_scope(world: dict[str, Any]) -> None:
    app, records = world["app"], world["records"]
    client = app.test_client()
    login(client, "supervisor")
    text = client.get("/complaintview/export/").get_data(as_text=True).lstrip("\ufeff")
    ids = {int(row[0]) for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert ids == {records[k] for k in REACH["supervisor"]}


def test_reference_selects_offer_only_records_in_scope(world: dict[str, Any]) -> None:
    """A compensation's complaint select finds complaints as one types; staff2 must not
    find others'."""
    app, records = world["app"], world["records"]
    client = app.test_client()
    login(client, "staff2")
    page = client.get("/compensationview/add").get_data(as_text=True)
    select = re.search(r'<select[^>]*id="complaint".*?</select>', page, re.S)
    assert select, "no complaint select on the add form"
    assert 'data-lookup="/lookup/compensation/complaint"' in select.group(0)
    answer = client.get("/lookup/compensation/complaint?q=").get_json()
    offered = {k for k, rid in records.items() if rid in {r["id"] for r in answer["results"]}}
    assert offered == {"by_staff2"}
    for rid in records.values():  # nor name one by its id
        found = client.get(f"/lookup/compensation/complaint?id={rid}").get_json()["results"]
        assert bool(found) == (rid == records["by_staff2"])
    # and posting an out-of-scope id directly is refused like an unknown one
    token = csrf_token(client, "/compensationview/add")
    response = client.post("/compensationview/add", data={
        "csrf_token": token, "complaint": str(records["by_staff"]), "kind": "gift",
        "amount": "10", "reason": "越权"})
    assert "请从列表中选择一条记录。" in response.get_data(as_text=True)
    with app.app_context():
        count = app.appbuilder.session.execute(sa.text(
            "select count(*) from form_compensation where reason = '越权'")).scalar()
    assert count == 0


def test_search_filter_selects_offer_only_records_in_scope(world: dict[str, Any]) -> None:
    """The compensation list's complaint filter finds complaint names as one types (the
    list page itself names none): it must not find complaints outside the user's scope."""
    client = world["app"].test_client()
    login(client, "staff2")
    body = client.get("/compensationview/list/").get_data(as_text=True)
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), body)
    assert "/lookup/compensation/complaint" in text
    answer = client.get("/lookup/compensation/complaint?q=").get_json()
    names = [r["text"] for r in answer["results"]]
    assert len(names) == 1 and re.fullmatch(r"TS-\d{8}-\d{4} \S+ 乙的产品", names[0]), names
    assert client.get("/lookup/compensation/complaint?q=丙").get_json()["results"] == []


def test_a_new_teammate_sees_the_team_records_at_once(world: dict[str, Any]) -> None:
    app, records = world["app"], world["records"]
    client = app.test_client()
    login(client, "supervisor2")
    assert client.get(f"/complaintview/show/{records['by_staff']}").status_code == 404
    with app.app_context():
        sm = app.appbuilder.sm
        one = sm.session.query(Team).filter_by(name="客服一组").one()
        one.members.append(sm.find_user(username="supervisor2"))
        sm.session.commit()
    try:
        assert client.get(f"/complaintview/show/{records['by_staff']}").status_code == 200
    finally:
        with app.app_context():
            sm = app.appbuilder.sm
            one = sm.session.query(Team).filter_by(name="客服一组").one()
            one.members.remove(sm.find_user(username="supervisor2"))
            sm.session.commit()
    assert client.get(f"/complaintview/show/{records['by_staff']}").status_code == 404
