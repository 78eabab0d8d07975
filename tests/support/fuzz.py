"""Strategies for tests/test_fuzz.py: hostile parameter values and form posts.

Every generated form value carries what the screens must do with it: "valid" values must be
saved exactly as `expected`, "invalid" ones must be refused with a message next to the field,
and "maybe" values (unusual but harmless spellings such as '+7' or full-width digits) may go
either way, but when saved they must be stored as `expected`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from app.fieldtypes.forms import FALSE_POSTS, TRUE_POSTS
from app.spec import FieldSpec, FormSpec

_unique = itertools.count(1)
INT4 = (-(2**31), 2**31 - 1)
MISSING_ID = 2_000_000_000  # fits an INTEGER column, far above any row the tests create

# Values of every shape for list parameters and filters.
HOSTILE = (
    "", " ", "0", "1", "-1", "+1", "007", "1.5", "1e3", "1e309", "-0", "0x10", "NaN", "nan",
    "Infinity", "-Infinity", "99999999999999999999", "-99999999999999999999", "2147483648",
    "9223372036854775808", "１２", "²", "١٢", "1_0", " 1 ", "%", "_", "\\", "abc\\", "a\\\\",
    "%_%", "%%%%%%%%%%", "'", '"', "' OR 1=1 --", "1; DROP TABLE form_customer", "\x00",
    "a\x00b", "\r\n", "\t", "\x07", "2026-02-30", "9999-12-31", "0000-00-00", "2026-13-45",
    "0001-01-01", "10000-01-01", "2026-01-01T25:00", "2026-01-01 10:00:00+08:00",
    "2026-W01-1", "y", "n", "true", "asc", "desc", "sideways", "id", "created_on",
    "一二三", "\u202e\u202d", "\ufeff", "\uffff", "\U0010ffff", "😀" * 3, "é", "x" * 5000,
    "<b>x</b>", "<script>alert(1)</script>", "&amp;", "{{ 7*7 }}", "%(value)s", "%s",
    "9" * 5000, "0" * 30 + "1",
)
hostile_text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40))


@dataclass(frozen=True)
class Value:
    posted: str | list[str] | None  # None: not posted (unticked box, empty multi-select)
    tag: str  # "valid" | "invalid" | "maybe"
    expected: Any = None  # what the row must hold when the form is saved


def blank(tag: str = "valid") -> Value:
    return Value("", tag, None)


@dataclass(frozen=True)
class Targets:
    """Existing ids a reference or user field may point at."""

    ids: dict[str, list[int]]  # form key -> seeded ids
    users: list[int]
    # a user field's `roles` -> the users it offers (one of the roles, a role inheriting one,
    # or an admin role)
    users_with: dict[tuple[str, ...], list[int]] = dc_field(default_factory=dict)


# ---------------------------------------------------------------- text-like fields

SAFE_CHARS = st.characters(categories=("L", "N", "P", "S"))
ODD_UNICODE = ("\u202e", "\u200d", "\u200b", "\ufeff", "\uffff", "\U0010ffff", "\u0301",
               "😀", "\U0002a6d6", "\u3000", "\u2028", "é")
MIXED = ("valid", "valid", "valid", "valid", "blank", "invalid", "maybe")
VALID = ("valid", "valid", "valid", "blank")


def _kind(draw: Any, field: FieldSpec, kinds: tuple[str, ...]) -> str:
    kind = draw(st.sampled_from(kinds))
    if kind == "blank" and field.required and "invalid" not in kinds:
        return "valid"
    return kind


@st.composite
def _plain_text(draw: Any, field: FieldSpec) -> str:
    lo, hi = max(field.min_length or 0, 1), min(field.max_length or 60, 60)
    text = draw(st.text(SAFE_CHARS, min_size=lo, max_size=max(lo, hi)))
    extras = ["\r\n", "\n", "\t", " ", "\r\n\r\n"] if field.type == "text" else [" "]
    for extra in (draw(st.sampled_from(extras)), draw(st.sampled_from(ODD_UNICODE))):
        if len(text) >= 2 and draw(st.booleans()):  # inside the text, never at its ends
            cut = draw(st.integers(1, len(text) - 1))
            text = (text[:cut] + extra + text[cut:])[: field.max_length or None]
    text = text.strip()
    return text + "x" * (lo - len(text))


def _valid_text(field: FieldSpec) -> st.SearchStrategy[str]:
    if field.type == "phone":
        return st.one_of(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
                         st.from_regex(r"0[1-9][0-9]{1,2}-[1-9][0-9]{6,7}", fullmatch=True))
    if field.type == "email":
        return st.from_regex(r"[a-z][a-z0-9_]{0,15}@example\.(com|cn)", fullmatch=True)
    if field.pattern:
        hi = field.max_length or 60
        return st.from_regex(field.pattern, fullmatch=True).filter(lambda s: len(s) <= hi)
    return _plain_text(field)


def _unique_suffix(field: FieldSpec, text: str) -> str:
    """A unique field gets a per-call suffix so valid values never collide."""
    if not field.unique:
        return text
    suffix = f"u{next(_unique)}"
    return text[: (field.max_length or 200) - len(suffix)] + suffix


@st.composite
def text_value(draw: Any, field: FieldSpec, kinds: tuple[str, ...] = MIXED) -> Value:
    kind = _kind(draw, field, kinds)
    if kind == "blank":
        return blank("invalid" if field.required else "valid")
    value = _unique_suffix(field, draw(_valid_text(field)))
    if kind == "valid":
        return Value(value, "valid", value)
    if kind == "maybe":  # surrounding whitespace is trimmed
        return Value(draw(st.sampled_from([f"  {value}\t", f"\u3000{value}", f"{value}\r\n"])),
                     "maybe", value)
    base = value or "x"
    head, tail = base[:1], base[1:] or "z"  # inside the text: whitespace at the ends is trimmed
    bad = [head + "\x00" + tail, base + "\x00", "\x01" + base, head + "\x1b[0m" + tail,
           head + "\x85" + tail, head + "\x7f" + tail]
    if field.type != "text":
        bad += [head + "\r\n" + tail, base + "\nX"]
    if field.max_length:
        bad.append(draw(SAFE_CHARS) * (field.max_length + draw(st.integers(1, 3))))
    if (field.min_length or 0) > 1:
        bad.append(base[: field.min_length - 1])  # type: ignore[operator]
    if field.type == "phone":
        bad += ["12345", "1380013800O", "+86 138-0013-8000 转", "１３８００１３８０００"]
    if field.type == "email":
        bad += ["not-an-email", "a@b", "@example.com", "a b@example.com"]
    if field.pattern:
        bad += ["批号 1", "a b", "a_b", "a/b"]
    return Value(draw(st.sampled_from(bad)), "invalid")


# ---------------------------------------------------------------- numbers

def _bounds(field: FieldSpec) -> tuple[Decimal, Decimal]:
    if field.type in ("decimal", "money"):
        top = Decimal(10) ** (field.precision - field.scale) - Decimal(10) ** -field.scale
        lo = Decimal(str(field.min)) if field.min is not None else -top
        hi = Decimal(str(field.max)) if field.max is not None else top
        return max(lo, -top), min(hi, top)
    lo = Decimal(int(field.min)) if field.min is not None else Decimal(INT4[0])
    hi = Decimal(int(field.max)) if field.max is not None else Decimal(INT4[1])
    return lo, hi


NOT_NUMBERS = ("abc", "NaN", "nan", "sNaN", "-NaN", "Infinity", "-Infinity", "inf", "1e309",
               "-1e309", "1,5", "0x10", "\x00", "1\x00", "五", "--1", "1..2", "١e", "∞")


@st.composite
def integer_value(draw: Any, field: FieldSpec, kinds: tuple[str, ...] = MIXED) -> Value:
    lo, hi = (int(b) for b in _bounds(field))
    kind = _kind(draw, field, kinds)
    if kind == "blank":
        return blank("invalid" if field.required else "valid")
    if kind == "valid":
        n = draw(st.integers(lo, hi))
        return Value(str(n), "valid", n)
    if kind == "maybe":
        n = draw(st.integers(lo, hi))
        spelled = draw(st.sampled_from([f" {n} ", f"+{n}" if n >= 0 else str(n),
                                        str(n).translate(FULLWIDTH), f"{n}".zfill(6)]))
        return Value(spelled, "maybe", n)
    out = draw(st.one_of(st.integers(hi + 1, 2**70), st.integers(-(2**70), lo - 1)))
    bad = [str(out), str(2**63), str(-(2**63) - 1), "1.5", "1e3", *NOT_NUMBERS]
    return Value(draw(st.sampled_from(bad)), "invalid")


FULLWIDTH = str.maketrans("0123456789-", "０１２３４５６７８９-")


@st.composite
def decimal_value(draw: Any, field: FieldSpec, kinds: tuple[str, ...] = MIXED) -> Value:
    lo, hi = _bounds(field)
    kind = _kind(draw, field, kinds)
    if kind == "blank":
        return blank("invalid" if field.required else "valid")
    number = draw(st.decimals(lo, hi, places=field.scale, allow_nan=False,
                              allow_infinity=False))
    if kind == "valid":
        return Value(format(number, "f"), "valid", number)
    if kind == "maybe":
        spelled = draw(st.sampled_from([f" {number} ", f"{number}000", f"{number:E}"]))
        return Value(spelled, "maybe", number)
    finer = number + Decimal(10) ** -(field.scale + 1) if number < hi else number - Decimal(
        10) ** -(field.scale + 1)
    bad = [format(finer, "f"), "0.1234567890123456789012345678901", "1e-309",
           format(hi + 1, "f"), format(lo - 1, "f"), "1" + "0" * 40, *NOT_NUMBERS]
    return Value(draw(st.sampled_from(bad)), "invalid")


@st.composite
def rating_value(draw: Any, field: FieldSpec, kinds: tuple[str, ...] = MIXED) -> Value:
    lo, hi = int(field.min or 1), int(field.max or 5)
    kind = _kind(draw, field, kinds)
    if kind == "blank":
        return blank("invalid" if field.required else "valid")
    if kind in ("valid", "maybe"):
        n = draw(st.integers(lo, hi))
        return Value(str(n), "valid", n)
    bad = [str(lo - 1), str(hi + 1), "99999999999999999999", "1.0", "★", "abc", "\x00", "-1"]
    return Value(draw(st.sampled_from(bad)), "invalid")


# ---------------------------------------------------------------- dates, choices, booleans

BAD_DATES = ("2026-02-30", "0000-00-00", "2026-13-01", "2026-00-10", "10000-01-01",
             "2026/01/01", "01-02-2026", "昨天", "\x00", "2026-01-01\x00", "9999-99-99")


@st.composite
def date_value(draw: Any, field: FieldSpec, kinds: tuple[str, ...] = MIXED) -> Value:
    kind = _kind(draw, field, kinds)
    if kind == "blank":
        return blank("invalid" if field.required else "valid")
    if kind in ("valid", "maybe"):
        day = draw(st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)))
        return Value(day.isoformat(), "valid", day)
    return Value(draw(st.sampled_from(BAD_DATES)), "invalid")


@st.composite
def datetime_value(draw: Any, field: FieldSpec, kinds: tuple[str, ...] = MIXED) -> Value:
    kind = _kind(draw, field, kinds)
    if kind == "blank":
        return blank("invalid" if field.required else "valid")
    if kind in ("valid", "maybe"):
        moment = draw(st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59)))
        moment = moment.replace(microsecond=0)
        spelled = draw(st.sampled_from([moment.isoformat(timespec="seconds"),
                                        moment.isoformat(sep=" ", timespec="seconds")]))
        return Value(spelled, "valid", moment)
    bad = ["2026-02-30T10:00", "2026-01-01T24:00", "2026-01-01T10:60", "昨天下午",
           "2026-01-01T10:00+08:00", "2026-01-01", *BAD_DATES]
    return Value(draw(st.sampled_from(bad)), "invalid")


@st.composite
def boolean_value(draw: Any, field: FieldSpec, kinds: tuple[str, ...] = MIXED) -> Value:
    """是 (1, y, true, on), 否 (0, n, false, off), not answered (blank: None); anything else
    is no answer the select offers."""
    posted = draw(st.one_of(st.sampled_from(["y", "1", "0", "", "false"]), hostile_text))
    if not posted.strip():  # spaces are no answer either
        return Value(posted, "invalid" if field.required else "valid", None)
    if posted in TRUE_POSTS or posted in FALSE_POSTS:
        return Value(posted, "valid", posted in TRUE_POSTS)
    return Value(posted, "invalid")


@st.composite
def choice_value(draw: Any, field: FieldSpec, kinds: tuple[str, ...] = MIXED) -> Value:
    values = [c.value for c in field.choices]
    kind = _kind(draw, field, kinds)
    if kind == "blank":  # spaces are no choice either
        return Value(draw(st.sampled_from(["", " ", "\t"])),
                     "invalid" if field.required else "valid", None)
    if kind in ("valid", "maybe"):
        value = draw(st.sampled_from(values))
        return Value(value, "valid", value)
    unknown = draw(hostile_text.filter(lambda s: s.strip() and s not in values
                                       and s != "None"))
    return Value(unknown, "invalid")


@st.composite
def multi_choice_value(draw: Any, field: FieldSpec, kinds: tuple[str, ...] = MIXED) -> Value:
    values = [c.value for c in field.choices]
    least = 1 if field.required and "invalid" not in kinds else 0
    picked = draw(st.lists(st.sampled_from(values), min_size=least, max_size=len(values) * 3))
    unique = list(dict.fromkeys(picked))  # duplicates are stored once
    if draw(st.booleans()):  # blank entries are no selection, wherever they are
        at = draw(st.integers(0, len(picked)))
        picked = [*picked[:at], draw(st.sampled_from(["", " "])), *picked[at:]]
    if "invalid" in kinds and draw(st.integers(0, 4)) == 0:  # an unknown value among known
        unknown = draw(hostile_text.filter(lambda s: s.strip() != "" and s not in values))
        at = draw(st.integers(0, len(picked)))
        return Value([*picked[:at], unknown, *picked[at:]], "invalid")
    if not unique:
        return Value(picked or None, "invalid" if field.required else "valid", None)
    return Value(picked, "valid", ",".join(unique))


@st.composite
def reference_value(draw: Any, field: FieldSpec, targets: Targets,
                    kinds: tuple[str, ...] = MIXED) -> Value:
    if field.type == "user":
        ids = targets.users_with[field.roles] if field.roles else targets.users
    else:
        ids = targets.ids[field.form or ""]
    kind = _kind(draw, field, kinds)
    if kind == "blank":
        return blank("invalid" if field.required else "valid")
    if kind in ("valid", "maybe"):
        pk = draw(st.sampled_from(ids))
        return Value(str(pk), "valid", pk)
    bad = [str(MISSING_ID), str(MISSING_ID + draw(st.integers(0, 99))), "-1", "0", "abc",
           f"{ids[0]}.0", f" {ids[0]}", "99999999999999999999", "\x00", "1 OR 1=1"]
    return Value(draw(st.sampled_from(bad)), "invalid")


@st.composite
def signature_value(draw: Any, field: FieldSpec, kinds: tuple[str, ...] = MIXED) -> Value:
    """Nothing drawn, or what is not a drawing (drawings: tests/test_views_signatures.py)."""
    kind = _kind(draw, field, kinds)
    if kind != "invalid":
        return blank("invalid" if field.required else "valid")
    bad = ["abc", "data:image/png;base64,AAAA", "data:image/png;base64,!!", "\x00",
           "data:text/html,<b>x</b>", "data:image/gif;base64,R0lGODlh"]
    return Value(draw(st.sampled_from(bad)), "invalid")


def field_value(field: FieldSpec, targets: Targets,
                kinds: tuple[str, ...] = MIXED) -> st.SearchStrategy[Value]:
    t = field.type
    if t == "signature":
        return signature_value(field, kinds)
    if t in ("string", "text", "phone", "email"):
        return text_value(field, kinds)
    by_type = {"integer": integer_value, "decimal": decimal_value, "money": decimal_value,
               "rating": rating_value, "date": date_value, "datetime": datetime_value,
               "boolean": boolean_value, "choice": choice_value,
               "multi_choice": multi_choice_value}
    if t in by_type:
        return by_type[t](field, kinds)
    return reference_value(field, targets, kinds)


@st.composite
def form_values(draw: Any, form: FormSpec, targets: Targets) -> dict[str, Value]:
    """A value for every field; about a third of the posts are entirely valid."""
    kinds = VALID if draw(st.integers(0, 2)) == 0 else MIXED
    return {f.key: draw(field_value(f, targets, kinds)) for f in form.entered}
