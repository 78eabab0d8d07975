"""Durations as the YAML writes them (app/config/durations.py)."""

from __future__ import annotations

import pytest

from app.config.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 1800),
        ("4h", 4 * 3600),
        ("3d", 3 * 86400),
        ("1d 12h", 36 * 3600),
        ("2h30m", 9000),
        ("1d12h", 36 * 3600),
        (" 1d  2h 5m ", 86400 + 7200 + 300),
        ("0d 4h", 4 * 3600),
        ("90m", 5400),
        ("365d", 365 * 86400),
    ],
)
def test_parse_duration_accepts(text: str, seconds: int) -> None:
    """Days, hours and minutes, each once and in that order, spaces between parts allowed."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3 days", "'3 days' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("", "'' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("4", "'4' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("3 d", "'3 d' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("1h 2d", "'1h 2d' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("2h2h", "'2h2h' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("1.5h", "'1.5h' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("-1h", "'-1h' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("4H", "'4H' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("30s", "'30s' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("３d", "'３d' is not a duration; write e.g. 30m, 4h, 3d or 1d 12h"),
        ("0m", "a duration must be longer than zero"),
        ("0d 0h", "a duration must be longer than zero"),
        ("366d", "'366d' is longer than 365 days"),
        ("365d 1m", "'365d 1m' is longer than 365 days"),
        ("9" * 5000 + "d", f"'{'9' * 5000}d' is longer than 365 days"),
    ],
)
def test_parse_duration_rejects(text: str, message: str) -> None:
    """Anything else is refused with a message that says how to write it."""
    with pytest.raises(ValueError) as raised:
        parse_duration(text)
    assert str(raised.value) == message


def test_format_duration() -> None:
    """The display form is the shortest written form, and parses back to the same seconds."""
    assert format_duration(3 * 86400) == "3d"
    assert format_duration(36 * 3600) == "1d 12h"
    assert format_duration(4 * 3600) == "4h"
    assert format_duration(9000) == "2h30m"
    assert format_duration(1800) == "30m"
    assert format_duration(86400 + 3660) == "1d 1h1m"
    assert format_duration(86400 + 60) == "1d 1m"
    assert format_duration(0) == "0m"
    assert format_duration(59) == "0m"
    assert format_duration(-5400) == "-1h30m"
    for seconds in range(60, 365 * 86400 + 1, 86400 // 8 + 60):
        assert parse_duration(format_duration(seconds)) == seconds
