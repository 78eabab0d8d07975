"""The schema screen's plans in Chinese (app/views/plan_words.py)."""

from __future__ import annotations

from flask import Flask

from app.views.plan_words import plan_text
from tests.support.app import login

PLAN = """complaint (form_complaint, 1,200 rows)
  + create table form_complaint (19 fields)
  + add field ticket_no (column ticket_no VARCHAR(64))
  ~ add trigram index on ticket_no (substring search)
  ~ make batch_no required (NOT NULL)  [risky]
  ! REFUSED: something new the screen does not know
  - retire field notes: column notes and its values kept, hidden from screens
6 changes, 1 refused: nothing will be applied until they are resolved"""


def test_a_plan_reads_in_chinese_line_by_line(app: Flask) -> None:
    with app.test_request_context():
        assert plan_text(PLAN).splitlines() == [
            "complaint（form_complaint，1,200 行）",
            "  + 新建表 form_complaint（19 个字段）",
            "  + 新增字段 ticket_no（列 ticket_no，VARCHAR(64)）",
            "  ~ 为 ticket_no 建三元组索引（模糊搜索）",
            "  ~ batch_no 改为必填  [有风险]",
            "  ! 拒绝：something new the screen does not know",
            "  - 停用字段 notes：列 notes 及其数据保留，页面不再显示",
            "共 6 项变更，1 项被拒绝：解决之前不会执行任何变更"]
        assert plan_text("The database matches the configuration; nothing to do.") == \
            "数据库与配置一致，无需变更。"
        assert plan_text(None) == ""


def test_the_schema_screen_shows_the_applied_plans_in_chinese(app: Flask) -> None:
    client = app.test_client()
    login(client, "admin")
    page = client.get("/schema/").get_data(as_text=True)
    assert "新建表 form_complaint（19 个字段）" in page and "create table" not in page
    client.get("/lang/en")
    assert "create table form_complaint (19 fields)" in client.get("/schema/").get_data(
        as_text=True)
