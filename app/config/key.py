"""One documented YAML key (the type of every declaration in app/config/keys.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Key:
    """One documented YAML key. `kind` drives structural checks (see KINDS)."""

    name: str
    kind: str
    help: str
    required: bool = False
    default: Any = None
    allowed: tuple[str, ...] = ()


KINDS = {
    "string": "a text value",
    "key": "an identifier: lower-case letters and digits, words joined by '_' (e.g. batch_no)",
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
    "scalar": "a text, number, boolean or date value",
    "label": "a text, or a mapping with zh and en texts",
    "keys": "a list of identifiers",
    "numbers": "a list of numbers",
    "strings": "a list of texts",
    "grants": "a mapping of form key → list of actions, or 'all'",
    "scopes": "a mapping of form key → own, team or all",
    "field_refs": "a list of 'form.field', 'form.*' or '*'",
    "field_lists": "a mapping of form key → list of field keys",
    "date": "a date written YYYY-MM-DD",
    "states": "a state key, a list of state keys, or '*'",
    "times": "a list of office hours, each written 'HH:MM-HH:MM' (e.g. '09:00-12:00')",
}

