"""The worker: takes queued jobs (imports, exports) from the database and runs them, sends
the outbox's due messages (webhooks, app/outbox/deliver.py), then lets go of old jobs and
messages.

Any process can be a worker: a thread of each app server (PORTAL_WORKER_THREAD, on by
default, so the embedded set-up needs nothing more), or `flask portal worker` on a machine of
its own. Jobs are claimed with a conditional UPDATE, so two workers never run one job, and a
job whose worker stopped (its lease ran out) is taken up again by another."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from flask import Flask, current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.jobs import exports, imports
from app.jobs.model import QUEUED, RUNNING, Job
from app.jobs.store import let_go, now
from app.outbox.deliver import deliver_due, purge

log = logging.getLogger(__name__)
_WAKE = threading.Event()  # a job accepted by this process: run it now, not at the next poll
# id(app) → (pid of the process whose thread runs for it, the event that stops it)
_STARTED: dict[int, tuple[int, threading.Event]] = {}


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:100]


def claim(session: Session, worker: str) -> Job | None:
    """The oldest job that is queued, or running with its lease passed, now this worker's."""
    at = now()
    free = or_(Job.status == QUEUED, and_(Job.status == RUNNING, Job.lease_until < at))
    waiting = session.execute(select(Job.id, Job.kind).where(free).order_by(Job.id).limit(5))
    for job_id, kind in list(waiting):
        lease = exports.LEASE if kind == exports.EXPORT else imports.LEASE
        taken: Any = session.execute(update(Job).where(Job.id == job_id, free).values(
            status=RUNNING, worker=worker, attempts=Job.attempts + 1, started_on=at,
            lease_until=at + lease))
        session.commit()
        if taken.rowcount == 1:
            return session.get(Job, job_id)
    session.commit()
    return None


def run_pending(limit: int = 10) -> int:
    """Run up to `limit` jobs that wait (in an app context); the number run."""
    session = current_app.extensions["appbuilder"].session
    me, ran = worker_name(), 0
    while ran < limit:
        job = claim(session, me)
        if job is None:
            break
        job_id, name = job.id, job.kind
        kind = exports if name == exports.EXPORT else imports
        try:
            kind.run(session, job, me)
        except Exception:  # noqa: BLE001 - one job's failure must not stop the worker
            session.rollback()
            log.exception("%s job %s failed", name, job_id)
            kind.give_up(session, job_id)
        ran += 1
    let_go(session)
    session.commit()
    return ran


def wake() -> None:
    _WAKE.set()


def drain(app: Flask) -> int:
    """One pass of the worker: jobs, then the outbox; how much it did (0: it may sleep)."""
    with app.app_context():
        try:
            done = run_pending() + deliver_due()
            _purge_hourly(current_app.extensions["appbuilder"].session)
            return done
        except SQLAlchemyError:
            log.exception("the worker could not reach the database; trying again later")
            current_app.extensions["appbuilder"].session.rollback()
            return 0
        except Exception:  # noqa: BLE001 - the thread must outlive any one pass
            log.exception("the worker's pass failed; trying again later")
            current_app.extensions["appbuilder"].session.rollback()
            return 0
        finally:
            current_app.extensions["appbuilder"].session.remove()


_PURGED: dict[str, float] = {}  # when this process last purged the outbox (monotonic)


def _purge_hourly(session: Session) -> None:
    """Finished outbox messages past PORTAL_OUTBOX_KEEP_DAYS go, once an hour per process."""
    last = _PURGED.get("outbox")
    if last is None or time.monotonic() - last > 3600:
        purge(session)
        _PURGED["outbox"] = time.monotonic()


def loop(app: Flask, stop: threading.Event) -> None:
    poll = float(app.config["PORTAL_WORKER_POLL_SECONDS"])
    while not stop.is_set():
        did = drain(app)
        if not did:
            _WAKE.wait(poll)
            _WAKE.clear()


def start_thread(app: Flask) -> None:
    """This process's worker thread, started once per process (after a fork too)."""
    started = _STARTED.get(id(app))
    if started is not None and started[0] == os.getpid():
        return
    stop = threading.Event()
    _STARTED[id(app)] = (os.getpid(), stop)
    thread = threading.Thread(target=loop, args=(app, stop), name="portal-worker",
                              daemon=True)
    thread.start()


def stop_thread(app: Flask) -> None:
    """Stop this process's worker thread of `app` (at its next poll)."""
    started = _STARTED.pop(id(app), None)
    if started is not None:
        started[1].set()
        _WAKE.set()


def register_worker(app: Flask) -> None:
    """With PORTAL_WORKER_THREAD, the first request of each process starts its worker."""
    if not app.config["PORTAL_WORKER_THREAD"]:
        return

    @app.before_request
    def _start() -> None:
        start_thread(app)
