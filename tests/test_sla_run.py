"""The SLA run (app/sla/run.py): breaches marked, one escalation per record (priority raised,
handed to a supervisor of the team), idempotent re-runs, backfilled deadlines, warnings."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from app.audit import log as audit
from app.portal import EXTENSION as PORTAL
from app.portal import portal_of
from app.security.teams import Team
from app.sla import run as sla_run
from app.spec import CalendarSpec
from app.workflow.store import history
from tests.support.app import PASSWORD, user_id
from tests.support.audit import details, events_after, last_seq
from tests.support.sla import at, complaint, fire_at, load

CLI_USER = f"cli:{audit._os_account()}"
HEAD = "SLA run at {}"
NOTHING = "complaint: deadlines computed 0, breaches marked 0, escalated 0, reassigned 0"


@pytest.fixture(scope="module")
def app(make_app: Callable[..., Flask]) -> Flask:
    """A fresh portal: the run counts every complaint of the database."""
    return make_app()


@pytest.fixture(autouse=True)
def _closed_afterwards(app: Flask) -> Iterator[None]:
    """Each test starts with every earlier complaint closed (a final state: never touched)
    and every user active."""
    yield
    with app.app_context():
        session = app.appbuilder.session
        session.execute(text("UPDATE form_complaint SET state = 'closed'"))
        session.execute(text("UPDATE ab_user SET active = :yes"), {"yes": True})
        session.commit()


def run(app: Flask, when: str) -> list[str]:
    return sla_run.run(app, at(when)).lines()


def row(app: Flask, record_id: int) -> dict[str, Any]:
    with app.app_context():
        record = load(app, record_id)
        return {"priority": record.priority, "handler": record.handler_id,
                "response_breached": record.sla_response_breached,
                "resolution_breached": record.sla_resolution_breached,
                "escalated_on": record.sla_escalated_on, "version": record.version,
                "due": (record.sla_response_due, record.sla_resolution_due),
                "met": (record.sla_responded_on, record.sla_resolved_on)}


def escalations(app: Flask, record_id: int) -> list[tuple]:
    with app.app_context():
        return [(e.kind, e.from_state, e.to_state, e.user_id, e.at, e.comment, e.info)
                for e in history(app.appbuilder.session, "complaint", record_id)]


def test_a_missed_first_response_is_marked_and_escalated_once(app: Flask) -> None:
    staff, supervisor = user_id(app, "staff"), user_id(app, "supervisor")
    rec = complaint(app, "2026-09-14 10:00", handler=staff)  # due 15 Sept 10:00 / 17 Sept
    assert run(app, "2026-09-15 10:00") == [HEAD.format("2026-09-15 10:00:00"), NOTHING]
    seq = last_seq(app)
    assert run(app, "2026-09-15 10:01") == [
        HEAD.format("2026-09-15 10:01:00"),
        "complaint: deadlines computed 0, breaches marked 1 (first response 1, resolution 0), "
        "escalated 1, reassigned 1"]
    stored = row(app, rec.id)
    assert {k: stored[k] for k in ("priority", "handler", "response_breached",
                                   "resolution_breached", "escalated_on", "due")} == {
        "priority": "urgent", "handler": supervisor, "response_breached": True,
        "resolution_breached": False, "escalated_on": at("2026-09-15 10:01"),
        # the raised priority does not pull the resolution deadline in (urgent: 1d)
        "due": (at("2026-09-15 10:00"), at("2026-09-17 10:00"))}
    breach = {"breached": ["first_response"], "priority": ["normal", "urgent"],
              "assignee": ["staff", "supervisor"]}
    assert escalations(app, rec.id) == [("escalation", "registered", "registered", None,
                                         at("2026-09-15 10:01"), None, breach)]
    events = events_after(app, seq)
    assert [(e.action, e.form, e.record_id, e.username, details(e)) for e in events] == [
        ("sla_breach", "complaint", str(rec.id), CLI_USER, breach),
        ("update", "complaint", str(rec.id), CLI_USER,
         {"changes": {"priority": ["normal", "urgent"], "handler": [staff, supervisor]}})]


def test_second_run_changes_nothing_and_a_later_run_marks_the_second_clock(
        app: Flask) -> None:
    rec = complaint(app, "2026-09-14 10:00", handler=user_id(app, "staff"))
    run(app, "2026-09-15 10:01")
    before, seq = row(app, rec.id), last_seq(app)
    assert run(app, "2026-09-15 10:01") == [HEAD.format("2026-09-15 10:01:00"), NOTHING]
    assert run(app, "2026-09-17 10:00") == [HEAD.format("2026-09-17 10:00:00"), NOTHING]
    assert row(app, rec.id) == before and last_seq(app) == seq
    assert run(app, "2026-09-17 10:01") == [
        HEAD.format("2026-09-17 10:01:00"),
        "complaint: deadlines computed 0, breaches marked 1 (first response 0, resolution 1), "
        "escalated 0, reassigned 0"]
    after = row(app, rec.id)
    assert after == {**before, "resolution_breached": True, "version": before["version"] + 1}
    assert after["escalated_on"] == at("2026-09-15 10:01")
    assert len(escalations(app, rec.id)) == 1  # escalated once, at the first breach
    assert [(e.action, details(e)) for e in events_after(app, seq)] == [
        ("sla_breach", {"breached": ["resolution"]})]
    assert run(app, "2026-09-18 10:00") == [HEAD.format("2026-09-18 10:00:00"), NOTHING]


def test_both_clocks_missed_at_once_are_one_escalation(app: Flask) -> None:
    rec = complaint(app, "2026-09-14 10:00", handler=user_id(app, "staff"))
    assert run(app, "2026-09-21 09:00")[1] == (
        "complaint: deadlines computed 0, breaches marked 2 (first response 1, resolution 1), "
        "escalated 1, reassigned 1")
    assert escalations(app, rec.id)[0][6]["breached"] == ["first_response", "resolution"]


def test_the_same_team_then_the_lightest_load_then_the_lowest_id(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """客服一组 holds supervisor and manager (manager inherits supervisor); 客服二组 holds
    staff3 and supervisor2. Batches of 3 show that every batch is committed."""
    with app.app_context():
        sm = app.appbuilder.sm
        for name, role in (("staff3", "staff"), ("supervisor2", "supervisor")):
            sm.add_user(name, name, "test", f"{name}@example.com", sm.find_role(role),
                        password=PASSWORD)
        sm.session.add(Team(name="客服二组", members=[sm.find_user(username="staff3"),
                                                     sm.find_user(username="supervisor2")]))
        sm.session.commit()
    monkeypatch.setattr(sla_run, "BATCH", 3)
    staff, staff3 = user_id(app, "staff"), user_id(app, "staff3")
    first = complaint(app, "2026-09-14 10:00", handler=staff)
    second = complaint(app, "2026-09-14 10:00", handler=staff)
    theirs = complaint(app, "2026-09-14 10:00", handler=staff3)
    unassigned = complaint(app, "2026-09-14 10:00", _owner="staff3")  # the creator's team
    assert run(app, "2026-09-15 10:01")[1] == (
        "complaint: deadlines computed 0, breaches marked 4 (first response 4, resolution 0), "
        "escalated 4, reassigned 4")
    assert [escalations(app, r.id)[0][6]["assignee"] for r in (
        first, second, theirs, unassigned)] == [
        ["staff", "supervisor"], ["staff", "manager"], ["staff3", "supervisor2"],
        [None, "supervisor2"]]


def test_a_holder_of_the_role_keeps_it_and_urgent_stays_urgent(app: Flask) -> None:
    rec = complaint(app, "2026-09-14 10:00", "urgent", handler=user_id(app, "manager"))
    seq = last_seq(app)
    assert run(app, "2026-09-14 12:01")[1] == (
        "complaint: deadlines computed 0, breaches marked 1 (first response 1, resolution 0), "
        "escalated 1, reassigned 0")
    assert escalations(app, rec.id)[0][6] == {
        "breached": ["first_response"], "priority": ["urgent", "urgent"],
        "assignee": ["manager", "manager"]}
    assert row(app, rec.id)["priority"] == "urgent"
    assert [e.action for e in events_after(app, seq)] == ["sla_breach"]  # no field changed


def test_escalation_never_lowers_a_priority(app: Flask,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    spec = portal_of(app).spec
    form = spec.form("complaint")
    assert form.sla is not None
    lowered = dataclasses.replace(form, sla=dataclasses.replace(
        form.sla, escalate_priority="normal", escalate_role=None))
    monkeypatch.setitem(app.extensions, PORTAL, dataclasses.replace(portal_of(app), spec=(
        dataclasses.replace(spec, forms=tuple(lowered if f.key == "complaint" else f
                                              for f in spec.forms)))))
    urgent = complaint(app, "2026-09-14 10:00", "urgent")
    low = complaint(app, "2026-09-14 10:00", "low")
    assert run(app, "2026-09-15 10:01")[1] == (
        "complaint: deadlines computed 0, breaches marked 3 (first response 2, resolution 1), "
        "escalated 2, reassigned 0")
    assert [escalations(app, r.id)[0][6] for r in (urgent, low)] == [
        {"breached": ["first_response", "resolution"], "priority": ["urgent", "urgent"]},
        {"breached": ["first_response"], "priority": ["low", "normal"]}]


def test_final_and_met_records_are_left_alone(app: Flask) -> None:
    answered = complaint(app, "2026-09-14 10:00", handler=user_id(app, "staff"))
    fire_at(app, answered.id, "accept", "2026-09-14 10:30")
    closed = complaint(app, "2026-09-14 10:00")
    with app.app_context():
        load(app, closed.id).state = "closed"
        app.appbuilder.session.commit()
    before = {r.id: row(app, r.id) for r in (answered, closed)}
    assert run(app, "2026-09-16 10:00") == [HEAD.format("2026-09-16 10:00:00"), NOTHING]
    assert {r.id: row(app, r.id) for r in (answered, closed)} == before


def test_no_active_supervisor_leaves_the_handler_and_says_so(app: Flask) -> None:
    with app.app_context():
        app.appbuilder.session.execute(text(
            "UPDATE ab_user SET active = :no WHERE id IN (SELECT user_id FROM ab_user_role "
            "JOIN ab_role ON ab_role.id = role_id WHERE ab_role.name IN "
            "('supervisor', 'manager'))"), {"no": False})
        app.appbuilder.session.commit()
    staff = user_id(app, "staff")
    rec = complaint(app, "2026-09-14 10:00", handler=staff)
    note = "no active user holds supervisor (or a role inheriting it); handler stays staff"
    assert run(app, "2026-09-15 10:01") == [
        HEAD.format("2026-09-15 10:01:00"),
        "complaint: deadlines computed 0, breaches marked 1 (first response 1, resolution 0), "
        "escalated 1, reassigned 0",
        f"complaint #{rec.id}: {note}"]
    assert escalations(app, rec.id) == [("escalation", "registered", "registered", None,
                                         at("2026-09-15 10:01"), note, {
        "breached": ["first_response"], "priority": ["normal", "urgent"],
        "assignee": ["staff", "staff"], "note": note})]
    assert row(app, rec.id)["handler"] == staff


def test_deadlines_are_filled_in_for_records_older_than_the_sla(app: Flask) -> None:
    """The history replays the first response of an accepted record; a record never
    answered misses its first response and is escalated like any other."""
    accepted = complaint(app, "2026-09-14 10:00", handler=user_id(app, "staff"))
    fire_at(app, accepted.id, "accept", "2026-09-14 11:00")
    untouched = complaint(app, "2026-09-14 10:00")
    with app.app_context():
        app.appbuilder.session.execute(text(
            "UPDATE form_complaint SET sla_response_due = NULL, sla_resolution_due = NULL, "
            "sla_responded_on = NULL WHERE id IN (:a, :b)"),
            {"a": accepted.id, "b": untouched.id})
        app.appbuilder.session.commit()
    assert run(app, "2026-09-16 12:00") == [
        HEAD.format("2026-09-16 12:00:00"),
        "complaint: deadlines computed 2, breaches marked 1 (first response 1, resolution 0), "
        "escalated 1, reassigned 1"]
    due = (at("2026-09-15 10:00"), at("2026-09-17 10:00"))
    assert row(app, accepted.id)["due"] == row(app, untouched.id)["due"] == due
    assert row(app, accepted.id)["met"] == (at("2026-09-14 11:00"), None)
    assert not row(app, accepted.id)["response_breached"]
    assert escalations(app, untouched.id)[0][6]["assignee"] == [None, "supervisor"]
    assert run(app, "2026-09-16 12:00")[1] == NOTHING


def test_a_record_changed_during_the_run_is_read_again(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user reassigns the record to the manager while the batch is being worked on: the
    batch is rolled back (its audit event too) and redone on the fresh row."""
    rec = complaint(app, "2026-09-14 10:00", handler=user_id(app, "staff"))
    manager = user_id(app, "manager")
    original = sla_run.FormJob.mark
    calls = []

    def meanwhile(job: sla_run.FormJob, rows: list[Any]) -> None:
        if not calls:
            engine = app.extensions["migrate"].db.engine
            with engine.begin() as conn:
                conn.execute(text("UPDATE form_complaint SET handler_id = :m, "
                                  "version = version + 1 WHERE id = :id"),
                             {"m": manager, "id": rec.id})
        calls.append(len(rows))
        original(job, rows)

    monkeypatch.setattr(sla_run.FormJob, "mark", meanwhile)
    seq = last_seq(app)
    assert run(app, "2026-09-15 10:01")[1] == (
        "complaint: deadlines computed 0, breaches marked 1 (first response 1, resolution 0), "
        "escalated 1, reassigned 0")
    assert calls == [1, 1]
    assert row(app, rec.id)["handler"] == manager
    assert [e.action for e in events_after(app, seq)] == ["sla_breach", "update"]


