"""Form fields keep values inside what the columns hold: each case was found by
tests/test_fuzz.py and is now a message next to the field, with nothing saved."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict
from wtforms import Form

from app.portal import portal_of
from app.records.forms import build_field
from app.spec import FieldSpec, Label
from tests.support.app import csrf_token, login
from tests.support.factories import make_record, post_data


def _rows(app: Flask, form_key: str) -> list[tuple]:
    model = portal_of(app).models.models[form_key]
    table = model.__table__
    with app.app_context():
        return [tuple(r) for r in app.appbuilder.session.execute(
            table.select().order_by(table.c.id))]


def _post(app: Flask, form_key: str, changes: dict[str, Any], user: str = "admin") -> Any:
    """A valid add post of `form_key` with `changes`; returns (response, rows before)."""
    spec = portal_of(app).spec
    form = spec.form(form_key)
    client = app.test_client()
    login(client, user)
    with app.app_context():
        user_id = app.appbuilder.sm.find_user(username=user).id
    data, _ = post_data(app, form, user_id)
    data.update(changes)
    url = f"/{form.view_name.lower()}/add"
    data["csrf_token"] = csrf_token(client, url)
    before = _rows(app, form_key)
    return client.post(url, data=data), before


def _refused(app: Flask, form_key: str, changes: dict[str, Any], message: str) -> None:
    response, before = _post(app, form_key, changes)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _rows(app, form_key) == before


@pytest.mark.parametrize("amount", ["sNaN", "NaN", "-Infinity"])
def test_money_that_is_not_a_number_is_a_message(app: Flask, amount: str) -> None:
    """'sNaN' crashed WTForms' NumberRange (500: cannot convert signaling NaN to float)."""
    _refused(app, "compensation", {"amount": amount}, "请输入普通的数字（不能是 NaN 或无穷大）。")


def test_money_with_more_decimals_than_kept_is_refused_not_rounded(app: Flask) -> None:
    """'0.001' was saved as 0.00 without a word."""
    _refused(app, "compensation", {"amount": "0.001"}, "小数点后最多只能有 2 位数字。")
    response, _ = _post(app, "compensation", {"amount": "12.500", "reason": "尾随零"})
    assert response.status_code == 302
    assert any(r for r in _rows(app, "compensation") if "尾随零" in r)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("name", "王\x00小姐", "请在一行内填写，不能包含换行符或其他控制字符。"),
    ("name", "王\r\n小姐", "请在一行内填写，不能包含换行符或其他控制字符。"),
    ("notes", "偏好\x00无香型", "文本中含有无法保存的控制字符（如 NUL），请删除后再保存。"),
    ("notes", "偏好\x1b[31m", "文本中含有无法保存的控制字符（如 NUL），请删除后再保存。"),
])
def test_control_characters_are_a_message(app: Flask, key: str, value: str,
                                          message: str) -> None:
    """PostgreSQL refuses NUL in text ("Not saved: the database reported an error", the
    form lost); SQLite stored it."""
    _refused(app, "customer", {key: value}, message)


def test_line_breaks_in_multi_line_text_are_kept(app: Flask) -> None:
    response, _ = _post(app, "customer", {"notes": "第一行\r\n第二行\t完"})
    assert response.status_code == 302
    assert any("第一行\r\n第二行\t完" in r for r in _rows(app, "customer"))


def test_blank_optional_unique_text_is_no_value(pack_apps: dict) -> None:
    """A blank 学习账号 was stored as '': the second blank one collided with the first on
    the unique index ("Not saved: … a duplicate value")."""
    app = pack_apps["education"]
    for _ in range(2):
        response, before = _post(app, "student", {"account": "  "})
        assert response.status_code == 302
        new = _rows(app, "student")[len(before):]
        assert len(new) == 1
        model = portal_of(app).models.models["student"]
        with app.app_context():
            assert app.appbuilder.session.get(model, new[0][0]).account is None


def test_a_repeated_choice_is_stored_once(pack_apps: dict) -> None:
    """['redness', 'redness', …] was stored as 'redness,redness,…' (too long for the column
    on PostgreSQL once repeated enough)."""
    app = pack_apps["cosmetics"]
    response, before = _post(app, "complaint", {
        "skin_reaction": ["redness", "itching", "redness"] * 60})
    assert response.status_code == 302
    (row,) = _rows(app, "complaint")[len(before):]
    model = portal_of(app).models.models["complaint"]
    with app.app_context():
        assert app.appbuilder.session.get(model, row[0]).skin_reaction == "redness,itching"


def test_an_unknown_choice_is_told_in_chinese_without_echoing_it(pack_apps: dict) -> None:
    """WTForms' message quoted the posted value, in English (its zh entry is fuzzy), and FAB
    renders field errors through gettext, which Jinja marks safe: the posted HTML was put
    into the page as it was."""
    app = pack_apps["cosmetics"]
    response, before = _post(app, "complaint", {"skin_reaction": ["redness", "<b>x</b>"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "只能从列出的选项中选择。" in page
    assert "<b>x</b>" not in page
    assert _rows(app, "complaint") == before


def _stored(app: Flask, form_key: str, before: list[tuple], key: str) -> Any:
    (row,) = _rows(app, form_key)[len(before):]
    model = portal_of(app).models.models[form_key]
    with app.app_context():
        return getattr(app.appbuilder.session.get(model, row[0]), key)


def test_a_blank_entry_does_not_smuggle_in_an_unknown_choice(pack_apps: dict) -> None:
    """[' ', '<b>x</b>'] was saved as ' ,<b>x</b>': Optional() saw the blank first entry,
    took the field for empty and dropped the error of the value after it."""
    app = pack_apps["cosmetics"]
    for picked in ([" ", "<b>x</b>"], ["", "bogus"]):
        _refused(app, "complaint", {"skin_reaction": picked}, "只能从列出的选项中选择。")
    response, before = _post(app, "complaint", {"skin_reaction": ["", "rash", " "]})
    assert response.status_code == 302
    assert _stored(app, "complaint", before, "skin_reaction") == "rash"


def test_spaces_are_no_choice(app: Flask) -> None:
    """' ' for an optional choice passed as "empty" and the spaces were stored."""
    response, before = _post(app, "complaint", {"category": " "})
    assert response.status_code == 302
    assert _stored(app, "complaint", before, "category") is None
    _refused(app, "compensation", {"kind": " "}, "此项为必填项。")  # required: no choice made


def test_an_open_ended_integer_stays_within_its_column(app: Flask) -> None:
    """An integer field without min/max took 2**31 and beyond (an overflow in the
    database); no shipped form has one, so this checks the field directly."""
    spec = FieldSpec(key="count", label=Label("数量", "Count"), type="integer")
    make_record(app, portal_of(app).spec.form("customer"))
    with app.test_request_context():
        form_class = type("CountForm", (Form,), {"count": build_field(
            spec, None)})
        for value, ok in (("2147483647", True), ("2147483648", False),
                          ("-2147483649", False), ("99999999999999999999", False)):
            form = form_class(formdata=MultiDict({"count": value}))
            assert form.validate() is ok, value
            if not ok:
                assert form.errors["count"] == [
                    "请输入 -2147483648 到 2147483647 之间的数字。"]
