"""Import jobs in the database: accept an upload, hand its file to a worker, keep its
progress and problems, and let go of what is no longer needed.

Progress is written on a connection of its own, so a page can follow a job while the job's
own transaction is still open. SQLite allows one writer at a time: while a job is storing
rows its transaction holds the write lock, so the figure is kept in this process (LIVE) and
read from there by the pages the same process serves (the embedded set-up runs its worker
in the app server; see app/jobs/worker.py)."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.jobs.model import CHECK, FINISHED, QUEUED, STORE, Job, JobFile, JobProblem
from app.portal import portal_of

CHUNK = 1 << 20  # bytes per stored piece of an uploaded file
PROBLEM_LIMIT = 1000  # problems kept per job; the count says how many there were in all
KEEP_DAYS = 7  # finished jobs (and their problems) are deleted after this many days
KEEP_FILE_HOURS = 24  # a checked file not stored within this time is let go of
LIVE: dict[int, int] = {}  # job id → rows done, for a job this process is running


class FileTooLarge(ValueError):
    """The upload is larger than PORTAL_IMPORT_MAX_MB."""


def now() -> dt.datetime:
    """The portal's clock: local time, as every other stored time (app/sla/deadlines.py)."""
    return dt.datetime.now().replace(microsecond=0)


def safe_name(name: str) -> str:
    """The upload's own name, kept for messages ("投诉.xlsx:3: …"), without any path."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    base = re.sub(r"[\x00-\x1f\x7f]", "", base)[:200]
    return base if base.strip(". ") else "upload"


def accept(session: Session, stream: IO[bytes], *, form: str, user_id: int, language: str,
           file_name: str, limit: int) -> Job:
    """A new job for the uploaded `stream`, queued to be checked (the caller commits)."""
    job = Job(kind="import", form=form, user_id=user_id, language=language,
              file_name=safe_name(file_name), file_size=0, phase=CHECK, status=QUEUED,
              rows_done=0, errors=0, bad_rows=0, created_on=now(), attempts=0)
    session.add(job)
    session.flush()
    size, seq = 0, 0
    while piece := stream.read(CHUNK):
        size += len(piece)
        if size > limit:
            raise FileTooLarge(size)
        stored = JobFile(job_id=job.id, seq=seq, data=piece)
        session.add(stored)
        session.flush()
        session.expunge(stored)  # written: not held in memory until the commit
        seq += 1
    job.file_size = size
    return job


@contextmanager
def file_of(session: Session, job: Job) -> Iterator[str]:
    """The job's file on this machine's disk, under its own name, for as long as it is read."""
    folder = tempfile.mkdtemp(prefix="portal-import-")
    path = os.path.join(folder, job.file_name)
    try:
        with open(path, "wb") as fh:
            pieces = session.execute(select(JobFile.data).where(JobFile.job_id == job.id)
                                     .order_by(JobFile.seq)).scalars()
            for data in pieces:
                fh.write(data)
        yield path
    finally:
        if os.path.exists(path):
            os.remove(path)
        os.rmdir(folder)


def has_file(session: Session, job_id: int) -> bool:
    return session.scalar(select(JobFile.seq).where(JobFile.job_id == job_id).limit(1)
                          ) is not None


def add_problems(session: Session, job_id: int,
                 problems: Iterable[tuple[int | None, str | None, str]]) -> None:
    session.add_all(JobProblem(job_id=job_id, row=row, column=column, message=message)
                    for row, column, message in problems)


def problems_of(session: Session, job_id: int) -> list[JobProblem]:
    return list(session.scalars(select(JobProblem).where(JobProblem.job_id == job_id)
                                .order_by(JobProblem.id)))


def queue_store(session: Session, job: Job) -> None:
    """The user confirmed a checked job: store its rows (the caller commits)."""
    session.execute(delete(JobProblem).where(JobProblem.job_id == job.id))
    job.phase, job.status, job.rows_done = STORE, QUEUED, 0
    job.started_on = job.finished_on = job.lease_until = None
    job.attempts = 0


def progress(job: Job) -> int:
    return LIVE.get(job.id, job.rows_done)


def let_go(session: Session, at: dt.datetime | None = None) -> int:
    """Delete old finished jobs, and the files of checked jobs nobody stored in time."""
    at = at or now()
    stale = select(Job.id).where(Job.status.in_(FINISHED),
                                 Job.created_on < at - dt.timedelta(days=KEEP_DAYS))
    ids = list(session.scalars(stale))
    if ids:
        session.execute(delete(JobProblem).where(JobProblem.job_id.in_(ids)))
        session.execute(delete(JobFile).where(JobFile.job_id.in_(ids)))
        session.execute(delete(Job).where(Job.id.in_(ids)))
    unused = select(Job.id).where(Job.status.in_(FINISHED),
                                  Job.finished_on < at - dt.timedelta(hours=KEEP_FILE_HOURS))
    session.execute(delete(JobFile).where(JobFile.job_id.in_(unused)))
    return len(ids)


def may(user: Any, form: str, permission: str) -> bool:
    """The job's user may still do it (roles can change while a job waits): active, with
    `permission` (can_import, can_export) on the form's screen."""
    view = portal_of().spec.form(form).view_name
    sm = current_app.extensions["appbuilder"].sm
    return bool(user.active) and bool(sm._has_view_access(user, permission, view))


def set_progress(engine: Any, job_id: int, rows: int, lease: dt.datetime,
                 shared: bool) -> None:
    """Rows done so far, and a longer lease, on a connection of its own (shared: another
    connection may write meanwhile, i.e. not SQLite during a store)."""
    LIVE[job_id] = rows
    if not shared:
        return
    with engine.begin() as conn:
        conn.execute(update(Job).where(Job.id == job_id).values(rows_done=rows,
                                                                 lease_until=lease))
