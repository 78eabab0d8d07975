"""The workflow engine (app/workflow/engine.py): offers, refusals, approvals, firing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale

from app.portal import portal_of
from app.workflow import engine as workflow
from app.workflow.engine import Refused, actor_for, fire, moved_message, offers, refusal
from app.workflow.store import current_approvals, history
from tests.support.app import PASSWORD, user_id
from tests.support.factories import make_record
from tests.support.workflow import ROLES, Msg, engine_fire, ensure_user, events, record_in, snapshot


def _actor(app: Flask, username: str) -> Any:
    with app.app_context():
        user = app.appbuilder.sm.find_user(username=username)
        return actor_for(user, portal_of(app).spec)


def _load(app: Flask, form_key: str, record_id: int) -> Any:
    model = portal_of(app).models.models[form_key]
    return app.appbuilder.session.get(model, record_id)


def _fire(app: Flask, form_key: str, record_id: int, key: str, username: str,
          comment: str = "", **values: Any) -> str:
    form = portal_of(app).spec.form(form_key)
    with app.test_request_context():
        record = _load(app, form_key, record_id)

        def apply(rec: Any) -> None:
            for name, value in values.items():
                setattr(rec, name, value)

        return fire(app.appbuilder.session, form, record, key, _actor(app, username),
                    version=record.version, comment=comment, apply_values=apply)


def test_small_compensation_goes_to_the_supervisor_and_is_approved(app: Flask) -> None:
    spec = portal_of(app).spec
    form = spec.form("compensation")
    with app.app_context():
        staff_id = app.appbuilder.sm.find_user(username="staff").id
    rec = make_record(app, form, amount=Decimal("300"), proposed_by=staff_id)
    with app.app_context():
        record = _load(app, "compensation", rec.id)
        assert record.state == "draft"
        keys = [o.transition.key for o in offers(app.appbuilder.session, form, record,
                                                  _actor(app, "staff"))]
        assert keys == ["submit", "cancel"]
    message = _fire(app, "compensation", rec.id, "submit", "staff")
    assert "提交主管审批" in message and "待主管审批" in message
    with pytest.raises(Refused) as refused:
        _fire(app, "compensation", rec.id, "approve", "staff")
    assert refused.value.status == 403
    _fire(app, "compensation", rec.id, "approve", "supervisor")
    with app.app_context():
        assert _load(app, "compensation", rec.id).state == "approved"
        events = history(app.appbuilder.session, "compensation", rec.id)
        assert [(e.transition, e.from_state, e.to_state, e.kind) for e in events] == [
            ("submit", "draft", "submitted", "transition"),
            ("approve", "submitted", "approved", "transition")]


# -- per role: who holds what, which buttons, in which order refusals come -----------------

def test_actors_inherit_the_roles_they_build_on(app: Flask) -> None:
    held = {name: _actor(app, name) for name in ROLES}
    assert held["staff"].roles == {"staff"}
    assert held["supervisor"].roles == {"supervisor", "staff"}
    assert held["manager"].roles == {"manager", "supervisor", "staff"}
    assert held["auditor"].roles == {"auditor"}
    assert held["admin"].admin and not any(held[n].admin for n in ROLES if n != "admin")
    assert held["manager"].holds(("supervisor",)) and held["manager"].holds(("staff",))
    assert not held["supervisor"].holds(("manager",))
    assert not held["auditor"].holds(("staff", "supervisor", "manager"))
    assert held["admin"].holds(("warehouse",))  # admins fire everything


OFFERS = [  # (form, state, record values, {role: transitions offered, in YAML order})
    ("compensation", "draft", {"amount": Decimal("300")},
     {"staff": ["submit", "cancel"], "supervisor": ["submit", "cancel"],
      "manager": ["submit", "cancel"], "admin": ["submit", "cancel"], "auditor": []}),
    ("compensation", "submitted", {"amount": Decimal("300")},
     {"staff": ["cancel"], "supervisor": ["approve", "reject", "cancel"],
      "manager": ["approve", "reject", "cancel"], "admin": ["approve", "reject", "cancel"],
      "auditor": []}),
    ("compensation", "manager_review", {"amount": Decimal("6000")},
     {"staff": ["cancel"], "supervisor": ["reject", "cancel"],
      "manager": ["joint_approve", "reject", "cancel"],
      "admin": ["joint_approve", "reject", "cancel"], "auditor": []}),
    ("compensation", "approved", {}, {"staff": ["sign"], "supervisor": ["sign"],
                                      "manager": ["sign"], "admin": ["sign"], "auditor": []}),
    ("compensation", "cancelled", {}, {r: [] for r in ROLES}),
    ("complaint", "accepted", {}, {"staff": ["investigate", "escalate"],
                                   "supervisor": ["investigate", "escalate"],
                                   "manager": ["investigate", "escalate"],
                                   "admin": ["investigate", "escalate"], "auditor": []}),
    ("complaint", "escalated", {}, {"staff": [], "supervisor": ["instruct"],
                                    "manager": ["instruct"], "admin": ["instruct"],
                                    "auditor": []}),
    ("complaint", "resolved", {}, {"staff": ["follow_up"],
                                   "supervisor": ["follow_up", "reopen"],
                                   "manager": ["follow_up", "reopen"],
                                   "admin": ["follow_up", "reopen"], "auditor": []}),
]


@pytest.mark.parametrize("form_key, state, values, expected", OFFERS,
                         ids=[f"{c[0]}-{c[1]}" for c in OFFERS])
def test_offers_per_role(app: Flask, form_key: str, state: str, values: dict[str, Any],
                         expected: dict[str, list[str]]) -> None:
    form = portal_of(app).spec.form(form_key)
    if form_key == "compensation":  # proposed by staff (the factories' default is admin)
        values = {**values, "proposed_by": user_id(app, "staff")}
    rid = record_in(app, form_key, state, **values)
    with app.app_context():
        record = _load(app, form_key, rid)
        got = {role: [o.transition.key for o in offers(app.appbuilder.session, form, record,
                                                        _actor(app, role))]
               for role in ROLES}
    assert got == expected


def _refusal(app: Flask, form_key: str, rid: int, key: str, username: str) -> Any:
    form = portal_of(app).spec.form(form_key)
    with app.test_request_context(), force_locale("en"):
        record = _load(app, form_key, rid)
        approvals = current_approvals(app.appbuilder.session, form_key, rid, key)
        problem = refusal(form, record, form.workflow.transition(key),
                          _actor(app, username), approvals)
        return None if problem is None else (problem.status, problem.message)


def test_refusals_come_in_order_role_self_state_condition_approved(app: Flask) -> None:
    comp, compl = Msg(app, "compensation"), Msg(app, "complaint")
    closed = record_in(app, "complaint", "closed")
    # The role first: a staff member is told it is not theirs, not that it is closed.
    assert _refusal(app, "complaint", closed, "instruct", "staff") == (
        403, compl.role("instruct"))
    assert _refusal(app, "complaint", closed, "instruct", "admin") == (
        409, compl.moved_state("instruct", "closed"))
    # Self-approval before the state: a draft of one's own is refused as one's own.
    own = record_in(app, "compensation", "draft", "supervisor", amount=Decimal("800"))
    assert _refusal(app, "compensation", own, "approve", "supervisor") == (403, Msg.SELF)
    # The state before the condition; the condition when the state is right.
    big = record_in(app, "compensation", "draft", amount=Decimal("800"),
                    proposed_by=user_id(app, "staff"))
    assert _refusal(app, "compensation", big, "approve", "supervisor") == (
        409, comp.moved_state("approve", "draft"))
    assert _refusal(app, "compensation", big, "submit", "staff") == (
        400, comp.condition("submit"))
    assert _refusal(app, "compensation", big, "submit_to_manager", "staff") is None
    # The condition before "already approved": a lowered amount is no longer a joint case.
    joint = record_in(app, "compensation", "manager_review", amount=Decimal("6000"),
                      proposed_by=user_id(app, "staff"))
    engine_fire(app, "compensation", joint, "joint_approve", "manager")
    assert _refusal(app, "compensation", joint, "joint_approve", "manager") == (
        400, Msg.already(1))
    _set(app, "compensation", joint, amount=Decimal("4000"))
    assert _refusal(app, "compensation", joint, "joint_approve", "manager") == (
        400, comp.condition("joint_approve"))


def _set(app: Flask, form_key: str, rid: int, **values: Any) -> None:
    with app.app_context():
        record = _load(app, form_key, rid)
        for name, value in values.items():
            setattr(record, name, value)
        app.appbuilder.session.commit()


def test_fire_checks_the_action_and_the_version_before_anything_else(app: Flask) -> None:
    rid = record_in(app, "compensation", "closed", amount=Decimal("300"))
    with pytest.raises(Refused) as unknown:
        engine_fire(app, "compensation", rid, "no_such_action", "auditor")
    assert (unknown.value.status, unknown.value.message) == (404, "Unknown action.")
    stale = snapshot(app, "compensation", rid)["version"] - 1
    with pytest.raises(Refused) as moved:
        engine_fire(app, "compensation", rid, "approve", "auditor", version=stale)
    assert moved.value.status == 409 and moved.value.message.startswith("Not done: ")


# -- approvals --------------------------------------------------------------------------------

def _approvers(app: Flask, rid: int, key: str = "joint_approve") -> list[str]:
    with app.app_context():
        return [a.username for a in current_approvals(app.appbuilder.session, "compensation",
                                                      rid, key)]


def test_approvals_count_only_since_the_last_change_of_state(app: Flask) -> None:
    second = ensure_user(app, "wf_engine_mgr2", "manager", PASSWORD)
    assert second
    rid = record_in(app, "compensation", "manager_review", amount=Decimal("6000"),
                    proposed_by=user_id(app, "staff"))
    msg = Msg(app, "compensation")
    assert engine_fire(app, "compensation", rid, "joint_approve", "manager",
                       comment="同意") == msg.approved("joint_approve", 1, 2)
    assert _approvers(app, rid) == ["manager"] and _approvers(app, rid, "manager_approve") == []
    with app.app_context():
        form = portal_of(app).spec.form("compensation")
        shown = offers(app.appbuilder.session, form, _load(app, "compensation", rid),
                       _actor(app, "wf_engine_mgr2"))
    assert [(o.transition.key, o.approvals) for o in shown] == [
        ("joint_approve", ["manager"]), ("reject", []), ("cancel", [])]
    engine_fire(app, "compensation", rid, "reject", "supervisor", comment="补材料")
    assert _approvers(app, rid) == []
    engine_fire(app, "compensation", rid, "submit_to_manager", "staff")
    assert _approvers(app, rid) == []  # the earlier approval does not come back
    assert engine_fire(app, "compensation", rid, "joint_approve",
                       "wf_engine_mgr2") == msg.approved("joint_approve", 1, 2)
    assert engine_fire(app, "compensation", rid, "joint_approve",
                       "manager") == msg.done("joint_approve")
    assert snapshot(app, "compensation", rid)["state"] == "approved"
    assert [e[:2] + e[4:5] for e in events(app, "compensation", rid)][-2:] == [
        ("approval", "joint_approve", "wf_engine_mgr2"),
        ("transition", "joint_approve", "manager")]


def test_an_approval_in_the_same_second_as_the_last_change_still_bumps_the_version(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: the version guard needs an UPDATE even when changed_on is unchanged."""
    fixed = dt.datetime(2026, 3, 2, 10, 0, 0)

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return fixed

    rid = record_in(app, "compensation", "manager_review", amount=Decimal("6000"),
                    proposed_by=user_id(app, "staff"))
    _set(app, "compensation", rid, changed_on=fixed)
    before = snapshot(app, "compensation", rid)["version"]
    monkeypatch.setattr(workflow, "dt", SimpleNamespace(datetime=Frozen))
    engine_fire(app, "compensation", rid, "joint_approve", "manager")
    assert snapshot(app, "compensation", rid)["version"] == before + 1


