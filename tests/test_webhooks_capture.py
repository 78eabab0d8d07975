"""Capture (app/webhooks/capture.py): one outbox row per hook and event, written in the
transaction of the change — created, updated, transition, SLA breach — none on rollback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask

from app.portal import portal_of
from app.sla.run import run
from tests.support.app import user_id
from tests.support.factories import make_record
from tests.support.sla import at, complaint, fire_at, load
from tests.support.webhooks import HOOK, clear_outbox, hook_config, outbox


@pytest.fixture(scope="module")
def hooked(make_app, tmp_path_factory) -> Flask:
    return make_app(hook_config(tmp_path_factory.mktemp("hooks")))


@pytest.fixture(autouse=True)
def empty(hooked: Flask) -> None:
    clear_outbox(hooked)


def test_a_created_record_queues_one_delivery_with_the_record_as_the_api_shows_it(hooked):
    record = complaint(hooked, "2026-12-01 09:00", channel="phone")
    rows = outbox(hooked)
    assert [(r.channel, r.target, r.event, r.form, r.record_id, r.status, r.attempts)
            for r in rows] == [("webhook", "crm", "created", "complaint", str(record.id),
                                "pending", 0)]
    body = json.loads(rows[0].body)
    assert list(body) == ["event", "hook", "form", "record", "occurred_at", "delivery_id"]
    assert body["delivery_id"] == rows[0].delivery_id
    assert body["occurred_at"] == "2026-12-01T09:00:00"
    assert body["record"]["id"] == record.id and body["record"]["state"] == "registered"
    assert body["record"]["ticket_no"] == record.ticket_no
    assert body["record"]["customer"] == record.customer_id  # a reference: its id
    assert body["record"]["channel"] == "phone"
    assert set(body["record"]) == {"id", "display", "state", "version", "created_on",
                                   "changed_on", "ticket_no", "customer", "channel",
                                   "product_name", "priority"}
    assert rows[0].next_attempt_at == at("2026-12-01 09:00")
    assert rows[0].expires_at == at("2026-12-02 09:00")


def test_an_edit_queues_updated_and_an_unchanged_save_nothing(hooked):
    record = complaint(hooked, "2026-12-01 09:00")
    clear_outbox(hooked)
    with hooked.app_context():
        row = load(hooked, record.id)
        row.product_name = "新面霜"
        hooked.appbuilder.session.commit()
        assert row.product_name == "新面霜"  # loaded, as a screen loads it before a save
        row.product_name = "新面霜"
        hooked.appbuilder.session.commit()
    rows = outbox(hooked)
    assert [(r.event, r.record_id) for r in rows] == [("updated", str(record.id))]
    assert json.loads(rows[0].body)["record"]["product_name"] == "新面霜"


def test_a_transition_queues_one_transition_delivery_and_no_updated(hooked):
    record = complaint(hooked, "2026-12-01 09:00", handler=user_id(hooked, "staff"))
    clear_outbox(hooked)
    fire_at(hooked, record.id, "accept", "2026-12-01 10:00")
    rows = outbox(hooked)
    assert [r.event for r in rows] == ["transition"]
    body = json.loads(rows[0].body)
    assert body["transition"] == {"transition": "accept", "from": "registered",
                                  "to": "accepted", "comment": "", "user": "supervisor"}
    assert body["record"]["state"] == "accepted"


def test_an_sla_breach_queues_one_delivery_per_breached_record(hooked):
    record = complaint(hooked, "2026-12-01 09:00", priority="urgent")
    clear_outbox(hooked)
    run(hooked, at("2026-12-20 09:00"))
    rows = [r for r in outbox(hooked) if r.record_id == str(record.id)]
    assert [r.event for r in rows] == ["sla_breach"]
    body = json.loads(rows[0].body)
    assert body["sla"]["breached"] and body["event"] == "sla_breach"
    run(hooked, at("2026-12-20 10:00"))  # nothing new is breached: nothing queued
    assert len([r for r in outbox(hooked) if r.record_id == str(record.id)]) == 1


def test_a_rollback_leaves_no_outbox_row(hooked):
    form = portal_of(hooked).spec.form("complaint")
    model = portal_of(hooked).models.models["complaint"]
    seed = make_record(hooked, form)
    clear_outbox(hooked)
    with hooked.app_context():
        session = hooked.appbuilder.session
        session.add(model(**{f.column: getattr(seed, f.column) for f in form.entered}))
        session.flush()
        session.rollback()
        row = load(hooked, seed.id)
        row.product_name = "回滚"
        session.flush()
        session.rollback()
    assert outbox(hooked) == []


def test_audit_off_still_queues(make_app, tmp_path: Path):
    app = make_app(hook_config(tmp_path), PORTAL_AUDIT=False)
    record = complaint(app, "2026-12-01 09:00")
    assert [(r.event, r.record_id) for r in outbox(app)] == [("created", str(record.id))]


def test_disabled_hooks_and_other_forms_queue_nothing(make_app, tmp_path: Path):
    app = make_app(hook_config(tmp_path, crm=HOOK + "enabled: false\n"))
    complaint(app, "2026-12-01 09:00")
    make_record(app, portal_of(app).spec.form("customer"))
    assert outbox(app) == []


def test_an_import_queues_one_created_delivery_per_row_and_a_failed_one_none(make_app,
                                                                             tmp_path: Path):
    import csv

    app = make_app(hook_config(tmp_path, customers="""key: customers
form: customer
events: [created]
url: http://127.0.0.1:9/x
secret_env: TEST_HOOK_SECRET
"""))
    good = tmp_path / "good.csv"
    with open(good, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([["客户名称", "联系电话"]] + [
            [f"客户{i}", f"139{i:08d}"] for i in range(40)])
    done = app.test_cli_runner().invoke(args=["portal", "import", "customer", str(good)])
    assert done.exit_code == 0, done.output
    rows = outbox(app)
    assert len(rows) == 40 and {r.event for r in rows} == {"created"}
    assert len({r.record_id for r in rows}) == 40
    bad = tmp_path / "bad.csv"
    with open(bad, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([["客户名称", "联系电话"], ["甲", "139"], ["", "13900000000"]])
    refused = app.test_cli_runner().invoke(args=["portal", "import", "customer", str(bad)])
    assert refused.exit_code == 1 and len(outbox(app)) == 40
