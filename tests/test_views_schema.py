"""The admins' schema screen: retired fields and forms with the data they keep."""

from __future__ import annotations

import re

from app.schema.upgrade import upgrade
from tests.support.app import login
from tests.support.schema import replace


def test_retired_fields_and_the_plan_log_are_shown_to_admins_only(story, make_app) -> None:
    app, cfg, _plan_after = story
    replace(cfg / "forms/customer.yaml",
            "  - key: company\n    label: {zh: 公司名称, en: Company}\n    max_length: 200\n"
            "    searchable: true\n    list: true\n", "")
    stepped = make_app(cfg, setup=False,
                       SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    assert upgrade(stepped).applied
    client = stepped.test_client()
    login(client, "admin")
    page = client.get("/schema/").get_data(as_text=True)
    fields = re.search(r'<table[^>]*id="retired-fields".*?</table>', page, re.S).group(0)
    cells = [c.strip() for c in re.findall(r"<td>(.*?)</td>", fields)]
    assert cells[:3] == ["customer", "company", "company"] and cells[4] == "45"
    assert "已停用字段" in page and "数据结构" in page
    assert "停用字段 company：列 company 及其数据保留" in page  # the plan, in Chinese
    assert "公司名称" not in client.get("/customerview/add").get_data(as_text=True)
    staff = stepped.test_client()
    login(staff, "staff")
    assert staff.get("/schema/").status_code == 403
