"""Form fields that protect data: sensitive inputs that never carry the stored value, and
read-only fields that show a value without accepting one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape
from wtforms import Field, StringField, TextAreaField
from wtforms.validators import StopValidation
from wtforms.widgets import TextArea, TextInput

from app.security.access import mask
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
        kwargs["placeholder"] = mask(field.spec, stored) if stored not in (None, "") else (
            field.label.text)
        kwargs["autocomplete"] = "off"
        return Markup(self.base(field, **kwargs))


class _SensitiveMixin:
    """The stored value never reaches the browser; left empty on edit, it is kept."""

    object_data: Any
    raw_data: Any
    data: Any

    def __init__(self, *args: Any, spec: FieldSpec, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec

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


def sensitive_field(spec: FieldSpec, text: bool, validators: list, **kw: Any) -> Any:
    cls = SensitiveTextField if text else SensitiveStringField
    return cls(validators=[KeepStored(), *validators], spec=spec, **kw)


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
