"""Export jobs: a list too long to send while the browser waits is written by a worker into
a file kept in the database (portal_job_file), which its user then downloads from any app
server. A request never holds a gunicorn worker for a minute, and a big export survives a
server's restart (another worker takes the job up again).

The file itself is written by the screens' layer (app/views/export_jobs.py registers how), as
the job's user: the same list, filters, order, row scope and masking as the page asked for."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from typing import Any

from flask_appbuilder.security.sqla.models import User
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.jobs.model import DONE, FAILED, PROBLEMS, QUEUED, RUNNING, Job, JobFile, JobProblem
from app.jobs.store import CHUNK, LIVE, may, now, set_progress

EXPORT = "export"
# Renewed as rows are written, except on SQLite: a write there would wait for the export's
# own open read (its rows are read in batches), so the figure stays in this process (LIVE)
# and the lease is long enough for a million rows.
LEASE = dt.timedelta(minutes=30)
MAX_ATTEMPTS = 3
# (job, user, on_progress(rows)) → (path of the written file, rows written)
Writer = Callable[[Job, Any, Callable[[int], None]], tuple[str, int]]
_WRITER: list[Writer] = []


def register_writer(writer: Writer) -> None:
    """How an export's file is written (app/views/export_jobs.py, at start-up)."""
    _WRITER[:] = [writer]


def queue(session: Session, *, form: str, user_id: int, language: str, fmt: str,
          endpoint: str, args: list[list[str]], rows: int, details: dict[str, Any]
          ) -> Job:
    """A new export of `rows` rows of the list at `endpoint` with `args` (the caller
    commits)."""
    job = Job(kind=EXPORT, form=form, user_id=user_id, language=language,
              file_name=f"{form}.{fmt}", file_size=0, phase=EXPORT, status=QUEUED,
              rows_done=0, rows_total=rows, errors=0, bad_rows=0, created_on=now(),
              attempts=0, result={"format": fmt, "endpoint": endpoint, "args": args,
                                  "details": details})
    session.add(job)
    session.flush()
    return job


def run(session: Session, job: Job, worker: str) -> None:
    """Write `job`'s file (claimed by `worker`) and keep it with the job."""
    job_id, attempt = job.id, job.attempts
    user = session.get(User, job.user_id)
    with force_locale(job.language):
        if job.attempts > MAX_ATTEMPTS:
            return fail(session, job_id, _(
                "The export stopped %(n)d times before it finished. Export the list again, "
                "or ask an administrator.", n=MAX_ATTEMPTS))
        if user is None or not may(user, job.form, "can_export"):
            return fail(session, job_id, _("You may no longer export this form."), PROBLEMS)
    session.commit()  # nothing stays open while the file is written
    engine = session.get_bind()
    shared = engine.dialect.name != "sqlite"

    def on_progress(rows: int) -> None:
        set_progress(engine, job_id, rows, now() + LEASE, shared)

    path, rows = _WRITER[0](job, user, on_progress)
    try:
        _keep(session, job_id, path, rows, worker, attempt)
    finally:
        LIVE.pop(job_id, None)
        if os.path.exists(path):
            os.remove(path)


def _keep(session: Session, job_id: int, path: str, rows: int, worker: str,
          attempt: int) -> None:
    """The file into the job, and the job done, in one transaction; nothing if another
    worker took the job meanwhile (its lease ran out)."""
    session.execute(delete(JobFile).where(JobFile.job_id == job_id))
    size, seq = 0, 0
    with open(path, "rb") as fh:
        while piece := fh.read(CHUNK):
            stored = JobFile(job_id=job_id, seq=seq, data=piece)
            session.add(stored)
            session.flush()
            session.expunge(stored)
            size, seq = size + len(piece), seq + 1
    done = session.execute(update(Job).where(
        Job.id == job_id, Job.status == RUNNING, Job.worker == worker,
        Job.attempts == attempt).values(
        status=DONE, finished_on=now(), lease_until=None, rows_done=rows, rows_total=rows,
        file_size=size))
    if getattr(done, "rowcount", 1) != 1:
        session.rollback()
        return
    session.commit()


def fail(session: Session, job_id: int, message: str, status: str = FAILED) -> None:
    session.rollback()
    session.execute(update(Job).where(Job.id == job_id).values(
        status=status, finished_on=now(), lease_until=None, errors=1))
    session.add(JobProblem(job_id=job_id, row=None, column=None, message=message))
    session.commit()


def give_up(session: Session, job_id: int) -> None:
    """End an export that failed with an error of the portal's own (logged by the caller)."""
    job = session.get(Job, job_id)
    with force_locale(job.language if job else "zh"):
        fail(session, job_id, _(
            "The export could not be finished because of an error in the portal. The error "
            "has been logged; try again later or tell an administrator."))


def file_chunks(session: Session, job_id: int) -> Iterator[bytes]:
    """The kept file, a piece at a time (one piece in memory)."""
    seqs = list(session.scalars(select(JobFile.seq).where(JobFile.job_id == job_id)
                                .order_by(JobFile.seq)))
    for seq in seqs:
        data = session.scalar(select(JobFile.data).where(JobFile.job_id == job_id,
                                                         JobFile.seq == seq))
        if data is not None:
            yield bytes(data)
