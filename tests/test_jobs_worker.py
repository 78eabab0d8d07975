"""The worker (app/jobs/worker.py): a job is claimed by one worker only, a job left by a
stopped worker is taken up again, failures end the job with a message instead of stopping
the worker, an app server's own thread runs what its pages queue, and each pass sends the
outbox's due messages."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from app.jobs import imports, worker
from app.jobs.model import Job, JobProblem
from app.jobs.store import queue_store
from app.jobs.worker import claim, run_pending
from app.portal import portal_of
from tests.support.app import login
from tests.support.factories import make_record
from tests.support.jobs import job_of, queue
from tests.support.webhooks import SECRET, Receiver, hook_config


@pytest.fixture(scope="module")
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


def customers(app: Flask) -> int:
    with app.app_context():
        model = portal_of().models.models["customer"]
        return app.appbuilder.session.scalar(select(func.count()).select_from(model))


def messages(app: Flask, job_id: int) -> list[str]:
    with app.app_context():
        return list(app.appbuilder.session.scalars(
            select(JobProblem.message).where(JobProblem.job_id == job_id)))


def test_a_job_is_claimed_by_one_worker_only(app):
    job_id = queue(app)
    with app.app_context():
        session = app.appbuilder.session
        first = claim(session, "one")
        second = claim(session, "two")
        assert first is not None and first.id == job_id and first.worker == "one"
        assert second is None
        assert (first.status, first.attempts) == ("running", 1)
        session.execute(update(Job).where(Job.id == job_id).values(status="failed"))
        session.commit()


def test_a_job_whose_worker_stopped_is_taken_up_again_and_given_up_after_three_tries(app):
    job_id = queue(app)
    with app.app_context():
        session = app.appbuilder.session
        assert claim(session, "gone").id == job_id
        assert claim(session, "other") is None  # its lease still holds
        past = dt.datetime.now() - dt.timedelta(seconds=1)
        session.execute(update(Job).where(Job.id == job_id).values(lease_until=past))
        session.commit()
        again = claim(session, "other")
        assert again is not None and (again.worker, again.attempts) == ("other", 2)
        session.execute(update(Job).where(Job.id == job_id).values(
            lease_until=past, attempts=imports.MAX_ATTEMPTS))
        session.commit()
    assert run_pending_in(app) == 1
    assert job_of(app, job_id).status == "failed"
    assert messages(app, job_id) == ["导入在完成前中断了 3 次，没有保存任何记录。请重新上传文件，"
                                     "或联系管理员。"]


def run_pending_in(app: Flask) -> int:
    with app.app_context():
        return run_pending()


def test_an_error_in_a_job_ends_it_with_a_message_and_the_worker_goes_on(app, monkeypatch):
    broken, fine = queue(app), None

    def explode(*_args: Any, **_kw: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(imports, "_import", explode)
    assert run_pending_in(app) == 1
    monkeypatch.undo()
    fine = queue(app)
    assert run_pending_in(app) == 1
    assert job_of(app, broken).status == "failed"
    assert messages(app, broken) == [
        "门户出错，导入未能完成，没有保存任何记录。错误已记录，请稍后重试或联系管理员。"]
    assert job_of(app, fine).status == "checked"


def test_a_store_taken_over_by_another_worker_stores_nothing(app):
    job_id = queue(app)
    run_pending_in(app)
    before = customers(app)
    with app.app_context():
        session = app.appbuilder.session
        job = session.get(Job, job_id)
        queue_store(session, job)
        session.commit()
        mine = claim(session, "slow")
        # meanwhile its lease ran out and another worker took it
        session.execute(update(Job).where(Job.id == job_id).values(worker="fast"))
        session.commit()
        imports.run(session, mine, "slow")
    assert customers(app) == before
    assert job_of(app, job_id).worker == "fast"


def test_the_app_servers_own_thread_runs_what_its_pages_queue(make_app):
    live = make_app(PORTAL_WORKER_THREAD=True, PORTAL_WORKER_POLL_SECONDS=1)
    job_id = queue(live)
    client = live.test_client()
    try:
        login(client, "staff")  # the first request starts the thread
        for _ in range(100):
            if job_of(live, job_id).status == "checked":
                break
            time.sleep(0.1)
        assert job_of(live, job_id).status == "checked"
    finally:
        worker.stop_thread(live)


def test_each_pass_of_the_worker_also_sends_the_outbox(make_app, tmp_path, monkeypatch):
    receiver = Receiver().start()
    monkeypatch.setenv("TEST_HOOK_URL", receiver.url)
    monkeypatch.setenv("TEST_HOOK_SECRET", SECRET)
    hooked = make_app(hook_config(tmp_path))
    try:
        record = make_record(hooked, portal_of(hooked).spec.form("complaint"), "staff")
        assert worker.drain(hooked) == 1
        assert worker.drain(hooked) == 0
        assert [d.json()["record"]["id"] for d in receiver.received] == [record.id]
    finally:
        receiver.stop()
