"""`flask portal sla run`: the report as printed, --at checked before anything is loaded, and
the real `flask` command from cron's point of view."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import time_machine
from click.testing import Result
from flask import Flask
from sqlalchemy import text

from app.audit import log as audit
from tests.support.app import CONFIG, ROOT, user_id
from tests.support.audit import details, events_after, last_seq
from tests.support.sla import at, complaint, load

NOTHING = "complaint: deadlines computed 0, breaches marked 0, escalated 0, reassigned 0"
ONE = ("complaint: deadlines computed 0, breaches marked 1 (first response 1, resolution 0), "
       "escalated 1, reassigned 1")


@pytest.fixture(scope="module")
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture(autouse=True)
def _closed_afterwards(app: Flask) -> Iterator[None]:
    yield
    with app.app_context():
        app.appbuilder.session.execute(text("UPDATE form_complaint SET state = 'closed'"))
        app.appbuilder.session.commit()


def invoke(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["portal", "sla", "run", *args])


def test_run_prints_the_report_and_exits_0(app: Flask) -> None:
    rec = complaint(app, "2026-10-09 09:00", handler=user_id(app, "staff"))  # due 12 Oct
    result = invoke(app, "--at", "2026-10-09 18:00")
    assert (result.exit_code, result.output) == (0, f"SLA run at 2026-10-09 18:00:00\n{NOTHING}\n")
    with time_machine.travel(at("2026-10-12 09:01"), tick=False):  # Monday, after the weekend
        result = invoke(app)
    assert (result.exit_code, result.output) == (0, f"SLA run at 2026-10-12 09:01:00\n{ONE}\n")
    with app.app_context():
        assert load(app, rec.id).sla_escalated_on == at("2026-10-12 09:01")


@pytest.mark.parametrize(("value", "message"), [
    ("2026-13-01 10:00", "'2026-13-01 10:00' is not a date and time; write YYYY-MM-DD HH:MM, "
                         "e.g. 2026-10-09 18:00"),
    ("tomorrow", "'tomorrow' is not a date and time; write YYYY-MM-DD HH:MM, e.g. "
                 "2026-10-09 18:00"),
    ("2026-10-09T18:00+08:00", "'2026-10-09T18:00+08:00' has a time zone; write the "
                               "server's local time without one, e.g. 2026-10-09 18:00"),
])
def test_a_bad_at_is_refused_with_exit_2(app: Flask, value: str, message: str) -> None:
    seq = last_seq(app)
    result = invoke(app, "--at", value)
    assert result.exit_code == 2
    assert f"Error: Invalid value for '--at': {message}" in result.output
    assert "SLA run" not in result.output and last_seq(app) == seq


def test_at_takes_seconds_and_the_iso_t(app: Flask) -> None:
    for value in ("2026-10-09 18:00:30", "2026-10-09T18:00:30"):
        result = invoke(app, "--at", value)
        assert result.output.splitlines()[0] == "SLA run at 2026-10-09 18:00:30"


def test_the_real_flask_command_as_cron_runs_it(app: Flask) -> None:
    rec = complaint(app, "2026-09-14 10:00", handler=user_id(app, "staff"))
    seq = last_seq(app)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "PORTAL_CONFIG_DIR": str(CONFIG), "PORTAL_INDUSTRY": "",
           "PORTAL_REVISIONS_DIR": app.config["PORTAL_REVISIONS_DIR"],
           "SECRET_KEY": "x" * 32, "FLASK_APP": ""}
    result = subprocess.run(
        [str(Path(ROOT) / ".venv" / "bin" / "flask"), "portal", "sla", "run", "--at",
         "2026-09-15 10:01"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout == f"SLA run at 2026-09-15 10:01:00\n{ONE}\n"
    breach = [e for e in events_after(app, seq) if e.action == "sla_breach"]
    assert [(e.record_id, e.username, details(e)["assignee"]) for e in breach] == [
        (str(rec.id), f"cli:{audit._os_account()}", ["staff", "supervisor"])]
