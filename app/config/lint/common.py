"""Small helpers every part of the linter uses."""

from __future__ import annotations

from typing import Any

from app.spec import Label


def _a(word: str) -> str:
    """'a string', 'an integer'."""
    return f"{'an' if word[:1] in 'aeiou' and word != 'user' else 'a'} {word}"


def item_path(values: Any, index: int) -> tuple | None:
    """Where item `index` of a merged list was written, when it came from another file."""
    paths = getattr(values, "item_paths", None)
    return paths[index] if paths else None


def to_label(value: Any) -> Label:
    if isinstance(value, str):
        return Label(value, value)
    return Label(value["zh"], value.get("en") or value["zh"])
