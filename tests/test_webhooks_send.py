"""The webhook channel (app/webhooks/send.py): 企业微信 and 钉钉 robot messages posted to a real
receiver, DingTalk's 加签 on the URL, a robot's errcode taken as a failure, and a hook removed
from the configuration failing its queued deliveries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine

from app.outbox.deliver import deliver_due
from tests.support.sla import at, complaint
from tests.support.webhooks import Receiver, clear_outbox, hook_config, outbox

WECOM = """key: wecom_group
form: complaint
events: [created]
url_env: TEST_WECOM_URL
format: wecom
message: "新投诉 {ticket_no}: {product_name}（{channel}）"
"""
DINGTALK = """key: ding_group
form: complaint
events: [created]
url_env: TEST_DING_URL
secret_env: TEST_DING_SECRET
format: dingtalk
markdown: true
message: "### 新投诉 {ticket_no}\\n- 产品：{product_name}\\n- 状态：{state}"
"""
DING_SECRET = "SEC0123456789abcdef"


@pytest.fixture(scope="module")
def robots(make_app, tmp_path_factory):
    return make_app(hook_config(tmp_path_factory.mktemp("robots"), wecom=WECOM,
                                ding=DINGTALK))


@pytest.fixture
def receiver(monkeypatch, robots):
    clear_outbox(robots)
    got = Receiver(answer={"errcode": 0, "errmsg": "ok"}).start()
    monkeypatch.setenv("TEST_WECOM_URL", got.url + "?key=abc")
    monkeypatch.setenv("TEST_DING_URL", got.url + "?access_token=tok")
    monkeypatch.setenv("TEST_DING_SECRET", DING_SECRET)
    yield got
    got.stop()


def deliver(app, when: str) -> int:
    with time_machine.travel(at(when), tick=False), app.app_context():
        return deliver_due()


def test_robots_get_their_message_shapes_and_dingtalk_its_signature(robots, receiver):
    record = complaint(robots, "2026-12-01 09:00", channel="phone", product_name="保湿面霜")
    assert deliver(robots, "2026-12-01 09:00") == 2
    by_path = {urlsplit(d.path).query.split("=")[0]: d for d in receiver.received}
    wecom = by_path["key"].json()
    assert wecom == {"msgtype": "text", "text": {
        "content": f"新投诉 {record.ticket_no}: 保湿面霜（电话）"}}
    ding = by_path["access_token"]
    assert ding.json() == {"msgtype": "markdown", "markdown": {
        "title": f"### 新投诉 {record.ticket_no}",
        "text": f"### 新投诉 {record.ticket_no}\n- 产品：保湿面霜\n- 状态：已登记"}}
    query = parse_qs(urlsplit(ding.path).query)
    stamp = query["timestamp"][0]
    assert stamp == str(int(at("2026-12-01 09:00").timestamp() * 1000))
    expected = base64.b64encode(hmac.new(DING_SECRET.encode(), f"{stamp}\n{DING_SECRET}"
                                         .encode(), hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected] and query["access_token"] == ["tok"]
    assert "X-Portal-Signature" not in ding.headers
    assert {r.status for r in outbox(robots)} == {"delivered"}


def test_a_robot_refusal_in_a_200_answer_is_a_failure_retried(robots, receiver):
    receiver.answer = {"errcode": 310000, "errmsg": "sign not match"}
    complaint(robots, "2026-12-01 09:00")
    deliver(robots, "2026-12-01 09:00")
    rows = outbox(robots)
    assert {(r.status, r.last_status, r.last_error) for r in rows} == {
        ("pending", 200, '{"code": "robot", "errcode": 310000, "errmsg": "sign not match"}')}
    assert json.loads(rows[0].last_response) == receiver.answer


def test_a_hook_no_longer_configured_fails_its_deliveries(robots, receiver, make_app,
                                                          tmp_path):
    complaint(robots, "2026-12-01 09:00")
    without = make_app(hook_config(tmp_path, ding=DINGTALK), setup=False,
                       SQLALCHEMY_DATABASE_URI=robots.config["SQLALCHEMY_DATABASE_URI"])
    deliver(without, "2026-12-01 09:00")
    rows = {r.target: r for r in outbox(robots)}
    assert (rows["wecom_group"].status, rows["wecom_group"].last_error) == (
        "failed", '{"code": "hook_gone", "hook": "wecom_group"}')
    assert rows["ding_group"].status == "delivered"
