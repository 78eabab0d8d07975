"""The notification tables (app/notify/model.py): the bell's count reads a user's unread rows
through the (user_id, read_at) index and stops at 100, whatever the table's size; marking
read touches only the user's own rows; saved choices are read back."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import insert, text

from app.notify.model import Notification, mark_read, prefs_of, unread_count
from tests.support.app import user_id
from tests.support.notify import clear, set_pref


def add(app: Flask, username: str, n: int, read: bool = False) -> None:
    with app.app_context():
        session = app.appbuilder.session
        uid = user_id(app, username)
        now = dt.datetime(2026, 12, 1, 9, 0)
        session.connection().execute(insert(Notification.__table__), [
            {"user_id": uid, "rule": "r", "event": "assigned", "title": f"t{i}",
             "language": "zh", "created_at": now, "read_at": now if read else None}
            for i in range(n)])
        session.commit()


def test_the_count_stops_at_100_and_reads_only_the_users_rows(app: Flask) -> None:
    clear(app)
    add(app, "staff", 150)
    add(app, "supervisor", 3)
    add(app, "supervisor", 40, read=True)
    with app.app_context():
        session = app.appbuilder.session
        assert unread_count(session, user_id(app, "staff")) == 100
        assert unread_count(session, user_id(app, "supervisor")) == 3
        assert unread_count(session, user_id(app, "manager")) == 0
        session.rollback()
    clear(app)


def test_the_count_is_answered_from_the_index(app: Flask) -> None:
    """A user with thousands of read notifications: the count reads their unread ones only."""
    clear(app)
    for username in ("staff", "supervisor", "manager", "auditor"):
        add(app, username, 2000, read=True)
    add(app, "staff", 5)
    add(app, "supervisor", 20)
    with app.app_context():
        session = app.appbuilder.session
        conn = session.connection()
        conn.execute(text("analyze portal_notification"))
        sql = (f"select count(*) from (select id from portal_notification where user_id = "
               f"{user_id(app, 'staff')} and read_at is null limit 100) as unread")
        explain = "explain query plan " if conn.dialect.name == "sqlite" else "explain "
        plan = " ".join(str(r[-1]) for r in conn.execute(text(explain + sql)))
        assert "ix_portal_notification_unread" in plan, plan
        assert unread_count(session, user_id(app, "staff")) == 5
        session.rollback()
    clear(app)


def test_marking_read_touches_only_the_users_own_rows(app: Flask) -> None:
    clear(app)
    add(app, "staff", 2)
    add(app, "supervisor", 2)
    with app.app_context():
        session = app.appbuilder.session
        staff, supervisor = user_id(app, "staff"), user_id(app, "supervisor")
        theirs = session.query(Notification).filter_by(user_id=supervisor).first().id
        assert mark_read(session, staff, theirs) == 0
        assert mark_read(session, staff) == 2
        assert mark_read(session, staff) == 0  # already read
        session.commit()
        assert unread_count(session, staff) == 0 and unread_count(session, supervisor) == 2
        session.rollback()
    clear(app)


def test_saved_choices_are_read_back_and_others_get_the_defaults(app: Flask) -> None:
    clear(app)
    set_pref(app, "staff", email=False, language="en")
    with app.app_context():
        session = app.appbuilder.session
        staff, manager = user_id(app, "staff"), user_id(app, "manager")
        assert prefs_of(session, [staff, manager, staff]) == {staff: (False, "en")}
        assert prefs_of(session, []) == {}
        session.rollback()
    clear(app)
