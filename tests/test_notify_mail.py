"""The e-mail channel (app/notify/mail.py): a request never waits for the mail server — with
it down the step succeeds, the e-mail waits in the outbox with the error, and arrives once
when it is back; a 5xx reply fails at once; two workers never send one e-mail twice."""

from __future__ import annotations

import datetime as dt
import json
import smtplib
import threading

import pytest
from flask import Flask, has_request_context
from sqlalchemy import update

from app.outbox.deliver import deliver_due
from app.outbox.model import OutboxMessage
from tests.support.app import PASSWORD, user_id
from tests.support.notify import Mailbox, clear, notifications, notify_config
from tests.support.sla import complaint
from tests.support.webhooks import outbox
from tests.support.workflow import RoleClient


@pytest.fixture(scope="module")
def mailbox() -> Mailbox:
    return Mailbox()  # not started: the mail server is down


@pytest.fixture(scope="module")
def mail_app(make_app, tmp_path_factory, mailbox: Mailbox) -> Flask:
    return make_app(notify_config(tmp_path_factory.mktemp("mail")),
                    PORTAL_SMTP_HOST="127.0.0.1", PORTAL_SMTP_PORT=mailbox.port,
                    PORTAL_SMTP_TIMEOUT=2)


@pytest.fixture(autouse=True)
def empty(mail_app: Flask, mailbox: Mailbox):
    clear(mail_app)
    mailbox.messages.clear()
    mailbox.refuse.clear()
    yield
    mailbox.stop()


def due_now(app: Flask) -> None:
    """Every pending message due at once (instead of waiting for its retry)."""
    with app.app_context():
        session = app.appbuilder.session
        session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending")
                        .values(next_attempt_at=dt.datetime.now() - dt.timedelta(seconds=1)))
        session.commit()


def drain(app: Flask) -> int:
    with app.app_context():
        return deliver_due()


def test_with_the_mail_server_down_the_step_succeeds_and_the_mail_arrives_later(
        mail_app, mailbox):
    app = mail_app
    record = complaint(app, "2026-12-01 09:00", handler=user_id(app, "staff"))
    clear(app)
    outcome = RoleClient(app, "staff", PASSWORD).fire("complaint", record.id, "accept")
    assert outcome.status == 302 and outcome.flashes[0].startswith("Done: Accept and assign")
    outcome = RoleClient(app, "staff", PASSWORD).fire(
        "complaint", record.id, "escalate", comment="需要主管处理")
    assert outcome.status == 302
    assert [(n.rule, n.email) for n in notifications(app)] == [
        ("complaint_escalated_to_supervisor", "queued")]
    assert drain(app) == 1  # the server is down: refused, kept for a retry
    [row] = outbox(app)
    assert (row.channel, row.target, row.status, row.attempts) == (
        "email", "complaint_escalated_to_supervisor", "pending", 1)
    assert json.loads(row.last_error) == {"code": "refused"}
    assert row.next_attempt_at > dt.datetime.now()
    assert drain(app) == 0  # not due yet: nothing is tried
    mailbox.start()
    due_now(app)
    assert drain(app) == 1
    assert mailbox.summary() == [("supervisor@example.com",
                                  f"投诉 {record.ticket_no} 已上报主管")]
    [row] = outbox(app)
    assert (row.status, row.attempts, row.last_status) == ("delivered", 2, 250)
    assert mailbox.messages[0]["Message-ID"] == f"<{row.delivery_id}@portal.notifications>"
    due_now(app)
    assert drain(app) == 0 and len(mailbox.messages) == 1  # nothing is sent twice


def test_a_refused_recipient_fails_at_once_with_the_servers_reply(mail_app, mailbox):
    app = mail_app
    mailbox.start()
    mailbox.refuse.add("supervisor@example.com")
    record = complaint(app, "2026-12-01 09:00", handler=user_id(app, "staff"))
    RoleClient(app, "staff", PASSWORD).fire("complaint", record.id, "accept")
    clear(app)
    RoleClient(app, "staff", PASSWORD).fire("complaint", record.id, "escalate",
                                            comment="需要主管处理")
    assert drain(app) == 1
    [row] = outbox(app)
    assert (row.status, row.attempts) == ("failed", 1)
    assert json.loads(row.last_error) == {"code": "smtp", "status": 550,
                                          "detail": "5.1.1 No such mailbox"}
    assert mailbox.messages == []


def test_two_workers_at_once_send_each_mail_exactly_once(mail_app, mailbox):
    app = mail_app
    mailbox.start()
    for _n in range(6):
        complaint(app, "2026-12-01 09:00", handler=user_id(app, "staff"))
    assert len(outbox(app, channel="email")) == 6
    done: list[int] = []

    def work() -> None:
        done.append(drain(app))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(done) == 6
    ids = [m["Message-ID"] for m in mailbox.messages]
    assert len(ids) == 6 and len(set(ids)) == 6
    assert {r.status for r in outbox(app)} == {"delivered"}


def test_no_request_opens_an_smtp_connection(mail_app, mailbox, monkeypatch):
    app = mail_app
    mailbox.start()
    opened: list[str] = []
    real = smtplib.SMTP

    class Watched(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs) -> None:
            opened.append("request" if has_request_context() else "worker")
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(smtplib, "SMTP", Watched)
    record = complaint(app, "2026-12-01 09:00", handler=user_id(app, "staff"))
    client = RoleClient(app, "staff", PASSWORD)
    assert client.fire("complaint", record.id, "accept").status == 302
    assert client.fire("complaint", record.id, "escalate", comment="请主管处理").status == 302
    assert opened == [] and len(outbox(app, channel="email")) >= 1
    drain(app)
    assert opened and set(opened) == {"worker"}
