"""Import jobs in the database (app/jobs/store.py): the upload kept in pieces and given back
whole under its own name, names without paths, old jobs and unused files let go of."""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from app.jobs import store
from app.jobs.model import Job, JobFile
from tests.support.app import user_id
from tests.support.jobs import queue


@pytest.fixture(scope="module")
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


def test_a_file_is_kept_in_pieces_and_given_back_whole_under_its_own_name(app, monkeypatch):
    monkeypatch.setattr(store, "CHUNK", 10)
    data = "客户名称,联系电话\n" + "张三,13800000001\n" * 5
    job_id = queue(app, data, name="C:\\导出\\客户.csv")
    with app.app_context():
        session = app.appbuilder.session
        job = session.get(Job, job_id)
        assert (job.file_name, job.file_size) == ("客户.csv", len(data.encode()))
        assert session.scalar(select(func.count()).select_from(JobFile).where(
            JobFile.job_id == job_id)) == -(-len(data.encode()) // 10)
        with store.file_of(session, job) as path:
            assert os.path.basename(path) == "客户.csv"
            with open(path, encoding="utf-8") as fh:
                assert fh.read() == data
        assert not os.path.exists(path)


@pytest.mark.parametrize("name, kept", [
    ("../../etc/passwd", "passwd"), ("a/b\\c.xlsx", "c.xlsx"), ("", "upload"),
    ("..", "upload"), ("客\x00户.csv", "客户.csv"), ("x" * 300 + ".csv", "x" * 200)])
def test_an_uploads_name_keeps_no_path_or_control_characters(name, kept):
    assert store.safe_name(name) == kept


def test_a_file_over_the_limit_is_refused(app):
    with app.app_context():
        session = app.appbuilder.session
        with pytest.raises(store.FileTooLarge):
            store.accept(session, io.BytesIO(b"x" * 30), form="customer",
                         user_id=user_id(app, "staff"), language="zh", file_name="a.csv",
                         limit=20)
        session.rollback()


def test_old_jobs_and_files_nobody_stored_are_let_go_of(app):
    recent, old, unused = queue(app), queue(app), queue(app)
    at = store.now()
    with app.app_context():
        session = app.appbuilder.session
        session.execute(update(Job).where(Job.id == old).values(
            status="done", created_on=at - dt.timedelta(days=8)))
        session.execute(update(Job).where(Job.id == unused).values(
            status="checked", finished_on=at - dt.timedelta(hours=25)))
        session.commit()
        assert store.let_go(session, at) == 1
        session.commit()
        left = set(session.scalars(select(Job.id).where(Job.id.in_([recent, old, unused]))))
        assert left == {recent, unused}
        assert store.has_file(session, recent) and not store.has_file(session, unused)
