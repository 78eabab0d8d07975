"""Field-level rules of the REST API per form: sensitive values never leave unmasked unless
the role may reveal them (audited), read-only fields, version conflicts, the screens'
validation messages and hostile query parameters (400, never 500)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.portal import portal_of
from app.security.access import access_for
from app.views.api.endpoints import PortalModelApi
from tests.support.api import ACTION, _matrix, call, json_body
from tests.support.factories import _counter, make_record

PHONES = [f"1390000{n:04d}" for n in range(1, 4)]
ADDRESSES = [f"机密路{n}号{n}单元" for n in range(1, 4)]
NEW_PHONE, NEW_ADDRESS = "13722223333", "新建的机密地址88号"
ROLES = ("admin", "auditor", "staff", "supervisor")


@pytest.fixture(scope="module")
def protected(make_app: Callable[..., Flask]) -> dict[str, Any]:
    app = make_app()
    spec = portal_of(app).spec
    customers = [make_record(app, spec.form("customer"), name=f"客户{n}", phone=phone,
                             address=address)
                 for n, (phone, address) in enumerate(zip(PHONES, ADDRESSES, strict=True))]
    complaints = [make_record(app, spec.form("complaint"), customer=c.id) for c in customers]
    compensation = make_record(app, spec.form("compensation"), complaint=complaints[0].id,
                               kind="refund", amount=Decimal("1234.50"), reason="原因")
    return {"app": app, "customers": [c.id for c in customers],
            "complaints": [c.id for c in complaints], "compensation": compensation.id}


def _readable(response: Any) -> str:
    """The body as a client reads it: JSON escapes (\\uXXXX) decoded."""
    text = response.get_data(as_text=True)
    try:
        return text + json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return text


def _secrets_hidden_from(app: Flask, user: str) -> list[str]:
    with app.app_context():
        access = access_for(app.appbuilder.sm.find_user(username=user),
                            portal_of(app).spec)
    hidden = []
    if not access.can_reveal("customer", "phone"):
        hidden += PHONES + [NEW_PHONE]
    if not access.can_reveal("customer", "address"):
        hidden += ADDRESSES + [NEW_ADDRESS]
    return hidden


def _events(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        rows = app.appbuilder.session.execute(sa.text(
            "select username, form, record_id, outcome, details from portal_audit_event "
            "where action = 'reveal' order by id")).mappings()
        return [dict(r) for r in rows]


@pytest.mark.parametrize("user", ROLES)
def test_no_response_body_contains_a_value_the_role_may_not_reveal(
        protected: dict[str, Any], user: str) -> None:
    app, cid = protected["app"], protected["customers"][0]
    base = "/api/v1/customer/"
    bodies: dict[str, str] = {}

    def hit(method: str, url: str, **kwargs: Any) -> Any:
        response = call(app, method, url, user, **kwargs)
        assert response.status_code < 500, (method, url)
        bodies[f"{method} {url}"] = _readable(response)
        return response

    hit("GET", base + "?q=(page_size:100)")
    hit("GET", base + "_info")
    hit("GET", base + f"?q=(filters:!((col:phone,opr:eq,value:'{PHONES[1]}')))")
    for rid in protected["customers"]:
        hit("GET", f"{base}{rid}")
        hit("GET", f"{base}{rid}?q=(columns:!(phone,address))")
    for rid in protected["complaints"]:
        hit("GET", f"/api/v1/complaint/{rid}")
    if user != "auditor":
        hit("PUT", f"{base}{cid}", json={"notes": f"{user} 的备注"})
        added = hit("POST", base, json={"name": f"{user}的新客户", "phone": NEW_PHONE,
                                        "address": NEW_ADDRESS})
        assert added.status_code == 201, added.get_json()
        hit("DELETE", f"{base}{added.get_json()['id']}")
    hidden = _secrets_hidden_from(app, user)
    for where, body in bodies.items():
        for secret in hidden:
            assert secret not in body, f"{secret} leaked to {user} by {where}"
    filtered = json.loads(call(app, "GET", base + "?q=(filters:!((col:phone,opr:eq,value:"
                               f"'{PHONES[1]}')))", user).get_data(as_text=True))
    assert filtered["ids"] == [protected["customers"][1]]  # equality search still works
    shown = call(app, "GET", f"{base}{cid}", user).get_json()["result"]
    assert shown["phone"] == (PHONES[0] if PHONES[0] not in hidden else "139****0001")
    assert shown["address"] == (ADDRESSES[0] if ADDRESSES[0] not in hidden else "机密****")


def test_clear_values_are_audited_once_per_response(protected: dict[str, Any]) -> None:
    app, cid = protected["app"], protected["customers"][1]
    before = len(_events(app))
    call(app, "GET", f"/api/v1/customer/{cid}", "supervisor")
    call(app, "GET", "/api/v1/customer/?q=(page_size:100)", "staff")
    call(app, "GET", f"/api/v1/customer/{cid}?q=(columns:!(name))", "supervisor")  # no secret
    call(app, "GET", f"/api/v1/customer/{cid}", "auditor")  # masked: nothing revealed
    events = _events(app)[before:]
    assert len(events) == 2
    one, many = events
    assert (one["username"], one["form"], one["record_id"], one["outcome"]) == (
        "supervisor", "customer", str(cid), "ok")
    assert json.loads(one["details"]) == {"fields": ["address", "phone"], "via": "api"}
    assert (many["username"], many["record_id"]) == ("staff", None)
    details = json.loads(many["details"])
    assert (details["fields"], details["via"]) == (["phone"], "api")
    assert set(protected["customers"]) <= set(details["records"])


def test_a_masked_value_sent_back_keeps_the_stored_value(protected: dict[str, Any]) -> None:
    app, cid = protected["app"], protected["customers"][2]
    record = call(app, "GET", f"/api/v1/customer/{cid}", "staff").get_json()["result"]
    assert record["address"] == "机密****"
    record["notes"] = "读回后保存"
    saved = call(app, "PUT", f"/api/v1/customer/{cid}", "staff", json=record)
    assert saved.status_code == 200, saved.get_json()
    with app.app_context():
        row = app.appbuilder.session.execute(sa.text(
            "select address, phone, notes from form_customer where id = :i"), {"i": cid}).one()
    assert (row.address, row.phone, row.notes) == (ADDRESSES[2], PHONES[2], "读回后保存")


def _secret(field: Any, n: int) -> str | None:
    """A value only this test uses, or None when the field's rules leave no such value."""
    if field.pattern:
        return None
    value = {"phone": f"1366{n:07d}", "email": f"mi{n}@secret.example.com"}.get(
        field.type, f"机密{n:06d}号")
    if field.min_length and len(value) < field.min_length:
        value += "密" * (field.min_length - len(value))
    return None if field.max_length and len(value) > field.max_length else value


