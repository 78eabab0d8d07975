"""Helpers of the workflow tests: records in a chosen state, engine and HTTP firing per role,
and the engine's exact English messages rebuilt from the YAML labels (tests compare to them)."""

from __future__ import annotations

import hashlib
import html
import os
import re
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, g
from flask.testing import FlaskClient
from flask_babel import force_locale
from itsdangerous import URLSafeTimedSerializer

from app.portal import portal_of
from app.workflow.engine import actor_for, fire
from tests.support.factories import make_record

ROLES = ("admin", "staff", "supervisor", "manager", "auditor")
TEAM = "客服一组"


def route(app: Flask, form_key: str) -> str:
    """The route base of a form's generated screen, e.g. '/compensationview'."""
    name = portal_of(app).spec.form(form_key).view_name
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == name)
    return str(view.route_base)


_IDS: dict[tuple[int, str], int] = {}  # (app, username or 'form:<key>') → id, per process




def ensure_user(app: Flask, username: str, role: str, password: str) -> int:
    """A further user of `role` (idempotent), member of the test team like the others."""
    from app.security.teams import Team

    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.find_user(username=username)
        if user is None:
            user = sm.add_user(username, username, "test", f"{username}@example.com",
                               sm.find_role(role), password=password)
            team = sm.session.query(Team).filter_by(name=TEAM).one()
            team.members.append(user)
            sm.session.commit()
        return int(user.id)


def record_in(app: Flask, form_key: str, state: str, owner: str = "staff",
              **values: Any) -> int:
    """A valid record created by `owner`, moved to `state` through the ORM; its id. Records
    it must refer to (a complaint's customer…) are made once per app and shared."""
    spec = portal_of(app).spec
    form = spec.form(form_key)
    for f in form.fields:
        if f.type == "reference" and f.required and f.key not in values:
            if (id(app), f"form:{f.form}") not in _IDS:
                _IDS[(id(app), f"form:{f.form}")] = int(make_record(app, spec.form(f.form)).id)
            values[f.key] = _IDS[(id(app), f"form:{f.form}")]
    rec = make_record(app, form, owner, **values)
    model = portal_of(app).models.models[form_key]
    with app.app_context():
        session = app.appbuilder.session
        row = session.get(model, rec.id)
        row.state = state
        session.commit()
    return int(rec.id)


def set_state(app: Flask, form_key: str, pk: int, state: str) -> None:
    """Test setup: the record put in `state` directly (transitions are tested elsewhere)."""
    import sqlalchemy as sa

    with app.app_context():
        session = app.appbuilder.session
        session.execute(sa.text(f"update form_{form_key} set state = :s where id = :id"),
                        {"s": state, "id": pk})
        session.commit()


def stored_row(app: Flask, form_key: str, pk: int) -> dict[str, Any] | None:
    """The record's columns as stored (typed by the model, on SQLite and PostgreSQL)."""
    import sqlalchemy as sa

    model = portal_of(app).models.models[form_key]
    with app.app_context():
        session = app.appbuilder.session
        row = session.execute(sa.select(model.__table__).where(
            model.__table__.c.id == pk)).mappings().first()
        session.rollback()
        return None if row is None else dict(row)


def snapshot(app: Flask, form_key: str, record_id: int) -> dict[str, Any]:
    """The record's columns as stored now."""
    model = portal_of(app).models.models[form_key]
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        row = session.get(model, record_id)
        return {c.key: getattr(row, c.key) for c in model.__table__.columns}


def events(app: Flask, form_key: str, record_id: int) -> list[tuple[Any, ...]]:
    """(kind, transition, from, to, username, comment) of each history row, oldest first."""
    from app.workflow.store import history

    with app.app_context():
        app.appbuilder.session.expire_all()
        return [(e.kind, e.transition, e.from_state, e.to_state,
                 e.user.username if e.user else None, e.comment)
                for e in history(app.appbuilder.session, form_key, record_id)]


