"""Names for ids in audit details (app/views/audit_names.py): users by name, records by
title, nothing for what does not exist."""

from __future__ import annotations

from flask import Flask

from app.portal import portal_of
from app.views.audit_names import record_names
from tests.support.factories import make_record


def test_users_by_name_and_records_by_title(app: Flask) -> None:
    spec = portal_of(app).spec
    complaint = make_record(app, spec.form("complaint"), "staff", product_name="名称霜")
    handler = spec.form("complaint").field("handler")
    link = spec.form("satisfaction_survey").field("complaint")
    with app.test_request_context():
        staff = app.appbuilder.sm.find_user(username="staff")
        names = record_names()
        assert names(handler, staff.id) == staff.get_full_name().strip()
        assert names(link, complaint.id).startswith(complaint.ticket_no)
        assert names(link, str(complaint.id)).endswith(" 名称霜")
        for bad in (999_999, -1, "abc", 2**40, None):
            assert names(link, bad) is None and names(handler, bad) is None


def test_a_history_is_headed_by_the_records_title(app: Flask) -> None:
    from tests.support.app import login

    record = make_record(app, portal_of(app).spec.form("complaint"), "staff",
                         product_name="历史标题霜")
    client = app.test_client()
    login(client, "admin")
    page = client.get(f"/audit/timeline/complaint/{record.id}").get_data(
        as_text=True)
    assert f"{record.ticket_no} " in page and " 历史标题霜" in page
    gone = client.get("/audit/timeline/complaint/999999").get_data(as_text=True)
    assert "#999999" in gone
