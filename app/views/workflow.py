"""Workflow screens of the generated form views: the transition dialog (a page of its own, and
a modal on the record page), the record page's transition buttons and its workflow history.

The dialog never decides anything itself: app/workflow/engine.py re-checks role, state, condition,
approvals, comment, required fields and the version when the dialog is posted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import HiddenField, TextAreaField

from app.fieldtypes.validators import INT_MAX, NoControlCharacters
from app.portal import portal_of
from app.security.access import current_access, request_user
from app.spec import STATE_COLUMN, FormSpec, TransitionSpec
from app.views.workflow_columns import badge
from app.workflow.engine import Actor, Refused, actor_for, fire, moved_message, offers, refusal
from app.workflow.store import current_approvals, history

COMMENT_MAX = 2000
VERSION_RE = re.compile(r"[0-9]{1,10}")


@dataclass
class Dialog:
    """One transition as the templates show it: summary, form (None: only the message)."""

    transition: TransitionSpec
    action: str  # the URL the form posts to (also the no-JS link of the record page)
    target: Markup  # badge of the state it leads to
    approvals: list[str] = field(default_factory=list)  # usernames who approved already
    form: Any = None
    inputs: list[str] = field(default_factory=list)  # required fields asked for
    comment: str = "comment"  # name of the comment input

    @property
    def key(self) -> str:
        return self.transition.key

    @property
    def label(self) -> str:
        return self.transition.label.get()

    @property
    def progress(self) -> str:
        """'1 / 2' for an approval step, else ''."""
        t = self.transition
        return f"{len(self.approvals)} / {t.approvals}" if t.approvals else ""

    @property
    def button(self) -> str:
        t = self.transition
        if t.approvals > 1:
            return f"{self.label} ({len(self.approvals)}/{t.approvals})"
        return self.label


@dataclass(frozen=True)
class HistoryRow:
    """One line of the record page's workflow history."""

    kind: str
    transition: str
    at: str
    user: str
    action: str
    source: Markup
    target: Markup
    comment: str
    details: list[str]


def comment_name(t: TransitionSpec) -> str:
    """The comment input's name: 'comment', unless a required field is called so."""
    return "transition_comment" if "comment" in t.required_fields else "comment"


def is_empty(form: FormSpec, record: Any, key: str) -> bool:
    f = form.field(key)
    value = getattr(record, f.key if f.signed else f.column, None)  # a new signature: no id yet
    return value is None or (isinstance(value, str) and not value.strip())


