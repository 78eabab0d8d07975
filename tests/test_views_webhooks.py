"""推送记录 (app/views/webhooks.py): admins list deliveries with filters, read one (body,
attempts, last error) and send a failed one again (audited); others are refused."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import time_machine
from sqlalchemy import select

from app.audit.log import AuditEvent
from app.outbox.deliver import deliver_due
from app.outbox.model import OutboxMessage
from app.portal import portal_of
from tests.support.app import login
from tests.support.sla import at, complaint
from tests.support.webhooks import SECRET, cells, clear_outbox, hook_config, outbox


@pytest.fixture(scope="module")
def hooked(make_app, tmp_path_factory):
    return make_app(hook_config(tmp_path_factory.mktemp("hooks")))


def text_of(page: str, element: str) -> str:
    found = re.search(rf'<(\w+)[^>]*id="{element}"[^>]*>(.*?)</\1>', page, re.S)
    return re.sub(r"<[^>]+>", "", found.group(2)).strip() if found else ""


def test_admins_see_deliveries_and_send_a_failed_one_again(hooked, monkeypatch):
    clear_outbox(hooked)
    monkeypatch.setenv("TEST_HOOK_URL", "http://127.0.0.1:9/closed")
    monkeypatch.setenv("TEST_HOOK_SECRET", SECRET)
    record = complaint(hooked, "2026-12-01 09:00")
    with time_machine.travel(at("2026-12-01 09:00"), tick=False), hooked.app_context():
        deliver_due()
    with time_machine.travel(at("2026-12-02 09:00"), tick=False), hooked.app_context():
        deliver_due()  # past the 24 hours: failed
    [row] = outbox(hooked)
    assert row.status == "failed"
    client = hooked.test_client()
    login(client, "admin")
    page = client.get("/webhooks/").get_data(as_text=True)
    assert "推送记录" in page
    assert cells(page, "webhook-deliveries", labels=True) == [[
        "排队时间: 2026-12-01 09:00:00", "推送: 客户系统", "事件: 新建记录",
        f"记录号: 投诉登记 #{record.id}", "状态: 失败", "尝试次数: 2",
        "最近错误: 无法连接接收方（连接被拒绝）"]]
    assert cells(client.get("/webhooks/?status=delivered").get_data(as_text=True),
                 "webhook-deliveries") == [["暂无推送记录。"]]
    assert len(cells(client.get("/webhooks/?hook=crm&form=complaint&status=failed")
                     .get_data(as_text=True), "webhook-deliveries")) == 1
    assert client.get("/webhooks/?before=x&status=nope").status_code == 200
    show = client.get(f"/webhooks/{row.id}").get_data(as_text=True)
    body = re.search(r'<pre[^>]*id="webhook-body"[^>]*>(.*?)</pre>', show, re.S).group(1)
    assert json.loads(body.replace("&#34;", '"').replace("&quot;", '"'))["delivery_id"] == \
        row.delivery_id
    assert text_of(show, "webhook-error") == "无法连接接收方（连接被拒绝）"
    assert "webhook-error-detail" not in show and "webhook-response" not in show
    assert "<th>接收方原文</th><td>—</td>" in show
    attempts = cells(show, "webhook-attempts", labels=True)
    assert [a[1:] for a in attempts] == [["响应码: —", f"耗时（毫秒）: {a[2].split()[-1]}",
                                          "错误: 无法连接接收方（连接被拒绝）"] for a in attempts]
    assert len(attempts) == 2 and "重新发送" in show
    token = re.search(r'name="csrf_token" value="([^"]+)"', show).group(1)
    before = dt.datetime.now()
    done = client.post(f"/webhooks/{row.id}/retry", data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "已重新排队，一分钟内发送。" in done
    [row] = outbox(hooked)
    assert row.status == "pending" and before <= row.next_attempt_at <= dt.datetime.now()
    assert row.expires_at - row.next_attempt_at == dt.timedelta(hours=24)
    again = client.post(f"/webhooks/{row.id}/retry", data={"csrf_token": token},
                        follow_redirects=True).get_data(as_text=True)
    assert "只有发送失败的推送可以重新发送。" in again
    with hooked.app_context():
        events = hooked.appbuilder.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "webhook_retry")).all()
        assert [(e.username, e.form, e.record_id, json.loads(e.details)) for e in events] == [
            ("admin", "complaint", str(record.id),
             {"hook": "crm", "delivery": row.delivery_id, "event": "created"})]
    assert client.get("/webhooks/2147483647").status_code == 404
    client.get("/lang/en")
    page = client.get("/webhooks/").get_data(as_text=True)
    table = re.search(r'<table[^>]*id="webhook-deliveries".*?</table>', page, re.S).group(0)
    assert "Webhook deliveries" in page and "Record created" in table
    label = portal_of(hooked).spec.form("complaint").label.en
    assert f"{label} #{record.id}" in table and "Waiting to be sent" in table
    assert "Could not connect to the receiver (connection refused)" in table
    assert not re.search(r"[\u4e00-\u9fff\uff00-\uffef]", re.sub(r"<[^>]+>", " ", table))


def test_others_are_refused(hooked):
    for user in ("staff", "supervisor"):
        client = hooked.test_client()
        login(client, user)
        assert client.get("/webhooks/").status_code == 403
        assert client.post("/webhooks/1/retry").status_code in (400, 403)


def test_a_robot_refusal_is_a_sentence_and_its_answer_is_quoted_on_the_delivery(hooked):
    clear_outbox(hooked)
    complaint(hooked, "2026-12-01 09:00")
    answer = '{"errcode": 93000, "errmsg": "invalid webhook url, hint: [1733]"}'
    with hooked.app_context():
        session = hooked.appbuilder.session
        row = session.scalars(select(OutboxMessage)).one()
        row.attempts, row.last_status, row.last_response = 1, 200, answer
        row.last_error = json.dumps({"code": "robot", "errcode": 93000,
                                     "errmsg": "invalid webhook url, hint: [1733]"})
        row.history = json.dumps([{"at": "2026-12-01T09:00:00", "status": 200, "ms": 12,
                                   "error": json.loads(row.last_error)}])
        session.commit()
        pk = row.id
    client = hooked.test_client()
    login(client, "admin")
    sentence = "群机器人拒绝了消息（错误码 93000）"
    listed = client.get("/webhooks/").get_data(as_text=True)
    assert cells(listed, "webhook-deliveries")[0][6] == sentence
    assert "invalid webhook url" not in listed
    show = client.get(f"/webhooks/{pk}").get_data(as_text=True)
    assert text_of(show, "webhook-error") == sentence
    assert "webhook-error-detail" not in show  # the robot's words: in its answer, quoted
    assert text_of(show, "webhook-response").replace("&#34;", '"') == answer
    assert cells(show, "webhook-attempts") == [["2026-12-01 09:00:00", "200", "12", sentence]]
    client.get("/lang/en")
    show = client.get(f"/webhooks/{pk}").get_data(as_text=True)
    english = "The group robot refused the message (error code 93000)"
    assert text_of(show, "webhook-error") == english
    assert cells(show, "webhook-attempts", labels=True)[0][3] == f"Error: {english}"
    assert "<th>Receiver's answer</th>" in show and "Error in its own words" not in show
    with hooked.app_context():
        session = hooked.appbuilder.session
        session.get(OutboxMessage, pk).last_error = json.dumps(
            {"code": "tls", "detail": "certificate verify failed"})
        session.commit()
    client.get("/lang/zh")
    assert "certificate" not in client.get("/webhooks/").get_data(as_text=True)
    show = client.get(f"/webhooks/{pk}").get_data(as_text=True)
    assert text_of(show, "webhook-error") == "与接收方的安全连接（HTTPS）失败"
    assert "<th>错误原文</th>" in show
    assert text_of(show, "webhook-error-detail") == "certificate verify failed"