# -- values, messages -------------------------------------------------------------------------

def test_apply_values_are_kept_when_it_fires_and_dropped_when_refused(app: Flask) -> None:
    msg = Msg(app, "complaint")
    rid = record_in(app, "complaint", "accepted", category=None, severity=None)
    with pytest.raises(Refused) as refused:
        engine_fire(app, "complaint", rid, "investigate", "staff", category="quality")
    assert (refused.value.status, refused.value.message) == (
        400, msg.fill_in("investigate", "severity"))
    assert snapshot(app, "complaint", rid)["category"] is None  # rolled back
    called: list[Any] = []
    form = portal_of(app).spec.form("complaint")
    with app.test_request_context(), pytest.raises(Refused):
        record = _load(app, "complaint", rid)
        fire(app.appbuilder.session, form, record, "investigate", _actor(app, "auditor"),
             version=record.version, apply_values=called.append)
    assert called == []  # a refused role never gets as far as the values
    assert engine_fire(app, "complaint", rid, "investigate", "staff", category="quality",
                       severity="serious") == msg.done("investigate")
    stored = snapshot(app, "complaint", rid)
    assert (stored["state"], stored["category"], stored["severity"]) == (
        "investigating", "quality", "serious")
    assert events(app, "complaint", rid)[-1] == (
        "transition", "investigate", "accepted", "investigating", "staff", None)


