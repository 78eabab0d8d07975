"""CSV import of form records, all or nothing.

A file is read back in the portal's own export format (app/views/base.py: field labels or
keys as headers, choice labels, 是/否, plain dates and amounts, a referenced record by its
display value, a user by user name or full name) and each row is checked by the REST API's
code path (app/views/api/payload.py: the screens' form fields, validators and messages). Rows are
streamed; they are stored through the ORM in the caller's session, so every created record
gets its audit event (app/audit/capture.py), followed by one `import` event and one commit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl.utils import get_column_letter
from sqlalchemy.exc import SQLAlchemyError

from app.audit import log as audit
from app.fieldtypes.registry import field_type
from app.fieldtypes.values import fold
from app.portal import portal_of
from app.records.labels import API_LABELS, SYSTEM_LABELS, WORKFLOW_LABELS
from app.spec import FieldSpec, FormSpec
from app.transfer.rows import RowChecker
from app.transfer.sources import ImportRefused, open_source

BATCH = 500  # rows written per flush; flushed records are no longer held in memory
PREVIEW = 10  # rows of a dry run shown as they would be stored


@dataclass(frozen=True)
class RowError:
    """One problem of one row, as a spreadsheet user finds it (the header is row 1; the
    column by its number in the file, 1 = A)."""

    file: str
    row: int
    label: str | None
    message: str
    column: int | None = None

    @property
    def letter(self) -> str:
        return get_column_letter(self.column) if self.column else ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}"
        return f"{where} column {self.letter} '{self.label}': {self.message}" if self.label \
            else f"{where}: {self.message}"


@dataclass
class Outcome:
    form: FormSpec
    username: str
    columns: list[tuple[str, FieldSpec]]  # (header as written, field)
    ignored: list[str]  # the export's own columns (编号, 创建人 …)
    defaults: list[FieldSpec] = field(default_factory=list)  # absent columns with a default
    rows: int = 0
    errors: int = 0
    bad_rows: int = 0
    sha256: str = ""
    kind: str = "csv"  # or "xlsx"
    stored: bool = False
    # The first good rows as they would be stored: (row, {field label: text as exported}).
    preview: list[tuple[int, dict[str, str]]] = field(default_factory=list)


# -- the header ----------------------------------------------------------------------------
def find_form(spec: Any, key: str) -> FormSpec:
    forms = {f.key: f for f in spec.forms}
    if key not in forms:
        known = listed(named(f.key, f.label.get()) for f in sorted(forms.values(),
                                                                   key=lambda f: f.key))
        raise ImportRefused([_("no form '%(key)s'; forms: %(forms)s", key=key, forms=known)])
    return forms[key]


def find_user(username: str | None) -> Any:
    """The records' owner: `--as`, else the configured first admin."""
    name = username or current_app.config["PORTAL_ADMIN_USER"]
    user = current_app.extensions["appbuilder"].sm.find_user(username=name)
    if user is None:
        raise ImportRefused([_("no user '%(name)s'", name=name) if username else _(
            "no user '%(name)s' (PORTAL_ADMIN_USER); name one with --as USERNAME", name=name)])
    if not user.active:
        raise ImportRefused([_("user '%(name)s' is disabled", name=name)])
    return user


def named(text: str, detail: str) -> str:
    """'客户名称（name）', 'Customer name (name)'."""
    return _("%(text)s (%(detail)s)", text=text, detail=detail)


def listed(items: Iterable[str]) -> str:
    """'a、b' in Chinese, 'a, b' in English."""
    return _(", ").join(items)


def system_names() -> set[str]:
    """Headers of the export's own columns (编号, 创建人 …), in both languages: ignored."""
    labels = {**SYSTEM_LABELS, **API_LABELS, **WORKFLOW_LABELS}  # state, SLA deadlines
    names = set(labels)
    for lang in ("zh", "en"):
        with force_locale(lang):
            names.update(fold(str(label)) for label in labels.values())
    return names


