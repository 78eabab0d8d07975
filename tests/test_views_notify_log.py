"""通知记录 (app/views/notify_log.py): admins see who was told what — person, rule, record,
title, what became of the e-mail (the outbox delivery's status and error), read or not —
filtered by user, rule and form; nobody else reaches it."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from app.outbox.deliver import deliver_due
from tests.support.app import login, user_id
from tests.support.notify import Mailbox, clear, notify_config
from tests.support.sla import complaint
from tests.support.webhooks import cells


@pytest.fixture(scope="module")
def logged(make_app, tmp_path_factory) -> Flask:
    down = Mailbox()  # never started: every e-mail waits with "connection refused"
    return make_app(notify_config(tmp_path_factory.mktemp("log")),
                    PORTAL_SMTP_HOST="127.0.0.1", PORTAL_SMTP_PORT=down.port)


def test_admins_see_who_was_told_what_and_what_became_of_the_email(logged):
    app = logged
    clear(app)
    record = complaint(app, "2026-12-01 09:00", _owner="supervisor",
                       handler=user_id(app, "staff"))
    complaint(app, "2026-12-01 09:00", _owner="staff", handler=user_id(app, "supervisor"))
    with app.app_context():  # queued on 1 December: past its 24 hours, it fails at once
        assert deliver_due() == 2
    client = app.test_client()
    login(client, "admin")
    page = client.get("/notification-log/?user=staff").get_data(as_text=True)
    assert "通知记录" in page
    assert cells(page, "notify-log", labels=True) == [[
        "时间: 2026-12-01 09:00", "用户: staff", "规则: 投诉分派给我",
        f"记录号: 投诉登记 #{record.id}", f"标题: 投诉 {record.ticket_no} 已分派给您",
        "邮件: 失败 · 无法连接接收方（连接被拒绝）", "已读时间: —"]]
    assert len(cells(client.get("/notification-log/?rule=complaint_assigned&form=complaint")
                     .get_data(as_text=True), "notify-log")) == 2
    assert cells(client.get("/notification-log/?rule=complaint_progress")
                 .get_data(as_text=True), "notify-log") == [["暂无通知。"]]
    assert client.get("/notification-log/?before=x&user=" + "x" * 300).status_code == 200
    assert json.dumps(cells(page, "notify-log"), ensure_ascii=False).count("staff") == 1


def test_others_are_refused(logged):
    for user in ("staff", "supervisor", "auditor"):
        client = logged.test_client()
        login(client, user)
        assert client.get("/notification-log/").status_code == 403
