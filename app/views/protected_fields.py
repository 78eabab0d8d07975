"""Read-only fields: a value shown as text, never accepted from the posted form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape
from wtforms import Field


class ReadOnlyField(Field):
    """Shows the record's current value as text; takes nothing from the posted form."""

    def __init__(self, label: Any = None, display: Callable[[Any], Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.display = display or str

    def process_formdata(self, valuelist: list) -> None:
        """Posted values are ignored: the stored value stays."""

    def populate_obj(self, obj: Any, name: str) -> None:
        """Never writes."""

    def __call__(self, **kwargs: Any) -> Markup:
        value = self.object_data
        shown = "" if value is None else self.display(value)
        return Markup('<p class="form-control-static" id="{0}">{1}</p>').format(
            self.id, escape(shown))
