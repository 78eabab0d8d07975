"""Run one import job: check its file (phase check) or store its rows (phase store), through
the same importer as `flask portal import` (app/transfer/importer.py), as the user who
uploaded it, in the language of the page they uploaded it from.

A stored import marks its job done in the transaction that stores the records, and only if
the job is still this worker's: a job taken over by another worker (its lease ran out) can
never be stored twice."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask_appbuilder.security.sqla.models import User
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from app.jobs.model import CHECK, CHECKED, DONE, FAILED, PROBLEMS, RUNNING, Job, JobFile
from app.jobs.store import (
    LIVE,
    PROBLEM_LIMIT,
    add_problems,
    file_of,
    has_file,
    may,
    now,
    set_progress,
)
from app.transfer.importer import ImportRefused, Outcome, RowError, import_file

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=5)  # renewed with every BATCH rows read
MAX_ATTEMPTS = 3


class TakenOver(RuntimeError):
    """Another worker took the job (this one's lease ran out): store nothing."""


def run(session: Session, job: Job, worker: str) -> None:
    """Check or store `job` (claimed by `worker`); its outcome is committed on the job."""
    job_id, attempt = job.id, job.attempts
    user = session.get(User, job.user_id)
    with force_locale(job.language):
        if job.attempts > MAX_ATTEMPTS:
            return _finish(session, job_id, FAILED, problems=[(None, None, _(
                "The import stopped %(n)d times before it finished; nothing was stored. "
                "Upload the file again, or ask an administrator.", n=MAX_ATTEMPTS))])
        if user is None or not may(user, job.form, "can_import"):
            return _finish(session, job_id, PROBLEMS, problems=[(None, None, _(
                "You may no longer import into this form; nothing was stored."))])
        if not has_file(session, job_id):
            return _finish(session, job_id, FAILED, problems=[(None, None, _(
                "The uploaded file is no longer kept; upload it again."))])
        _import(session, job, user, worker, attempt)


def _import(session: Session, job: Job, user: Any, worker: str, attempt: int) -> None:
    job_id, dry_run, name = job.id, job.phase == CHECK, job.file_name
    engine = session.get_bind()
    shared = dry_run or engine.dialect.name != "sqlite"
    problems: list[tuple[int | None, str | None, str]] = []
    counted = [0]

    def on_error(error: RowError) -> None:
        counted[0] += 1
        if len(problems) < PROBLEM_LIMIT:
            column = f"{error.letter} {error.label}" if error.letter and error.label else (
                error.label)
            problems.append((error.row, column, error.message))

    def on_progress(rows: int) -> None:
        set_progress(engine, job_id, rows, now() + LEASE, shared)

    def on_commit(db: Any) -> None:  # the records and the job's end, in one transaction
        done = db.execute(update(Job).where(Job.id == job_id, Job.status == RUNNING,
                                            Job.worker == worker, Job.attempts == attempt)
                          .values(status=DONE, finished_on=now(), lease_until=None))
        if done.rowcount != 1:
            raise TakenOver(job_id)
        db.execute(delete(JobFile).where(JobFile.job_id == job_id))

    try:
        with file_of(session, job) as path:
            session.commit()  # the file is read: no transaction stays open meanwhile
            try:
                outcome = import_file(path, job.form, user.username, dry_run=dry_run,
                                      on_error=on_error, on_progress=on_progress,
                                      on_commit=on_commit, locale=job.language)
            except ImportRefused as exc:
                texts = [p.replace(path, name) for p in exc.problems]
                return _finish(session, job_id, PROBLEMS,
                               problems=[(None, None, t) for t in texts])
    except TakenOver:
        session.rollback()
        log.warning("import job %s was taken over by another worker", job_id)
        return None
    finally:
        LIVE.pop(job_id, None)
    result = _result(outcome)
    if outcome.errors:
        _finish(session, job_id, PROBLEMS, problems, outcome, result, counted[0])
    elif dry_run:
        _finish(session, job_id, CHECKED, [], outcome, result)
    else:  # stored: on_commit ended the job with the records
        session.execute(update(Job).where(Job.id == job_id).values(
            rows_done=outcome.rows, rows_total=outcome.rows, result=result))
        session.commit()
    return None


def give_up(session: Session, job_id: int) -> None:
    """End a job that failed with an error of the portal's own (logged by the caller)."""
    job = session.get(Job, job_id)
    with force_locale(job.language if job else "zh"):
        _finish(session, job_id, FAILED, problems=[(None, None, _(
            "The import could not be finished because of an error in the portal; nothing "
            "was stored. The error has been logged; try again later or tell an "
            "administrator."))])


def _result(outcome: Outcome) -> dict[str, Any]:
    preview = outcome.preview
    return {
        "columns": [[header, f.label.get()] for header, f in outcome.columns],
        "ignored": list(outcome.ignored),
        "defaults": [f.label.get() for f in outcome.defaults],
        "preview": [[row, dict(values)] for row, values in preview],
        "sha256": outcome.sha256,
    }


def _finish(session: Session, job_id: int, status: str,
            problems: list[tuple[int | None, str | None, str]],
            outcome: Outcome | None = None, result: dict[str, Any] | None = None,
            errors: int | None = None) -> None:
    session.rollback()
    values: dict[str, Any] = {"status": status, "finished_on": now(), "lease_until": None}
    if outcome is not None:
        values.update(rows_done=outcome.rows, rows_total=outcome.rows, result=result,
                      bad_rows=outcome.bad_rows)
    values["errors"] = errors if errors is not None else len(problems)
    session.execute(update(Job).where(Job.id == job_id).values(**values))
    add_problems(session, job_id, problems)
    session.commit()
