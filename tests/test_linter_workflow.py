"""The workflow linter's built values: WorkflowSpec of the shipped forms, `from: '*'`, final
states locked, roles' ancestors, pack overrides, and where condition errors point.

The problems themselves (code, place, message) are pinned by the corpus in
tests/corpus/cases.yaml; these tests look at what the linter builds when there is none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config.lint.workflow import _source_position
from app.config.load import load_spec
from app.spec import Label, StateSpec, TransitionSpec
from tests.support.linter import CONFIG, corpus, problems

# -- the shipped workflows ----------------------------------------------------------------

def test_shipped_complaint_workflow() -> None:
    workflow = load_spec(str(CONFIG)).form("complaint").workflow
    assert workflow is not None
    assert [s.key for s in workflow.states] == [
        "registered", "accepted", "investigating", "escalated", "awaiting_confirmation",
        "resolved", "closed"]
    assert workflow.initial == StateSpec("registered", Label("已登记", "Registered"),
                                         initial=True, colour="grey")
    assert workflow.state("closed") == StateSpec(
        "closed", Label("已回访结案", "Followed up and closed"), final=True, locked=True,
        colour="purple")
    assert [s.key for s in workflow.states if s.locked] == ["closed"]
    assert workflow.requester is None
    assert workflow.transition("escalate") == TransitionSpec(
        key="escalate", label=Label("上报主管", "Escalate to supervisor"),
        sources=("accepted", "investigating", "awaiting_confirmation"), target="escalated",
        roles=("staff",), comment="required")
    accept = workflow.transition("accept")
    assert accept is not None and accept.required_fields == ("handler",)
    assert accept.comment == "optional" and accept.approvals == 0
    assert accept.condition is None and not accept.no_self_approval
    assert workflow.transition("nope") is None


def test_shipped_compensation_workflow() -> None:
    workflow = load_spec(str(CONFIG)).form("compensation").workflow
    assert workflow is not None
    assert workflow.requester == "proposed_by"
    assert workflow.initial.key == "draft"
    assert [s.key for s in workflow.states if s.final] == ["closed", "cancelled"]
    assert [s.key for s in workflow.states if not s.locked] == ["draft"]
    joint = workflow.transition("joint_approve")
    assert joint == TransitionSpec(
        key="joint_approve", label=Label("经理会签", "Co-approve (two managers)"),
        sources=("manager_review",), target="approved", roles=("manager",),
        condition="amount > 5000", approvals=2, approver_role="manager",
        no_self_approval=True)
    approve = workflow.transition("approve")
    assert approve is not None
    assert (approve.approvals, approve.approver_role) == (1, None)
    reject = workflow.transition("reject")
    assert reject is not None and reject.roles == ("supervisor", "manager")


def test_shipped_roles_know_their_ancestors() -> None:
    roles = {r.key: r for r in load_spec(str(CONFIG)).roles}
    assert roles["manager"].ancestors == ("staff", "supervisor")
    assert roles["supervisor"].ancestors == ("staff",)
    assert roles["staff"].ancestors == ()
    assert roles["admin"].ancestors == roles["auditor"].ancestors == ()


def test_cosmetics_pack_changes_only_the_keys_it_gives() -> None:
    base = load_spec(str(CONFIG)).form("compensation").workflow
    pack = load_spec(str(CONFIG), "cosmetics").form("compensation").workflow
    assert base is not None and pack is not None
    before, after = base.transition("fulfil"), pack.transition("fulfil")
    assert before is not None and after is not None
    assert after.roles == ("staff", "warehouse") and before.roles == ("staff",)
    assert after.label == Label("仓库出货落实", "Warehouse dispatches")
    assert (after.sources, after.target, after.required_fields) == (
        before.sources, before.target, before.required_fields)
    assert [t.key for t in pack.transitions] == [t.key for t in base.transitions]
    assert pack.states == base.states


def test_shipped_column_lists_may_name_state_and_deadline() -> None:
    complaint = load_spec(str(CONFIG)).form("complaint")
    assert {"state", "sla_resolution_due"} <= set(complaint.list_columns)
    assert "state" in complaint.search_columns


# -- the corpus's base workflow -----------------------------------------------------------

def test_star_means_every_state_that_is_not_final(tmp_path: Path) -> None:
    workflow = load_spec(str(corpus(tmp_path))).form("complaint").workflow
    assert workflow is not None
    cancel = workflow.transition("cancel")
    assert cancel is not None
    assert cancel.sources == ("open", "in_progress", "resolved")
    assert cancel.target == "closed"


def test_star_leaves_out_every_final_state(tmp_path: Path) -> None:
    cfg = corpus(tmp_path, {"forms/complaint.yaml": (
        "    - {key: closed, label: {zh: 已关闭, en: Closed}, final: true}\n",
        "    - {key: closed, label: {zh: 已关闭, en: Closed}, final: true}\n"
        "    - {key: rejected, label: 已驳回, final: true}\n"
        "    - {key: waiting, label: 待补充}\n")})
    cfg_text = (cfg / "forms" / "complaint.yaml").read_text("utf-8")
    (cfg / "forms" / "complaint.yaml").write_text(cfg_text.replace("sla:\n", (
        "    - {key: wait, label: 待补充, from: open, to: waiting, roles: [staff]}\n"
        "    - {key: reject, label: 驳回, from: open, to: rejected, roles: [staff]}\n"
        "sla:\n")), "utf-8")
    workflow = load_spec(str(cfg)).form("complaint").workflow
    assert workflow is not None
    cancel = workflow.transition("cancel")
    assert cancel is not None
    assert cancel.sources == ("open", "in_progress", "resolved", "waiting")


def test_final_states_are_locked_even_when_told_otherwise(tmp_path: Path) -> None:
    cfg = corpus(tmp_path, {"forms/complaint.yaml": (
        "en: Closed}, final: true}", "en: Closed}, final: true, locked: false}")})
    workflow = load_spec(str(cfg)).form("complaint").workflow
    assert workflow is not None
    closed = workflow.state("closed")
    assert closed is not None and closed.final and closed.locked
    assert [s.key for s in workflow.states if s.locked] == ["closed"]


def test_corpus_base_workflow_values(tmp_path: Path) -> None:
    spec = load_spec(str(corpus(tmp_path)))
    workflow = spec.form("complaint").workflow
    assert workflow is not None
    close = workflow.transition("close")
    resolve = workflow.transition("resolve")
    assert close is not None and resolve is not None
    assert (close.approvals, close.approver_role, close.no_self_approval) == (
        1, "supervisor", True)
    assert resolve.condition == "priority != 'urgent' or product_name != null"
    assert {r.key: r.ancestors for r in spec.roles} == {
        "admin": (), "staff": (), "supervisor": ("staff",)}
    assert spec.form("survey").workflow is None and spec.form("survey").sla is None


def test_a_field_named_state_is_fine_without_a_workflow(tmp_path: Path) -> None:
    cfg = corpus(tmp_path, {"forms/survey.yaml": (
        "    default: today\n",
        "    default: today\n  - {key: state, label: 省份}\n"
        "  - {key: sla_response_due, label: 回复期限}\n")})
    survey = load_spec(str(cfg)).form("survey")
    assert [f.key for f in survey.fields][-2:] == ["state", "sla_response_due"]


def test_deadline_columns_need_an_sla(tmp_path: Path) -> None:
    """With a workflow but no SLA, only `state` joins the column names."""
    cfg = corpus(tmp_path, {"forms/complaint.yaml": ("display: product_name\n", (
        "display: product_name\nlist_columns: [product_name, state, sla_response_due]\n"))})
    text = (cfg / "forms" / "complaint.yaml").read_text("utf-8")
    (cfg / "forms" / "complaint.yaml").write_text(text[:text.index("sla:\n")], "utf-8")
    assert problems(cfg) == [("PORTAL-E031", "list_columns[2]",
                               "unknown field 'sla_response_due'")]


def test_pack_adds_a_state_and_a_transition(tmp_path: Path) -> None:
    cfg = corpus(tmp_path, {"industries/demo/pack.yaml": ("    fields:\n", (
        "    workflow:\n"
        "      states:\n"
        "        - {key: on_site, label: 上门处理中, colour: orange}\n"
        "      transitions:\n"
        "        - {key: visit, label: 上门, from: in_progress, to: on_site,"
        " roles: [installer]}\n"
        "        - {key: resolve, from: [in_progress, on_site]}\n"
        "    fields:\n"))})
    workflow = load_spec(str(cfg), "demo").form("complaint").workflow
    assert workflow is not None
    assert [s.key for s in workflow.states][-1] == "on_site"
    assert [t.key for t in workflow.transitions][-1] == "visit"
    resolve = workflow.transition("resolve")
    assert resolve is not None and resolve.sources == ("in_progress", "on_site")
    assert resolve.roles == ("staff",)  # not given by the pack: the base's
    cancel = workflow.transition("cancel")
    assert cancel is not None and "on_site" in cancel.sources


def test_a_pack_cannot_leave_a_new_state_stuck(tmp_path: Path) -> None:
    """The state graph is checked after the merge: the pack's new state needs a way out."""
    cfg = corpus(tmp_path, {
        "industries/demo/pack.yaml": ("    fields:\n", (
            "    workflow:\n"
            "      states:\n"
            "        - {key: on_site, label: 上门处理中}\n"
            "      transitions:\n"
            "        - {key: visit, label: 上门, from: in_progress, to: on_site,"
            " roles: [installer]}\n"
            "    fields:\n")),
        "forms/complaint.yaml": ("      from: '*'\n", "      from: [open]\n")})
    assert problems(cfg, "demo") == [
        ("PORTAL-E067", "forms.complaint.workflow.states[0].key",
         "no transition leaves state 'on_site', which is not final")]


