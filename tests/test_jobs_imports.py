"""One import job (app/jobs/imports.py): run as its uploader, in their language; a user who
lost the `import` grant, or a file no longer kept, ends the job with a reason."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import delete, select

from app.jobs.model import JobFile, JobProblem
from app.jobs.worker import run_pending
from tests.support.jobs import job_of, queue


@pytest.fixture(scope="module")
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


def outcome(app: Flask, job_id: int) -> tuple[str, list[str]]:
    with app.app_context():
        run_pending()
        problems = list(app.appbuilder.session.scalars(
            select(JobProblem.message).where(JobProblem.job_id == job_id)
            .order_by(JobProblem.id)))
    return job_of(app, job_id).status, problems


def test_a_user_without_the_import_grant_imports_nothing(app):
    job_id = queue(app, user="auditor")
    assert outcome(app, job_id) == ("problems", ["您已没有导入这个表单的权限，没有保存任何记录。"])


def test_a_file_no_longer_kept_is_asked_for_again(app):
    job_id = queue(app)
    with app.app_context():
        app.appbuilder.session.execute(delete(JobFile).where(JobFile.job_id == job_id))
        app.appbuilder.session.commit()
    assert outcome(app, job_id) == ("failed", ["上传的文件已不再保留，请重新上传。"])


def test_a_file_refused_as_a_whole_names_the_upload_not_the_worker_s_copy(app):
    job_id = queue(app, "\ufeff", name="空.csv")
    assert outcome(app, job_id) == ("problems", ["空.csv: 文件是空的（没有表头行）"])
    job_id = queue(app, "\ufeff", name="empty.csv", language="en")
    assert outcome(app, job_id) == ("problems", ["empty.csv: the file is empty (no header row)"])


def test_every_header_problem_is_in_the_uploader_s_language(app):
    text = "客户姓名,联系电话,公司\n李雷,13912345678,1\n"
    allowed = ("name = 客户名称 = Customer name{s}phone = 联系电话 = Phone{s}company = 公司名称 = "
               "Company{s}address = 地址 = Address{s}email = 电子邮箱 = E-mail{s}notes = "
               "备注（偏好、购买记录） = Notes (preferences, purchases)")
    assert outcome(app, queue(app, text, name="客户.csv")) == ("problems", [
        "客户.csv:1: 未知的列：'客户姓名'、'公司'；可用的列（键、中文或英文名称）："
        + allowed.format(s="、"), "客户.csv:1: 缺少必填列：客户名称（name）"])
    assert outcome(app, queue(app, text, name="customers.csv", language="en")) == (
        "problems", ["customers.csv:1: unknown column(s) '客户姓名', '公司'; allowed (key, "
                     "Chinese or English label): " + allowed.format(s=", "),
                     "customers.csv:1: missing required column(s): Customer name (name)"])


def test_a_checked_job_keeps_what_its_page_shows(app):
    job_id = queue(app, "客户名称,联系电话,编号\n张三,13800000001,\n")
    assert outcome(app, job_id) == ("checked", [])
    job = job_of(app, job_id)
    assert (job.rows_total, job.errors) == (1, 0)
    assert job.result["columns"] == [["客户名称", "客户名称"], ["联系电话", "联系电话"]]
    assert job.result["ignored"] == ["编号"]
