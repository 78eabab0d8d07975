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
from app.portal import portal_of
from tests.support.app import login
from tests.support.sla import at, complaint
from tests.support.webhooks import SECRET, clear_outbox, hook_config, outbox


@pytest.fixture(scope="module")
def hooked(make_app, tmp_path_factory):
    return make_app(hook_config(tmp_path_factory.mktemp("hooks")))


def cells(page: str, table: str) -> list[list[str]]:
    found = re.search(rf'<table[^>]*id="{table}".*?</table>', page, re.S)
    assert found, table
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                    row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(0), re.S)[1:]]


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
    [line] = cells(page, "webhook-deliveries")
    assert line[:6] == ["2026-12-01 09:00:00", "客户系统", "新建记录", f"投诉登记 #{record.id}",
                        "失败", "2"]
    assert line[6].startswith("ConnectionRefusedError")
    assert cells(client.get("/webhooks/?status=delivered").get_data(as_text=True),
                 "webhook-deliveries") == [["暂无推送记录。"]]
    assert len(cells(client.get("/webhooks/?hook=crm&form=complaint&status=failed")
                     .get_data(as_text=True), "webhook-deliveries")) == 1
    assert client.get("/webhooks/?before=x&status=nope").status_code == 200
    show = client.get(f"/webhooks/{row.id}").get_data(as_text=True)
    body = re.search(r'<pre id="webhook-body"[^>]*>(.*?)</pre>', show, re.S).group(1)
    assert json.loads(body.replace("&#34;", '"').replace("&quot;", '"'))["delivery_id"] == \
        row.delivery_id
    assert [a[1:3] for a in cells(show, "webhook-attempts")][0][0] == ""
    assert len(cells(show, "webhook-attempts")) == 2 and "重新发送" in show
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
    assert not re.search(r"[\u4e00-\u9fff\uff00-\uffef]", re.sub(r"<[^>]+>", " ", table))


def test_others_are_refused(hooked):
    for user in ("staff", "supervisor"):
        client = hooked.test_client()
        login(client, user)
        assert client.get("/webhooks/").status_code == 403
        assert client.post("/webhooks/1/retry").status_code in (400, 403)