def test_workflow_problems_stop_the_form_but_not_the_others(tmp_path: Path) -> None:
    """Every form is still checked when one workflow is broken: one run, every problem."""
    cfg = corpus(tmp_path, {
        "forms/complaint.yaml": ("      to: resolved\n", "      to: done\n"),
        "forms/survey.yaml": ("page_size: 50", "page_size: 0")})
    assert sorted(problems(cfg)) == [
        ("PORTAL-E043", "page_size", "0 is out of range"),
        ("PORTAL-E061", "workflow.transitions[1].to", "unknown state 'done'")]


# -- where a condition's problem points ------------------------------------------------------

@pytest.mark.parametrize(("source", "text", "offset", "where"), [
    # plain, on one line: the value column plus the offset
    ("c: priority ==\n", "priority ==", 9, (1, 13)),
    # the end of the condition: just after its last character
    ("c: priority ==\n", "priority ==", 11, (1, 15)),
    # quoted: one further; doubled quotes inside single quotes count once
    ("c: 'a == ''x'' and b'\n", "a == 'x' and b", 13, (1, 20)),
    # escaped quotes inside double quotes
    ('c: "a == \\"x\\" and b"\n', 'a == "x" and b', 13, (1, 20)),
    # a plain value folded over two lines
    ("c: a > 1 and\n  bbb == 2\nd: x\n", "a > 1 and bbb == 2", 10, (2, 3)),
    # a comment after a plain value is not part of it
    ("c: a > 1   # note\n", "a > 1", 4, (1, 8)),
    # block scalars: the lines below the indicator
    ("c: |\n  a > 1 and\n  bbb\n", "a > 1 and\nbbb\n", 10, (3, 3)),
    ("c: >-\n    a > 1\n    or bb\nd: 1\n", "a > 1 or bb", 9, (3, 8)),
])
def test_condition_problems_point_into_the_condition(
        tmp_path: Path, source: str, text: str, offset: int, where: tuple[int, int]) -> None:
    path = tmp_path / "form.yaml"
    path.write_text(source, "utf-8")
    assert _source_position(str(path), 1, 4, text, offset) == where


@pytest.mark.parametrize(("source", "text"), [
    ('c: "a ==\\n b"\n', "a ==\n b"),  # an escape that is not the character itself
    ("c: a\n\n  b\n", "a\nb"),  # a blank line inside a plain value
    ("c: ''\n", ""),  # nothing to point into
])
def test_condition_problems_keep_the_value_position_when_unsure(
        tmp_path: Path, source: str, text: str) -> None:
    path = tmp_path / "form.yaml"
    path.write_text(source, "utf-8")
    assert _source_position(str(path), 1, 4, text, 2) == (1, 4)
    assert _source_position(str(tmp_path / "gone.yaml"), 1, 4, text, 2) == (1, 4)
