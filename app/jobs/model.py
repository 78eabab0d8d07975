"""The tables of background work: an import job, the file it reads and the problems it found.

A job and its file live in the database, not on one server's disk or in its memory, so any
app server (or `flask portal worker`) can take a job another one accepted, and a page on any
server can follow it: the servers stay stateless behind the load balancer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

# What a job is doing or did. An import is checked first (phase check: nothing is stored),
# then, when its user confirms, stored (phase store: all rows or none).
QUEUED, RUNNING = "queued", "running"
CHECKED = "checked"  # every row is fine: the preview waits for the user to confirm
PROBLEMS = "problems"  # rows or the file are wrong: nothing stored
DONE = "done"  # stored
FAILED = "failed"  # the worker could not finish (the database, a crash three times)
FINISHED = (CHECKED, PROBLEMS, DONE, FAILED)
CHECK, STORE = "check", "store"


class Job(Model):
    """One import of one file into one form by one user."""

    __tablename__ = "portal_job"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="import")
    form: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("ab_user.id"), index=True)
    language: Mapped[str] = mapped_column(String(10))  # the messages' language
    file_name: Mapped[str] = mapped_column(String(255))
    file_size: Mapped[int] = mapped_column(BigInteger)
    phase: Mapped[str] = mapped_column(String(10), default=CHECK)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int | None] = mapped_column(Integer, nullable=True)  # after a check
    errors: Mapped[int] = mapped_column(Integer, default=0)
    bad_rows: Mapped[int] = mapped_column(Integer, default=0)
    # The outcome a page shows: columns, ignored columns, defaults, preview, sha256.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    started_on: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_on: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # A running job whose lease has passed was left by a stopped worker: another takes it.
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(100), nullable=True)


class JobFile(Model):
    """The uploaded file, in pieces of at most CHUNK bytes (kept until the job is stored or
    given up, then deleted)."""

    __tablename__ = "portal_job_file"
    job_id: Mapped[int] = mapped_column(Integer, ForeignKey("portal_job.id",
                                                            ondelete="CASCADE"),
                                        primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class JobProblem(Model):
    """One problem of an import: a row and column of the file (None: the whole file)."""

    __tablename__ = "portal_job_problem"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(Integer, ForeignKey("portal_job.id",
                                                            ondelete="CASCADE"), index=True)
    row: Mapped[int | None] = mapped_column(Integer, nullable=True)
    column: Mapped[str | None] = mapped_column(String(255), nullable=True)
    message: Mapped[str] = mapped_column(Text)
