"""The SLA and calendar linter's built values: SlaSpec of the shipped complaint form and of
the corpus, default responded/resolved states, targets per priority, and the CalendarSpec of
config/calendar.yaml (holiday ranges, make-up workdays, weekends, the 31-day limit).

The problems themselves are pinned by the corpus in tests/corpus/cases.yaml.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.config.load import load_spec
from app.spec import CalendarDay, CalendarSpec, SlaSpec, SlaTarget
from tests.support.linter import CONFIG, corpus, problems

H, D = 3600, 86400






# -- SLA --------------------------------------------------------------------------------------

def test_shipped_complaint_sla() -> None:
    form = load_spec(str(CONFIG)).form("complaint")
    assert form.sla == SlaSpec(
        targets={"urgent": SlaTarget(2 * H, D), "normal": SlaTarget(D, 3 * D),
                 "low": SlaTarget(D, 3 * D)},
        priority_field="priority", working_days=True,
        # not given: every state but the initial one
        responded_states=("accepted", "investigating", "escalated", "awaiting_confirmation",
                          "resolved", "closed"),
        resolved_states=("awaiting_confirmation", "resolved", "closed"),
        escalate_priority="urgent", escalate_role="supervisor")
    assert form.sla.target("urgent") == SlaTarget(2 * H, D)
    assert form.sla.target(None) is None  # no default target: every priority has one


def test_shipped_compensation_has_no_sla() -> None:
    assert load_spec(str(CONFIG)).form("compensation").sla is None


def test_corpus_sla_defaults(tmp_path: Path) -> None:
    """Without responded/resolved states: any state but the initial one, the final ones."""
    sla = load_spec(str(corpus(tmp_path))).form("complaint").sla
    assert sla == SlaSpec(
        targets={"urgent": SlaTarget(2 * H, D), "default": SlaTarget(D, 3 * D)},
        priority_field="priority", working_days=True,
        responded_states=("in_progress", "resolved", "closed"), resolved_states=("closed",))
    assert sla.target("low") == sla.target("normal") == sla.target(None) == SlaTarget(D, 3 * D)


def test_default_target_covers_a_priority_the_pack_adds(tmp_path: Path) -> None:
    form = load_spec(str(corpus(tmp_path)), "demo").form("complaint")
    assert [c.value for c in form.field("priority").choices][-1] == "critical"
    assert form.sla is not None and form.sla.target("critical") == SlaTarget(D, 3 * D)


def test_sla_without_priority_field_and_calendar_time(tmp_path: Path) -> None:
    cfg = corpus(tmp_path, edits={"forms/complaint.yaml": (
        "  priority_field: priority\n  calendar: working_days\n  targets:\n"
        "    - {priority: urgent, first_response: 2h, resolution: 1d}\n"
        "    - {first_response: 1d, resolution: 3d}\n",
        "  targets:\n    - {resolution: 1d 12h}\n"
        "  responded_states: [resolved]\n  resolved_states: [resolved, closed]\n")})
    sla = load_spec(str(cfg)).form("complaint").sla
    assert sla == SlaSpec(targets={"default": SlaTarget(None, D + 12 * H)},
                          responded_states=("resolved",),
                          resolved_states=("resolved", "closed"))
    assert sla.target("urgent") == SlaTarget(None, D + 12 * H)


def test_escalation_values(tmp_path: Path) -> None:
    cfg = corpus(tmp_path, edits={"forms/complaint.yaml": (
        "    type: user\n", "    type: user\n    assignee: true\n")})
    with (cfg / "forms" / "complaint.yaml").open("a", encoding="utf-8") as fh:
        fh.write("  escalation: {priority: urgent, assign_role: supervisor}\n")
    sla = load_spec(str(cfg)).form("complaint").sla
    assert sla is not None
    assert (sla.escalate_priority, sla.escalate_role) == ("urgent", "supervisor")


def test_escalation_priority_is_checked_against_the_merged_choices(tmp_path: Path) -> None:
    """'critical' is a choice only once the demo pack adds it."""
    cfg = corpus(tmp_path)
    with (cfg / "forms" / "complaint.yaml").open("a", encoding="utf-8") as fh:
        fh.write("  escalation: {priority: critical}\n")
    assert load_spec(str(cfg), "demo").form("complaint").sla.escalate_priority == "critical"
    assert problems(cfg) == [("PORTAL-E068", "sla.escalation.priority",
                               "'critical' is not a choice of priority")]


def test_sla_problems_of_a_broken_field_are_not_repeated(tmp_path: Path) -> None:
    """priority has a problem of its own: the SLA naming it does not report it again."""
    cfg = corpus(tmp_path, edits={"forms/complaint.yaml": ("default: normal",
                                                            "default: urgentt")})
    assert problems(cfg) == [("PORTAL-E040", "fields[3].default",
                               "'urgentt' is not one of the choices (low, normal, urgent)")]


# -- the working-day calendar -----------------------------------------------------------------

def test_no_calendar_file_means_weekends_only(tmp_path: Path) -> None:
    calendar = load_spec(str(corpus(tmp_path))).calendar
    assert calendar == CalendarSpec()
    assert calendar.weekend == (5, 6)
    assert not calendar.is_working_day(dt.date(2026, 10, 3))  # a Saturday
    assert calendar.is_working_day(dt.date(2026, 10, 1))  # a Thursday, no holidays known


def test_shipped_calendar() -> None:
    calendar = load_spec(str(CONFIG)).calendar
    assert calendar.weekend == (5, 6)
    national = [d for d in calendar.holidays if d.label == "国庆节"]
    assert [d.date for d in national] == [dt.date(2026, 10, day) for day in range(1, 8)]
    assert CalendarDay(dt.date(2026, 2, 23), "春节") in calendar.holidays
    assert len(calendar.holidays) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert calendar.workdays[0] == CalendarDay(dt.date(2026, 1, 4), "元旦调休上班")
    assert len(calendar.workdays) == 6
    assert not calendar.is_working_day(dt.date(2026, 10, 1))  # holiday, a Thursday
    assert calendar.is_working_day(dt.date(2026, 10, 10))  # make-up workday, a Saturday
    assert not calendar.is_working_day(dt.date(2026, 10, 17))  # an ordinary Saturday
    assert calendar.is_working_day(dt.date(2026, 10, 9))  # an ordinary Friday


def test_weekend_is_sorted_and_single(tmp_path: Path) -> None:
    cfg = corpus(tmp_path, calendar="weekend: [saturday, friday, saturday]\n")
    assert load_spec(str(cfg)).calendar.weekend == (4, 5)


def test_an_empty_weekend(tmp_path: Path) -> None:
    cfg = corpus(tmp_path, calendar="weekend: []\n")
    calendar = load_spec(str(cfg)).calendar
    assert calendar.weekend == ()
    assert calendar.is_working_day(dt.date(2026, 10, 4))  # a Sunday


@pytest.mark.parametrize(("end", "problem"), [
    ("2026-01-31", None),  # 31 days: the longest range allowed
    ("2026-02-01", "a range of 32 days (2026-01-01 to 2026-02-01) is too long"),
])
def test_a_range_is_at_most_31_days(tmp_path: Path, end: str, problem: str | None) -> None:
    cfg = corpus(tmp_path, calendar=f"holidays:\n  - {{date: 2026-01-01, to: {end}}}\n")
    if problem is None:
        holidays = load_spec(str(cfg)).calendar.holidays
        assert len(holidays) == 31 and holidays[-1] == CalendarDay(dt.date(2026, 1, 31))
    else:
        assert problems(cfg) == [("PORTAL-E069", "holidays[0].to", problem)]


def test_a_one_day_range(tmp_path: Path) -> None:
    cfg = corpus(tmp_path,
                 calendar="workdays:\n  - {date: 2026-09-20, to: 2026-09-20, label: 调休}\n")
    assert load_spec(str(cfg)).calendar.workdays == (CalendarDay(dt.date(2026, 9, 20), "调休"),)


def test_calendar_problems_are_listed_with_the_forms(tmp_path: Path) -> None:
    cfg = corpus(tmp_path, calendar="holidays:\n  - {date: 2026-10-07, to: 2026-10-01}\n",
                 edits={"forms/complaint.yaml": ("resolution: 3d}", "resolution: 3 days}")})
    assert sorted(problems(cfg)) == [
        ("PORTAL-E068", "sla.targets[1].resolution",
         "'3 days' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("PORTAL-E069", "holidays[0].to",
         "the range ends (2026-10-01) before it starts (2026-10-07)")]
