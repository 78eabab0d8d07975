"""Autonumber templates (app/fieldtypes/autonumber.py): what a template may hold, the counter
a day's numbers share, and the numbers themselves."""

from __future__ import annotations

import datetime as dt

import pytest

from app.fieldtypes.autonumber import counter, problems, render

DAY = dt.date(2026, 12, 6)


def test_a_number_renders_its_date_and_padded_counter() -> None:
    assert render("TS-{date:%Y%m%d}-{seq:4}", DAY, 7) == "TS-20261206-0007"
    assert render("R{date:%y%m}/{seq}", DAY, 12) == "R2612/12"
    assert render("TS-{seq:3}", DAY, 12345) == "TS-12345"  # wider than its padding


def test_the_counter_restarts_when_the_text_around_it_changes() -> None:
    daily = "TS-{date:%Y%m%d}-{seq:4}"
    assert counter(daily, DAY) == counter(daily, DAY)
    assert counter(daily, DAY) != counter(daily, DAY + dt.timedelta(days=1))
    monthly = "R{date:%Y%m}-{seq:4}"
    assert counter(monthly, DAY) == counter(monthly, dt.date(2026, 12, 31))
    assert counter(monthly, DAY) != counter(monthly, dt.date(2027, 1, 1))
    assert counter("N-{seq:6}", DAY) == counter("N-{seq:6}", dt.date(2030, 1, 1))


def test_good_templates_have_no_problems() -> None:
    for template in ("TS-{date:%Y%m%d}-{seq:4}", "{seq}", "退款{date:%Y}-{seq:5}",
                     "A/{date:%y}/{date:%m}/{seq:9}"):
        assert problems(template) == [], template


@pytest.mark.parametrize(("template", "message"), [
    ("TS-{date:%Y%m%d}", "a number needs exactly one {seq} (the counter), e.g. "
                         "TS-{date:%Y%m%d}-{seq:4}"),
    ("{seq}-{seq}", "a number needs exactly one {seq} (the counter), e.g. "
                    "TS-{date:%Y%m%d}-{seq:4}"),
    ("TS-{seq:0}", "'{seq:0}': the width is a number of digits from 1 to 9"),
    ("TS-{seq:x}", "'{seq:x}': the width is a number of digits from 1 to 9"),
    ("TS-{date:%H%M}-{seq}", "'{date:%H%M}': a date part uses %Y, %y, %m, %d only"),
    ("TS-{date}-{seq}", "'{date}': a date part uses %Y, %y, %m, %d only"),
    ("{customer}-{seq}", "'{customer}' is not a part of a number; use {date:%Y%m%d} and "
                         "{seq:4}"),
    ("TS {seq}", "the text around the parts may not hold spaces or braces"),
    ("TS-{seq}}", "the text around the parts may not hold spaces or braces"),
    ("X" * 60 + "{seq:9}", "a number may be at most 64 characters long"),
])
def test_bad_templates_say_what_is_wrong(template: str, message: str) -> None:
    assert problems(template) == [message]
