"""Autonumber templates (`format` of an `autonumber` field), e.g. "TS-{date:%Y%m%d}-{seq:4}":
literal text, `{date:…}` (the creation date: strftime's %Y, %y, %m and %d) and `{seq:N}` (a
counter, zero-padded to N digits). The counter restarts whenever the text around it changes:
daily with a %d in the template, monthly with %m only, never without a date.

The numbers themselves are given on save, in the saving transaction (app/db/numbers.py)."""

from __future__ import annotations

import datetime as dt
import re

PART = re.compile(r"\{([^{}:]*)(?::([^{}]*))?\}")
DATE_CODE = re.compile(r"%(.)")
DATE_CODES = ("Y", "y", "m", "d")
MAX_LENGTH = 64  # the column's length
MAX_WIDTH = 9
LITERAL = re.compile(r"^[^{}\s]*$")
SEQ = "{seq}"  # stands for the counter in a counter's name (no template text has braces)


def problems(template: str) -> list[str]:
    """What is wrong with a template (empty: nothing)."""
    out: list[str] = []
    seqs = 0
    for match in PART.finditer(template):
        name, spec = match.group(1), match.group(2)
        if name == "seq":
            seqs += 1
            if spec not in (None, "") and not (spec.isdigit() and 1 <= int(spec) <= MAX_WIDTH):
                out.append(f"'{{seq:{spec}}}': the width is a number of digits from 1 to "
                           f"{MAX_WIDTH}")
        elif name == "date":
            codes = DATE_CODE.findall(spec or "")
            bad = [c for c in codes if c not in DATE_CODES]
            if not codes or bad:
                out.append(f"'{match.group(0)}': a date part uses "
                           + ", ".join(f"%{c}" for c in DATE_CODES) + " only")
        else:
            out.append(f"'{match.group(0)}' is not a part of a number; use {{date:%Y%m%d}} "
                       "and {seq:4}")
    if seqs != 1:
        out.append("a number needs exactly one {seq} (the counter), e.g. "
                   "TS-{date:%Y%m%d}-{seq:4}")
    if not LITERAL.match(PART.sub("", template)):
        out.append("the text around the parts may not hold spaces or braces")
    if not out and len(render(template, dt.date(2000, 12, 31), 10**MAX_WIDTH - 1)) > MAX_LENGTH:
        out.append(f"a number may be at most {MAX_LENGTH} characters long")
    return out


def _fill(template: str, day: dt.date, seq: str | None) -> str:
    def part(match: re.Match) -> str:
        name, spec = match.group(1), match.group(2)
        if name == "date":
            return day.strftime(spec)
        if seq is None:
            return SEQ
        width = int(spec) if spec else 1
        return seq.zfill(width)
    return PART.sub(part, template)


def counter(template: str, day: dt.date) -> str:
    """The name of the counter a number made on `day` takes its sequence from."""
    return _fill(template, day, None)


def render(template: str, day: dt.date, seq: int) -> str:
    return _fill(template, day, str(seq))
