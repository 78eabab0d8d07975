"""The WTForms field of each field type, with FAB's widgets, labels from the YAML and
validators with clear messages: one build for screens, API and import alike."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_appbuilder.fieldwidgets import (
    BS3TextAreaFieldWidget,
    BS3TextFieldWidget,
    DatePickerWidget,
    Select2ManyWidget,
    Select2Widget,
)
from flask_appbuilder.security.sqla.models import User
from flask_appbuilder.validators import Unique
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.fieldtypes.formats import is_email, is_phone
from app.fieldtypes.record_select import RecordSelectField
from app.fieldtypes.sensitive import sensitive_field
from app.fieldtypes.validators import (
    UNKNOWN_CHOICE,
    Chosen,
    DecimalLimits,
    NoControlCharacters,
    integer_column_range,
    unique_values,
)
from app.spec import FieldSpec


@dataclass(frozen=True)
class FieldContext:
    """What a form field needs from its surroundings: the form's data model (for `unique`),
    its key (a reference or user select's lookup URL names it), how such a select finds the
    record a posted id names within what it may offer (the row scope, the field's roles), and
    how it names a record."""

    datamodel: Any
    fetch: Callable[[FieldSpec], Callable[[Any], Any]]
    label: Callable[[FieldSpec], Callable[[Any], str]]
    form_key: str = ""
    # A signature field's new drawing → the row that stores it (app/db/signatures.py).
    signature: Callable[[FieldSpec], Callable[[Any], Any]] | None = None
    # A file field's attached files (the edit screen lists them with 删除 boxes).
    existing: Callable[[FieldSpec], Callable[[], list[Any]]] | None = None


def lazy(label: Any) -> LazyString:
    """A label that renders in the current request's language."""
    return LazyString(lambda: label.get())


class LocalDateTimeField(DateTimeLocalField):
    """A native <input type="datetime-local">: FAB 5.3's DateTimePickerWidget is a date-only
    picker that rewrites a typed time away (FAB issue #2408). Also accepts the
    'YYYY-MM-DD HH:MM:SS' form that imports and scripts send."""

    FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"class": "form-control", "step": "1"})
        super().__init__(*args, format=list(self.FORMATS), **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime("%Y-%m-%dT%H:%M:%S") if self.data else ""


class MultiChoiceField(SelectMultipleField):
    """Several choice values, stored as one comma-separated text."""

    widget = Select2ManyWidget()

    def process_data(self, value: Any) -> None:
        if isinstance(value, str):
            value = [v for v in value.split(",") if v]
        super().process_data(value or [])

    def process_formdata(self, valuelist: list) -> None:
        """Blank entries are no selection. Kept, a blank first entry made Optional() take
        the whole field for empty and drop the error of a bogus value after it, which was
        then stored."""
        self.raw_data = [v for v in valuelist if str(v).strip()]
        super().process_formdata(self.raw_data)

    def populate_obj(self, obj: Any, name: str) -> None:
        setattr(obj, name, ",".join(unique_values(self.data)) or None)


class Matches:
    """A text validator from a predicate: one rule shared with defaults and imports."""

    def __init__(self, test: Callable[[str], bool], message: Any) -> None:
        self.test, self.message = test, message

    def __call__(self, form: Any, field: Any) -> None:
        if field.data and not self.test(field.data):
            raise ValidationError(self.message)


PHONE_MESSAGE = _l("Enter a valid phone number: an 11-digit mobile number or a landline such "
                   "as 010-12345678.")
EMAIL_MESSAGE = _l("Enter a valid e-mail address.")


def common_kwargs(field: FieldSpec, kind: Any) -> dict[str, Any]:
    """Label, help text and the YAML default of any field."""
    kw: dict[str, Any] = {"label": lazy(field.label)}
    if field.help:
        kw["description"] = lazy(field.help)
    if field.default is not None:
        kw["default"] = _default_callable(field, kind)
    return kw


def text_field(field: FieldSpec, ctx: FieldContext, kind: Any) -> Any:
    """string, text, phone, email: stripped, checked for control characters and length,
    then the type's format, the YAML pattern and uniqueness."""
    t = field.type
    validators = _required(field, text=True) + [NoControlCharacters(t == "text")] + _length(
        field)
    if t == "phone":
        validators.append(Matches(is_phone, PHONE_MESSAGE))
    if t == "email":
        validators.append(Matches(is_email, EMAIL_MESSAGE))
    if field.pattern:
        message = lazy(field.pattern_message) if field.pattern_message else _l(
            "The value does not have the expected format.")
        validators.append(Regexp(re.compile(f"(?:{field.pattern})\\Z"), message=message))
    if field.unique:
        validators.append(Unique(ctx.datamodel, field.key, message=_l(
            "This value is already used by another record.")))
    kw = common_kwargs(field, kind)
    if field.sensitive:
        return sensitive_field(field, kind.mask, t == "text", validators, filters=[_strip], **kw)
    cls, widget = (TextAreaField, BS3TextAreaFieldWidget()) if t == "text" else (
        StringField, BS3TextFieldWidget())
    return cls(validators=validators, widget=widget, filters=[_strip], **kw)


def number_field(field: FieldSpec, ctx: FieldContext, kind: Any) -> Any:
    """integer, decimal, money: within the column's size and the YAML's range."""
    validators = _required(field, text=False)
    if field.type == "integer":
        validators += integer_column_range(field.min, field.max)
    else:
        validators.append(DecimalLimits(field.precision, field.scale))
    if field.min is not None or field.max is not None:
        validators.append(NumberRange(min=field.min, max=field.max,
                                      message=_range_message(field)))
    kw = common_kwargs(field, kind)
    if field.type == "integer":
        return IntegerField(validators=validators, widget=BS3TextFieldWidget(), **kw)
    return DecimalField(validators=validators, places=field.scale, widget=BS3TextFieldWidget(),
                        **kw)


def rating_field(field: FieldSpec, ctx: FieldContext, kind: Any) -> Any:
    """Nothing chosen until someone answers (a required rating started at one star)."""
    blank = [SelectChoice("", "—")]
    return SelectField(choices=blank + stars(field), coerce=_int_or_none,
                       widget=Select2Widget(), validators=_required(field, False, True),
                       **common_kwargs(field, kind))


def stars(field: FieldSpec) -> list[SelectChoice]:
    return [SelectChoice(n, "★" * n) for n in range(int(field.min or 1), int(field.max or 5) + 1)]


def date_field(field: FieldSpec, ctx: FieldContext, kind: Any) -> Any:
    return DateField(format="%Y-%m-%d", widget=DatePickerWidget(),
                     validators=_required(field, text=False), **common_kwargs(field, kind))


def datetime_field(field: FieldSpec, ctx: FieldContext, kind: Any) -> Any:
    return LocalDateTimeField(validators=_required(field, text=False), **common_kwargs(field, kind))


TRUE_POSTS = ("1", "y", "true", "on")  # "y" and "on": what a checkbox posted
FALSE_POSTS = ("0", "n", "false", "off")


def yes_no_or_none(value: Any) -> bool | None:
    """A yes/no answer from a post or the database: None while nobody answered."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and not value.strip():  # blank, or spaces: no answer
        return None
    if value in TRUE_POSTS:
        return True
    if value in FALSE_POSTS:
        return False
    raise ValueError(value)


def boolean_field(field: FieldSpec, ctx: FieldContext, kind: Any) -> Any:
    """是 / 否, or — while not answered: a question nobody asked yet is not 否 (客户满意
    before the callback). Required: one of the two must be chosen."""
    return SelectField(choices=[SelectChoice("", "—"), SelectChoice("1", _l("Yes")),
                                SelectChoice("0", _l("No"))],
                       coerce=yes_no_or_none, widget=Select2Widget(),
                       validators=_required(field, False, True), **common_kwargs(field, kind))


def choice_field(field: FieldSpec, ctx: FieldContext, kind: Any) -> Any:
    """Nothing chosen unless the YAML sets a default: a required choice (a compensation's
    kind) started at its first choice, which a hurried user saved unseen."""
    blank = [SelectChoice("", "—")]
    return SelectField(choices=lambda: blank + choice_options(field), coerce=_str_or_none,
                       widget=Select2Widget(), validators=_required(field, False, True),
                       **common_kwargs(field, kind))


def choice_options(field: FieldSpec) -> list[SelectChoice]:
    return [SelectChoice(c.value, c.label.get()) for c in field.choices]


def multi_choice_field(field: FieldSpec, ctx: FieldContext, kind: Any) -> Any:
    return MultiChoiceField(choices=lambda: choice_options(field),
                            invalid_choice_message=UNKNOWN_CHOICE,
                            validators=_required(field, text=False), **common_kwargs(field, kind))


def record_field(field: FieldSpec, ctx: FieldContext, kind: Any) -> Any:
    """reference, user: a search-as-you-type select of the records (or active users) the
    context offers (app/fieldtypes/record_select.py)."""
    return RecordSelectField(
        fetch=ctx.fetch(field), label_of=ctx.label(field), lookup=(ctx.form_key, field.key),
        allow_blank=not field.required, blank_text="—",
        validators=_required(field, text=False), **common_kwargs(field, kind))


def search_select(field: FieldSpec) -> Any:
    """The value input of a list's search filter for choices and ratings: a select of labels."""
    def choices() -> list[SelectChoice]:
        if field.type == "rating":
            return [SelectChoice(str(c.value), c.label) for c in stars(field)]
        return choice_options(field)

    return SelectField(label=lazy(field.label), choices=choices, widget=Select2Widget(),
                       validators=[Optional()])


def _range_message(field: FieldSpec) -> LazyString:
    lo, hi = _num(field.min), _num(field.max)
    if lo and hi:
        return _l("Enter a number from %(min)s to %(max)s.", min=lo, max=hi)
    if lo:
        return _l("Enter a number of at least %(min)s.", min=lo)
    return _l("Enter a number of at most %(max)s.", max=hi)


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _length(field: FieldSpec) -> list:
    if field.min_length is None and field.max_length is None:
        return []
    lo, hi = field.min_length or -1, field.max_length or -1
    if lo > 0 and hi > 0:
        msg = _l("Enter between %(min)d and %(max)d characters.", min=lo, max=hi)
    elif hi > 0:
        msg = _l("Enter at most %(max)d characters.", max=hi)
    else:
        msg = _l("Enter at least %(min)d characters.", min=lo)
    return [Length(min=lo, max=hi, message=msg)]


def _required(field: FieldSpec, text: bool, select: bool = False) -> list:
    if not field.required:
        return [Optional()]
    msg = _l("This field is required.")
    if select:
        return [Chosen(msg)]
    return [DataRequired(message=msg) if text else InputRequired(message=msg)]


def _default_callable(field: FieldSpec, kind: Any) -> Callable[[], Any]:
    if field.type == "user":
        def current() -> Any:
            from flask_login import current_user

            if not getattr(current_user, "is_authenticated", False):
                return None
            return current_app.extensions["appbuilder"].session.get(User, current_user.id)
        return current
    return lambda: kind.evaluate_default(field.default)


def _strip(value: Any) -> Any:
    """Surrounding whitespace goes; a blank text is no value (NULL, not '', so that blank
    entries of an optional unique field do not collide)."""
    return (value.strip() or None) if isinstance(value, str) else value


def _int_or_none(value: Any) -> int | None:
    if value in ("", None, "None"):
        return None
    return int(value)


def _str_or_none(value: Any) -> str | None:
    """Blank (also only spaces) is no choice; else Optional() dropped the "not a valid
    choice" error of '  ' and the spaces were stored."""
    return None if value is None or str(value).strip() in ("", "None") else str(value)
