"""Inputs of sensitive fields: the stored value never reaches the browser (the placeholder
shows it masked), and an edit that leaves the input empty keeps it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup
from wtforms import StringField, TextAreaField
from wtforms.validators import StopValidation
from wtforms.widgets import TextArea, TextInput

from app.spec import FieldSpec


class KeepStored:
    """First validator of a sensitive field: on an edit form, an empty input keeps the stored
    value, so the other validators (required, pattern, unique) do not apply to it."""

    def __call__(self, form: Any, field: Any) -> None:
        if field.object_data not in (None, "") and not (field.data or "").strip():
            raise StopValidation()


class _SensitiveWidget:
    """Input with class form-control; the placeholder shows the masked stored value."""

    def __init__(self, base: Any) -> None:
        self.base = base

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("class", "form-control")
        stored = field.object_data
        kwargs["placeholder"] = field.masker(str(stored)) if stored not in (None, "") else (
            field.label.text)
        kwargs["autocomplete"] = "off"
        return Markup(self.base(field, **kwargs))


class _SensitiveMixin:
    """The stored value never reaches the browser; left empty on edit, it is kept."""

    object_data: Any
    raw_data: Any
    data: Any

    def __init__(self, *args: Any, spec: FieldSpec, masker: Callable[[str], str],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec, self.masker = spec, masker

    def _value(self) -> str:
        return self.raw_data[0] if self.raw_data else ""

    def populate_obj(self, obj: Any, name: str) -> None:
        if self.object_data not in (None, "") and not (self.data or "").strip():
            return
        super().populate_obj(obj, name)  # type: ignore[misc]


class SensitiveStringField(_SensitiveMixin, StringField):
    widget = _SensitiveWidget(TextInput())


class SensitiveTextField(_SensitiveMixin, TextAreaField):
    widget = _SensitiveWidget(TextArea())


def sensitive_field(spec: FieldSpec, masker: Callable[[str], str], text: bool,
                    validators: list, **kw: Any) -> Any:
    cls = SensitiveTextField if text else SensitiveStringField
    return cls(validators=[KeepStored(), *validators], spec=spec, masker=masker, **kw)
