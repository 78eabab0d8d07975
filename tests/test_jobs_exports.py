"""Export jobs (app/jobs/exports.py): a job is written once, by the worker that holds it; a
job taken over meanwhile keeps nothing; one that keeps stopping, or whose writer fails, ends
with a message in its user's language; its file comes back piece by piece, in order."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, func, select, update

from app.jobs import exports
from app.jobs.model import Job, JobFile, JobProblem
from app.jobs.store import CHUNK
from app.jobs.worker import claim, run_pending
from tests.support.app import user_id


@pytest.fixture(scope="module")
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def writer() -> Iterator[dict[str, Any]]:
    """A writer that writes `size` bytes, and what it was asked."""
    seen: dict[str, Any] = {"size": 10, "calls": 0}

    def write(job: Job, user: Any, on_progress: Callable[[int], None]) -> tuple[str, int]:
        seen["calls"] += 1
        seen["user"] = user.username
        if seen.get("fail"):
            raise RuntimeError("the writer broke")
        handle, path = tempfile.mkstemp()
        with os.fdopen(handle, "wb") as fh:
            fh.write(bytes(i % 251 for i in range(seen["size"])))
        seen["path"] = path
        on_progress(7)
        return path, 7

    previous = list(exports._WRITER)
    exports.register_writer(write)
    yield seen
    exports._WRITER[:] = previous


def _queue(app: Flask, user: str = "admin", language: str = "zh") -> int:
    uid = user_id(app, user)
    with app.app_context():
        session = app.appbuilder.session
        session.execute(delete(JobFile))
        session.execute(delete(JobProblem))
        session.execute(delete(Job))
        job = exports.queue(session, form="customer", user_id=uid,
                            language=language, fmt="csv", endpoint="CustomerView", args=[],
                            rows=7, details={})
        session.commit()
        return job.id


def _state(app: Flask, job_id: int) -> tuple[str, int, int, list[str]]:
    with app.app_context():
        session = app.appbuilder.session
        job = session.get(Job, job_id)
        pieces = session.scalar(select(func.count()).select_from(JobFile)
                                .where(JobFile.job_id == job_id))
        problems = list(session.scalars(select(JobProblem.message)
                                        .where(JobProblem.job_id == job_id)))
        return job.status, job.file_size, pieces, problems


def test_a_job_s_file_is_kept_in_pieces_and_read_back_in_order(app: Flask,
                                                              writer: dict[str, Any]) -> None:
    writer["size"] = CHUNK * 2 + 5
    job_id = _queue(app)
    with app.app_context():
        assert run_pending() == 1
        body = b"".join(exports.file_chunks(app.appbuilder.session, job_id))
    assert body == bytes(i % 251 for i in range(CHUNK * 2 + 5))
    assert _state(app, job_id) == ("done", CHUNK * 2 + 5, 3, [])
    assert writer["user"] == "admin" and not os.path.exists(writer["path"])


def test_a_job_taken_over_by_another_worker_keeps_nothing(app: Flask,
                                                         writer: dict[str, Any]) -> None:
    job_id = _queue(app)
    with app.app_context():
        session = app.appbuilder.session
        job = claim(session, "slow")
        assert job is not None
        # the slow worker's lease ran out and another worker took the job meanwhile
        session.execute(update(Job).where(Job.id == job_id).values(worker="fast"))
        session.commit()
        exports.run(session, job, "slow")
    assert _state(app, job_id) == ("running", 0, 0, [])
    assert not os.path.exists(writer["path"])


def test_a_job_that_keeps_stopping_fails_with_a_message(app: Flask,
                                                        writer: dict[str, Any]) -> None:
    job_id = _queue(app, language="en")
    with app.app_context():
        session = app.appbuilder.session
        session.execute(update(Job).where(Job.id == job_id).values(attempts=3))
        session.commit()
        assert run_pending() == 1
    assert _state(app, job_id) == ("failed", 0, 0, [
        "The export stopped 3 times before it finished. Export the list again, or ask an "
        "administrator."])
    assert writer["calls"] == 0


def test_a_writer_s_error_ends_the_job_and_not_the_worker(app: Flask,
                                                          writer: dict[str, Any]) -> None:
    writer["fail"] = True
    job_id = _queue(app)
    with app.app_context():
        assert run_pending() == 1
    assert _state(app, job_id) == ("failed", 0, 0, [
        "门户内部出错，导出未能完成。错误已记录，请稍后再试或告知管理员。"])


def test_an_export_is_claimed_for_long_enough_to_write_a_million_rows(
        app: Flask, writer: dict[str, Any]) -> None:
    job_id = _queue(app)
    with app.app_context():
        session = app.appbuilder.session
        job = claim(session, "one")
        assert job is not None and job.id == job_id
        assert job.lease_until - job.started_on == exports.LEASE == dt.timedelta(minutes=30)
        session.execute(update(Job).where(Job.id == job_id).values(status="failed"))
        session.commit()


def test_a_long_export_on_sqlite_writes_while_its_rows_are_still_being_read(
        app: Flask) -> None:
    """Progress every 1,000 rows must not write to a database whose export read is open
    (SQLite would wait for it, then fail): the figure stays in the process there."""
    from app.portal import portal_of

    table = portal_of(app).models.metadata.tables["form_customer"]
    at = dt.datetime(2026, 1, 1)
    with app.app_context():
        session = app.appbuilder.session
        session.execute(table.insert(), [
            {"name": f"批量{i}", "phone": f"137{i:08d}", "version": 1, "created_on": at,
             "changed_on": at} for i in range(2_100)])
        session.commit()
        total = session.scalar(select(func.count()).select_from(table))
    job_id = _queue(app)
    with app.app_context():
        assert run_pending() == 1
        job = app.appbuilder.session.get(Job, job_id)
        assert (job.status, job.rows_total) == ("done", total)
        text = b"".join(exports.file_chunks(app.appbuilder.session, job_id)).decode("utf-8-sig")
    assert len(text.splitlines()) == total + 1 and "批量2099" in text