def map_header(form: FormSpec, header: list[str], path: str, row: int
               ) -> tuple[list[FieldSpec | None], list[str]]:
    """The field of each column (None: ignored), or every header problem at once (the
    header is row `row` of `path`)."""
    names: dict[str, FieldSpec] = {}
    for pick in (lambda f: f.key, lambda f: f.label.zh, lambda f: f.label.en):
        for f in form.entered:
            if not f.signed:
                names.setdefault(fold(pick(f)), f)
    # Numbers and computed values are the portal's, signatures are drawn and files uploaded
    # on the screens, not typed: their columns (in an export: 已签名, file names) are ignored.
    system = system_names() | {fold(pick(f)) for f in (*[f for f in form.fields
                                                         if f.given or f.signed or f.is_file],
                                                      *form.computed)
                               for pick in (lambda f: f.key, lambda f: f.label.zh,
                                            lambda f: f.label.en)}
    while header and not header[-1].strip():
        header = header[:-1]  # spreadsheets add empty columns at the end
    columns: list[FieldSpec | None] = []
    ignored, unknown, problems = [], [], []
    seen: dict[str, str] = {}
    for index, name in enumerate(header, 1):
        name = name.strip()
        # The template marks required columns: "客户姓名 *" is 客户姓名.
        found = names.get(fold(name)) or names.get(fold(name.rstrip("*")))
        columns.append(found)
        if found is None and fold(name) in system:
            ignored.append(name)
        elif found is None:
            (unknown.append(name) if name else problems.append(
                _("%(file)s:%(row)d: column %(n)d has no name", file=path, row=row, n=index)))
        elif found.key in seen:
            problems.append(_(
                "%(file)s:%(row)d: columns '%(first)s' and '%(second)s' are the same field "
                "%(field)s", file=path, row=row, first=seen[found.key], second=name,
                field=named(found.label.get(), found.key)))
        else:
            seen[found.key] = name
    if unknown:
        problems.append(_(
            "%(file)s:%(row)d: unknown column(s) %(columns)s; allowed (key, Chinese or English "
            "label): %(allowed)s", file=path, row=row, columns=listed(map(repr, unknown)),
            allowed=listed(f"{f.key} = {f.label.zh} = {f.label.en}" for f in form.entered)))
    signed = [f for f in form.entered if f.signed and f.required]
    if signed:
        problems.append(_("%(form)s cannot be imported: its signature field(s) %(fields)s "
                          "must be signed on the record's page", form=form.label.get(),
                          fields=listed(named(f.label.get(), f.key) for f in signed)))
    missing = [f for f in form.fields if f.required and f.default is None
               and f.key not in seen and not f.signed and not f.is_file]
    if missing:
        problems.append(_("%(file)s:%(row)d: missing required column(s): %(fields)s",
                          file=path, row=row,
                          fields=listed(named(f.label.get(), f.key) for f in missing)))
    if problems:
        raise ImportRefused(problems)
    return columns, ignored


# -- the import ----------------------------------------------------------------------------
def import_file(path: str, form_key: str, username: str | None = None, *,
                dry_run: bool = False,
                on_error: Callable[[RowError], None] | None = None,
                on_progress: Callable[[int], None] | None = None,
                on_commit: Callable[[Any], None] | None = None,
                locale: str | None = None) -> Outcome:
    """Check every row of `path` (CSV or XLSX); unless dry_run or any row is wrong, store
    them all with one `import` audit event and one commit. Runs in an app context; row
    errors go to on_error as they are found (memory stays bounded), and are counted in the
    outcome; on_progress gets the number of rows read every BATCH rows and at the end, and
    on_commit the session just before the records are committed (what it writes commits
    with them, or not at all). Messages and the preview are in `locale` (default
    BABEL_DEFAULT_LOCALE)."""
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _import(path, form_key, username, dry_run, on_error or (lambda e: None),
                       on_progress or (lambda n: None), on_commit or (lambda s: None))


