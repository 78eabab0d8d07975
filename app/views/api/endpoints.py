"""Spec → one REST API per form at /api/v1/<form key>/, with the screens' rules.

- JWT bearer tokens only (`allow_browser_login = False`): the session cookie is not a
  credential here, so a CSRF-exempt endpoint cannot be driven by another site;
- the screens' permissions: FAB's API methods map onto can_list/can_show/can_add/can_edit/
  can_delete of the form's `<Form>View`, so roles.yaml and `flask portal roles sync` need
  nothing new (and no extra permission is registered);
- the screens' row scope (ScopeFilter as base filter: outside it a record is a 404 and absent
  from lists and counts), field validation (the same form fields), masking and audited
  reveal of sensitive fields, per-role read-only fields and version checks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_appbuilder.api import ModelRestApi, expose, safe
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _
from marshmallow import Schema
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from app.audit import log as audit
from app.portal import FormParts, Portal
from app.records.forms import default_value, formdata, record_form, validate
from app.records.labels import API_LABELS, WORKFLOW_LABELS
from app.security.access import ScopeFilter, current_access, request_user
from app.spec import FormSpec
from app.views.api.decorators import PK, answers, localized
from app.views.api.files import FilesApiMixin
from app.views.api.payload import (
    SYSTEM_OUT,
    ApiError,
    checked_form,
    describe,
    dump_item,
    read_body,
    unchanged_sensitive,
)
from app.views.api.query import column_args, filter_args, key_args, order_args, page_args, read_q
from app.views.api.workflow import WorkflowApiMixin
from app.views.base import PortalInterface, PortalModelView
from app.views.guard import INT_MAX
from app.views.protect import ProtectedViewMixin, conflict_message
from app.views.signatures import png_response

LIST_KEYS = ("list_columns", "order_columns", "label_columns", "description_columns",
             "list_title")
SHOW_KEYS = ("show_columns", "label_columns", "description_columns", "show_title")
INFO_KEYS = ("add_columns", "edit_columns", "filters", "permissions", "add_title",
             "edit_title")
IGNORED_KEYS = ("id", "created_on", "changed_on")  # a record sent back as it was read
_NO_SCHEMA = Schema()  # FAB's marshmallow schemas are not used: nothing to convert


class PortalModelApi(WorkflowApiMixin, FilesApiMixin, ModelRestApi):
    """Generated per form; class attributes are filled in by build_api."""

    __form__: Any = None
    allow_browser_login = False
    base_permissions = list(PortalModelView.base_permissions)  # the same pairs as the view
    method_permission_name = {"get_list": "list", "get": "show", "post": "add",
                              "put": "edit", "delete": "delete", "info": "list",
                              "signature": "show"}
    list_model_schema = show_model_schema = add_model_schema = edit_model_schema = _NO_SCHEMA
    form_class: Any = None
    portal_order_columns: list[str] = []
    referrers: tuple[Any, ...] = ()
    pre_delete = PortalModelView.pre_delete  # refuses while other records refer to it

    def __init__(self) -> None:
        super().__init__()
        # FAB would read "previous" names (class name, its own method names) and let
        # security_converge move grants to them: the permissions are the view's already.
        self.previous_class_permission_name = None
        self.previous_method_permission_name: dict[str, str] = {}
        self.order_columns = list(self.portal_order_columns)  # FAB fills an empty list
        ProtectedViewMixin.restrict_filters(self)  # type: ignore[arg-type]

    # -- answers in the request's language -------------------------------------------------
    def response_400(self, message: str | None = None) -> Response:
        return self.response(400, message=message or _("The request is not valid."))

    def response_401(self) -> Response:
        return self.response(401, message=_("Sign in first: send a token from "
                                            "/api/v1/security/login as a Bearer token."))

    def response_403(self) -> Response:
        return self.response(403, message=_("Your role does not allow this on this form."))

    def response_404(self) -> Response:
        return self.response(404, message=_("Record not found."))

    def response_500(self, message: str | None = None) -> Response:
        return self.response(500, message=_("The server could not answer; nothing was "
                                            "changed."))

    # -- helpers -----------------------------------------------------------------------------
    @property
    def form(self) -> FormSpec:
        return self.__form__  # type: ignore[no-any-return]

    def _item(self, pk: int) -> Any:
        item = self.datamodel.get(pk, self._base_filters) if pk <= INT_MAX else None
        if item is None:
            raise ApiError(404, _("Record not found."))
        return item

    def _labels(self, columns: list[str]) -> dict[str, str]:
        labels = {f.key: f.label.get() for f in self.form.fields}
        labels.update({c.key: c.label.get() for c in self.form.computed})
        return {c: labels.get(c) or str(API_LABELS.get(c) or WORKFLOW_LABELS[c])
                for c in columns}

    def _descriptions(self, columns: list[str]) -> dict[str, str]:
        return {f.key: f.help.get() for f in self.form.fields if f.help and f.key in columns}

    def _clear(self, columns: list[str]) -> set[str]:
        access = current_access()
        return {f.key for f in self.form.fields if f.sensitive and f.key in columns
                and access.can_reveal(self.form.key, f.key)}

    def _answer(self, items: list[Any], columns: list[str], record_id: Any) -> list[dict]:
        """Records as JSON; sensitive values in clear only where the role may reveal them,
        and then one audit event for this answer."""
        clear = self._clear(columns)
        out = [dump_item(item, self.form, columns, clear) for item in items]
        if clear and items:
            session = current_app.extensions["appbuilder"].session
            details: dict[str, Any] = {"fields": sorted(clear), "via": "api"}
            if record_id is None:
                details["records"] = [item.id for item in items]
            audit.record(session, "reveal", form=self.form.key, record_id=record_id,
                         details=details, user=request_user())
            session.commit()
        return out

    def _save(self, operation: Callable[[Any], None], item: Any) -> None:
        """Database refusals as 409 (stale version, duplicate or referenced record) with
        the screens' messages."""
        try:
            operation(item)
        except DatabaseException as exc:
            causes, cause = [], exc.__cause__
            while cause is not None:
                causes.append(cause)
                cause = cause.__cause__
            conflict = any(isinstance(c, StaleDataError | IntegrityError) for c in causes)
            raise ApiError(409 if conflict else 422, str(exc)) from None

    # -- endpoints ---------------------------------------------------------------------------
    @expose("/", methods=["GET"])
    @localized
    @protect()
    @safe
    @answers
    def get_list(self, **kwargs: Any) -> Response:
        """Records of the form within the user's row scope (`q`: Rison or JSON)."""
        args = read_q(("columns", "keys", "filters", "order_column", "order_direction",
                       "page", "page_size"))
        columns = column_args(args, self.list_columns)
        keys = key_args(args, LIST_KEYS)
        filters = filter_args(self, args)
        order_column, direction = order_args(args, self.order_columns, self.base_order)
        page, size = page_args(args, self.page_size, current_app.config[
            "PORTAL_MAX_PAGE_SIZE"])
        count, items = self.datamodel.query(filters, order_column, direction, page=page,
                                            page_size=size)
        answer: dict[str, Any] = {"count": count, "ids": [i.id for i in items],
                                  "result": self._answer(items, columns, None)}
        meta = {"list_columns": columns, "order_columns": self.order_columns,
                "label_columns": self._labels(columns),
                "description_columns": self._descriptions(columns),
                "list_title": self.form.label.get()}
        answer.update({k: v for k, v in meta.items() if k in keys})
        return self.response(200, **answer)

    @expose(PK, methods=["GET"])
    @localized
    @protect()
    @safe
    @answers
    def get(self, pk: int, **kwargs: Any) -> Response:
        """One record, if it is within the user's row scope."""
        args = read_q(("columns", "keys"))
        columns = column_args(args, self.show_columns)
        keys = key_args(args, SHOW_KEYS)
        item = self._item(pk)
        answer: dict[str, Any] = {"id": pk, "result": self._answer([item], columns, pk)[0]}
        meta = {"show_columns": columns, "label_columns": self._labels(columns),
                "description_columns": self._descriptions(columns),
                "show_title": self.form.label.get()}
        answer.update({k: v for k, v in meta.items() if k in keys})
        return self.response(200, **answer)

    @expose("/", methods=["POST"])
    @localized
    @protect()
    @safe
    @answers
    def post(self) -> Response:
        """A new record; missing fields take their YAML defaults, as on the add screen."""
        body = read_body()
        for key in (*IGNORED_KEYS, "version"):
            body.pop(key, None)
        errors = self._unknown(body)
        user = request_user()
        fields = list(self.form.entered)
        values = {f.key: default_value(f, getattr(user, "id", None)) for f in fields
                  if f.default is not None and f.key not in body}
        values.update(body)
        wtform = self.form_class(formdata=formdata(fields, values, errors))
        validate(wtform, fields, errors)
        if errors:
            raise ApiError(400, errors)
        item = self.datamodel.obj()
        for field in fields:
            wtform[field.key].populate_obj(item, field.key)
        self.pre_add(item)
        self._save(self.datamodel.add, item)
        return self.response(201, id=item.id,
                             result=self._answer([item], self.show_columns, item.id)[0])

    @expose(PK, methods=["PUT"])
    @localized
    @protect()
    @safe
    @answers
    def put(self, pk: int) -> Response:
        """Changes to a record: only the fields sent; `version`, when sent, must be the
        stored one (else 409, as on the edit screen)."""
        body = read_body()
        item = self._unlocked(pk)  # 409 in a locked workflow state (app/views/api/workflow.py)
        if "version" in body:
            version = body.pop("version")
            if isinstance(version, bool) or not isinstance(version, int):
                raise ApiError(400, {"version": [_("Enter a whole number.")]})
            if version != item.version:
                raise ApiError(409, conflict_message(item))
        for key in IGNORED_KEYS:
            body.pop(key, None)
        for field in self.form.fields:
            if field.given and field.key in body and body[field.key] == getattr(item, field.key):
                del body[field.key]  # a record sent back as it was read
        errors = self._unknown(body)
        for field in self.form.fields:
            if field.sensitive and field.key in body and unchanged_sensitive(
                    field, body[field.key], getattr(item, field.key)):
                del body[field.key]  # kept, as when the edit screen's input is left empty
        fields = [f for f in self.form.entered if f.key in body]
        wtform = checked_form(self.form_class, self.form, item, fields, body, errors)
        for field in fields:
            wtform[field.key].populate_obj(item, field.key)
        self.pre_update(item)
        self._save(self.datamodel.edit, item)
        return self.response(200, id=pk, result=self._answer([item], self.show_columns, pk)[0])

    @expose(PK, methods=["DELETE"])
    @localized
    @protect()
    @safe
    @answers
    def delete(self, pk: int) -> Response:
        """Deletes a record, unless other records still refer to it or it is locked (409)."""
        item = self._unlocked(pk)
        try:
            self.pre_delete(item)
        except ValueError as exc:
            raise ApiError(409, str(exc)) from None
        self._save(self.datamodel.delete, item)
        return self.response(200, message=_("Deleted."))

    @expose(PK + "/signature/<field_key>", methods=["GET"])
    @localized
    @protect()
    @safe
    @answers
    def signature(self, pk: int, field_key: str) -> Response:
        """The PNG of a record's signature field (the `url` its JSON value names)."""
        item = self._item(pk)
        field = next((f for f in self.form.fields if f.key == field_key and f.signed), None)
        stored = getattr(item, field.key) if field is not None else None
        if stored is None:
            raise ApiError(404, _("This record has no such signature."))
        return png_response(stored)

    @expose("/_info", methods=["GET"])
    @localized
    @protect()
    @safe
    @answers
    def info(self, **kwargs: Any) -> Response:
        """What a client needs to build a form: fields, filters, the user's permissions.
        (FAB's lists every record of a referenced form here, ignoring row scope.)"""
        keys = key_args(read_q(("keys",)), INFO_KEYS)
        readonly = current_access().readonly_fields(self.form.key)
        sm = self.appbuilder.sm
        meta = {
            "add_columns": [describe(f) for f in self.form.entered],
            "edit_columns": [describe(f, f.key in readonly) for f in self.form.entered],
            "filters": {col: [{"name": str(flt.name), "operator": flt.arg_name}
                              for flt in flts]
                        for col, flts in self._filters.get_search_filters().items()},
            "permissions": [p for p in self.base_permissions if p != "can_export"
                            and sm.has_access(p, self.class_permission_name)],
            "add_title": self.form.label.get(), "edit_title": self.form.label.get(),
        }
        return self.response(200, **{k: v for k, v in meta.items() if k in keys})


