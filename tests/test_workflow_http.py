"""The transition route over HTTP (app/views/workflow.py): every transition of the shipped
complaint and compensation workflows, per role, plus threshold routing, self-approval, N-of-M
approvals, required fields and comments, final states and the cosmetics warehouse."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask

from app.portal import portal_of
from tests.support.app import PASSWORD, user_id
from tests.support.workflow import (
    ROLES,
    Msg,
    Outcome,
    RoleClient,
    engine_fire,
    ensure_user,
    events,
    record_in,
    route,
    snapshot,
)

STAFF_UP = frozenset({"admin", "staff", "supervisor", "manager"})
SUPERVISOR_UP = frozenset({"admin", "supervisor", "manager"})
MANAGER_UP = frozenset({"admin", "manager"})
SECOND_MANAGER = "wf_manager2"
# Required fields start empty, so the values posted are the ones stored.
EMPTY = {"complaint": {"handler": None, "category": None, "severity": None,
                       "resolution": None, "satisfied": None},
         "compensation": {"agreement_no": None, "fulfilment_ref": None}}
# (form, transition, source state, record values, posted fields, comment, roles allowed)
MATRIX: list[tuple[str, str, str, dict[str, Any], dict[str, Any], str, frozenset[str]]] = [
    ("complaint", "accept", "registered", {}, {"handler": "@staff"}, "", STAFF_UP),
    ("complaint", "investigate", "accepted", {},
     {"category": "quality", "severity": "normal"}, "", STAFF_UP),
    ("complaint", "answer", "investigating", {}, {"resolution": "已为客户更换新品"}, "",
     STAFF_UP),
    ("complaint", "confirm", "awaiting_confirmation", {}, {}, "", STAFF_UP),
    ("complaint", "not_accepted", "awaiting_confirmation", {}, {}, "客户要求退款", STAFF_UP),
    *[("complaint", "escalate", s, {}, {}, "超出权限", STAFF_UP)
      for s in ("accepted", "investigating", "awaiting_confirmation")],
    ("complaint", "instruct", "escalated", {}, {}, "同意退款", SUPERVISOR_UP),
    ("complaint", "follow_up", "resolved", {}, {"satisfied": "y"}, "", STAFF_UP),
    ("complaint", "reopen", "resolved", {}, {}, "客户再次来电", SUPERVISOR_UP),
    ("compensation", "submit", "draft", {"amount": Decimal("300")}, {}, "", STAFF_UP),
    ("compensation", "submit_to_manager", "draft", {"amount": Decimal("800")}, {}, "",
     STAFF_UP),
    ("compensation", "approve", "submitted", {"amount": Decimal("300")}, {}, "",
     SUPERVISOR_UP),
    ("compensation", "manager_approve", "manager_review", {"amount": Decimal("800")}, {}, "",
     MANAGER_UP),
    ("compensation", "joint_approve", "manager_review", {"amount": Decimal("6000")}, {}, "",
     MANAGER_UP),
    *[("compensation", "reject", s, {"amount": a}, {}, "金额过高", SUPERVISOR_UP)
      for s, a in (("submitted", Decimal("300")), ("manager_review", Decimal("800")))],
    ("compensation", "sign", "approved", {}, {"agreement_no": "XY-2026-001"}, "", STAFF_UP),
    ("compensation", "fulfil", "customer_agreed", {}, {"fulfilment_ref": "SF1234567890"}, "",
     STAFF_UP),
    ("compensation", "close", "fulfilled", {}, {}, "", STAFF_UP),
    *[("compensation", "cancel", s, {"amount": Decimal("300")}, {}, "客户放弃", STAFF_UP)
      for s in ("draft", "submitted", "manager_review")],
]


@pytest.fixture(scope="module")
def clients(app: Flask) -> Iterator[Callable[..., RoleClient]]:
    """One signed-in browser per user (and app), made on first use and reused."""
    ensure_user(app, SECOND_MANAGER, "manager", PASSWORD)
    made: dict[tuple[int, str], RoleClient] = {}

    def get(username: str, on: Flask = app) -> RoleClient:
        if (id(on), username) not in made:
            made[(id(on), username)] = RoleClient(on, username, PASSWORD)
        return made[(id(on), username)]
    yield get


def new(app: Flask, form: str, state: str, owner: str = "staff", **values: Any) -> int:
    """A record of `form` in `state` with its required-by-transition fields empty."""
    if form == "compensation":
        values.setdefault("proposed_by", user_id(app, "staff"))
    return record_in(app, form, state, owner, **{**EMPTY[form], **values})


def posted(app: Flask, fields: dict[str, Any]) -> dict[str, Any]:
    return {k: user_id(app, v[1:]) if str(v).startswith("@") else v for k, v in fields.items()}


def assert_refused(out: Outcome, status: int, message: str) -> None:
    """The exact status, the message on the page, nothing flashed."""
    assert (out.status, out.flashes) == (status, []), out.text[:300]
    assert message in out.text


def offered(client: RoleClient, form: str, rid: int) -> list[str]:
    """The transition buttons of the record page."""
    body = client.client.get(f"{route(client.app, form)}/show/{rid}").get_data(as_text=True)
    return re.findall(r'id="portal-transition-(\w+)"\s+href="[^"]*/transition/', body)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("form, key, source, values, fields, comment, allowed", MATRIX,
                         ids=[f"{c[0]}-{c[1]}-from-{c[2]}" for c in MATRIX])
def test_each_transition_per_role(app: Flask, clients: Callable[..., RoleClient], role: str,
                                  form: str, key: str, source: str, values: dict[str, Any],
                                  fields: dict[str, Any], comment: str,
                                  allowed: frozenset[str]) -> None:
    msg = Msg(app, form)
    spec = portal_of(app).spec.form(form)
    t = spec.workflow.transition(key)
    rid = new(app, form, source, **values)
    if t.approvals > 1:  # the other approvals already given: this one completes it
        engine_fire(app, form, rid, key, SECOND_MANAGER)
    before, history = snapshot(app, form, rid), events(app, form, rid)
    out = clients(role).fire(form, rid, key, comment=comment, **posted(app, fields))
    after = snapshot(app, form, rid)
    if role in allowed:
        assert (out.status, out.flashes) == (302, [msg.done(key)]), out.text[:300]
        assert out.location.endswith(f"{route(app, form)}/show/{rid}")
        assert (after["state"], after["version"]) == (t.target, before["version"] + 1)
        assert events(app, form, rid) == [*history, (
            "transition", key, source, t.target, role, comment or None)]
        for name, value in posted(app, fields).items():
            assert after[spec.field(name).column] == (True if value == "y" else value)
    else:
        assert_refused(out, 403, msg.role(key))
        assert after == before and events(app, form, rid) == history


def test_the_matrix_covers_every_transition_and_source_state(app: Flask) -> None:
    spec = portal_of(app).spec
    declared = {(f, t.key, s) for f in ("complaint", "compensation")
                for t in spec.form(f).workflow.transitions for s in t.sources}
    assert {(c[0], c[1], c[2]) for c in MATRIX} == declared


@pytest.mark.parametrize("amount, state, accepted, refused", [
    ("500", "draft", "submit", "submit_to_manager"),
    ("500.01", "draft", "submit_to_manager", "submit"),
    ("800", "draft", "submit_to_manager", "submit"),
    ("500", "submitted", "approve", None),
    ("5000", "manager_review", "manager_approve", "joint_approve"),
    ("5000.01", "manager_review", "joint_approve", "manager_approve"),
], ids=lambda v: str(v))
def test_amount_thresholds_route_submission_and_approval(
        app: Flask, clients: Callable[..., RoleClient], amount: str, state: str,
        accepted: str, refused: str | None) -> None:
    msg = Msg(app, "compensation")
    rid = new(app, "compensation", state, amount=Decimal(amount))
    who = "staff" if state == "draft" else "manager"
    buttons = offered(clients(who), "compensation", rid)
    assert accepted in buttons and refused not in buttons
    if refused:
        before = snapshot(app, "compensation", rid)
        out = clients(who).fire("compensation", rid, refused)
        assert_refused(out, 400, msg.condition(refused))
        assert snapshot(app, "compensation", rid) == before
    out = clients(who).fire("compensation", rid, accepted)
    assert out.status == 302
    target = "manager_review" if accepted == "joint_approve" else \
        portal_of(app).spec.form("compensation").workflow.transition(
            accepted).target
    assert snapshot(app, "compensation", rid)["state"] == target


@pytest.mark.parametrize("owner, proposer, approver, key, amount", [
    ("supervisor", "staff", "supervisor", "approve", "300"),
    ("staff", "supervisor", "supervisor", "approve", "300"),
    ("manager", "staff", "manager", "manager_approve", "800"),
    ("staff", "manager", "manager", "joint_approve", "6000"),
], ids=["supervisor-created-it", "supervisor-proposed-it", "manager-created-it",
        "manager-proposed-it"])
def test_nobody_approves_their_own_proposal(app: Flask, clients: Callable[..., RoleClient],
                                            owner: str, proposer: str, approver: str,
                                            key: str, amount: str) -> None:
    source = "submitted" if key == "approve" else "manager_review"
    rid = new(app, "compensation", source, owner, amount=Decimal(amount),
              proposed_by=user_id(app, proposer))
    assert key not in offered(clients(approver), "compensation", rid)
    before = snapshot(app, "compensation", rid)
    out = clients(approver).fire("compensation", rid, key)
    assert_refused(out, 403, Msg.SELF)
    assert snapshot(app, "compensation", rid) == before
    assert events(app, "compensation", rid) == []
    # Somebody else may: the admin (admins hold every role, but are not the proposer).
    assert clients("admin").fire("compensation", rid, key).status == 302


def test_joint_approval_needs_two_distinct_managers(app: Flask,
                                                    clients: Callable[..., RoleClient]) -> None:
    msg = Msg(app, "compensation")
    rid = new(app, "compensation", "manager_review", amount=Decimal("6000"))
    first = clients("manager").fire("compensation", rid, "joint_approve", comment="同意")
    assert (first.status, first.flashes) == (302, [msg.approved("joint_approve", 1, 2)])
    assert snapshot(app, "compensation", rid)["state"] == "manager_review"
    assert events(app, "compensation", rid) == [
        ("approval", "joint_approve", "manager_review", "manager_review", "manager", "同意")]
    assert "joint_approve" not in offered(clients("manager"), "compensation", rid)
    again = clients("manager").fire("compensation", rid, "joint_approve")
    assert_refused(again, 400, Msg.already(1))
    assert "joint_approve" in offered(clients(SECOND_MANAGER), "compensation", rid)
    second = clients(SECOND_MANAGER).fire("compensation", rid, "joint_approve")
    assert (second.status, second.flashes) == (302, [msg.done("joint_approve")])
    assert snapshot(app, "compensation", rid)["state"] == "approved"
    assert [e[0] for e in events(app, "compensation", rid)] == ["approval", "transition"]


def test_a_rejection_in_between_resets_the_approvals(app: Flask,
                                                     clients: Callable[..., RoleClient]) -> None:
    msg = Msg(app, "compensation")
    rid = new(app, "compensation", "manager_review", amount=Decimal("6000"))
    assert clients("manager").fire("compensation", rid, "joint_approve").status == 302
    assert clients("supervisor").fire("compensation", rid, "reject",
                                      comment="请补充材料").status == 302
    assert clients("staff").fire("compensation", rid, "submit_to_manager").status == 302
    # The same manager approves afresh: their earlier approval no longer counts.
    out = clients("manager").fire("compensation", rid, "joint_approve")
    assert out.flashes == [msg.approved("joint_approve", 1, 2)]
    assert snapshot(app, "compensation", rid)["state"] == "manager_review"
    assert clients(SECOND_MANAGER).fire("compensation", rid, "joint_approve").flashes == [
        msg.done("joint_approve")]
    assert [e[:2] for e in events(app, "compensation", rid)] == [
        ("approval", "joint_approve"), ("transition", "reject"),
        ("transition", "submit_to_manager"), ("approval", "joint_approve"),
        ("transition", "joint_approve")]


REQUIRED: list[tuple[str, str, str, dict[str, str], str, Any]] = [
    ("complaint", "escalate", "investigating", {}, "", "comment"),
    ("complaint", "escalate", "investigating", {}, "   \n ", "comment"),
    ("complaint", "not_accepted", "awaiting_confirmation", {}, "", "comment"),
    ("complaint", "instruct", "escalated", {}, "", "comment"),
    ("complaint", "reopen", "resolved", {}, "", "comment"),
    ("compensation", "reject", "submitted", {}, "", "comment"),
    ("compensation", "cancel", "draft", {}, "", "comment"),
    ("complaint", "accept", "registered", {}, "", ("handler",)),
    ("complaint", "investigate", "accepted", {}, "", ("category", "severity")),
    ("complaint", "investigate", "accepted", {"category": "quality"}, "", ("severity",)),
    ("complaint", "answer", "investigating", {"resolution": "  "}, "", ("resolution",)),
    ("compensation", "sign", "approved", {}, "", ("agreement_no",)),
    ("compensation", "fulfil", "customer_agreed", {}, "", ("fulfilment_ref",)),
]


def _required_id(case: tuple[Any, ...]) -> str:
    form, key, _source, _fields, comment, missing = case
    what = ("blank-comment" if comment else "no-comment") if missing == "comment" \
        else "missing-" + "+".join(missing)
    return f"{form}-{key}-{what}"


@pytest.mark.parametrize("form, key, source, fields, comment, missing", REQUIRED,
                         ids=[_required_id(c) for c in REQUIRED])
def test_comments_and_required_fields_are_enforced(
        app: Flask, clients: Callable[..., RoleClient], form: str, key: str, source: str,
        fields: dict[str, str], comment: str, missing: Any) -> None:
    msg = Msg(app, form)
    rid = new(app, form, source, amount=Decimal("300")) if form == "compensation" else \
        new(app, form, source)
    before = snapshot(app, form, rid)
    out = clients("admin").fire(form, rid, key, comment=comment, **fields)
    expected = msg.comment(key) if missing == "comment" else msg.fill_in(key, *missing)
    assert_refused(out, 400, expected)
    # Nothing posted was kept: the fields entered stay empty until the transition fires.
    assert snapshot(app, form, rid) == before and events(app, form, rid) == []


TRANSITIONS = {form: list(dict.fromkeys(c[1] for c in MATRIX if c[0] == form))
               for form in ("complaint", "compensation")}  # every one (see the coverage test)
FINAL = [("complaint", "closed"), ("compensation", "closed"), ("compensation", "cancelled")]
FINAL_CASES = [(f, s, t) for f, s in FINAL for t in TRANSITIONS[f]]


@pytest.fixture(scope="module")
def final_records(app: Flask) -> dict[tuple[str, str], int]:
    return {(f, s): new(app, f, s) for f, s in FINAL}


@pytest.mark.parametrize("form, state, key", FINAL_CASES,
                         ids=[f"{f}-{s}-{k}" for f, s, k in FINAL_CASES])
def test_final_states_are_final(app: Flask, clients: Callable[..., RoleClient],
                                final_records: dict[tuple[str, str], int], form: str,
                                state: str, key: str) -> None:
    rid = final_records[(form, state)]
    before = snapshot(app, form, rid)
    out = clients("admin").fire(form, rid, key, comment="试试")
    assert_refused(out, 409, Msg(app, form).moved_state(key, state))
    assert snapshot(app, form, rid) == before and events(app, form, rid) == []


def test_final_states_offer_nothing(app: Flask, clients: Callable[..., RoleClient],
                                    final_records: dict[tuple[str, str], int]) -> None:
    spec = portal_of(app).spec
    assert {(f, s) for f, s in FINAL} == {(f, st.key) for f in TRANSITIONS
                                          for st in spec.form(f).workflow.states if st.final}
    for (form, _state), rid in final_records.items():
        assert offered(clients("admin"), form, rid) == []


def test_stale_version_unknown_action_and_records_out_of_scope(
        app: Flask, clients: Callable[..., RoleClient]) -> None:
    rid = new(app, "compensation", "draft", amount=Decimal("300"))
    opened = snapshot(app, "compensation", rid)["version"]
    assert clients("staff").fire("compensation", rid, "submit").status == 302
    out = clients("supervisor").fire("compensation", rid, "cancel", version=opened,
                                     comment="撤销")
    assert out.status == 409
    assert re.search(r"Not done: staff changed this record at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, "
                     r"after you opened it \(it is now Awaiting supervisor\)\.", out.text)
    assert snapshot(app, "compensation", rid)["state"] == "submitted"
    assert clients("staff").fire("compensation", rid, "no_such_action").status == 404
    theirs = new(app, "compensation", "draft", "supervisor", amount=Decimal("300"),
                 proposed_by=user_id(app, "supervisor"))
    assert clients("staff").fire("compensation", theirs, "cancel", comment="x").status == 404
    assert snapshot(app, "compensation", theirs)["state"] == "draft"


def test_the_cosmetics_warehouse_fulfils(pack_apps: dict[str | None, Flask],
                                         clients: Callable[..., RoleClient]) -> None:
    cosmetics = pack_apps["cosmetics"]
    msg = Msg(cosmetics, "compensation")
    rid = new(cosmetics, "compensation", "customer_agreed")
    warehouse = clients("warehouse", cosmetics)
    assert offered(warehouse, "compensation", rid) == ["fulfil"]
    out = warehouse.fire("compensation", rid, "fulfil", fulfilment_ref="SF1234567890")
    assert (out.status, out.flashes) == (302, [msg.done("fulfil")])
    assert msg.label("fulfil") == "Warehouse dispatches"
    after = snapshot(cosmetics, "compensation", rid)
    assert (after["state"], after["fulfilment_ref"]) == ("fulfilled", "SF1234567890")
    assert events(cosmetics, "compensation", rid)[-1][4] == "warehouse"
    # Fulfilling is all it may do.
    out = warehouse.fire("compensation", rid, "close")
    assert_refused(out, 403, msg.role("close"))