@pytest.mark.parametrize(("pack", "role_key"), _matrix())
def test_no_answer_of_any_pack_shows_what_the_role_may_not_reveal(
        pack_apps: dict, pack: Any, role_key: str) -> None:
    app = pack_apps[pack]
    spec = portal_of(app).spec
    role = next(r for r in spec.roles if r.key == role_key)
    with app.app_context():
        access = access_for(app.appbuilder.sm.find_user(username=role_key), spec)
    checked = 0
    for form in (f for f in spec.forms if any(x.sensitive for x in f.fields)):
        granted = set(ACTION.values()) if role.admin else set(role.grants.get(form.key, ()))
        sensitive = [f for f in form.fields if f.sensitive]
        stored = {f.key: _secret(f, next(_counter)) for f in sensitive}
        record = make_record(app, form, _owner=role_key,
                             **{k: v for k, v in stored.items() if v})
        sent = {f.key: _secret(f, next(_counter)) for f in sensitive}
        hidden = [v for values in (stored, sent) for k, v in values.items()
                  if v and not access.can_reveal(form.key, k)]
        base = f"/api/v1/{form.key}/"
        answers = [call(app, "GET", base + "?q=(page_size:100)", role_key),
                   call(app, "GET", f"{base}{record.id}", role_key),
                   call(app, "GET", base + "_info", role_key),
                   call(app, "PUT", f"{base}{record.id}", role_key, json={})]
        for f in sensitive:
            if stored[f.key] and f.key in form.search_columns:
                answers.append(call(app, "GET", base, role_key, query_string={
                    "q": json.dumps({"filters": [{"col": f.key, "opr": "eq",
                                                  "value": stored[f.key]}]})}))
        if "add" in granted:
            body = {**json_body(app, form, role_key), **{k: v for k, v in sent.items() if v}}
            answers.append(call(app, "POST", base, role_key, json=body))
            assert answers[-1].status_code == 201, answers[-1].get_json()
        if "show" in granted:
            assert answers[1].status_code == 200
            checked += 1
        for response in answers:
            assert response.status_code < 500
            text = _readable(response)
            for secret in hidden:
                assert secret not in text, f"{secret} leaked to {role_key} on {form.key}"
    assert checked or not any(any(f.sensitive for f in form.fields) and (
        role.admin or "show" in role.grants.get(form.key, ())) for form in spec.forms)