def _import(path: str, form_key: str, username: str | None, dry_run: bool,
            on_error: Callable[[RowError], None], on_progress: Callable[[int], None],
            on_commit: Callable[[Any], None]) -> Outcome:
    form = find_form(portal_of().spec, form_key)
    user = find_user(username)
    source = open_source(path)
    with closing(source.records()) as records:
        row, header = next(((r, c) for r, c in records if any(x.strip() for x in c)),
                           (0, []))
        if not header:
            raise ImportRefused([_("%(file)s: the file is empty (no header row)", file=path)])
        columns, ignored = map_header(form, header, path, row)
        checker = RowChecker(form, columns, user)
        outcome = Outcome(form, user.username,
                          [(h.strip(), f) for h, f in zip(header, columns, strict=False) if f],
                          ignored, [f for f in form.fields if f.key in checker.defaults],
                          kind=source.kind)
        session = checker.session
        acting = audit.acting_as(user)  # each created record's event names the --as user
        acting.__enter__()
        try:
            _rows(records, checker, outcome, path, dry_run, on_error, on_progress)
            outcome.sha256 = source.sha256
            if not outcome.rows:
                raise ImportRefused([_("%(file)s: only a header row, no records", file=path)])
            if outcome.errors or dry_run:
                session.rollback()
                return outcome
            session.flush()
            audit.record(session, "import", form=form.key, user=user, details={
                "file": os.path.basename(path), "sha256": outcome.sha256,
                "rows": outcome.rows})
            on_commit(session)
            session.commit()
        except SQLAlchemyError as exc:  # e.g. a duplicate saved by someone else meanwhile
            session.rollback()
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise ImportRefused([_("%(file)s: the database refused the records (%(reason)s)",
                                   file=path, reason=reason)]) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            acting.__exit__(None, None, None)
    outcome.stored = True
    return outcome


def _rows(records: Iterator[tuple[int, list[str]]], checker: RowChecker, outcome: Outcome,
          path: str, dry_run: bool, on_error: Callable[[RowError], None],
          on_progress: Callable[[int], None]) -> None:
    """Check every row; add the good ones to the session until the first error."""
    session, form, pending = checker.session, checker.form, 0
    for row, cells in records:
        if not any(c.strip() for c in cells):
            continue  # an empty line still counts as a spreadsheet row
        outcome.rows += 1
        with session.no_autoflush:  # lookups must not write pending records one by one
            wtform, errors = checker.check(row, cells)
        for key, messages in errors.items():
            label = form.field(key).label.get() if key else None
            for message in messages:
                on_error(RowError(path, row, label, message, checker.order.get(key)))
                outcome.errors += 1
        outcome.bad_rows += bool(errors)
        if outcome.rows % BATCH == 0:
            on_progress(outcome.rows)
        if not errors and len(outcome.preview) < PREVIEW:
            outcome.preview.append((row, preview_row(checker, wtform)))
        if outcome.errors or dry_run:
            continue
        session.add(checker.build(wtform))
        pending += 1
        if pending == BATCH:  # written and audited; flushed records are let go of
            session.flush()
            pending = 0
    on_progress(outcome.rows)


def preview_row(checker: RowChecker, wtform: Any) -> dict[str, str]:
    """A checked row's values as the export shows them, by field label (the file's
    columns, then the defaults of absent ones)."""
    keys = [f.key for f in checker.columns if f is not None] + list(checker.defaults)
    out: dict[str, str] = {}
    for key in keys:
        spec_field = checker.form.field(key)
        value = wtform[key].data
        if isinstance(value, list):  # a multiple choice
            value = ",".join(value)
        elif isinstance(value, Decimal):  # as it will be stored: 1234.5 → 1234.50
            value = value.quantize(Decimal(1).scaleb(-spec_field.scale))
        out[spec_field.label.get()] = "" if value is None or value == "" else str(
            field_type(spec_field.type).export(spec_field)(value))
    return out
