"""`flask portal worker --once` runs what waits and says how much."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from tests.support.jobs import job_of, queue


def test_the_worker_command_runs_the_waiting_jobs_once(make_app: Callable[..., Flask]):
    app = make_app()
    first, second = queue(app), queue(app)
    result = app.test_cli_runner().invoke(args=["portal", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output == "2 job(s) run\n"
    assert {job_of(app, first).status, job_of(app, second).status} == {"checked"}
    again = app.test_cli_runner().invoke(args=["portal", "worker", "--once"])
    assert again.output == "0 job(s) run\n"
