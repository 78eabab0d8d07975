"""Capture (app/notify/capture.py): a complaint's whole lifecycle and a compensation's
approval chain tell exactly the declared people — in the portal, by e-mail through a real
SMTP server, and to the robots through a real HTTP receiver — each once."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from flask import Flask

from app.jobs.worker import drain
from app.sla.run import run
from tests.support.app import user_id
from tests.support.notify import Mailbox, clear, notifications, notify_config, set_pref, told
from tests.support.sla import complaint, load
from tests.support.webhooks import Receiver, outbox
from tests.support.workflow import engine_fire, ensure_user, record_in

PASSWORD = "Notify-Test-Pass-2026!"


@pytest.fixture(scope="module")
def mailbox() -> Mailbox:
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def robot() -> Receiver:
    receiver = Receiver(answer={"errcode": 0, "errmsg": "ok"}).start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def told_app(make_app, tmp_path_factory, mailbox: Mailbox, robot: Receiver) -> Flask:
    mp = pytest.MonkeyPatch()
    mp.setenv("PORTAL_SERVICE_ROBOT_URL", robot.url + "/wecom")
    mp.setenv("PORTAL_WAREHOUSE_ROBOT_URL", robot.url + "/dingtalk")
    mp.setenv("PORTAL_WAREHOUSE_ROBOT_SECRET", "SECtest-secret")
    app = make_app(notify_config(tmp_path_factory.mktemp("notify")),
                   PORTAL_SMTP_HOST="127.0.0.1", PORTAL_SMTP_PORT=mailbox.port,
                   PORTAL_SMTP_FROM="portal@example.com",
                   PORTAL_BASE_URL="https://portal.example.com")
    ensure_user(app, "handler", "staff", PASSWORD)
    yield app
    mp.undo()


@pytest.fixture(autouse=True)
def empty(told_app: Flask, mailbox: Mailbox, robot: Receiver) -> None:
    clear(told_app)
    mailbox.messages.clear()
    robot.received.clear()


def test_a_complaints_lifecycle_tells_exactly_the_declared_people(told_app, mailbox, robot):
    app = told_app
    record = complaint(app, "2026-12-01 09:00")  # registered by staff, no handler yet
    assert notifications(app) == []
    engine_fire(app, "complaint", record.id, "accept", "supervisor",
                handler_id=user_id(app, "handler"))
    engine_fire(app, "complaint", record.id, "investigate", "handler", category="quality",
                severity="normal")
    engine_fire(app, "complaint", record.id, "escalate", "handler", comment="客户要求赔偿")
    engine_fire(app, "complaint", record.id, "instruct", "supervisor", comment="同意退货")
    no = record.ticket_no
    assert told(app) == [
        ("handler", "complaint_assigned", f"投诉 {no} 已分派给您"),
        ("staff", "complaint_progress", f"投诉 {no}：受理并分派"),
        ("staff", "complaint_progress", f"投诉 {no}：开始调查"),
        ("supervisor", "complaint_escalated_to_supervisor", f"投诉 {no} 已上报主管"),
        ("staff", "complaint_progress", f"投诉 {no}：上报主管"),
        ("staff", "complaint_progress", f"投诉 {no}：主管批示"),
        ("handler", "complaint_progress", f"投诉 {no}：主管批示"),
    ]
    escalated = notifications(app, rule="complaint_escalated_to_supervisor")[0]
    assert escalated.body.startswith("handler test 上报：客户要求赔偿\n客户：")
    assert escalated.body.endswith(f"\n产品：{record.product_name}")
    with app.app_context():
        due = load(app, record.id).sla_resolution_due
    clear(app)
    run(app, due - dt.timedelta(hours=1))  # near: the handler, once
    run(app, due - dt.timedelta(minutes=30))
    assert told(app) == [("handler", "complaint_deadline_near",
                          f"投诉 {no} 的解决时限即将到期")]
    run(app, due + dt.timedelta(hours=1))  # missed: escalated
    assert [t[:2] for t in told(app)][1:] == [
        ("staff", "complaint_escalated"), ("supervisor", "complaint_escalated")]
    drain(app)
    assert sorted(mailbox.summary()) == sorted([
        ("handler@example.com", f"投诉 {no} 的解决时限即将到期"),
        ("staff@example.com", f"投诉 {no} 已超时升级"),
        ("supervisor@example.com", f"投诉 {no} 已超时升级"),
    ])
    assert [json.loads(d.body)["msgtype"] for d in robot.received] == ["text"]
    assert robot.received[0].path == "/hook/wecom"
    assert json.loads(robot.received[0].body)["text"]["content"].startswith(f"投诉 {no} 已超时")


def test_the_complaint_closes_with_each_step_told_to_its_creator(told_app):
    app = told_app
    record = complaint(app, "2026-12-01 09:00", handler=user_id(app, "handler"))
    assert told(app) == [("handler", "complaint_assigned",
                          f"投诉 {record.ticket_no} 已分派给您")]
    clear(app)
    for key, values in (("accept", {}), ("investigate", {"category": "quality"}),
                        ("answer", {"resolution": "更换新品"}), ("confirm", {}),
                        ("follow_up", {"satisfied": True})):
        engine_fire(app, "complaint", record.id, key, "handler", **values)
    labels = ["受理并分派", "开始调查", "答复客户", "客户确认解决", "回访结案"]
    assert told(app) == [("staff", "complaint_progress", f"投诉 {record.ticket_no}：{label}")
                         for label in labels]
    last = notifications(app)[-1]
    assert last.body == "handler test 操作，现为「已回访结案」。"
    assert [r.channel for r in outbox(app)] == []  # progress is in the portal only


def test_a_compensation_waits_for_the_right_approvers_and_tells_the_warehouse(told_app,
                                                                             robot):
    app = told_app
    small = record_in(app, "compensation", "draft", amount=300,
                      proposed_by=user_id(app, "staff"))
    large = record_in(app, "compensation", "draft", amount=8000,
                      proposed_by=user_id(app, "staff"))
    clear(app)
    engine_fire(app, "compensation", small, "submit", "staff")
    engine_fire(app, "compensation", large, "submit_to_manager", "staff")
    assert [(u, r) for u, r, _t in told(app)] == [
        ("supervisor", "compensation_approval"), ("manager", "compensation_approval")]
    assert told(app)[0][2].startswith("补偿申请待您审批：")
    clear(app)
    engine_fire(app, "compensation", small, "approve", "supervisor")
    assert [(u, r) for u, r, _t in told(app)] == [("staff", "compensation_decided")]
    assert told(app)[0][2].endswith("：主管批准")
    rows = outbox(app)
    assert sorted(r.channel for r in rows) == ["email", "robot"]
    drain(app)
    assert len(robot.received) == 1
    delivery = robot.received[0]
    assert delivery.path.startswith("/hook/dingtalk?") and "&sign=" in delivery.path
    content = delivery.json()["text"]["content"]
    assert content.startswith("请安排出货：") and "金额：300.00 元" in content
    assert content.endswith("批准：supervisor test")
    drain(app)  # a second pass sends nothing again
    assert len(robot.received) == 1
    assert {r.status for r in outbox(app)} == {"delivered"}


def test_a_rollback_tells_nobody(told_app):
    app = told_app
    record = complaint(app, "2026-12-01 09:00")
    clear(app)
    with app.app_context():
        row = load(app, record.id)
        row.handler_id = user_id(app, "handler")
        app.appbuilder.session.flush()
        app.appbuilder.session.rollback()
    assert notifications(app) == [] and outbox(app) == []


def test_a_user_who_turned_email_off_is_told_in_the_portal_only(told_app, mailbox):
    app = told_app
    set_pref(app, "handler", email=False)
    set_pref(app, "supervisor", email=True, language="en")
    record = complaint(app, "2026-12-01 09:00", handler=user_id(app, "handler"))
    engine_fire(app, "complaint", record.id, "accept", "handler")
    engine_fire(app, "complaint", record.id, "escalate", "handler", comment="超出权限")
    assert [(n.rule, n.email, n.language) for n in notifications(app)] == [
        ("complaint_assigned", "off", "zh"),
        ("complaint_progress", None, "zh"),
        ("complaint_escalated_to_supervisor", "queued", "en"),
        ("complaint_progress", None, "zh")]
    assert notifications(app)[2].title == f"Complaint {record.ticket_no} was escalated to you"
    drain(app)
    assert mailbox.summary() == [
        ("supervisor@example.com", f"Complaint {record.ticket_no} was escalated to you")]
    body = mailbox.messages[0].get_content()
    assert body.startswith("handler test escalated it: 超出权限\r\nCustomer: ")
    assert f"https://portal.example.com/complaintview/show/{record.id}" in body


def test_a_recipient_without_an_email_address_is_told_in_the_portal_and_it_is_recorded(
        told_app, mailbox):
    app = told_app
    ensure_user(app, "nomail", "staff", PASSWORD)
    with app.app_context():
        user = app.appbuilder.sm.find_user(username="nomail")
        user.email = ""
        app.appbuilder.session.commit()
    record = complaint(app, "2026-12-01 09:00", handler=user_id(app, "nomail"))
    assert [(n.rule, n.email, n.delivery_id) for n in notifications(app)] == [
        ("complaint_assigned", "no_address", None)]
    assert outbox(app) == [] and notifications(app)[0].title.startswith(
        f"投诉 {record.ticket_no}")
    drain(app)
    assert mailbox.messages == []


def test_a_moved_deadline_is_told_again(told_app):
    app = told_app
    record = complaint(app, "2026-12-01 09:00", handler=user_id(app, "handler"))
    with app.app_context():
        first = load(app, record.id).sla_resolution_due
    clear(app)
    run(app, first - dt.timedelta(hours=1))
    with app.app_context():  # the deadline moves (as a changed priority moves it)
        row = load(app, record.id)
        row.sla_resolution_due = first + dt.timedelta(days=1)
        app.appbuilder.session.commit()
    run(app, first + dt.timedelta(days=1) - dt.timedelta(minutes=90))
    run(app, first + dt.timedelta(days=1) - dt.timedelta(minutes=60))
    assert [(n.rule, n.dedupe) for n in notifications(
        app, rule="complaint_deadline_near", record_id=str(record.id))] == [
        ("complaint_deadline_near", f"complaint_deadline_near:complaint:{record.id}:"
         f"resolution:{first:%Y%m%d%H%M}"),
        ("complaint_deadline_near", f"complaint_deadline_near:complaint:{record.id}:"
         f"resolution:{first + dt.timedelta(days=1):%Y%m%d%H%M}")]

