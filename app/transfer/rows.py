"""One CSV row of an import → the REST API's JSON values → the API's own form, validated.

Cells are read in the formats the portal's CSV export writes (and Chinese Excel re-saves):
choice keys or labels (zh or en), 是/否, 2026-01-15 or 2026/1/15, ¥1,234.50, a referenced
record by its display value or id (#12), a user by user name or full name. Whatever cannot be
read is handed on as text, so the API's own message (app/views/api/payload.py) names the problem.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from babel import support
from flask import current_app
from flask_appbuilder.security.sqla.models import User
from flask_babel import get_locale
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms.i18n import messages_path

from app.fieldtypes.validators import INT_MAX
from app.security.access import MASK
from app.spec import FieldSpec, FormSpec
from app.views.api.endpoints import build_api
from app.views.api.payload import TEXT_TYPES, comparable, default_value, formdata, validate

CACHE_LIMIT = 50_000  # looked-up reference values remembered
SEPARATORS = "、,，;；"  # between the values of a multiple choice (the export uses 、)
TRUE = frozenset({"是", "yes", "true", "y", "1"})
FALSE = frozenset({"否", "no", "false", "n", "0"})
DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
DATE_RE = re.compile(DATE)
DATETIME_RE = re.compile(DATE + r"(?:\s+|T)(\d{1,2}):(\d{2})(?::(\d{2}))?")
THOUSANDS_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
ID_RE = re.compile(r"#?(\d{1,10})")


class CellRefused(ValueError):
    """One cell cannot be read as a value of its field; the message says why."""


def fold(text: str) -> str:
    """Compared without case and extra spaces."""
    return " ".join(text.split()).casefold()


class RowChecker:
    """One CSV row → the API's JSON values → the API's form, validated."""

    def __init__(self, form: FormSpec, columns: list[FieldSpec | None], user: Any) -> None:
        portal = current_app.extensions["portal"]
        self.spec, self.models = portal["spec"], portal["models"].models
        self.session = current_app.extensions["appbuilder"].session
        self.form, self.columns, self.user = form, columns, user
        self.model = self.models[form.key]
        api: Any = build_api(form, portal["models"], self.spec)
        self.form_class = api.form_class
        self.wtform = self.form_class(formdata=MultiDict())  # see check()
        present = {f.key for f in columns if f is not None}
        self.order = {f.key: i for i, f in enumerate(columns, 1) if f is not None}
        # WTForms' own messages ("Not a valid choice.") as the API gives them: Flask-WTF
        # translates them only inside a request.
        self.wtforms_text = support.Translations.load(messages_path(), [get_locale()],
                                                      domain="wtforms")
        self.defaults = {f.key: default_value(f, user.id) for f in form.fields
                         if f.default is not None and f.key not in present}
        self.seen: dict[str, dict[Any, int]] = {f.key: {} for f in form.fields if f.unique}
        self.cache: dict[tuple[str, str], Any] = {}  # an object, or why not
        self.objects: dict[tuple[type, int], Any] = {(User, user.id): user}
        self.choices: dict[str, list[tuple[str, str]]] = {}
        # A reference to this same form finds only records from before the import, so a
        # dry run and the real run resolve every row alike.
        self.last_id = self.session.scalar(select(func.max(self.model.id))) or 0

    def check(self, row: int, cells: list[str]) -> tuple[Any, dict[str, list[str]]]:
        """(the validated form, errors by field key; '' for the row itself)."""
        values, errors = dict(self.defaults), {}
        extra = [c for c in cells[len(self.columns):] if c.strip()]
        if extra:
            errors[""] = [f"{len(cells)} cells, but the header names only "
                          f"{len(self.columns)} columns"]
        for spec_field, text in zip(self.columns, cells, strict=False):
            if spec_field is not None:
                try:
                    values[spec_field.key] = self.value(spec_field, text.strip())
                except CellRefused as exc:
                    errors[spec_field.key] = [str(exc)]
        fields = list(self.form.fields)
        data = formdata([f for f in fields if f.key not in errors], values, errors)
        # One form, processed anew for each row: building 15-20 bound fields per row
        # doubled the time of a large import (process() resets every field's data, raw
        # data and errors; validate() starts from those).
        wtform = self.wtform
        wtform.process(formdata=data)
        for f in fields:
            if f.type in ("reference", "user"):
                # The select would offer every record of the target, loaded for each row;
                # the one record looked up (or none) is all this value can match.
                found = self._object(f, values.get(f.key)) if f.key not in errors else None
                wtform[f.key].query_func = lambda found=found: [] if found is None else [found]
                wtform[f.key]._object_list = None  # FAB's per-field cache of the options
        skipped = set(errors)
        validate(wtform, fields, errors)
        for key, seen in self.seen.items():
            value = None if key in skipped else comparable(self.form.field(key),
                                                           wtform[key].data)
            if value is None:
                continue
            if value in seen:
                errors[key] = [f"the same value as row {seen[value]} of this file"]
            elif key not in errors:
                seen[value] = row
        last = len(self.order) + 1  # the row's own problem first, then in column order
        return wtform, {key: [self.wtforms_text.ugettext(str(m)) for m in errors[key]]
                        for key in sorted(errors, key=lambda k: self.order.get(k, last)
                                          if k else 0)}

    def build(self, wtform: Any) -> Any:
        item = self.model()
        for f in self.form.fields:
            wtform[f.key].populate_obj(item, f.key)
        item.created_by_fk = item.changed_by_fk = self.user.id
        return item

    def value(self, spec_field: FieldSpec, text: str) -> Any:
        """A cell as the JSON value the API takes; a text the API refuses with its own
        message is passed on as it is."""
        t = spec_field.type
        if not text:
            return None
        if spec_field.sensitive and MASK in text:
            raise CellRefused("a masked value (****) from an export without the right to "
                              "reveal it; enter the real value")
        if t in TEXT_TYPES:
            return text
        if t in ("integer", "rating"):
            if t == "rating" and set(text) == {"★"}:
                return len(text)
            return int(text) if re.fullmatch(r"[+-]?\d{1,12}", text) else text
        if t in ("decimal", "money"):
            text = text.lstrip("¥￥").strip()
            return text.replace(",", "") if THOUSANDS_RE.fullmatch(text) else text
        if t == "date":
            return _iso_date(text) or text
        if t == "datetime":
            match = DATETIME_RE.fullmatch(text)
            if not match:
                return text
            y, m, d, hh, mm, ss = (int(g or 0) for g in match.groups())
            return f"{y:04d}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}"
        if t == "boolean":
            return True if fold(text) in TRUE else False if fold(text) in FALSE else text
        if t == "choice":
            return dict(self._choices(spec_field)).get(fold(text), text)
        if t == "multi_choice":
            return self._multi(spec_field, text)
        key = (spec_field.key, text)
        if key not in self.cache:
            if len(self.cache) >= CACHE_LIMIT:
                self.cache.clear()
            self.cache[key] = (self._user(text) if t == "user"
                               else self._reference(spec_field, text))
        found = self.cache[key]
        if isinstance(found, str):
            raise CellRefused(found)
        self.objects[(type(found), found.id)] = found
        return found.id

    def _choices(self, spec_field: FieldSpec) -> list[tuple[str, str]]:
        """(folded key or label, value), longest first."""
        if spec_field.key not in self.choices:
            names = {fold(n): c.value for c in spec_field.choices
                     for n in (c.value, c.label.zh, c.label.en)}
            self.choices[spec_field.key] = sorted(names.items(), key=lambda p: -len(p[0]))
        return self.choices[spec_field.key]

    def _multi(self, spec_field: FieldSpec, text: str) -> list[str]:
        """Values, keys or labels between separators; a label may contain a separator."""
        picked: list[str] = []
        rest = text
        while rest := rest.lstrip(SEPARATORS + " \t"):
            for name, value in self._choices(spec_field):
                after = rest[len(name):len(name) + 1]
                if fold(rest[:len(name)]) == name and (not after or after in SEPARATORS
                                                        or after.isspace()):
                    picked.append(value)
                    rest = rest[len(name):]
                    break
            else:  # not a choice: the API names the allowed ones
                return picked + [p.strip() for p in re.split(f"[{SEPARATORS}]", rest)
                                 if p.strip()]
        return picked

    def _reference(self, spec_field: FieldSpec, text: str) -> Any:
        """The one record named `text` (its display value), else the record of id `text`
        (12 or #12); a message when there is none, or several."""
        target = self.spec.form(spec_field.form)
        model = self.models[target.key]
        limit = [model.id <= self.last_id] if target.key == self.form.key else []
        found = [] if text.startswith("#") else self._by_display(target, model, text, limit)
        match = ID_RE.fullmatch(text)
        if not found and match and int(match.group(1)) <= INT_MAX:
            found = list(self.session.scalars(select(model).where(
                model.id == int(match.group(1)), *limit)))
        if len(found) == 1:
            return found[0]
        if not found:
            by = f"{target.field(target.display).label.zh} or " if target.display else ""
            return f"no {target.label.zh} record '{text}' (looked up by {by}id, e.g. #12)"
        ids = [r.id for r in found]
        shown = ", ".join(f"#{i}" for i in ids[:5]) + (", …" if len(ids) > 5 else "")
        many = "more than 5" if len(ids) > 5 else str(len(ids))
        return (f"'{text}' names {many} {target.label.zh} records ({shown}); enter the one "
                f"meant by its id, e.g. #{ids[0]}")

    def _by_display(self, target: FormSpec, model: Any, text: str, limit: list) -> list:
        if not target.display:
            return []
        shown = target.field(target.display)
        value: Any = text if shown.type in TEXT_TYPES else None
        if shown.type == "choice":
            value = dict(self._choices(shown)).get(fold(text))
        elif shown.type in ("integer", "rating") and re.fullmatch(r"[+-]?\d{1,10}", text):
            value = int(text) if abs(int(text)) <= INT_MAX else None
        elif shown.type == "date" and _iso_date(text):
            try:
                value = dt.date.fromisoformat(_iso_date(text) or "")
            except ValueError:  # 2026-02-30
                value = None
        if value is None:
            return []
        return list(self.session.scalars(select(model).where(
            getattr(model, shown.key) == value, *limit).order_by(model.id).limit(6)))

    def _user(self, text: str) -> Any:
        """An active user by user name, else by full name (as the export shows users)."""
        user = self.session.scalar(select(User).where(User.username == text))
        if user is not None:
            return user if user.active else f"user '{text}' is disabled"
        full = User.first_name + " " + User.last_name
        found = list(self.session.scalars(select(User).where(
            full == text, User.active.is_(True)).order_by(User.id).limit(2)))
        if len(found) == 1:
            return found[0]
        if not found:
            return f"no user '{text}' (looked up by user name, then full name)"
        return f"'{text}' is the name of several users; enter the user name instead"

    def _object(self, spec_field: FieldSpec, value: Any) -> Any:
        """The record of an id (looked up above, or a default such as the --as user); kept,
        as the session's identity map lets go of unchanged records."""
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        model = User if spec_field.type == "user" else self.models[spec_field.form]
        key = (model, value)
        if key not in self.objects:
            if len(self.objects) >= CACHE_LIMIT:
                self.objects.clear()
            self.objects[key] = self.session.get(model, value)
        return self.objects[key]


def _iso_date(text: str) -> str | None:
    match = DATE_RE.fullmatch(text)
    if not match:
        return None
    y, m, d = (int(g) for g in match.groups())
    return f"{y:04d}-{m:02d}-{d:02d}"