class WorkflowViewMixin:
    """Mixed into PortalModelView (the attributes below come from FAB's ModelView)."""

    __form__: Any
    datamodel: Any
    add_form: Any
    _base_filters: Any
    endpoint: str

    # -- helpers --------------------------------------------------------------------------
    def _actor(self) -> Actor:
        return actor_for(request_user(), portal_of().spec)

    def _approvals(self, record: Any, t: TransitionSpec) -> list[Any]:
        if not t.approvals:
            return []
        return current_approvals(self.datamodel.session, self.__form__.key, record.id, t.key)

    def state_badge(self, key: str | None) -> Markup:
        return badge(self.__form__, key)

    def record_name(self, record: Any) -> str:
        """The record's title (app/db/titles.py: sensitive parts masked; its number only
        when it has no name at all)."""
        return str(record)

    def dialog_form_class(self, record: Any, t: TransitionSpec) -> tuple[type, list[str]]:
        """A small WTForm per transition: the view's own fields for the required ones still
        empty (and not read-only for the user), a hidden version and the comment."""
        form = self.__form__
        readonly = current_access().readonly_fields(form.key)
        attrs: dict[str, Any] = {"version": HiddenField()}
        inputs = []
        for key in t.required_fields:
            # the add form's field, or the edit form's for what the add form leaves for later
            unbound = getattr(self.add_form, key, None) or getattr(
                self.__dict__.get("_edit_form_base"), key, None)
            if unbound is None or key in readonly or not is_empty(form, record, key):
                continue
            attrs[key] = unbound
            inputs.append(key)
        if t.comment != "none":
            attrs[comment_name(t)] = TextAreaField(
                _l("Comment"), validators=[NoControlCharacters(True)],
                widget=BS3TextAreaFieldWidget(), render_kw={
                    "maxlength": COMMENT_MAX, **({"required": True}
                                                 if t.comment == "required" else {})})
        return type("PortalTransitionForm", (DynamicForm,), attrs), inputs

    def dialog(self, record: Any, t: TransitionSpec, approvals: list[str],
               bound: bool = False) -> Dialog:
        """The dialog of `t`; its form bound to the request's post when `bound`."""
        cls, inputs = self.dialog_form_class(record, t)
        wtform = cls(obj=record) if bound else cls(formdata=None, obj=record)
        return Dialog(t, url_for(f"{self.endpoint}.transition", pk=record.id, key=t.key),
                      self.state_badge(t.target), approvals, wtform, inputs, comment_name(t))

    # -- the record page ------------------------------------------------------------------
    def workflow_panel(self, pk: Any) -> dict[str, Any] | None:
        """What show.html needs: the state badge, a dialog per transition the user may fire
        now, the history. None for a form without workflow."""
        form = self.__form__
        if form.workflow is None:
            return None
        record = self.datamodel.get(pk, self._base_filters)
        if record is None:
            return None
        session = self.datamodel.session
        dialogs = [self.dialog(record, o.transition, o.approvals)
                   for o in offers(session, form, record, self._actor())]
        return {"badge": self.state_badge(getattr(record, STATE_COLUMN)), "dialogs": dialogs,
                "name": self.record_name(record),
                "history": [self.history_row(e) for e in history(session, form.key,
                                                                 record.id)]}

    def history_row(self, event: Any) -> HistoryRow:
        """A WorkflowEvent as the history table shows it."""
        form = self.__form__
        info = event.info
        t = form.workflow.transition(event.transition or "") if form.workflow else None
        label = t.label.get() if t else (event.transition or "")
        if event.kind == "approval":
            action = _("Approval (%(done)d/%(needed)d): %(action)s",
                       done=len(info.get("approvals") or []), needed=info.get("needed") or 0,
                       action=label)
        elif event.kind == "escalation":
            action = _("SLA escalation")
        else:
            action = label
        details = []
        if info.get("approvals"):
            details.append(_("Approvers: %(users)s",
                             users="、".join(str(u) for u in info["approvals"])))
        keys = [k for k in info.get("fields") or [] if isinstance(k, str)]
        labels = [form.field(k).label.get() for k in keys if k in {f.key for f in form.fields}]
        if labels:
            details.append(_("Fields set: %(fields)s", fields="、".join(labels)))
        user = getattr(event.user, "username", None) or _("System")
        return HistoryRow(event.kind, event.transition or "",
                          format_datetime(event.at, "yyyy-MM-dd HH:mm:ss"), user, action,
                          self.state_badge(event.from_state), self.state_badge(event.to_state),
                          event.comment or "", details)

    # -- the transition route ---------------------------------------------------------------
    @expose("/transition/<int:pk>/<key>", methods=["GET", "POST"])
    @has_access
    @permission_name("show")
    def transition(self, pk: int, key: str) -> Any:
        """GET: the dialog as a page (or why it may not be fired now); POST: fire it."""
        form = self.__form__
        t = form.workflow.transition(key) if form.workflow else None
        if t is None or pk > INT_MAX:
            abort(404)
        record = self.datamodel.get(pk, self._base_filters)
        if record is None:
            abort(404)
        actor = self._actor()
        approvals = self._approvals(record, t)
        names = [a.username for a in approvals]
        if request.method == "GET":
            problem = refusal(form, record, t, actor, approvals)
            dialog = self.dialog(record, t, names)
            return self._page(record, dialog, problem, keep_form=False)
        return self._post(record, t, actor, approvals)

    def _post(self, record: Any, t: TransitionSpec, actor: Actor, approvals: list[Any]) -> Any:
        form = self.__form__
        names = [a.username for a in approvals]
        version = request.form.get("version", "")
        problem: Refused | None = None
        if not VERSION_RE.fullmatch(version):
            problem = Refused(_("Not done: the form did not say which version of the record "
                                "you saw. Open the record again and retry."), 400)
            return self._page(record, self.dialog(record, t, names), problem, keep_form=False)
        if version != str(record.version):
            problem = Refused(moved_message(form, record), 409)
            return self._page(record, self.dialog(record, t, names), problem, keep_form=False)
        dialog = self.dialog(record, t, names, bound=True)
        wtform = dialog.form
        problem = refusal(form, record, t, actor, approvals)
        if problem is not None:
            return self._page(record, dialog, problem)
        comment = request.form.get(dialog.comment, "") if dialog.comment in wtform else ""
        if len(comment) > COMMENT_MAX:
            problem = Refused(_("The comment is too long: at most %(max)d characters (it has "
                                "%(n)d).", max=COMMENT_MAX, n=len(comment)), 400)
            return self._page(record, dialog, problem)
        if not wtform.validate():
            return self._page(record, dialog, Refused(_("Not done: correct the fields "
                                                        "marked below."), 400))

        def apply_values(rec: Any) -> None:
            for key in dialog.inputs:
                spec = form.field(key)
                wtform[key].populate_obj(rec, key)
                if spec.stores_id:  # the id, for the engine's check
                    value = getattr(rec, key, None)
                    setattr(rec, spec.column, getattr(value, "id", None))

        try:
            message = fire(self.datamodel.session, form, record, t.key, actor,
                           version=version, comment=comment, apply_values=apply_values)
        except Refused as refused:
            if refused.status == 404:
                abort(404)
            return self._page(record, dialog, refused)
        flash(message, "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=record.id))

    def _page(self, record: Any, dialog: Dialog, problem: Refused | None,
              keep_form: bool = True) -> Any:
        """The transition page; with a problem, its status and message (the form kept,
        with what was entered, only for a 400)."""
        if problem is not None and not (keep_form and problem.status == 400):
            dialog.form = None
        status = problem.status if problem is not None else 200
        body = self.render_template(  # type: ignore[attr-defined]
            "portal/transition.html", record=record, record_name=self.record_name(record),
            state=self.state_badge(getattr(record, STATE_COLUMN)), dialog=dialog,
            problem=problem.message if problem is not None else None,
            show_url=url_for(f"{self.endpoint}.show", pk=record.id),
            title=self.__form__.label.get())
        return body, status
