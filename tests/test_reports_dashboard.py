"""The base dashboard's figures on a fixed data set equal an independent computation: for
every tile and chart, this week and the previous one (a period boundary), calendar and
working time, an empty period, and within each viewer's row scope."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest

from app.portal import portal_of
from tests.support.dashboards import (
    DONE,
    NOW,
    PREVIOUS,
    SCOPES,
    WEEK,
    Data,
    figures,
    make_board,
    p90,
    working_seconds,
)


@pytest.fixture(scope="module")
def board(make_app: Any) -> tuple[Any, Data]:
    return make_board(make_app)


def within(moment: Any, period: tuple[dt.date, dt.date]) -> bool:
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    return period[0] <= day < period[1]


def expected(data: Data, calendar: Any, viewer: str, period: tuple[dt.date, dt.date]
             ) -> dict[str, Any]:
    sees = SCOPES[viewer]
    mine = [c for c in data.complaints if sees(c, c.owner, c.handler)]
    made = [c for c in mine if within(c.created_on, period)]
    done = [c for c in made if c.state in DONE]
    hours = [(c.resolved_on - c.created_on).total_seconds() / 3600 for c in made
             if c.resolved_on]
    work = [working_seconds(c.created_on, c.resolved_on, calendar) / 3600 for c in made
            if c.resolved_on]
    answered = [c for c in made if c.response_due and (c.responded_on or c.response_due < NOW)]
    on_time = [c for c in answered if c.responded_on and c.responded_on <= c.response_due]
    solved = [c for c in made if c.resolution_due and (c.resolved_on or c.resolution_due < NOW)]
    solved_on_time = [c for c in solved if c.resolved_on and c.resolved_on <= c.resolution_due]
    surveys = [s for s in data.surveys if sees(s, s.owner, None) and
               within(s.callback_date, period)]
    called = {s.complaint.n for s in data.surveys}
    comp = [k for k in data.compensations if sees(k, k.owner, None) and
            within(k.created_on, period) and k.state not in ("draft", "cancelled")]

    def rate(hits: int, base: int) -> float | None:
        return round(100.0 * hits / base, 1) if base else None

    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    return {
        "volume": len(made), "resolution_rate": rate(len(done), len(made)),
        "handling_avg": mean(hours), "handling_p90": p90(hours), "handling_working": mean(work),
        "response_on_time": rate(len(on_time), len(answered)),
        "resolution_on_time": rate(len(solved_on_time), len(solved)),
        "satisfaction": mean([float(s.service_rating) for s in surveys]),
        "callback_rate": rate(sum(c.n in called for c in done), len(done)),
        "compensation_total": sum(k.amount for k in comp),
        "by_channel": Counter(c.channel for c in made),
        "by_day": Counter(c.created_on.date() for c in made),
        "ratings": Counter(s.service_rating for s in surveys),
        "by_kind": Counter({k.kind: 0.0 for k in comp}) + Counter(
            {kind: sum(k.amount for k in comp if k.kind == kind) for kind in
             {k.kind for k in comp}}),
        "by_level": {level: sum(k.amount for k in comp if _level(k.amount) == level)
                     for level in {_level(k.amount) for k in comp}},
        "backlog": sum(c.state not in DONE for c in mine),
        "backlog_age": Counter(_age_bin((NOW - c.created_on).total_seconds() / 86400)
                               for c in mine if c.state not in DONE),
        "backlog_handler": Counter(c.handler for c in mine if c.state not in DONE),
    }


def _level(amount: float) -> str:
    return "主管审批" if amount <= 500 else ("经理审批" if amount <= 5000 else "经理会签")


def _age_bin(days: float) -> int:
    return 0 if days <= 1 else 1 if days <= 3 else 2 if days <= 7 else 3


def close(actual: Any, wanted: Any) -> bool:
    if wanted is None or actual is None:
        return actual is None and wanted is None
    return actual == pytest.approx(wanted, abs=1e-6)


TILES = ("volume", "resolution_rate", "handling_avg", "handling_p90", "handling_working",
         "response_on_time", "resolution_on_time", "satisfaction", "callback_rate",
         "compensation_total", "backlog")


@pytest.mark.parametrize("viewer", ["manager", "supervisor", "staff"])
def test_every_tile_equals_the_independent_figure_this_week_and_the_previous(board, viewer):
    app, data = board
    calendar = portal_of(app).spec.calendar
    shown = figures(app, viewer)
    now, before = expected(data, calendar, viewer, WEEK), expected(data, calendar, viewer,
                                                                   PREVIOUS)
    assert now["volume"] > 5 and before["volume"] > 5  # the data set spans the boundary
    for key in TILES:
        assert close(shown[key]["value"], now[key]), (key, shown[key]["value"], now[key])
        if key != "backlog":  # the backlog is not limited to a period
            assert close(shown[key]["previous"], before[key]), key


def test_working_time_differs_from_calendar_time_and_matches_minute_counting(board):
    app, data = board
    shown = figures(app, "manager")
    assert shown["handling_working"]["value"] < shown["handling_avg"]["value"]


@pytest.mark.parametrize("viewer", ["manager", "supervisor", "staff"])
def test_charts_equal_the_independent_counts(board, viewer):
    app, data = board
    want = expected(data, portal_of(app).spec.calendar, viewer, WEEK)
    shown = figures(app, viewer)
    channel = shown["by_channel"]
    labels = {"电话": "phone", "邮件": "email", "在线客服": "online", "社交媒体": "social"}
    assert {labels[name]: v for name, v in zip(channel["labels"], channel["values"], strict=True)
            } == {k: float(v) for k, v in want["by_channel"].items()}
    day = shown["by_day"]
    assert day["labels"] == [(WEEK[0] + dt.timedelta(days=i)).strftime("%m-%d")
                             for i in range(7)]  # every day of the week, empty ones too
    assert day["values"] == [float(want["by_day"].get(WEEK[0] + dt.timedelta(days=i), 0))
                             for i in range(7)]
    ratings = shown["satisfaction_distribution"]
    assert ratings["labels"] == ["1", "2", "3", "4", "5"]  # every score, unused ones too
    assert ratings["values"] == [float(want["ratings"].get(k, 0)) for k in range(1, 6)]
    kinds = shown["compensation_by_kind"]
    names = {"退款": "refund", "换货": "replacement", "赠品": "gift", "优惠券": "coupon"}
    assert {names[name]: v for name, v in zip(kinds["labels"], kinds["values"], strict=True)} == \
        pytest.approx(dict(want["by_kind"]))
    level = shown["compensation_by_level"]
    assert dict(zip(level["labels"], level["values"], strict=True)) == pytest.approx(
        want["by_level"])
    age = shown["backlog_by_age"]
    assert age["labels"] == ["≤1天", "1–3天", "3–7天", ">7天"]
    assert age["values"] == [float(want["backlog_age"].get(i, 0)) for i in range(4)]
    team = shown["by_team"]  # 客服一组: staff, staff2 (and the role users); 客服二组: staff3
    made = [c for c in data.complaints if SCOPES[viewer](c, c.owner, c.handler)
            and WEEK[0] <= c.created_on.date() < WEEK[1]]
    assert dict(zip(team["labels"], team["values"], strict=True)) == {
        name: float(n) for name, n in {
            "客服一组": sum(bool({c.owner, c.handler} & {"staff", "staff2"}) for c in made),
            "客服二组": sum("staff3" in (c.owner, c.handler) for c in made)}.items() if n}
    handler = shown["backlog_by_handler"]
    named = {"staff": "staff test", "staff2": "staff2 test", "staff3": "staff3 test",
             None: "（未填写）"}
    assert dict(zip(handler["labels"], handler["values"], strict=True)) == {
        named[k]: float(v) for k, v in want["backlog_handler"].items()}


def test_an_empty_period_shows_zero_counts_and_no_averages(board):
    app, _ = board
    shown = figures(app, "manager", at="2025-03-03")
    assert shown["volume"]["value"] == 0 and shown["volume"]["text"] == "0"
    assert shown["resolution_rate"]["value"] is None and shown["resolution_rate"]["text"] == "—"
    assert shown["handling_avg"]["value"] is None
    assert shown["compensation_total"]["value"] == 0
    assert shown["by_day"]["values"] == [0.0] * 7
    assert shown["by_channel"]["labels"] == [] and shown["by_channel"]["values"] == []


def test_a_month_counts_across_the_weeks(board):
    app, data = board
    shown = figures(app, "manager", period="month", at="2026-11-15")
    november = (dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    want = expected(data, portal_of(app).spec.calendar, "manager", november)
    assert shown["volume"]["value"] == want["volume"] > 0
    assert len(shown["by_day"]["labels"]) == 30


def test_a_chosen_filter_narrows_every_widget_of_its_field(board):
    app, data = board
    shown = figures(app, "manager", f_channel="phone")
    calendar = portal_of(app).spec.calendar
    phone = Data([c for c in data.complaints if c.channel == "phone"], data.surveys,
                 data.compensations, data.users)
    want = expected(phone, calendar, "manager", WEEK)
    for key in ("volume", "resolution_rate", "handling_avg", "backlog"):
        assert close(shown[key]["value"], want[key]), key
    assert shown["by_channel"]["labels"] == ["电话"]
    everything = expected(data, calendar, "manager", WEEK)  # surveys have no channel field
    assert close(shown["satisfaction"]["value"], everything["satisfaction"])