def test_a_year_without_holidays_in_the_calendar_is_warned_about(app: Flask) -> None:
    assert run(app, "2027-01-04 10:00") == [
        HEAD.format("2027-01-04 10:00:00"), NOTHING,
        "warning: config/calendar.yaml has no holidays or make-up workdays for 2027: "
        "deadlines count Monday–Friday only; add the State Council's arrangement"]
    assert sla_run.working_week(CalendarSpec(weekend=(6,))) == "Monday–Saturday"
    assert sla_run.working_week(CalendarSpec(weekend=(4, 5))) == (
        "Monday, Tuesday, Wednesday, Thursday, Sunday")


def test_a_sunday_night_urgent_complaint_is_due_in_mondays_office_hours(app: Flask) -> None:
    """config/calendar.yaml's office hours (09:00–12:00, 13:30–18:00): the urgent first
    response (2h) registered on Sunday at 22:00 was due Monday at 02:00; the resolution (1d)
    is due at the end of Monday's office hours."""
    rec = complaint(app, "2026-12-06 22:00", priority="urgent")
    assert row(app, rec.id)["due"] == (at("2026-12-07 11:00"), at("2026-12-07 18:00"))
    lunch = complaint(app, "2026-12-07 11:30", priority="urgent")  # 30 min, then 13:30 on
    assert row(app, lunch.id)["due"] == (at("2026-12-07 15:00"), at("2026-12-08 11:30"))
