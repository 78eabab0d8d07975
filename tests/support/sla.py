"""SLA test helpers: complaints created and transitions fired at frozen moments, rows read back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from flask import Flask

from app.portal import portal_of
from app.workflow.engine import actor_for, fire
from tests.support.factories import make_record


def at(text: str) -> dt.datetime:
    """A naive local datetime from 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.fromisoformat(text)


def complaint(app: Flask, created: str, priority: str = "normal", _owner: str = "staff",
              **values: Any) -> Any:
    """A complaint created at a frozen moment (its deadlines are set as it is inserted)."""
    form = portal_of(app).spec.form("complaint")
    with time_machine.travel(at(created), tick=False):
        return make_record(app, form, _owner, priority=priority, **values)


def load(app: Flask, record_id: int) -> Any:
    """The complaint in the app's session (call inside an app context)."""
    model = portal_of(app).models.models["complaint"]
    return app.appbuilder.session.get(model, record_id)


def fire_at(app: Flask, record_id: int, key: str, when: str, username: str = "supervisor",
            **values: Any) -> str:
    """Fire a transition of a complaint at a frozen moment, setting the dialog's fields."""
    form = portal_of(app).spec.form("complaint")
    with time_machine.travel(at(when), tick=False), app.test_request_context():
        record = load(app, record_id)
        actor = actor_for(app.appbuilder.sm.find_user(username=username),
                          portal_of(app).spec)

        def apply(rec: Any) -> None:
            for name, value in values.items():
                setattr(rec, name, value)

        return fire(app.appbuilder.session, form, record, key, actor,
                    version=record.version, apply_values=apply)