# -- read-only fields and versions ----------------------------------------------------------
def _compensation(app: Flask, pid: int) -> Any:
    with app.app_context():
        return app.appbuilder.session.execute(sa.text(
            "select kind, amount, reason, version from form_compensation where id = :i"),
            {"i": pid}).one()


def test_read_only_fields_refuse_a_change_and_accept_the_same_value(
        protected: dict[str, Any]) -> None:
    app, pid = protected["app"], protected["compensation"]
    url = f"/api/v1/compensation/{pid}"
    before = _compensation(app, pid)
    refused = call(app, "PUT", url, "staff", json={"amount": "99999", "reason": "改金额"})
    assert refused.status_code == 400
    assert refused.get_json() == {"message": {"amount": ["您的角色不能修改此字段。"]}}
    assert _compensation(app, pid) == before
    same = call(app, "PUT", url, "staff", json={"amount": 1234.5, "kind": "refund",
                                                 "reason": "补充说明"})
    assert same.status_code == 200, same.get_json()
    assert same.get_json()["result"]["amount"] == "1234.50"
    english = call(app, "PUT", url, "staff", json={"kind": "gift"},
                   headers={"Accept-Language": "en"})
    assert english.get_json() == {"message": {"kind": ["Your role may not change this field."]}}
    supervisor = call(app, "PUT", url, "supervisor", json={"kind": "gift"})
    assert supervisor.status_code == 200
    assert _compensation(app, pid).kind == "gift"


def test_a_stale_version_is_409_with_who_and_when(protected: dict[str, Any]) -> None:
    app, pid = protected["app"], protected["compensation"]
    url = f"/api/v1/compensation/{pid}"
    opened = call(app, "GET", url, "staff").get_json()["result"]["version"]
    assert call(app, "PUT", url, "supervisor",
                json={"reason": "主管先改", "version": opened}).status_code == 200
    late = call(app, "PUT", url, "staff", json={"reason": "专员后改", "version": opened})
    assert late.status_code == 409
    assert re.fullmatch(r"未保存：supervisor 于 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d 修改了此记录（在您"
                        r"打开之后）。您的修改未应用，请重新打开记录查看最新内容。",
                        late.get_json()["message"])
    assert _compensation(app, pid).reason == "主管先改"
    bad = call(app, "PUT", url, "staff", json={"reason": "x" * 10, "version": "1"})
    assert bad.get_json() == {"message": {"version": ["请输入整数。"]}}


