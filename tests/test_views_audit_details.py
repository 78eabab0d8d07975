"""An audit event's details for people: sensitive values masked per viewer (values, both sides
of changes, filters), labels instead of keys, and one readable line for CSV."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from app.config.load import load_spec
from app.security.access import Access
from app.views.audit_details import (
    details_text,
    masked_details,
    parse_details,
    sections,
)
from tests.support.app import CONFIG

SPEC = load_spec(str(CONFIG))
AUDITOR = Access(user_id=3)
STAFF = Access(user_id=2, reveal=frozenset({"customer.phone"}))
ADMIN = Access(user_id=1, admin=True)
CREATE = {"values": {"name": "张三", "phone": "13812341234", "address": "浙江省杭州市西湖区一号"}}
UPDATE = {"changes": {"phone": ["13812341234", "13998765678"], "name": ["张三", "张三丰"]}}
LIST = {"filters": [["phone", "等于", "13812341234"], ["name", "包含", "张"]],
        "order": ["name", "asc"], "page": 0}


@pytest.fixture(scope="module")
def bare_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(setup=False)


@pytest.fixture(autouse=True)
def chinese(bare_app: Flask) -> Iterator[None]:
    """Labels in the default language, as a request would see them."""
    with bare_app.test_request_context("/"):
        yield


def test_values_of_sensitive_fields_are_masked_for_a_viewer_without_reveal() -> None:
    assert masked_details(SPEC, "customer", CREATE, AUDITOR)["values"] == {
        "name": "张三", "phone": "138****1234", "address": "浙江****"}


def test_both_sides_of_a_change_are_masked() -> None:
    assert masked_details(SPEC, "customer", UPDATE, AUDITOR)["changes"] == {
        "phone": ["138****1234", "139****5678"], "name": ["张三", "张三丰"]}


def test_filter_values_are_masked_and_the_rest_kept() -> None:
    shown = masked_details(SPEC, "customer", LIST, AUDITOR)
    assert shown == {"filters": [["phone", "等于", "138****1234"], ["name", "包含", "张"]],
                     "order": ["name", "asc"], "page": 0}


def test_reveal_rights_are_per_field_and_admins_see_everything() -> None:
    assert masked_details(SPEC, "customer", CREATE, STAFF)["values"] == {
        "name": "张三", "phone": "13812341234", "address": "浙江****"}
    assert masked_details(SPEC, "customer", CREATE, ADMIN) == CREATE
    assert masked_details(SPEC, "customer", UPDATE, ADMIN) == UPDATE


def test_the_input_is_not_changed() -> None:
    before = repr(UPDATE)
    masked_details(SPEC, "customer", UPDATE, AUDITOR)
    assert repr(UPDATE) == before


def test_a_form_without_sensitive_fields_and_the_portal_tables_are_shown_as_stored() -> None:
    survey = {"values": {"product_rating": 4, "comments": "很好"}}
    assert masked_details(SPEC, "satisfaction_survey", survey, AUDITOR) == survey
    user = {"changes": {"first_name": ["王", "李"], "password": ["<redacted>", "<redacted>"]}}
    assert masked_details(SPEC, "ab_user", user, AUDITOR) == user
    assert masked_details(SPEC, None, {"hash": "abc"}, AUDITOR) == {"hash": "abc"}


def test_fields_the_spec_no_longer_knows_are_masked_except_for_admins() -> None:
    """A retired field or a removed form may have been sensitive: nobody can tell any more."""
    retired = {"values": {"old_mobile": "13812341234", "id": 5}}
    assert masked_details(SPEC, "customer", retired, AUDITOR)["values"] == {
        "old_mobile": "13****", "id": 5}
    gone = {"changes": {"mobile": ["13812341234", None]}}
    assert masked_details(SPEC, "dropped_form", gone, AUDITOR)["changes"] == {
        "mobile": ["13****", None]}
    assert masked_details(SPEC, "dropped_form", gone, ADMIN) == gone


def test_malformed_details_do_not_break_masking() -> None:
    odd = {"values": "x", "changes": {"phone": "13812341234"}, "filters": [["phone"], "x"]}
    assert masked_details(SPEC, "customer", odd, AUDITOR) == {
        "values": "x", "changes": {"phone": "138****1234"}, "filters": [["phone"], "x"]}


@pytest.mark.parametrize(("text", "parsed"), [
    (None, {}), ("", {}), ('{"rows": 3}', {"rows": 3}), ("[1, 2]", {"value": [1, 2]}),
    ("not json", {"value": "not json"}),
])
def test_parse_details(text: str | None, parsed: dict) -> None:
    assert parse_details(text) == parsed


def test_sections_use_field_and_choice_labels() -> None:
    details = {"changes": {"priority": ["normal", "urgent"], "product_name": ["甲", "乙"],
                           "gone": [1, 2]}}
    [changes] = sections(SPEC, "complaint", details)
    assert changes.kind == "changes"  # in the form's field order, unknown keys last
    assert changes.rows == [("产品名称", "甲", "乙"), ("优先级", "普通", "紧急"),
                            ("gone", "1", "2")]


def test_sections_of_a_list_event_and_of_other_details() -> None:
    shown = masked_details(SPEC, "customer", LIST, AUDITOR)
    filters, other = sections(SPEC, "customer", shown)
    assert filters.kind == "filters"
    assert filters.rows == [("联系电话", "等于", "138****1234"), ("客户名称", "包含", "张")]
    assert other.kind == "other"
    assert other.rows == [("排序", '["name", "asc"]'), ("页码", "0")]
    [reveal] = sections(SPEC, "customer", {"field": "phone"})
    assert reveal.rows == [("字段", "联系电话")]


def test_details_text_is_one_readable_line() -> None:
    shown = masked_details(SPEC, "customer", UPDATE, AUDITOR)
    assert details_text(SPEC, "customer", shown) == (
        "客户名称: 张三 → 张三丰; 联系电话: 138****1234 → 139****5678")
    assert details_text(SPEC, "customer", masked_details(SPEC, "customer", CREATE, AUDITOR)
                        ) == "客户名称: 张三; 联系电话: 138****1234; 地址: 浙江****"
    assert details_text(SPEC, None, {}) == ""


def test_a_collection_change_shows_what_was_removed_and_added() -> None:
    details = {"changes": {"roles": {"added": ["auditor", "staff"], "removed": ["admin"]},
                           "groups": {"added": ["x"], "removed": []}}}
    [changes] = sections(SPEC, "ab_user", details)
    assert changes.rows == [("roles", "移除：admin", "新增：auditor、staff"),
                            ("groups", "", "新增：x")]


def test_workflow_details_show_state_and_transition_labels_not_keys() -> None:
    """The history showed draft → manager_review, 途径: form and 必填字段 ["handler"]."""
    details = {"transition": "escalate", "from": "investigating", "to": "escalated",
               "fields": ["handler", "resolution"], "comment": "超出权限"}
    [other] = sections(SPEC, "complaint", details)
    assert other.rows == [("流程操作", "上报主管"), ("原状态", "调查处理中"),
                          ("新状态", "已上报主管"), ("必填字段", "处理人、处理结果"),
                          ("意见", "超出权限")]
    [login] = sections(SPEC, None, {"via": "form"})
    assert login.rows[0][1] == "登录页面"
    [unknown] = sections(SPEC, "complaint", {"from": "gone_state"})
    assert unknown.rows[0][1] == "gone_state"  # a state the workflow no longer has


def test_ids_of_users_and_records_are_shown_by_name() -> None:
    """处理人 → 2: with a resolver (app/views/audit_names.py), names instead of ids."""
    names = {("user", 2): "王小明", ("reference", 7): "TS-20261206-0007 林女士 面霜"}

    def resolve(field, value):  # noqa: ANN001, ANN202 - the Names callable
        return names.get((field.type, int(value)))

    [changes] = sections(SPEC, "complaint", {"changes": {"handler": [None, 2]}}, resolve)
    assert changes.rows == [("处理人", "", "王小明")]
    [values] = sections(SPEC, "satisfaction_survey", {"values": {"complaint": 7}}, resolve)
    assert values.rows == [("关联投诉", "TS-20261206-0007 林女士 面霜")]
    [gone] = sections(SPEC, "complaint", {"changes": {"handler": [3, 2]}}, resolve)
    assert gone.rows == [("处理人", "#3", "王小明")]  # a user since deleted: its number
    assert details_text(SPEC, "complaint", {"changes": {"handler": [None, 2]}}, resolve) == \
        "处理人:  → 王小明"


def test_a_signature_change_shows_signed_not_a_bare_id() -> None:
    [changes] = sections(SPEC, "compensation", {"changes": {"customer_signature": [3, 4]}})
    assert changes.rows == [("客户签名", "已签名（#3）", "已签名（#4）")]
