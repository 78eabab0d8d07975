"""`flask portal webhooks run` and `list` (app/cli/webhooks.py), run from a second app on the
database the first one queued into, as a cron job after a restart would."""

from __future__ import annotations

import pytest
import time_machine

from tests.support.cli import run_flask
from tests.support.sla import at, complaint
from tests.support.webhooks import SECRET, Receiver, hook_config, outbox


@pytest.fixture
def receiver(monkeypatch):
    got = Receiver().start()
    monkeypatch.setenv("TEST_HOOK_URL", got.url)
    monkeypatch.setenv("TEST_HOOK_SECRET", SECRET)
    yield got
    got.stop()


def test_run_sends_what_is_due_and_list_shows_it(make_app, tmp_path, receiver, monkeypatch):
    config = hook_config(tmp_path)
    first = make_app(config)
    record = complaint(first, "2026-12-01 09:00")
    second = make_app(config, setup=False,
                      SQLALCHEMY_DATABASE_URI=first.config["SQLALCHEMY_DATABASE_URI"])
    with time_machine.travel(at("2026-12-01 09:05"), tick=False):
        empty = run_flask(second, "portal", "webhooks", "list")
        monkeypatch.setenv("TEST_HOOK_URL", "http://127.0.0.1:9/closed")
        down = run_flask(second, "portal", "webhooks", "run")
        listed = run_flask(second, "portal", "webhooks", "list", "--status", "pending")
    assert empty.output == (f"2026-12-01 09:00:00 crm created complaint#{record.id} "
                            "pending attempts=0\n")
    assert down.exit_code == 0, down.output
    assert down.output == "1 message(s) attempted; now 1 pending, 0 delivered, 0 failed\n"
    assert listed.output == (f"2026-12-01 09:00:00 crm created complaint#{record.id} "
                                    "pending attempts=1 error=Could not connect to the "
                                    "receiver (connection refused) [refused]\n")
    monkeypatch.setenv("TEST_HOOK_URL", receiver.url)
    with time_machine.travel(at("2026-12-01 09:10"), tick=False):
        sent = run_flask(second, "portal", "webhooks", "run")
        done = run_flask(second, "portal", "webhooks", "list", "--hook", "crm")
        other = run_flask(second, "portal", "webhooks", "list", "--hook", "nope")
    assert sent.output == "1 message(s) attempted; now 0 pending, 1 delivered, 0 failed\n"
    assert done.output == (f"2026-12-01 09:00:00 crm created complaint#{record.id} "
                           "delivered attempts=2 http=200\n")
    assert other.output == "no deliveries\n"
    assert len(receiver.received) == 1 and outbox(first)[0].status == "delivered"


def test_check_warns_of_a_hook_variable_missing_here(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from app.cli.config import check
    from tests.support.webhooks import HOOK

    config = hook_config(tmp_path, crm=HOOK)
    monkeypatch.delenv("TEST_HOOK_URL", raising=False)
    monkeypatch.setenv("TEST_HOOK_SECRET", SECRET)
    result = CliRunner().invoke(check, ["--config-dir", str(config)])
    assert result.exit_code == 0
    assert result.stderr == ("warning: webhook 'crm': environment variable TEST_HOOK_URL is "
                             "not set here; its deliveries fail until it is set on the "
                             "servers\n")
    monkeypatch.setenv("TEST_HOOK_URL", "http://127.0.0.1:9/x")
    assert CliRunner().invoke(check, ["--config-dir", str(config)]).stderr == ""
