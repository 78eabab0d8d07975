"""What a list cell or a record page's value shows a person: a value without one shows "—",
never `None` or an empty cell; a type's own formatter (app/fieldtypes/registry.py `show`, the
workflow and SLA columns) only ever sees a value. One wrapper for every column of a screen
instead of checks in each formatter and template."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import lazy_gettext as _l

EMPTY = "—"
Formatter = Callable[[Any], Any]


def is_empty(value: Any) -> bool:
    """No value: None, blank text, an empty list, or an object saying it has none (a Deadline
    without a due time, app/views/workflow_columns.py). 0 and False are values."""
    if value is None or isinstance(value, str):
        return value is None or not value.strip()
    return not isinstance(value, numbers.Number) and not value


def yes_no(value: bool) -> Any:
    return _l("Yes") if value else _l("No")


def cell(formatter: Formatter | None = None) -> Formatter:
    """`formatter` (or the value as it is; a true/false value as 是/否), with "—" for no
    value and for a formatter that finds nothing to show."""
    def show(value: Any) -> Any:
        if is_empty(value):
            return EMPTY
        if formatter is not None:
            out = formatter(value)
        else:
            out = yes_no(value) if isinstance(value, bool) else value
        return EMPTY if is_empty(out) else out
    return show


def every_cell(formatters: dict[str, Formatter], columns: Iterable[str]) -> dict[str, Formatter]:
    """A formatter for each of `columns`: its own one (if any) wrapped by `cell`."""
    return {c: cell(formatters.get(c)) for c in dict.fromkeys(columns)}