def test_two_simultaneous_puts_exactly_one_wins(protected: dict[str, Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Both pass the version check; the UPDATE's version condition lets one through."""
    app, cid = protected["app"], protected["customers"][2]
    url = f"/api/v1/customer/{cid}"
    version = call(app, "GET", url, "admin").get_json()["result"]["version"]
    barrier = threading.Barrier(2, timeout=20)
    monkeypatch.setattr(PortalModelApi, "pre_update", lambda self, item: barrier.wait())
    for user in ("staff", "supervisor"):  # tokens first: the threads only save
        call(app, "GET", url, user)
    results: dict[str, Any] = {}

    def save(user: str) -> None:
        response = call(app, "PUT", url, user, json={"name": f"{user}的名字",
                                                     "version": version})
        results[user] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=save, args=(u,)) for u in ("staff", "supervisor")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    name = call(app, "GET", url, "admin").get_json()["result"]
    winner = name["name"].removesuffix("的名字")
    loser = ({"staff", "supervisor"} - {winner}).pop()
    assert results[winner][0] == 200
    assert results[loser][0] == 409
    assert re.match(f"未保存：{winner} 于 [0-9: -]+ 修改了此记录（在您打开之后）",
                    results[loser][1]["message"])
    assert name["version"] == version + 1


def test_deleting_a_record_still_referred_to_is_409(protected: dict[str, Any]) -> None:
    app, rid = protected["app"], protected["complaints"][0]
    response = call(app, "DELETE", f"/api/v1/complaint/{rid}", "supervisor")
    assert response.status_code == 409
    assert response.get_json() == {"message": "无法删除：仍有 1 条“补偿审批”记录引用此记录。"}


# -- validation: the screens' rules and messages --------------------------------------------
VALIDATION = [
    ("customer", {}, {"name": ["此项为必填项。"], "phone": ["此项为必填项。"]}),
    ("customer", {"name": "甲", "phone": "123"},
     {"phone": ["请输入有效的电话号码：11 位手机号码，或如 010-12345678 的固定电话号码。"]}),
    ("customer", {"name": "长" * 101, "phone": "13800000000", "email": "nope"},
     {"name": ["最多只能输入 100 个字符。"], "email": ["请输入有效的电子邮箱地址。"]}),
    ("customer", {"name": "甲", "phone": "13800000000", "email": "a..b@example.com"},
     {"email": ["请输入有效的电子邮箱地址。"]}),  # the rule of defaults and type changes too
    ("customer", {"name": 5, "phone": None, "color": "red"},
     {"name": ["请输入文本。"], "phone": ["此项为必填项。"], "color": ["未知字段。"]}),
    ("customer", {"name": "行一\n行二", "phone": "13800000000"},
     {"name": ["请在一行内填写，不能包含换行符或其他控制字符。"]}),
    ("compensation", {"complaint": 99999999, "kind": "cash", "amount": "-1", "reason": 3},
     {"complaint": ["请从列表中选择一条记录。"], "kind": ["请输入以下值之一：refund, replacement, "
                                              "gift, coupon"],
      "amount": ["请输入 0 到 1000000 之间的数字。"], "reason": ["请输入文本。"]}),
    ("compensation", {"complaint": "1", "amount": "0.001", "kind": "gift", "reason": "理由"},
     {"complaint": ["请输入记录的编号（整数）。"], "amount": ["小数点后最多只能有 2 位数字。"]}),
]


@pytest.mark.parametrize(("form", "body", "errors"), VALIDATION)
def test_validation_messages_per_field(protected: dict[str, Any], form: str, body: dict,
                                       errors: dict) -> None:
    app = protected["app"]
    response = call(app, "POST", f"/api/v1/{form}/", "staff", json=body)
    assert response.status_code == 400
    assert response.get_json() == {"message": errors}


def test_valid_records_of_every_type_are_saved_and_read_back(protected: dict[str, Any]) -> None:
    app = protected["app"]
    spec = portal_of(app).spec
    for form in spec.forms:
        body = json_body(app, form, "staff")
        added = call(app, "POST", f"/api/v1/{form.key}/", "admin", json=body)
        assert added.status_code == 201, (form.key, added.get_json())
        result = call(app, "GET", f"/api/v1/{form.key}/{added.get_json()['id']}",
                      "admin").get_json()["result"]
        for key, value in body.items():
            sent = value if not isinstance(value, str) or form.field(key).type not in (
                "decimal", "money") else format(Decimal(value), f".{form.field(key).scale}f")
            shown = result[key].replace("T", " ") if form.field(key).type == "datetime" \
                else result[key]
            assert shown == sent, (form.key, key)


@pytest.mark.parametrize(("body", "message"), [
    (b"{not json", "请求正文不是有效的 JSON。"),
    (b'{"name": NaN}', "请求正文不是有效的 JSON。"),
    (b"[1, 2]", "请以 JSON 对象发送记录，并带上请求头 Content-Type: application/json。"),
])
def test_a_body_that_is_not_a_json_object_is_400(protected: dict[str, Any], body: bytes,
                                                 message: str) -> None:
    response = call(protected["app"], "POST", "/api/v1/customer/", "staff", data=body,
                    headers={"Content-Type": "application/json"})
    assert (response.status_code, response.get_json()) == (400, {"message": message})
    form_post = call(protected["app"], "POST", "/api/v1/customer/", "staff",
                     data={"name": "x"})
    assert form_post.status_code == 400
