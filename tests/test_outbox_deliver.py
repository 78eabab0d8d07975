"""Delivery (app/outbox/deliver.py) against a real receiver on 127.0.0.1: exactly one signed
delivery per event, retries with backoff while the receiver is down, nothing lost across a
restart, no double sending by concurrent workers."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
from pathlib import Path

import pytest
import time_machine
from flask import Flask

from app.outbox.deliver import deliver_due, purge, retry, retry_delay
from app.sla.run import run
from tests.support.app import user_id
from tests.support.sla import at, complaint, fire_at, load
from tests.support.webhooks import SECRET, Receiver, clear_outbox, hook_config, outbox


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    return hook_config(tmp_path_factory.mktemp("hooks"))


@pytest.fixture(scope="module")
def hooked(make_app, config) -> Flask:
    return make_app(config)


@pytest.fixture
def receiver(monkeypatch, hooked: Flask):
    clear_outbox(hooked)
    got = Receiver().start()
    monkeypatch.setenv("TEST_HOOK_URL", got.url)
    monkeypatch.setenv("TEST_HOOK_SECRET", SECRET)
    yield got
    got.stop()


def deliver(app: Flask, when: str | dt.datetime, limit: int = 100) -> int:
    moment = at(when) if isinstance(when, str) else when
    with time_machine.travel(moment, tick=False), app.app_context():
        return deliver_due(limit=limit)


def verified(delivery) -> dict:
    """The body, after checking the signature as docs/webhooks.md tells receivers to."""
    stamp = delivery.headers["X-Portal-Timestamp"]
    expected = "sha256=" + hmac.new(SECRET.encode(), stamp.encode() + b"." + delivery.body,
                                    hashlib.sha256).hexdigest()
    assert hmac.compare_digest(delivery.headers["X-Portal-Signature"], expected)
    return json.loads(delivery.body)


def test_each_event_reaches_the_receiver_exactly_once_signed(hooked, receiver):
    record = complaint(hooked, "2026-12-01 09:00", handler=user_id(hooked, "staff"))
    with time_machine.travel(at("2026-12-01 09:30"), tick=False), hooked.app_context():
        row = load(hooked, record.id)
        row.product_name = "改名面霜"
        hooked.appbuilder.session.commit()
    fire_at(hooked, record.id, "accept", "2026-12-01 10:00")
    run(hooked, at("2026-12-20 09:00"))
    assert deliver(hooked, "2026-12-20 09:00") == 4
    assert deliver(hooked, "2026-12-20 09:10") == 0  # nothing sent twice
    got = receiver.received
    assert [d.headers["X-Portal-Event"] for d in got] == [
        "created", "updated", "transition", "sla_breach"]
    bodies = [verified(d) for d in got]
    assert [b["record"]["id"] for b in bodies] == [record.id] * 4
    assert [d.headers["X-Portal-Delivery"] for d in got] == [b["delivery_id"] for b in bodies]
    assert len({b["delivery_id"] for b in bodies}) == 4
    assert got[0].headers["X-Portal-Timestamp"] == str(int(at("2026-12-20 09:00").timestamp()))
    assert got[0].headers["Content-Type"] == "application/json; charset=utf-8"
    assert got[0].path == "/hook"
    assert bodies[1]["record"]["product_name"] == "改名面霜"
    assert bodies[2]["transition"]["to"] == "accepted"
    rows = outbox(hooked)
    assert {(r.status, r.attempts, r.last_status) for r in rows} == {("delivered", 1, 200)}
    assert rows[0].delivered_at == at("2026-12-20 09:00")
    assert rows[0].last_response == '{"ok": true}'


def test_a_receiver_that_is_down_gets_the_delivery_when_it_is_back(hooked, receiver):
    receiver.stop()
    record = complaint(hooked, "2026-12-01 09:00")
    assert deliver(hooked, "2026-12-01 09:00") == 1
    [row] = outbox(hooked)
    assert (row.status, row.attempts, row.last_status) == ("pending", 1, None)
    assert json.loads(row.last_error) == {"code": "refused"}
    assert at("2026-12-01 09:00:24") <= row.next_attempt_at <= at("2026-12-01 09:00:36")
    assert deliver(hooked, "2026-12-01 09:00:20") == 0  # not due yet
    assert deliver(hooked, "2026-12-01 09:00:40") == 1  # due, still down: 1 min or so
    [row] = outbox(hooked)
    assert row.attempts == 2
    assert at("2026-12-01 09:01:28") <= row.next_attempt_at <= at("2026-12-01 09:01:52")
    assert [h["error"] for h in row.attempts_log()] == [{"code": "refused"}] * 2
    receiver.start()
    assert deliver(hooked, "2026-12-01 09:05") == 1
    assert deliver(hooked, "2026-12-01 10:00") == 0
    assert [verified(d)["record"]["id"] for d in receiver.received] == [record.id]
    [row] = outbox(hooked)
    assert (row.status, row.attempts, row.last_status, row.last_error) == (
        "delivered", 3, 200, None)


def test_nothing_is_lost_across_a_restart(hooked, receiver, make_app, config):
    record = complaint(hooked, "2026-12-01 09:00")  # queued and committed by this server
    again = make_app(config, setup=False,
                     SQLALCHEMY_DATABASE_URI=hooked.config["SQLALCHEMY_DATABASE_URI"])
    assert deliver(again, "2026-12-01 09:01") == 1  # a new process sends it
    assert deliver(hooked, "2026-12-01 09:02") == 0
    assert [verified(d)["record"]["id"] for d in receiver.received] == [record.id]


def test_two_workers_never_send_the_same_message_twice(hooked, receiver):
    for _ in range(12):
        complaint(hooked, "2026-12-01 09:00")
    counts: list[int] = []

    def worker() -> None:
        counts.append(deliver(hooked, "2026-12-01 09:01"))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [d.headers["X-Portal-Delivery"] for d in receiver.received]
    assert sum(counts) == 12 and len(ids) == 12 and len(set(ids)) == 12
    assert {r.status for r in outbox(hooked)} == {"delivered"}


def test_a_refusing_receiver_fails_at_once_and_an_admin_retry_sends_it_again(hooked,
                                                                             receiver):
    receiver.status, receiver.answer = 400, {"error": "unknown field"}
    complaint(hooked, "2026-12-01 09:00")
    deliver(hooked, "2026-12-01 09:00")
    [row] = outbox(hooked)
    assert (row.status, row.attempts, row.last_status, row.last_error, row.last_response) == (
        "failed", 1, 400, '{"code": "http", "status": 400}', '{"error": "unknown field"}')
    receiver.status, receiver.answer = 200, {"ok": True}
    with time_machine.travel(at("2026-12-03 09:00"), tick=False), hooked.app_context():
        session = hooked.appbuilder.session
        assert retry(session, row.id) and not retry(session, row.id)
        session.commit()
    deliver(hooked, "2026-12-03 09:00")
    [row] = outbox(hooked)
    assert (row.status, row.attempts, row.expires_at) == (
        "delivered", 2, at("2026-12-04 09:00"))
    assert len(receiver.received) == 2


def test_server_errors_are_retried_until_the_message_expires(hooked, receiver):
    receiver.status = 503
    complaint(hooked, "2026-12-01 09:00")
    deliver(hooked, "2026-12-01 09:00")
    assert [(r.status, r.last_status) for r in outbox(hooked)] == [("pending", 503)]
    deliver(hooked, "2026-12-02 09:00")  # 24 hours later: given up
    [row] = outbox(hooked)
    assert (row.status, row.attempts) == ("failed", 2)


def test_a_missing_secret_is_recorded_and_retried(hooked, receiver, monkeypatch):
    monkeypatch.delenv("TEST_HOOK_SECRET")
    complaint(hooked, "2026-12-01 09:00")
    deliver(hooked, "2026-12-01 09:00")
    [row] = outbox(hooked)
    assert (row.status, row.last_error) == (
        "pending", '{"code": "env_missing", "name": "TEST_HOOK_SECRET"}')
    assert receiver.received == []


def test_a_receiver_that_does_not_answer_is_a_timeout_retried(hooked, receiver, monkeypatch):
    monkeypatch.setitem(hooked.config, "PORTAL_WEBHOOK_TIMEOUT", 0.3)
    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setenv("TEST_HOOK_URL", f"http://127.0.0.1:{silent.getsockname()[1]}/hook")
        complaint(hooked, "2026-12-01 09:00")
        deliver(hooked, "2026-12-01 09:00")
    [row] = outbox(hooked)
    assert (row.status, row.attempts, row.last_status, row.last_error) == (
        "pending", 1, None, '{"code": "timeout", "seconds": 0.3}')


def test_backoff_doubles_up_to_an_hour():
    assert [round(retry_delay(n) / base, 1) >= 0.8 for n, base in
            [(1, 30), (2, 60), (3, 120), (8, 3600), (20, 3600)]] == [True] * 5
    assert max(retry_delay(30) for _ in range(50)) <= 3600 * 1.2


def test_finished_messages_are_purged_after_the_days_kept(hooked, receiver):
    complaint(hooked, "2026-12-01 09:00")
    deliver(hooked, "2026-12-01 09:00")
    with hooked.app_context():
        session = hooked.appbuilder.session
        assert purge(session, at("2026-12-30 09:00")) == 0
        assert purge(session, at("2026-12-31 09:01")) == 1
    assert outbox(hooked) == []
