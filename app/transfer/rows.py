"""One row of an imported file (CSV or XLSX, app/transfer/sources.py) → the REST API's JSON
values → the API's own form, validated.

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
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms.i18n import messages_path

from app.fieldtypes.masking import MASK
from app.fieldtypes.registry import field_type
from app.fieldtypes.validators import INT_MAX
from app.fieldtypes.values import choice_names, fold, iso_date
from app.portal import portal_of
from app.records.forms import comparable, default_value, formdata, record_form, validate
from app.security.access import access_for, scope_clause
from app.spec import FieldSpec, FormSpec
from app.transfer.sources import RefusedCell

CACHE_LIMIT = 50_000  # looked-up reference values remembered
ID_RE = re.compile(r"#?(\d{1,10})")


class CellRefused(ValueError):
    """One cell cannot be read as a value of its field; the message says why."""


class RowChecker:
    """One row of cell texts → the API's JSON values → the API's form, validated."""

    def __init__(self, form: FormSpec, columns: list[FieldSpec | None], user: Any) -> None:
        portal = portal_of()
        self.spec = portal.spec
        self.models: dict[str, Any] = portal.models.models
        self.session = current_app.extensions["appbuilder"].session
        self.form, self.columns, self.user = form, columns, user
        self.model: Any = self.models[form.key]
        self.form_class = record_form(portal.form(form.key), portal)
        self.wtform = self.form_class(formdata=MultiDict())  # see check()
        present = {f.key for f in columns if f is not None}
        self.order = {f.key: i for i, f in enumerate(columns, 1) if f is not None}
        # WTForms' own messages ("Not a valid choice.") as the API gives them: Flask-WTF
        # translates them only inside a request.
        self.wtforms_text = support.Translations.load(messages_path(), [get_locale()],
                                                      domain="wtforms")
        self.defaults = {f.key: default_value(f, user.id) for f in form.fields
                         if f.default is not None and f.key not in present}
        self.seen: dict[str, dict[Any, int]] = {f.key: {} for f in form.entered if f.unique}
        self.cache: dict[tuple[str, str], Any] = {}  # an object, or why not
        self.objects: dict[tuple[Any, int], Any] = {(User, user.id): user}
        # A reference to this same form finds only records from before the import, so a
        # dry run and the real run resolve every row alike.
        self.last_id = self.session.scalar(select(func.max(self.models[form.key].id))) or 0
        # A referenced record is looked up within the importing user's row scope, as the
        # screens' selects offer it: a record they may not see is "no record", not a match.
        self.access = access_for(user, self.spec)

    def check(self, row: int, cells: list[str]) -> tuple[Any, dict[str, list[str]]]:
        """(the validated form, errors by field key; '' for the row itself)."""
        values, errors = dict(self.defaults), {}
        extra = [c for c in cells[len(self.columns):] if c.strip()]
        if extra:
            errors[""] = [_("%(cells)d cells, but the header names only %(columns)d "
                            "columns", cells=len(cells), columns=len(self.columns))]
        for spec_field, text in zip(self.columns, cells, strict=False):
            if spec_field is not None and isinstance(text, RefusedCell):
                errors[spec_field.key] = [text.problem]  # a formula: no value to check
            elif spec_field is not None:
                try:
                    values[spec_field.key] = self.value(spec_field, text.strip())
                except CellRefused as exc:
                    errors[spec_field.key] = [str(exc)]
        fields = list(self.form.entered)
        data = formdata([f for f in fields if f.key not in errors], values, errors)
        # One form, processed anew for each row: building 15-20 bound fields per row
        # doubled the time of a large import (process() resets every field's data, raw
        # data and errors; validate() starts from those).
        wtform = self.wtform
        wtform.process(formdata=data)
        for f in fields:
            if f.stores_id:
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
                errors[key] = [_("the same value as row %(row)d of this file",
                                 row=seen[value])]
            elif key not in errors:
                seen[value] = row
        last = len(self.order) + 1  # the row's own problem first, then in column order
        return wtform, {key: [self.wtforms_text.ugettext(str(m)) for m in errors[key]]
                        for key in sorted(errors, key=lambda k: self.order.get(k, last)
                                          if k else 0)}

    def build(self, wtform: Any) -> Any:
        item = self.model()
        for f in self.form.entered:
            wtform[f.key].populate_obj(item, f.key)
        item.created_by_fk = item.changed_by_fk = self.user.id
        return item

    def value(self, spec_field: FieldSpec, text: str) -> Any:
        """A cell as the JSON value the API takes; a text the API refuses with its own
        message is passed on as it is."""
        if not text:
            return None
        if spec_field.sensitive and MASK in text:
            raise CellRefused(_("a masked value (****) from an export without the right to "
                                "reveal it; enter the real value"))
        read = field_type(spec_field.type).read_cell
        if read is not None:
            return read(spec_field, text)
        key = (spec_field.key, text)  # a record: looked up, by name or id
        if key not in self.cache:
            if len(self.cache) >= CACHE_LIMIT:
                self.cache.clear()
            self.cache[key] = (self._user(text) if spec_field.type == "user"
                               else self._reference(spec_field, text))
        found = self.cache[key]
        if isinstance(found, str):
            raise CellRefused(found)
        self.objects[(type(found), found.id)] = found
        return found.id

    def _reference(self, spec_field: FieldSpec, text: str) -> Any:
        """The one record named `text` (its display value), else the record of id `text`
        (12 or #12); a message when there is none, or several."""
        target = self.spec.form(spec_field.form)  # type: ignore[arg-type]
        model = self.models[target.key]
        limit = [model.id <= self.last_id] if target.key == self.form.key else []
        scope = scope_clause(model, target, self.access)
        if scope is not None:
            limit.append(scope)
        found = [] if text.startswith("#") else self._by_display(target, model, text, limit)
        match = ID_RE.fullmatch(text)
        if not found and match and int(match.group(1)) <= INT_MAX:
            found = list(self.session.scalars(select(model).where(
                model.id == int(match.group(1)), *limit)))
        if len(found) == 1:
            return found[0]
        if not found:
            if target.display:
                return _("no %(form)s record '%(text)s' (looked up by %(field)s or id, e.g. "
                         "#12)", form=target.label.get(), text=text,
                         field=target.field(target.display).label.get())
            return _("no %(form)s record '%(text)s' (looked up by id, e.g. #12)",
                     form=target.label.get(), text=text)
        ids = [r.id for r in found]
        shown = ", ".join(f"#{i}" for i in ids[:5]) + (", …" if len(ids) > 5 else "")
        if len(ids) > 5:
            return _("'%(text)s' names more than 5 %(form)s records (%(ids)s); enter the one "
                     "meant by its id, e.g. #%(id)d", text=text, form=target.label.get(),
                     ids=shown, id=ids[0])
        return _("'%(text)s' names %(count)d %(form)s records (%(ids)s); enter the one meant "
                 "by its id, e.g. #%(id)d", text=text, count=len(ids),
                 form=target.label.get(), ids=shown, id=ids[0])

    def _by_display(self, target: FormSpec, model: Any, text: str, limit: list) -> list:
        if not target.display:
            return []
        shown = target.field(target.display)
        value: Any = text if field_type(shown.type).text or shown.given else None
        if shown.type == "choice":
            value = dict(choice_names(shown)).get(fold(text))
        elif shown.type in ("integer", "rating") and re.fullmatch(r"[+-]?\d{1,10}", text):
            value = int(text) if abs(int(text)) <= INT_MAX else None
        elif shown.type == "date" and iso_date(text):
            try:
                value = dt.date.fromisoformat(iso_date(text) or "")
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
            return user if user.active else _("user '%(name)s' is disabled", name=text)
        full = User.first_name + " " + User.last_name
        found = list(self.session.scalars(select(User).where(
            full == text, User.active.is_(True)).order_by(User.id).limit(2)))
        if len(found) == 1:
            return found[0]
        if not found:
            return _("no user '%(name)s' (looked up by user name, then full name)", name=text)
        return _("'%(name)s' is the name of several users; enter the user name instead",
                 name=text)

    def _object(self, spec_field: FieldSpec, value: Any) -> Any:
        """The record of an id (looked up above, or a default such as the --as user); kept,
        as the session's identity map lets go of unchanged records."""
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        model = User if spec_field.type == "user" else self.models[spec_field.form]  # type: ignore[index]
        key = (model, value)
        if key not in self.objects:
            if len(self.objects) >= CACHE_LIMIT:
                self.objects.clear()
            self.objects[key] = self.session.get(model, value)
        return self.objects[key]
