"""Import jobs for the tests of app/jobs/: queued straight into the database, as an upload
would queue them."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.jobs.model import Job
from app.jobs.store import accept
from tests.support.app import user_id

CUSTOMERS = "客户名称,联系电话\n张三,13800000001\n李四,13800000002\n"


def queue(app: Flask, text: str = CUSTOMERS, user: str = "staff", form: str = "customer",
          name: str = "客户.csv", language: str = "zh") -> int:
    with app.app_context():
        session = app.appbuilder.session
        job = accept(session, io.BytesIO(text.encode()), form=form,
                     user_id=user_id(app, user), language=language, file_name=name,
                     limit=1 << 20)
        session.commit()
        return job.id


def job_of(app: Flask, job_id: int) -> Any:
    with app.app_context():
        session = app.appbuilder.session
        job = session.scalar(select(Job).where(Job.id == job_id))
        session.expunge(job)
        return job