def engine_fire(app: Flask, form_key: str, record_id: int, key: str, username: str,
                comment: str = "", version: Any = None, **values: Any) -> str:
    """Fire through app.workflow.engine.fire as `username` (English), as the screen would."""
    form = portal_of(app).spec.form(form_key)
    model = portal_of(app).models.models[form_key]
    with app.test_request_context(), force_locale("en"):
        session = app.appbuilder.session
        session.expire_all()
        user = app.appbuilder.sm.find_user(username=username)
        g.user = user
        record = session.get(model, record_id)

        def apply(rec: Any) -> None:
            for name, value in values.items():
                setattr(rec, name, value)

        try:
            return fire(session, form, record, key,
                        actor_for(user, portal_of(app).spec),
                        version=record.version if version is None else version,
                        comment=comment, apply_values=apply)
        finally:
            session.rollback()


@dataclass
class Outcome:
    """One POST to the transition route: status, the page's text, the flashed messages."""

    status: int
    text: str
    location: str = ""
    flashes: list[str] = field(default_factory=list)


class RoleClient:
    """A browser signed in as one user, in English, posting transitions like the dialog."""

    def __init__(self, app: Flask, username: str, password: str) -> None:
        from tests.support.app import login

        self.app, self.username = app, username
        self.client: FlaskClient = app.test_client()
        with self.client.session_transaction() as session:
            session["locale"] = "en"  # kept across the login's session rotation
        login(self.client, username, password)
        self.token = self._csrf_token()

    def _csrf_token(self) -> str:
        """The signed token Flask-WTF puts in every form of this session."""
        raw = hashlib.sha1(os.urandom(64)).hexdigest()
        with self.client.session_transaction() as session:
            session["csrf_token"] = raw
        secret = self.app.config.get("WTF_CSRF_SECRET_KEY") or self.app.secret_key
        return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)

    def fire(self, form_key: str, record_id: int, key: str, version: Any = None,
             comment: str = "", **fields: Any) -> Outcome:
        """POST the transition; `version` defaults to the stored one."""
        if version is None:
            version = snapshot(self.app, form_key, record_id)["version"]
        data = {"csrf_token": self.token, "version": str(version), "comment": comment,
                **{k: str(v) for k, v in fields.items()}}
        url = f"{route(self.app, form_key)}/transition/{record_id}/{key}"
        response = self.client.post(url, data=data)
        with self.client.session_transaction() as session:
            flashes = [str(m) for _c, m in session.pop("_flashes", [])]
        return Outcome(response.status_code, page_text(response.get_data(as_text=True)),
                       response.headers.get("Location", ""), flashes)


def page_text(body: str) -> str:
    """The page without tags, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


class Msg:
    """The engine's messages in English, built from the labels of the spec."""

    def __init__(self, app: Flask, form_key: str) -> None:
        self.form = portal_of(app).spec.form(form_key)

    def label(self, key: str) -> str:
        return str(self.form.workflow.transition(key).label.en)

    def state(self, key: str) -> str:
        return str(self.form.workflow.state(key).label.en)

    def role(self, key: str) -> str:
        return f"Your role may not {self.label(key)}."

    def moved_state(self, key: str, state: str) -> str:
        return f"“{self.label(key)}” is not possible while the record is {self.state(state)}."

    def condition(self, key: str) -> str:
        t = self.form.workflow.transition(key)
        return f"“{self.label(key)}” does not apply to this record: {t.condition} is not met."

    def comment(self, key: str) -> str:
        return f"A comment is required for “{self.label(key)}”."

    def fill_in(self, key: str, *fields: str) -> str:
        labels = "、".join(str(self.form.field(f).label.en) for f in fields)
        return f"Fill in before “{self.label(key)}”: {labels}"

    def done(self, key: str) -> str:
        t = self.form.workflow.transition(key)
        return f"Done: {self.label(key)}. The record is now {self.state(t.target)}."

    def approved(self, key: str, done: int, needed: int) -> str:
        return f"Approved: {done} of {needed} approvals for “{self.label(key)}”."

    SELF = "You proposed this record and may not approve it yourself."

    @staticmethod
    def already(more: int) -> str:
        return f"You have already approved; waiting for {more} more approval(s)."
