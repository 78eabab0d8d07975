"""A long list's export written by the worker (app/views/export_jobs.py, app/jobs/exports.py):
the export answers with the job's page, the worker writes the same file an inline export
would (filters, order, row scope, masking) as the user who asked, the page then offers it,
to that user only, and the audit event is written when the job is queued."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from openpyxl import load_workbook

from app.jobs.model import Job, JobFile
from app.jobs.store import let_go
from app.jobs.worker import run_pending
from app.portal import portal_of
from tests.support.app import CONFIG, login
from tests.support.factories import make_record

EXPORTER = """
  - key: exporter
    label: {zh: 导出员, en: Exporter}
    scope: all
    grants:
      customer: [list, show, export]
  - key: lister
    label: {zh: 查看员, en: Lister}
    scope: all
    grants:
      customer: [list, show]
"""
PHONE = "13900000001"


@pytest.fixture(scope="module")
def world(make_app: Callable[..., Flask], tmp_path_factory: pytest.TempPathFactory
          ) -> dict[str, Any]:
    config = tmp_path_factory.mktemp("export-jobs") / "config"
    shutil.copytree(CONFIG, config, ignore=shutil.ignore_patterns("industries"))
    roles = config / "roles.yaml"
    roles.write_text(roles.read_text(encoding="utf-8") + EXPORTER, encoding="utf-8")
    app = make_app(config, PORTAL_EXPORT_INLINE_ROWS=1)
    spec = portal_of(app).spec
    people = (("A甲客户", "甲公司"), ("B乙客户", "乙公司"), ("C丙客户", "甲公司"))
    ids = [make_record(app, spec.form("customer"), name=name, phone=PHONE, company=company).id
           for name, company in people]
    return {"app": app, "customers": ids}


@pytest.fixture
def app(world: dict[str, Any]) -> Iterator[Flask]:
    yield world["app"]
    with world["app"].app_context():  # each test starts with no job waiting
        session = world["app"].appbuilder.session
        session.execute(sa.delete(JobFile))
        session.execute(sa.delete(Job))
        session.commit()


def _client(app: Flask, user: str) -> Any:
    client = app.test_client()
    login(client, user)
    return client


def _job(app: Flask, job_id: int) -> dict[str, Any]:
    with app.app_context():
        job = app.appbuilder.session.get(Job, job_id)
        assert job is not None
        return {"kind": job.kind, "status": job.status, "rows_total": job.rows_total,
                "user": job.user_id, "file_name": job.file_name, "size": job.file_size}


def _queued(client: Any, query: str) -> int:
    response = client.get(f"/customerview/export/?{query}")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    location = response.headers["Location"]
    assert location.startswith("/customerview/export/") and location.endswith("/")
    return int(location.rstrip("/").rsplit("/", 1)[1])


def _work(app: Flask) -> None:
    with app.app_context():
        assert run_pending() == 1


def test_a_long_list_is_exported_by_the_worker_and_offered_on_its_page(app: Flask) -> None:
    client = _client(app, "exporter")
    job_id = _queued(client, "format=xlsx")
    assert _job(app, job_id) | {"user": 0} == {
        "kind": "export", "status": "queued", "rows_total": 3, "user": 0,
        "file_name": "customer.xlsx", "size": 0}
    waiting = client.get(f"/customerview/export/{job_id}/").get_data(as_text=True)
    assert "客户档案导出" in waiting and "等待写入" in waiting and "已写入 0 行" in waiting
    assert 'src="/static/portal/job_progress.js"' in waiting
    status = client.get(f"/customerview/export/{job_id}/status").get_json()
    assert status == {"status": "queued", "rows_done": 0, "rows_total": 3, "finished": False}
    _work(app)
    done = client.get(f"/customerview/export/{job_id}/").get_data(as_text=True)
    assert "文件已生成：3 条记录。" in done and "下载 customer.xlsx (" in done
    assert f'href="/customerview/export/{job_id}/file"' in done
    response = client.get(f"/customerview/export/{job_id}/file")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=customer.xlsx"
    body = response.get_data()
    assert int(response.headers["Content-Length"]) == len(body) == _job(app, job_id)["size"]
    sheet: Any = load_workbook(io.BytesIO(body)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows(max_col=3)]
    assert rows[0] == ["编号", "客户名称", "联系电话"]
    # the user's masking: the exporter may not reveal phone numbers
    assert sorted(rows[1:]) == sorted([[i, n, "139****0001"] for i, n in zip(
        app_ids(app), ("A甲客户", "B乙客户", "C丙客户"), strict=True)])


def app_ids(app: Flask) -> list[int]:
    with app.app_context():
        model = portal_of(app).models.models["customer"]
        return list(app.appbuilder.session.scalars(sa.select(model.id).order_by(model.id)))


def test_the_worker_keeps_the_list_s_filters_and_order(app: Flask) -> None:
    client = _client(app, "exporter")
    job_id = _queued(client, "format=csv&_flt_3_company=甲公司&_oc_CustomerView=name"
                             "&_od_CustomerView=desc")
    assert _job(app, job_id)["rows_total"] == 2
    _work(app)
    text = client.get(f"/customerview/export/{job_id}/file").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["编号", "客户名称", "联系电话"]
    assert [row[1:3] for row in rows[1:]] == [["C丙客户", "139****0001"],
                                              ["A甲客户", "139****0001"]]


def test_the_export_is_audited_when_it_is_queued(app: Flask) -> None:
    job_id = _queued(_client(app, "exporter"), "format=xlsx")
    with app.app_context():
        row = app.appbuilder.session.execute(sa.text(
            "select username, form, details from portal_audit_event where action = 'export' "
            "order by id desc limit 1")).mappings().one()
    details = json.loads(row["details"])
    assert (row["username"], row["form"]) == ("exporter", "customer")
    assert _job(app, job_id)["status"] == "queued"  # audited before anything is written
    assert details == {"rows": 3, "format": "xlsx", "revealed": [], "filters": [],
                       "background": True, "job": job_id}


def test_a_short_list_is_still_sent_at_once(app: Flask) -> None:
    client = _client(app, "exporter")
    response = client.get("/customerview/export/?format=xlsx&_flt_3_company=乙公司")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=customer.xlsx"
    sheet: Any = load_workbook(io.BytesIO(response.get_data())).active
    assert [r[1].value for r in sheet.iter_rows(min_row=2)] == ["B乙客户"]
    response.close()


def test_a_job_is_its_user_s_only(app: Flask) -> None:
    job_id = _queued(_client(app, "exporter"), "format=xlsx")
    _work(app)
    admin = _client(app, "admin")
    for path in ("", "status", "file"):
        assert admin.get(f"/customerview/export/{job_id}/{path}").status_code == 404
    assert _client(app, "exporter").get("/customerview/export/999999/").status_code == 404
    # an import's page never shows an export job (the admin may import and export)
    own = _client(app, "admin")
    admin_job = _queued(own, "format=csv")
    assert own.get(f"/customerview/import/{admin_job}/").status_code == 404
    assert own.get(f"/customerview/import/{admin_job}/status").status_code == 404
    assert own.get(f"/customerview/export/{admin_job}/").status_code == 200


def test_a_user_who_lost_the_right_to_export_gets_no_file(app: Flask) -> None:
    client = _client(app, "exporter")
    job_id = _queued(client, "format=csv")
    with app.app_context():
        session = app.appbuilder.session
        sm = app.appbuilder.sm
        user = sm.find_user("exporter")
        lister = sm.find_role("lister")
        previous = [r.name for r in user.roles]
        user.roles = [lister]
        session.commit()
    try:
        _work(app)
    finally:
        with app.app_context():
            user = app.appbuilder.sm.find_user("exporter")
            user.roles = [app.appbuilder.sm.find_role(name) for name in previous]
            app.appbuilder.session.commit()
    assert _job(app, job_id)["status"] == "problems"
    page = client.get(f"/customerview/export/{job_id}/").get_data(as_text=True)
    assert "你已无权导出此表单。" in page
    assert client.get(f"/customerview/export/{job_id}/file").status_code == 404


def test_a_file_is_let_go_of_after_a_day(app: Flask) -> None:
    client = _client(app, "exporter")
    job_id = _queued(client, "format=csv")
    _work(app)
    with app.app_context():
        session = app.appbuilder.session
        let_go(session, dt.datetime.now() + dt.timedelta(hours=25))
        session.commit()
    page = client.get(f"/customerview/export/{job_id}/").get_data(as_text=True)
    assert "文件已不再保留，请重新导出。" in page
    assert client.get(f"/customerview/export/{job_id}/file").status_code == 404
