"""导入 in the browser (app/views/importing.py): upload, check, every problem or a preview,
confirm, store; a job is its uploader's, the file's size and kind are checked, the list
offers the button to roles with the `import` grant only."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from app.audit.log import AuditEvent
from app.jobs.model import Job, JobFile
from app.jobs.worker import run_pending
from app.portal import portal_of
from tests.support.app import csrf_token, login

URL = "/customerview/import/"
GOOD = "客户名称,联系电话,公司名称\n张三,13800000001,甲公司\n李四,13800000002,乙公司\n"
BAD = ("客户名称,联系电话,公司名称\n张三,13800000001,甲公司\n,13800000002,乙公司\n"
       "王五,12,丙公司\n")


@pytest.fixture(scope="module")
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


def signed_in(app: Flask, user: str = "staff") -> Any:
    client = app.test_client()
    login(client, user)
    return client


def upload(client: Any, text: str, name: str = "客户.csv") -> Any:
    token = csrf_token(client, URL)
    builder = EnvironBuilder(path=URL, method="POST", base_url="http://portal.test",
                             data={"csrf_token": token,
                                   "file": (io.BytesIO(text.encode()), name)},
                             content_type="multipart/form-data")
    request = builder.get_request()
    try:  # a large body is spooled to a file, which a refused request leaves open
        return client.open(request)
    finally:
        request.environ["wsgi.input"].close()
        builder.close()


def job_id(response: Any) -> int:
    match = re.search(r"/customerview/import/(\d+)/$", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def work(app: Flask) -> int:
    with app.app_context():
        return run_pending()


def customers(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        model = portal_of().models.models["customer"]
        rows = app.appbuilder.session.execute(select(model.name, model.company)
                                              .order_by(model.id)).all()
        return [tuple(r) for r in rows]


def cells(body: str, table: str) -> list[list[str]]:
    part = body.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", r, re.S)]
            for r in re.findall(r"<tr>(.*?)</tr>", part.split("<tbody>", 1)[1], re.S)]


def test_a_file_with_bad_rows_lists_each_problem_and_stores_nothing(app):
    client = signed_in(app)
    before = customers(app)
    response = upload(client, BAD)
    assert response.status_code == 302
    job = job_id(response)
    waiting = client.get(f"{URL}{job}/").get_data(as_text=True)
    assert "等待检查" in waiting and 'id="import-progress"' in waiting
    assert client.get(f"{URL}{job}/status").get_json() == {
        "status": "queued", "phase": "check", "rows_done": 0, "rows_total": None,
        "finished": False}
    assert work(app) == 1
    body = client.get(f"{URL}{job}/").get_data(as_text=True)
    assert "2 个问题，涉及 3 行中的 2 行，没有保存任何记录" in body
    assert cells(body, "import-problems") == [
        ["3", "A 客户名称", "此项为必填项。"],
        ["4", "B 联系电话",
         "请输入有效的电话号码：11 位手机号码，或如 010-12345678 的固定电话号码。"]]
    assert customers(app) == before
    with app.app_context():
        assert app.appbuilder.session.scalar(select(Job.status).where(Job.id == job)) \
            == "problems"


def test_a_good_file_is_previewed_then_stored_on_confirmation_and_audited(app):
    client = signed_in(app)
    before = customers(app)
    job = job_id(upload(client, GOOD))
    work(app)
    body = client.get(f"{URL}{job}/").get_data(as_text=True)
    assert "文件检查通过：2 行都可以导入。" in body
    assert "导入这 2 条记录" in body
    assert customers(app) == before  # checked, not stored
    token = csrf_token(client, f"{URL}{job}/")
    applied = client.post(f"{URL}{job}/apply", data={"csrf_token": token})
    assert applied.status_code == 302
    assert client.get(f"{URL}{job}/status").get_json()["phase"] == "store"
    work(app)
    body = client.get(f"{URL}{job}/").get_data(as_text=True)
    assert "已导入 2 条记录。" in body
    assert customers(app) == before + [("张三", "甲公司"), ("李四", "乙公司")]
    with app.app_context():
        session = app.appbuilder.session
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "import")
                                .order_by(AuditEvent.id.desc())).first()
        assert event is not None and event.username == "staff"
        details = json.loads(event.details)
        assert (details["rows"], details["file"]) == (2, "客户.csv")
        assert session.scalar(select(func.count()).select_from(JobFile)
                              .where(JobFile.job_id == job)) == 0  # the file is let go of
    again = client.post(f"{URL}{job}/apply", data={"csrf_token": token},
                        follow_redirects=True).get_data(as_text=True)
    assert "这个文件不在等待导入" in again
    work(app)
    assert len(customers(app)) == len(before) + 2  # never stored twice


def test_a_refused_file_is_explained_in_the_uploader_s_language_by_its_own_name(app):
    client = signed_in(app)
    before = customers(app)
    job = job_id(upload(client, "客户姓名,联系电话\n李雷,13912345678\n", name="我的客户.csv"))
    work(app)
    body = client.get(f"{URL}{job}/").get_data(as_text=True)
    assert "这个文件无法导入，没有保存任何记录。" in body
    [unknown, missing] = cells(body, "import-problems")
    assert unknown[:2] == missing[:2] == ["—", "—"]  # the whole file: no row, no column
    assert html.unescape(unknown[2]).startswith(
        "我的客户.csv:1: 未知的列：'客户姓名'；可用的列（键、中文或英文名称）：name = 客户名称 = "
        "Customer name、phone = 联系电话 = Phone、")
    assert missing[2] == "我的客户.csv:1: 缺少必填列：客户名称（name）"
    assert "portal-import-" not in body  # the worker's copy of the file is never named
    assert customers(app) == before
    with client.session_transaction() as session:
        session["locale"] = "en"  # as FAB's language menu sets it
    job = job_id(upload(client, "客户姓名,联系电话\n李雷,13912345678\n", name="mine.csv"))
    work(app)
    body = client.get(f"{URL}{job}/").get_data(as_text=True)
    assert [c[2] for c in cells(body, "import-problems")][1:] == [
        "mine.csv:1: missing required column(s): Customer name (name)"]


def test_a_job_is_its_uploaders_only(app):
    job = job_id(upload(signed_in(app, "staff"), GOOD))
    other = signed_in(app, "supervisor")
    assert other.get(f"{URL}{job}/").status_code == 404
    assert other.get(f"{URL}{job}/status").status_code == 404
    work(app)


def test_files_of_another_kind_or_none_are_refused_with_a_reason(app):
    client = signed_in(app)
    page = upload(client, "x", name="客户.pdf")
    assert page.status_code == 200
    assert "只能导入 CSV（.csv）和 Excel（.xlsx）文件" in page.get_data(as_text=True)
    token = csrf_token(client, URL)
    empty = client.post(URL, data={"csrf_token": token}, content_type="multipart/form-data")
    assert "请选择要导入的 CSV 或 Excel（.xlsx）文件。" in empty.get_data(as_text=True)


def test_a_file_over_the_limit_is_refused_and_nothing_kept(make_app):
    small = make_app(PORTAL_IMPORT_MAX_MB=1)
    client = signed_in(small)
    with small.app_context():
        jobs = small.appbuilder.session.scalar(select(func.count()).select_from(Job))
    response = upload(client, GOOD + "x" * (2 << 20))
    assert response.status_code == 413
    assert "超过了门户能接受的大小" in response.get_data(as_text=True)
    with small.app_context():
        assert small.appbuilder.session.scalar(select(func.count()).select_from(Job)) == jobs


def test_the_list_offers_import_to_roles_granted_it_only(app):
    assert 'id="portal-import"' in signed_in(app, "staff").get(
        "/customerview/list/").get_data(as_text=True)
    auditor = signed_in(app, "auditor")
    assert 'id="portal-import"' not in auditor.get("/customerview/list/").get_data(
        as_text=True)
    assert auditor.get(URL).status_code == 403
