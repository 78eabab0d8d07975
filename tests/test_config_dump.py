"""`config show` output: the merged spec as YAML an admin can read, with the audited hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from app.config.dump import dump
from app.config.load import config_hash, load_spec
from app.spec import FieldSpec, FormSpec, Label, PortalSpec, SlaSpec, SlaTarget, WorkflowSpec
from tests.support.app import PACKS

SHIPPED = Path(__file__).resolve().parent.parent / "config"


def _cosmetics() -> tuple[PortalSpec, dict]:
    spec = load_spec(str(SHIPPED), "cosmetics")
    return spec, yaml.safe_load(dump(spec))


def _by_key(items: list[dict]) -> dict[str, dict]:
    return {item["key"]: item for item in items}


def _l(zh: str, en: str) -> dict:
    return {"zh": zh, "en": en}


def test_dump_shows_merged_fields_choices_and_grants() -> None:
    _, data = _cosmetics()
    assert data["industry"] == "cosmetics"
    assert data["industry_label"] == _l("化妆品", "Cosmetics")
    forms = _by_key(data["forms"])
    complaint = forms["complaint"]
    fields = _by_key(complaint["fields"])
    assert fields["priority"]["default"] == "normal"
    assert {"value": "urgent", "label": _l("紧急", "Urgent")} in fields["priority"]["choices"]
    assert fields["handler"]["assignee"] is True
    assert fields["order_no"]["pattern_message"] == _l("订单号只能包含字母、数字和连字符",
                                                       "Letters, digits and '-' only")
    assert (complaint["icon"], complaint["order"]) == ("fa-exclamation-circle", 10)
    assert complaint["description"] == _l(
        "涉及皮肤不良反应的投诉须登记反应症状、使用部位与使用情况，并核对生产批号",
        "For skin reactions record the symptoms, area and usage, and check the batch number")
    assert complaint["order_columns"] == [
        "customer", "product_name", "batch_no", "category", "skin_reaction", "priority",
        "state", "sla_resolution_due", "satisfied"]
    assert _by_key(data["roles"])["staff"]["grants"]["complaint"] == [
        "add", "edit", "import", "list", "show"]
    amount = _by_key(forms["compensation"]["fields"])["amount"]
    assert (amount["min"], amount["precision"], amount["scale"]) == (0, 12, 2)


def test_dump_shows_the_complaint_workflow() -> None:
    _, data = _cosmetics()
    workflow = _by_key(data["forms"])["complaint"]["workflow"]
    assert workflow["states"] == [
        {"key": "registered", "label": _l("已登记", "Registered"), "initial": True,
         "colour": "grey"},
        {"key": "accepted", "label": _l("已受理", "Accepted"), "colour": "blue"},
        {"key": "investigating", "label": _l("调查处理中", "Investigating"), "colour": "teal"},
        {"key": "escalated", "label": _l("已上报主管", "Escalated"), "colour": "red"},
        {"key": "awaiting_confirmation", "label": _l("待客户确认", "Awaiting confirmation"),
         "colour": "orange"},
        {"key": "resolved", "label": _l("已解决", "Resolved"), "colour": "green"},
        {"key": "closed", "label": _l("已回访结案", "Followed up and closed"), "final": True,
         "locked": True, "colour": "purple"},
    ]

    def step(key: str, zh: str, en: str, sources: list[str], target: str, roles: list[str],
             comment: str = "optional", required: list[str] | None = None) -> dict:
        out = {"key": key, "label": _l(zh, en), "from": sources, "to": target, "roles": roles}
        return {**out, **({"required_fields": required} if required else {}),
                "comment": comment}

    assert workflow["transitions"] == [
        step("accept", "受理并分派", "Accept and assign", ["registered"], "accepted", ["staff"],
             required=["handler"]),
        step("investigate", "开始调查", "Start investigating", ["accepted"], "investigating",
             ["staff"], required=["category", "severity"]),
        step("answer", "答复客户", "Answer the customer", ["investigating"],
             "awaiting_confirmation", ["staff"], required=["resolution"]),
        step("confirm", "客户确认解决", "Customer confirms", ["awaiting_confirmation"],
             "resolved", ["staff"]),
        step("not_accepted", "客户不认可", "Customer does not accept",
             ["awaiting_confirmation"], "investigating", ["staff"], "required"),
        step("escalate", "上报主管", "Escalate to supervisor",
             ["accepted", "investigating", "awaiting_confirmation"], "escalated", ["staff"],
             "required"),
        step("instruct", "主管批示", "Supervisor instructs", ["escalated"], "investigating",
             ["supervisor"], "required"),
        step("follow_up", "回访结案", "Follow up and close", ["resolved"], "closed", ["staff"],
             required=["satisfied"]),
        step("reopen", "重新打开", "Reopen", ["resolved"], "investigating", ["supervisor"],
             "required"),
    ]
    assert "requester" not in workflow


def test_dump_shows_approvals_conditions_and_the_requester() -> None:
    _, data = _cosmetics()
    workflow = _by_key(data["forms"])["compensation"]["workflow"]
    assert workflow["requester"] == "proposed_by"
    steps = _by_key(workflow["transitions"])
    assert steps["joint_approve"] == {
        "key": "joint_approve", "label": _l("经理会签", "Co-approve (two managers)"),
        "from": ["manager_review"], "to": "approved", "roles": ["manager"],
        "condition": "amount > 5000", "comment": "optional",
        "approvals": {"count": 2, "role": "manager"}, "no_self_approval": True}
    assert steps["approve"]["approvals"] == {"count": 1}
    assert steps["fulfil"]["roles"] == ["staff", "warehouse"]  # the pack's change, merged


def test_dump_shows_the_sla_and_the_calendar() -> None:
    _, data = _cosmetics()
    assert _by_key(data["forms"])["complaint"]["sla"] == {
        "targets": [
            {"priority": "urgent", "first_response": "2h", "resolution": "1d"},
            {"priority": "normal", "first_response": "1d", "resolution": "3d"},
            {"priority": "low", "first_response": "1d", "resolution": "3d"},
        ],
        "priority_field": "priority",
        "responded_states": ["accepted", "investigating", "escalated",
                             "awaiting_confirmation", "resolved", "closed"],
        "resolved_states": ["awaiting_confirmation", "resolved", "closed"],
        "calendar": "working_days",
        "escalation": {"priority": "urgent", "assign_role": "supervisor"},
    }
    assert "sla" not in _by_key(data["forms"])["compensation"]

    def day(text: str) -> dt.date:
        return dt.date.fromisoformat(text)

    assert data["calendar"] == {
        "weekend": ["saturday", "sunday"],
        "hours": ["09:00-12:00", "13:30-18:00"],
        "holidays": [
            {"date": day("2026-01-01"), "to": day("2026-01-03"), "label": "元旦"},
            {"date": day("2026-02-15"), "to": day("2026-02-23"), "label": "春节"},
            {"date": day("2026-04-04"), "to": day("2026-04-06"), "label": "清明节"},
            {"date": day("2026-05-01"), "to": day("2026-05-05"), "label": "劳动节"},
            {"date": day("2026-06-19"), "to": day("2026-06-21"), "label": "端午节"},
            {"date": day("2026-09-25"), "to": day("2026-09-27"), "label": "中秋节"},
            {"date": day("2026-10-01"), "to": day("2026-10-07"), "label": "国庆节"},
        ],
        "workdays": [
            {"date": day("2026-01-04"), "label": "元旦调休上班"},
            {"date": day("2026-02-14"), "label": "春节调休上班"},
            {"date": day("2026-02-28"), "label": "春节调休上班"},
            {"date": day("2026-05-09"), "label": "劳动节调休上班"},
            {"date": day("2026-09-20"), "label": "国庆节调休上班"},
            {"date": day("2026-10-10"), "label": "国庆节调休上班"},
        ],
    }


def test_dump_shows_each_roles_scopes_reveal_readonly_and_inheritance() -> None:
    _, data = _cosmetics()
    roles = _by_key(data["roles"])
    four = ["add", "edit", "list", "show"]
    five = ["add", "edit", "import", "list", "show"]
    assert roles["staff"] == {
        "key": "staff", "label": _l("客服专员", "Service Staff"), "admin": False,
        "audit": False,
        "grants": {"compensation": four, "complaint": five, "customer": five,
                   "return_exchange": four, "satisfaction_survey": four},
        "scopes": {"compensation": "own", "complaint": "own", "customer": "all",
                   "return_exchange": "own", "satisfaction_survey": "own"},
        "reveal": ["customer.phone"],
        "readonly": {"compensation": ["amount", "kind"]},
        "inherits": [],
    }
    manager = roles["manager"]
    assert manager["inherits"] == ["staff", "supervisor"]  # through supervisor too
    assert manager["reveal"] == ["customer.address", "customer.phone"]  # supervisor's
    assert manager["readonly"] == {}  # not inherited
    assert set(manager["scopes"].values()) == {"all"}
    assert roles["supervisor"]["scopes"]["complaint"] == "team"
    assert (roles["admin"]["admin"], roles["auditor"]["audit"]) == (True, True)


def test_the_printed_hash_is_the_audited_hash_and_the_fingerprint_its_prefix() -> None:
    spec, data = _cosmetics()
    expected = hashlib.sha256(repr(spec).encode()).hexdigest()
    assert config_hash(spec) == data["hash"] == expected
    assert data["fingerprint"] == spec.fingerprint == expected[:16]
    header = dump(spec).split("\nindustry:")[0]
    assert ("# hash:        sha256 of the merged config: the `hash` the audit log's "
            "config_loaded event") in header
    assert "# fingerprint: the first 16 hex digits of that hash" in header


def test_config_show_prints_the_hash_of_the_config_loaded_event(make_app) -> None:
    from app.audit.app_events import record_config_loaded

    app = make_app(industry="cosmetics")
    shown = yaml.safe_load(app.test_cli_runner().invoke(
        args=["portal", "config", "show"]).output)
    record_config_loaded(app, "test")
    with app.app_context():
        details = app.appbuilder.session.execute(sa.text(
            "select details from portal_audit_event where action = 'config_loaded'"
        )).scalar_one()
    assert json.loads(details)["hash"] == shown["hash"]


@pytest.mark.parametrize("pack", PACKS)
def test_dump_round_trips_through_safe_load(pack: str | None) -> None:
    spec = load_spec(str(SHIPPED), pack)
    text = dump(spec)
    data = yaml.safe_load(text)
    assert data["hash"] == config_hash(spec)
    assert yaml.safe_load(yaml.safe_dump(data, allow_unicode=True)) == data
    assert [f["key"] for f in data["forms"]] == [f.key for f in spec.forms]


def test_dump_shows_attributes_the_shipped_config_leaves_at_their_default() -> None:
    """A renamed field, a default SLA target, calendar time and a form without description."""
    fields = (FieldSpec("name", Label("名称", "Name"), "string", renamed_from="title"),
              FieldSpec("fee", Label("费用", "Fee"), "money", min=0, sensitive=True))
    form = FormSpec("ticket", Label("工单", "Ticket"), "service", fields, ("name",), (), ("name",),
                    workflow=WorkflowSpec((), ()),
                    sla=SlaSpec({"default": SlaTarget(None, 4 * 86400 + 3600 * 12)},
                                escalate_role="supervisor"))
    data = yaml.safe_load(dump(PortalSpec((form,), (), ())))
    ticket = data["forms"][0]
    assert ticket["fields"] == [
        {"key": "name", "label": _l("名称", "Name"), "type": "string", "renamed_from": "title"},
        {"key": "fee", "label": _l("费用", "Fee"), "type": "money", "min": 0, "precision": 12,
         "scale": 2, "sensitive": True},
    ]
    assert ticket["sla"] == {"targets": [{"resolution": "4d 12h"}], "priority_field": None,
                             "calendar": "calendar", "escalation": {"assign_role": "supervisor"}}
    assert "description" not in ticket and ticket["search_columns"] == []
    assert data["industry"] == "(base pack only)" and "industry_label" not in data
