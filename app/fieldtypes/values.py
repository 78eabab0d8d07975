"""A field's value in and out of the portal, by type: JSON from an API client, a cell of an
imported file, and the text a list, a record page or an export shows."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.spec import FieldSpec

DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
                    "%Y-%m-%d %H:%M")
SEPARATORS = "、,，;；"  # between the values of a multiple choice (the export uses 、)
TRUE = frozenset({"是", "yes", "true", "y", "1"})
FALSE = frozenset({"否", "no", "false", "n", "0"})
DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
DATE_RE = re.compile(DATE)
DATETIME_RE = re.compile(DATE + r"(?:\s+|T)(\d{1,2}):(\d{2})(?::(\d{2}))?")
THOUSANDS_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")


class FieldError(ValueError):
    """One field's value cannot even be handed to its form field."""


# -- JSON in: a value as the browser would post it -----------------------------------------
def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def text_in(field: FieldSpec, value: Any) -> list[str]:
    if not isinstance(value, str):
        raise FieldError(_("Enter a text."))
    return [value]


def whole_in(field: FieldSpec, value: Any) -> list[str]:
    if not _whole(value):
        raise FieldError(_("Enter a whole number."))
    return [str(value)]


def decimal_in(field: FieldSpec, value: Any) -> list[str]:
    if isinstance(value, str):
        try:
            Decimal(value.strip())
        except InvalidOperation:
            raise FieldError(_("Enter a number.")) from None
        return [value.strip()]
    if not (_whole(value) or isinstance(value, Decimal)):
        raise FieldError(_("Enter a number."))
    return [str(value)]


def boolean_in(field: FieldSpec, value: Any) -> list[str]:
    if not isinstance(value, bool):
        raise FieldError(_("Enter true or false."))
    return ["1"] if value else ["0"]


def date_in(field: FieldSpec, value: Any) -> list[str]:
    try:
        dt.datetime.strptime(value, "%Y-%m-%d")
    except (TypeError, ValueError):
        raise FieldError(_("Enter a date as YYYY-MM-DD.")) from None
    return [value]


def datetime_in(field: FieldSpec, value: Any) -> list[str]:
    if not isinstance(value, str) or not any(_parses(value, f) for f in DATETIME_FORMATS):
        raise FieldError(_("Enter a date and time as YYYY-MM-DD HH:MM:SS."))
    return [value]


def _parses(value: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _choice_error(field: FieldSpec) -> FieldError:
    return FieldError(_("Enter one of: %(values)s",
                        values=", ".join(c.value for c in field.choices)))


def choice_in(field: FieldSpec, value: Any) -> list[str]:
    if value not in [c.value for c in field.choices]:
        raise _choice_error(field)
    return [value]


def multi_choice_in(field: FieldSpec, value: Any) -> list[str]:
    allowed = {c.value for c in field.choices}
    if not isinstance(value, list) or any(
            not isinstance(v, str) or v not in allowed for v in value):
        raise _choice_error(field)
    return list(value)


def record_in(field: FieldSpec, value: Any) -> list[str]:
    if not _whole(value):
        raise FieldError(_("Enter the id of a record (a whole number)."))
    return [str(value)]


# -- JSON out ------------------------------------------------------------------------------
def plain_out(field: FieldSpec, value: Any) -> Any:
    return value


def decimal_out(field: FieldSpec, value: Any) -> Any:
    return format(Decimal(value), f".{field.scale}f")


def multi_choice_out(field: FieldSpec, value: Any) -> Any:
    return [v for v in str(value).split(",") if v]


def date_out(field: FieldSpec, value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


# -- what lists, record pages and exports show ---------------------------------------------
Formatter = Callable[[Any], Any]


def choice_labels(field: FieldSpec) -> Formatter:
    return lambda value: "、".join(field.choice_label(v) for v in str(value).split(",") if v)


def rating_stars(field: FieldSpec) -> Formatter:
    return lambda value: Markup('<span title="{0}">{1}</span>').format(value, "★" * int(value))


def money_text(field: FieldSpec) -> Formatter:
    return lambda value: f"¥{value:,.2f}"


def yes_no(field: FieldSpec) -> Formatter:
    return lambda value: _l("Yes") if value else _l("No")


def multiline(field: FieldSpec) -> Formatter:
    return lambda value: Markup("<div style='white-space:pre-wrap'>{0}</div>").format(
        escape(value))


def as_text(field: FieldSpec) -> Formatter:
    return str


def record_name(field: FieldSpec) -> Formatter:
    """A referenced record in an export: by the name an import looks it up by (its display
    field, app/db/titles.py), not its longer title."""
    return lambda record: str(getattr(record, "__display__", record.__str__)())


# -- a cell of an imported file → the JSON value the API takes -----------------------------
# Whatever cannot be read is handed on as text, so the API's own message names the problem.
def fold(text: str) -> str:
    """Compared without case and extra spaces."""
    return " ".join(text.split()).casefold()


def text_cell(field: FieldSpec, text: str) -> Any:
    return text


def integer_cell(field: FieldSpec, text: str) -> Any:
    if field.type == "rating" and set(text) == {"★"}:
        return len(text)
    return int(text) if re.fullmatch(r"[+-]?\d{1,12}", text) else text


def decimal_cell(field: FieldSpec, text: str) -> Any:
    text = text.lstrip("¥￥").strip()
    return text.replace(",", "") if THOUSANDS_RE.fullmatch(text) else text


def iso_date(text: str) -> str | None:
    match = DATE_RE.fullmatch(text)
    if not match:
        return None
    y, m, d = (int(g) for g in match.groups())
    return f"{y:04d}-{m:02d}-{d:02d}"


def date_cell(field: FieldSpec, text: str) -> Any:
    return iso_date(text) or text


def datetime_cell(field: FieldSpec, text: str) -> Any:
    """A date and time; a date alone is its midnight (an Excel date cell)."""
    match = DATETIME_RE.fullmatch(text)
    if not match:
        return f"{iso_date(text)} 00:00:00" if iso_date(text) else text
    y, m, d, hh, mm, ss = (int(g or 0) for g in match.groups())
    return f"{y:04d}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}"


def boolean_cell(field: FieldSpec, text: str) -> Any:
    return True if fold(text) in TRUE else False if fold(text) in FALSE else text


@functools.lru_cache(maxsize=512)
def choice_names(field: FieldSpec) -> tuple[tuple[str, str], ...]:
    """(folded key or label, value), longest first."""
    names = {fold(n): c.value for c in field.choices for n in (c.value, c.label.zh, c.label.en)}
    return tuple(sorted(names.items(), key=lambda p: -len(p[0])))


def choice_cell(field: FieldSpec, text: str) -> Any:
    return dict(choice_names(field)).get(fold(text), text)


def multi_choice_cell(field: FieldSpec, text: str) -> Any:
    """Values, keys or labels between separators; a label may contain a separator."""
    picked: list[str] = []
    rest = text
    while rest := rest.lstrip(SEPARATORS + " \t"):
        for name, value in choice_names(field):
            after = rest[len(name):len(name) + 1]
            if fold(rest[:len(name)]) == name and (not after or after in SEPARATORS
                                                    or after.isspace()):
                picked.append(value)
                rest = rest[len(name):]
                break
        else:  # not a choice: the API names the allowed ones
            return picked + [p.strip() for p in re.split(f"[{SEPARATORS}]", rest) if p.strip()]
    return picked
