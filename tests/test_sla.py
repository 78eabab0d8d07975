"""SLA deadlines of complaints (app/sla/deadlines.py): set at creation over the 2026 working-day
calendar, recomputed on a priority change, met by transitions, and overdue()."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from flask import Flask

from app.portal import portal_of
from app.sla.deadlines import overdue
from tests.support.app import user_id
from tests.support.sla import at, complaint, fire_at, load


def _dues(app: Flask, record_id: int) -> tuple[dt.datetime, dt.datetime]:
    with app.app_context():
        record = load(app, record_id)
        return record.sla_response_due, record.sla_resolution_due


def _stamps(app: Flask, record_id: int) -> tuple[Any, Any]:
    with app.app_context():
        record = load(app, record_id)
        return record.sla_responded_on, record.sla_resolved_on


def test_normal_deadlines_skip_the_weekend(app: Flask) -> None:
    """1d / 3d from Friday 15:00: Monday 15:00 and Wednesday 15:00."""
    rec = complaint(app, "2026-09-11 15:00")
    assert rec.created_on == at("2026-09-11 15:00")
    assert _dues(app, rec.id) == (at("2026-09-14 15:00"), at("2026-09-16 15:00"))


def test_national_day_holiday_and_the_saturday_make_up_workday(app: Flask) -> None:
    """From Wednesday 30 Sept 10:00: 1–7 Oct are off, so 1d is Thursday 8 Oct 10:00; 3d is
    14h + 8 Oct + 9 Oct + 10h of Saturday 10 Oct, a make-up workday."""
    rec = complaint(app, "2026-09-30 10:00")
    assert _dues(app, rec.id) == (at("2026-10-08 10:00"), at("2026-10-10 10:00"))


def test_created_on_a_make_up_workday_counts_that_day(app: Flask) -> None:
    """Office hours 09:00–12:00, 13:30–18:00 (config/calendar.yaml): a day from the opening
    ends as that day's office hours end."""
    sunday = complaint(app, "2026-09-20 09:00", "urgent")  # 国庆节调休上班
    assert _dues(app, sunday.id) == (at("2026-09-20 11:00"), at("2026-09-20 18:00"))
    saturday = complaint(app, "2026-10-10 16:00")  # Sunday 11 Oct is off again
    assert _dues(app, saturday.id) == (at("2026-10-12 16:00"), at("2026-10-14 16:00"))


def test_created_on_a_holiday_starts_at_the_next_working_day(app: Flask) -> None:
    """Saturday 3 Oct: the clock starts as 8 Oct opens; 1d ends as its office hours end, 3d
    runs over 8, 9 and the make-up Saturday 10 Oct."""
    rec = complaint(app, "2026-10-03 14:00")
    assert _dues(app, rec.id) == (at("2026-10-08 18:00"), at("2026-10-10 18:00"))


def test_urgent_gets_hours_normal_and_low_get_days(app: Flask) -> None:
    dues = {p: _dues(app, complaint(app, "2026-09-14 10:00", p).id)
            for p in ("urgent", "normal", "low")}
    assert dues == {
        "urgent": (at("2026-09-14 12:00"), at("2026-09-15 10:00")),
        "normal": (at("2026-09-15 10:00"), at("2026-09-17 10:00")),
        "low": (at("2026-09-15 10:00"), at("2026-09-17 10:00")),
    }
    late = complaint(app, "2026-09-11 22:30", "urgent")  # after hours: Monday's office time
    assert _dues(app, late.id) == (at("2026-09-14 11:00"), at("2026-09-14 18:00"))


def test_a_priority_change_recomputes_from_the_creation_time(app: Flask) -> None:
    rec = complaint(app, "2026-09-14 10:00")
    with time_machine.travel(at("2026-09-14 11:00"), tick=False), app.app_context():
        record = load(app, rec.id)
        record.priority = "urgent"
        app.appbuilder.session.commit()
    assert _dues(app, rec.id) == (at("2026-09-14 12:00"), at("2026-09-15 10:00"))


def test_a_met_or_breached_clock_keeps_its_deadline_on_a_priority_change(app: Flask) -> None:
    answered = complaint(app, "2026-09-14 10:00", handler=user_id(app, "staff"))
    fire_at(app, answered.id, "accept", "2026-09-14 10:30")
    breached = complaint(app, "2026-09-14 10:00")
    with app.app_context():
        load(app, breached.id).sla_resolution_breached = True
        app.appbuilder.session.commit()
    with time_machine.travel(at("2026-09-14 11:00"), tick=False), app.app_context():
        for record_id in (answered.id, breached.id):
            load(app, record_id).priority = "urgent"
        app.appbuilder.session.commit()
    assert _dues(app, answered.id) == (at("2026-09-15 10:00"), at("2026-09-15 10:00"))
    assert _dues(app, breached.id) == (at("2026-09-14 12:00"), at("2026-09-17 10:00"))


def test_transitions_stamp_the_first_response_and_the_resolution_once(app: Flask) -> None:
    """Accepting is the first response (any state after the initial one); answering the
    customer (awaiting_confirmation) resolves; later resolved states keep the first stamp."""
    rec = complaint(app, "2026-09-14 10:00", handler=user_id(app, "staff"))
    fire_at(app, rec.id, "accept", "2026-09-14 10:30")
    assert _stamps(app, rec.id) == (at("2026-09-14 10:30"), None)
    fire_at(app, rec.id, "investigate", "2026-09-14 11:00", category="quality",
          severity="normal")
    assert _stamps(app, rec.id) == (at("2026-09-14 10:30"), None)
    fire_at(app, rec.id, "answer", "2026-09-15 09:00", resolution="更换新品")
    fire_at(app, rec.id, "confirm", "2026-09-16 09:00")
    assert _stamps(app, rec.id) == (at("2026-09-14 10:30"), at("2026-09-15 09:00"))
    with app.app_context():
        assert load(app, rec.id).state == "resolved"


def test_overdue_is_a_passed_deadline_not_yet_met_outside_final_states(app: Flask) -> None:
    form = portal_of(app).spec.form("complaint")
    rec = complaint(app, "2026-09-14 10:00", handler=user_id(app, "staff"))
    with app.app_context():
        record = load(app, rec.id)
        assert not overdue(form, record, at("2026-09-15 10:00"))  # due now: not yet late
        assert overdue(form, record, at("2026-09-15 10:01"))
        assert not overdue(form, record, at("2026-09-15 10:01"),
                           clocks=("sla_resolution_due",))
        assert overdue(form, record, at("2026-09-17 10:01"), clocks=("sla_resolution_due",))
    fire_at(app, rec.id, "accept", "2026-09-15 11:00")  # answered late: met all the same
    with app.app_context():
        record = load(app, rec.id)
        assert not overdue(form, record, at("2026-09-16 10:00"))
        assert overdue(form, record, at("2026-09-17 10:01"))
        record.state = "closed"
        assert not overdue(form, record, at("2026-09-17 10:01"))
        app.appbuilder.session.rollback()
    with time_machine.travel(at("2026-09-17 10:01"), tick=False), app.app_context():
        assert overdue(form, load(app, rec.id))  # at defaults to now
