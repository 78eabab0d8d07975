"""Durations as the YAML writes them ('30m', '4h', '3d', '1d 12h') and as people read them."""

from __future__ import annotations

import re

DAY = 86400
MAX_SECONDS = 365 * DAY
DURATION_RE = re.compile(
    r"(?:(?P<d>[0-9]+)d)?\s*(?:(?P<h>[0-9]+)h)?\s*(?:(?P<m>[0-9]+)m)?", re.ASCII
)
UNIT_SECONDS = {"d": DAY, "h": 3600, "m": 60}


def parse_duration(text: str) -> int:
    """Seconds of a duration like '30m', '4h', '3d', '1d 12h' or '2h30m' as written in YAML."""
    match = DURATION_RE.fullmatch(text.strip())
    if match is None or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration; write e.g. 30m, 4h, 3d or 1d 12h")
    total = 0
    for unit, digits in match.groupdict().items():
        if digits is not None:
            if len(digits.lstrip("0")) > 9:  # int() of thousands of digits is slow or refused
                raise ValueError(f"{text!r} is longer than 365 days")
            total += int(digits) * UNIT_SECONDS[unit]
    if total <= 0:
        raise ValueError("a duration must be longer than zero")
    if total > MAX_SECONDS:
        raise ValueError(f"{text!r} is longer than 365 days")
    return total


def format_duration(seconds: int) -> str:
    """A duration for display, parse_duration's inverse: '3d', '1d 12h', '4h', '2h30m'."""
    if seconds < 0:
        return "-" + format_duration(-seconds)
    days, rest = divmod(int(seconds), DAY)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60  # seconds under a minute are not shown
    clock = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    text = " ".join(part for part in (f"{days}d" if days else "", clock) if part)
    return text or "0m"