@functools.cache
def build_api(parts: FormParts, portal: Portal) -> type:
    """The REST API class of one form; built once per spec and form."""
    form = parts.spec
    datamodel = PortalInterface(parts.model)
    keys = [f.key for f in form.fields]
    system = list(parts.workflow_columns)  # workflow state and SLA deadlines: read-only
    computed = [c.key for c in form.computed]  # read-only, worked out on every read
    columns = ["id", *keys, *computed, *system, *[c for c in SYSTEM_OUT if c != "id"]]
    attrs: dict[str, Any] = {
        "__form__": form,
        "__doc__": f"REST API of the form {form.key}.",
        "datamodel": datamodel,
        "resource_name": form.key,
        "class_permission_name": form.view_name,
        "list_columns": columns,
        "show_columns": columns,
        "add_columns": keys,
        "edit_columns": keys + ["version"],
        "search_columns": list(form.search_columns),
        "portal_order_columns": list(parts.order_columns),  # as on the screens
        "label_columns": {},
        "base_filters": [["id", ScopeFilter, form]],
        "base_order": parts.base_order,
        "page_size": form.page_size,
        "form_class": record_form(parts, portal),  # the screens' fields, shared
        "referrers": parts.referrers,
    }
    return type(f"{form.class_name}FormApi", (PortalModelApi,), attrs)


def register_apis(appbuilder: Any, portal: Portal) -> None:
    """One API per form at /api/v1/<form key>/ (no menu entry, no new permission); the
    linter keeps form keys off FAB's own /api/v1/menu/ and /api/v1/security/."""
    for form in portal.spec.forms:
        appbuilder.add_api(build_api(portal.form(form.key), portal))
