"""The form APIs' workflow: a record's state changes only through its transitions.

- GET  /api/v1/<form>/<pk>/transitions: what the caller may fire on the record now;
- POST /api/v1/<form>/<pk>/transition/<key> {"version", "comment", "values"}: fires one
  through app.workflow.engine.fire (the screen's checks, history and audit event), the values of
  the transition's required fields checked by the very form fields of the API's PUT;
- PUT and DELETE of a record in a locked (or final) state: 409, nothing changed.
Both routes take the form's `show` permission: the transition's roles decide the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.portal import portal_of, workflow_columns
from app.security.access import request_user
from app.spec import STATE_COLUMN, FormSpec, TransitionSpec
from app.views.api.decorators import PK, answers, localized
from app.views.api.payload import ApiError, checked_form, read_body, unchanged_sensitive
from app.views.protect import locked_message, locked_state
from app.views.workflow import COMMENT_MAX
from app.workflow.engine import Refused, actor_for, fire, offers

ENVELOPE = ("version", "comment", "values")


class WorkflowApiMixin:
    """Mixed into PortalModelApi (the attributes below are its own)."""

    __form__: FormSpec
    form_class: Any
    datamodel: Any
    _item: Callable[[int], Any]
    response: Callable[..., Response]

    def _unlocked(self, pk: int) -> Any:
        """The record to change or delete: 409 while its state is locked."""
        item = self._item(pk)
        state = locked_state(self.__form__, item)
        if state is not None:
            raise ApiError(409, locked_message(state))
        return item

    def _unknown(self, body: dict[str, Any]) -> dict[str, list[str]]:
        """Keys of a record body that are not fields: the workflow's columns are read-only."""
        known = {f.key for f in self.__form__.entered}
        given = {f.key for f in self.__form__.fields if f.given}
        computed = {c.key for c in self.__form__.computed}  # read-only: sent back, ignored
        computed |= {f.key for f in self.__form__.uploads}  # files: uploaded on the screens
        system = workflow_columns(self.__form__)
        return {key: [_("Read-only: the workflow changes it, through its transitions.")
                      if key in system else _("Read-only: the portal gives it when the "
                                              "record is saved.")
                      if key in given else _("Unknown field.")]
                for key in body if key not in known and key not in computed}

    @expose(PK + "/transitions", methods=["GET"])
    @localized
    @protect()
    @permission_name("show")
    @safe
    @answers
    def transitions(self, pk: int) -> Response:
        """The transitions the caller may fire on the record now, with approval progress."""
        item = self._item(pk)
        if self.__form__.workflow is None:
            raise ApiError(404, _("This form has no workflow."))
        actor = actor_for(request_user(), portal_of().spec)
        result = [{"key": o.transition.key, "label": o.transition.label.get(),
                   "to": o.transition.target, "comment": o.transition.comment,
                   "required_fields": list(o.transition.required_fields),
                   "approvals": {"needed": o.transition.approvals,
                                 "done": len(o.approvals)}}
                  for o in offers(self.datamodel.session, self.__form__, item, actor)]
        return self.response(200, id=pk, state=getattr(item, STATE_COLUMN),
                             version=item.version, result=result)

    @expose(PK + "/transition/<key>", methods=["POST"])
    @localized
    @protect()
    @permission_name("show")
    @safe
    @answers
    def transition(self, pk: int, key: str) -> Response:
        """Fires transition `key` on the record; `version` must be the stored one (409)."""
        item = self._item(pk)
        t = self.__form__.workflow.transition(key) if self.__form__.workflow else None
        if t is None:
            raise ApiError(404, _("Unknown action."))
        version, comment, values = self._envelope(read_body())
        actor = actor_for(request_user(), portal_of().spec)
        try:
            message = fire(self.datamodel.session, self.__form__, item, key, actor,
                           version=version, comment=comment,
                           apply_values=lambda record: self._apply(record, t, values))
        except Refused as exc:
            raise ApiError(exc.status, exc.message) from None
        return self.response(200, message=message, state=getattr(item, STATE_COLUMN),
                             version=item.version)

    @staticmethod
    def _envelope(body: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
        """(version, comment, values) of a transition request; 400 with what is wrong."""
        errors = {k: [_("Unknown field.")] for k in body if k not in ENVELOPE}
        version = body.get("version")
        if version is None:
            errors["version"] = [_("This field is required.")]
        elif isinstance(version, bool) or not isinstance(version, int):
            errors["version"] = [_("Enter a whole number.")]
        comment = body.get("comment")
        if comment is None:
            comment = ""
        elif not isinstance(comment, str):
            errors["comment"] = [_("Enter a text.")]
        elif len(comment) > COMMENT_MAX:  # as in the screen's dialog
            errors["comment"] = [_("The comment is too long: at most %(max)d characters (it "
                                   "has %(n)d).", max=COMMENT_MAX, n=len(comment))]
        values = body.get("values")
        if values is None:
            values = {}
        elif not isinstance(values, dict):
            errors["values"] = [_("Send the values as a JSON object of field keys.")]
        if errors:
            raise ApiError(400, errors)
        return version, comment, values  # type: ignore[return-value]

    def _apply(self, item: Any, t: TransitionSpec, values: dict[str, Any]) -> None:
        """Sets the transition's fields from `values`, checked as by the API's PUT (type,
        validators, the role's read-only fields); 400 with every error and nothing set."""
        errors: dict[str, list[str]] = {}
        system = workflow_columns(self.__form__)
        known = {f.key for f in self.__form__.fields}
        for key in values:
            if key in system:
                errors[key] = [_("Read-only: the workflow changes it, through its "
                                 "transitions.")]
            elif key not in known:
                errors[key] = [_("Unknown field.")]
            elif key not in t.required_fields:
                errors[key] = [_("“%(action)s” does not set this field; edit the record to "
                                 "change it.", action=t.label.get())]
        fields = [f for f in self.__form__.fields if f.key in values and f.key in t.required_fields
                  and not (f.sensitive and unchanged_sensitive(f, values[f.key],
                                                               getattr(item, f.key)))]
        wtform = checked_form(self.form_class, self.__form__, item, fields, values, errors)
        for field in fields:
            wtform[field.key].populate_obj(item, field.key)
            if field.stores_id:  # the id too: checked before the flush
                setattr(item, field.column, getattr(wtform[field.key].data, "id", None))