def test_moved_message_names_who_when_and_the_state_now(app: Flask) -> None:
    rid = record_in(app, "compensation", "draft", amount=Decimal("300"),
                    proposed_by=user_id(app, "staff"))
    opened = snapshot(app, "compensation", rid)["version"]
    engine_fire(app, "compensation", rid, "submit", "staff")
    changed = snapshot(app, "compensation", rid)["changed_on"]
    with pytest.raises(Refused) as moved:
        engine_fire(app, "compensation", rid, "cancel", "supervisor", comment="撤",
                    version=opened)
    assert moved.value.status == 409
    assert moved.value.message == (
        f"Not done: staff changed this record at {changed:%Y-%m-%d %H:%M:%S}, after you "
        "opened it (it is now Awaiting supervisor). Open it again to see what you may do.")
    form = portal_of(app).spec.form("compensation")
    script = record_in(app, "compensation", "approved")  # moved by a script: no user
    with app.test_request_context(), force_locale("en"):
        text = moved_message(form, _load(app, "compensation", script))
    assert text.startswith("Not done: someone else changed this record at ")
    assert "(it is now Approved)" in text


def test_only_the_approver_role_counts_and_the_refusal_names_its_label(app: Flask) -> None:
    """An approval step may be fired by several roles while only one role's approvals count:
    a supervisor holds `approve`'s role but not `manager`, the role whose approvals count."""
    from dataclasses import replace

    form = portal_of(app).spec.form("compensation")
    step = replace(form.workflow.transition("approve"), approver_role="manager")
    record = SimpleNamespace(state="submitted", created_by_fk=None, proposed_by_id=None,
                             id=1, amount=Decimal("100"))
    with app.test_request_context(), force_locale("en"):
        refused = refusal(form, record, step, _actor(app, "supervisor"))
        assert refused is not None and refused.status == 403
        assert refused.message == "Only a Service Manager's approval counts here."
        assert refusal(form, record, step, _actor(app, "manager")) is None
