"""The `q` parameter of the REST API per form (app/views/api/query.py): paging, sorting,
columns and filters within the screens' limits; anything else is a 400 with a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from app.portal import portal_of
from tests.support.api import call
from tests.support.factories import make_record


@pytest.fixture(scope="module")
def protected(make_app: Callable[..., Flask]) -> dict[str, Any]:
    """Three customers with phone numbers, and a compensation."""
    app = make_app()
    spec = portal_of(app).spec
    for n in range(3):
        customer = make_record(app, spec.form("customer"), name=f"客户{n}",
                               phone=f"1390000{n:04d}")
    complaint = make_record(app, spec.form("complaint"), customer=customer.id)
    make_record(app, spec.form("compensation"), complaint=complaint.id)
    return {"app": app}

# -- query parameters -------------------------------------------------------------------------
BAD_Q = [
    ("((", "参数 q 既不是 Rison 也不是 JSON：(("),
    ("1", "参数 q 必须是一个对象，例如 q=(page:0,page_size:20)。"),
    ("(page_size:1000)", "每页条数无效：1000（允许 1 到 100）"),
    ("(page_size:-1)", "每页条数无效：-1（允许 1 到 100）"),
    ("(page_size:0)", "每页条数无效：0（允许 1 到 100）"),
    ("(page:-1)", "页码无效：-1"),
    ("(page:'a')", "页码无效：a"),
    ("(order_column:phone)", "不能按“phone”排序"),
    ("(order_column:nope)", "不能按“nope”排序"),
    ("(order_column:name,order_direction:up)", "排序方向无效：up"),
    ("(columns:!(name,secret))", "未知的列：secret"),
    ("(foo:1)", "参数 q 中有未知参数：foo"),
    ("(filters:!((col:phone,opr:ct,value:'139')))", "未知的筛选条件：phone ct"),
    ("(filters:!((col:phone,opr:sw,value:'139')))", "未知的筛选条件：phone sw"),
    ("(filters:!((col:nope,opr:eq,value:1)))", "未知的筛选条件：nope eq"),
    ("(filters:!((col:name,opr:in,value:x)))", "筛选值无效（name）：x"),
    ("(filters:x)", "filters 参数必须是 (col:…,opr:…,value:…) 的列表。"),
    ("(keys:!(secrets))", "未知的键：secrets"),
]


@pytest.mark.parametrize(("q", "message"), BAD_Q)
def test_bad_query_parameters_are_400_with_a_message(protected: dict[str, Any], q: str,
                                                     message: str) -> None:
    response = call(protected["app"], "GET", "/api/v1/customer/", "staff",
                    query_string={"q": q})
    assert (response.status_code, response.get_json()) == (400, {"message": message})


@pytest.mark.parametrize("q", [
    "(filters:!((col:complaint,opr:rel_o_m,value:'abc')))",
    "(filters:!((col:amount,opr:gt,value:'1e999')))",
    "(filters:!((col:amount,opr:eq,value:!())))",
    "(filters:!((col:kind,opr:eq,value:'a\x00b')))",
    "(filters:!((col:proposed_by,opr:rel_o_m,value:99999999999)))",
    "(page:99999999999)", "(page_size:99999999999999999999999)", "!(1,2)", "'", "(:)",
    '{"page": 1e400}', '{"filters": [{"col": "kind", "opr": "eq"}]}',
])
def test_hostile_query_parameters_are_never_500(protected: dict[str, Any], q: str) -> None:
    response = call(protected["app"], "GET", "/api/v1/compensation/", "supervisor",
                    query_string={"q": q})
    assert response.status_code == 400, (q, response.get_json())
    assert isinstance(response.get_json()["message"], str)


def test_paging_ordering_and_json_q(protected: dict[str, Any]) -> None:
    app = protected["app"]
    first = call(app, "GET", "/api/v1/customer/", "auditor",
                 query_string={"q": '{"page_size": 2, "order_column": "name"}'}).get_json()
    second = call(app, "GET", "/api/v1/customer/?q=(page:1,page_size:2,order_column:name)",
                  "auditor").get_json()
    assert len(first["result"]) == 2 and first["count"] >= 3
    assert not set(first["ids"]) & set(second["ids"])
    names = [r["name"] for r in first["result"]]
    assert names == sorted(names)
    minimal = call(app, "GET", "/api/v1/customer/?q=(keys:!(none),columns:!(id,name))",
                   "auditor").get_json()
    assert set(minimal) == {"count", "ids", "result"}
    assert all(set(row) == {"id", "name"} for row in minimal["result"])
