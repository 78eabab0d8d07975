"""The select of a reference or user field: it renders the chosen record only and finds the
others as the user types (app/static/portal/lookup.js asks the field's lookup URL,
app/views/lookup.py); a posted id is checked against what the field may offer, one row at a
time. Its cost does not grow with the table it points to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import url_for
from flask_appbuilder.fields import QuerySelectField
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms.fields.choices import Choice
from wtforms.validators import ValidationError

BLANK = "__None"  # what FAB's select posts for "no record"


class LookupSelectWidget:
    """A `<select>` holding the chosen option, marked for the lookup script."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        attrs = {
            "class": "portal-lookup form-control",
            "name": kwargs.pop("name_", field.name),
            "data-lookup": field.lookup_url(),
            "data-placeholder": str(_l("Type to search")),
            "data-searching": str(_l("Searching…")),
            "data-no-results": str(_l("No matching records")),
            "data-loading-more": str(_l("Loading more…")),
            "data-error": str(_l("The list could not be loaded; try again.")),
            "data-blank": "1" if field.allow_blank else "",
            **{k: v for k, v in kwargs.items() if k != "class"},
        }
        if field.flags.required:
            attrs["required"] = True
        html = [f"<select {_attributes(attrs)}>"]
        if field.allow_blank:
            html.append(f'<option value="{BLANK}">{escape(field.blank_text)}</option>')
        for choice in field.iter_choices():
            if choice.value == BLANK:
                continue
            selected = " selected" if choice.selected else ""
            html.append(f'<option value="{escape(choice.value)}"{selected}>'
                        f"{escape(choice.label)}</option>")
        html.append("</select>")
        return Markup("".join(html))


def _attributes(attrs: dict[str, Any]) -> str:
    out = []
    for key, value in attrs.items():
        if value is True:
            out.append(str(escape(key)))
        elif value not in (None, False):
            out.append(f'{escape(key)}="{escape(value)}"')
    return " ".join(out)


class RecordSelectField(QuerySelectField):
    """FAB's QuerySelectField, offering only the chosen record; `fetch(id)` returns the
    record a posted id names if the field may offer it (scope, roles), else None."""

    widget = LookupSelectWidget()

    def __init__(self, *args: Any, fetch: Callable[[Any], Any],
                 label_of: Callable[[Any], str], lookup: tuple[str, str], **kwargs: Any) -> None:
        super().__init__(*args, query_func=list, get_pk_func=lambda obj: str(obj.id),
                         get_label=label_of, **kwargs)
        self.fetch = fetch
        self.lookup = lookup  # (form key, field key) of the lookup URL
        self._original: Any = None

    def lookup_url(self) -> str:
        form, field = self.lookup
        return url_for("LookupView.lookup", form_key=form, field_key=field)

    def process_data(self, value: Any) -> None:
        super().process_data(value)
        self._original = value  # the stored record stays acceptable, in scope or not

    def process_formdata(self, valuelist: list) -> None:
        if valuelist and valuelist[0] == "" and self.allow_blank:
            valuelist = [BLANK]  # a cleared select posts nothing chosen
        super().process_formdata(valuelist)

    def _get_object_list(self) -> list[tuple[str, Any]]:
        if self._object_list is None:  # type: ignore[has-type]
            obj = self._data
            if self._formdata is not None:
                if self._original is not None and self._formdata == str(self._original.id):
                    obj = self._original
                else:
                    obj = self.fetch(self._formdata)
            self._object_list = [(str(obj.id), obj)] if obj is not None else []
        return self._object_list

    def iter_choices(self) -> Any:
        """FAB yields raw tuples, deprecated in WTForms 3.2; yield Choice objects."""
        for value, label, selected, render_kw in super().iter_choices():
            yield Choice(value, label, selected, render_kw)

    def pre_validate(self, form: Any) -> None:
        if self._formdata is not None and self.data is None:
            raise ValidationError(_l("Please choose one of the listed records."))
        if not self.allow_blank and self.data is None:
            raise ValidationError(_l("Please choose one of the listed records."))
