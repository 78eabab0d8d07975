"""roles.yaml → RoleSpec: row scopes (default, per form, '*'), reveal rights (inherited,
wildcards), read-only fields (not inherited), and how an industry pack merges them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.config.errors import ConfigError
from app.config.load import load_spec
from tests.support.linter import make_config

ROLES = """roles:
  - key: admin
    admin: true
  - key: staff
    scope: own
    scopes: {customer: all}
    grants:
      customer: [list, show, add, edit]
      complaint: [list, show, add, edit]
    reveal: [customer.phone]
    readonly: {complaint: [priority]}
  - key: supervisor
    inherits: [staff]
    scope: team
    scopes: {"*": team, customer: all}
    grants:
      survey: all
    reveal: [customer.*]
  - key: viewer
    grants:
      "*": [list]
"""


def _spec(tmp_path: Path, industry: str | None = None, pack_roles: str = "",
          roles: str = ROLES) -> dict:
    cfg = make_config(tmp_path)
    text = (cfg / "forms" / "customer.yaml").read_text(encoding="utf-8")
    text = text.replace("    type: phone\n", "    type: phone\n    sensitive: true\n")
    text += "  - key: address\n    label: 地址\n    sensitive: true\n"
    (cfg / "forms" / "customer.yaml").write_text(text, encoding="utf-8")
    (cfg / "roles.yaml").write_text(roles, encoding="utf-8")
    if pack_roles:
        pack = cfg / "industries" / "demo" / "pack.yaml"
        body = pack.read_text(encoding="utf-8")
        pack.write_text(body[:body.index("roles:")] + pack_roles, encoding="utf-8")
    return {r.key: r for r in load_spec(str(cfg), industry).roles}


def test_scopes_default_to_own_per_form_override_and_star(tmp_path: Path) -> None:
    roles = _spec(tmp_path)
    assert roles["staff"].scopes == {"complaint": "own", "customer": "all"}
    # the supervisor's scope is its own, not the inherited staff scope
    assert roles["supervisor"].scopes == {"complaint": "team", "customer": "all",
                                          "survey": "team"}
    assert roles["viewer"].scopes == {"complaint": "own", "customer": "own", "survey": "own"}


def test_reveal_is_inherited_and_expands_wildcards(tmp_path: Path) -> None:
    roles = _spec(tmp_path)
    assert roles["staff"].reveal == ("customer.phone",)
    assert roles["supervisor"].reveal == ("customer.address", "customer.phone")
    assert roles["viewer"].reveal == ()
    assert roles["admin"].reveal == ("customer.address", "customer.phone")


def test_readonly_is_not_inherited(tmp_path: Path) -> None:
    roles = _spec(tmp_path)
    assert roles["staff"].readonly == {"complaint": ("priority",)}
    assert roles["supervisor"].readonly == {}


def test_a_pack_merges_scopes_and_readonly_per_form_and_replaces_reveal(tmp_path: Path) -> None:
    roles = _spec(tmp_path, "demo", pack_roles="""roles:
  - key: installer
    label: 安装工程师
    scope: all
    grants:
      install_order: [list, show, add, edit]
  - key: staff
    scopes: {install_order: team}
    readonly: {install_order: [customer]}
    reveal: [customer.*]
    grants:
      install_order: [list, show, edit]
""")
    staff = roles["staff"]
    assert staff.scopes == {"complaint": "own", "customer": "all", "install_order": "team"}
    assert staff.readonly == {"complaint": ("priority",), "install_order": ("customer",)}
    assert staff.reveal == ("customer.address", "customer.phone")
    assert roles["installer"].scopes == {"install_order": "all"}


def test_audit_is_a_role_flag_not_inherited_and_implied_by_admin(tmp_path: Path) -> None:
    assert {k for k, r in _spec(tmp_path / "a").items() if r.audit} == {"admin"}
    roles = _spec(tmp_path / "b", roles=ROLES.replace(
        "  - key: viewer\n", "  - key: viewer\n    audit: true\n")
        + "  - key: viewer_trainee\n    inherits: [viewer]\n")
    assert {k for k, r in roles.items() if r.audit} == {"admin", "viewer"}


def test_a_pack_keeps_the_base_roles_audit_flag_and_may_set_it(tmp_path: Path) -> None:
    roles = _spec(tmp_path, "demo", roles=ROLES.replace(
        "  - key: viewer\n", "  - key: viewer\n    audit: true\n"), pack_roles="""roles:
  - key: viewer
    grants:
      install_order: [list]
  - key: staff
    audit: true
""")
    assert roles["viewer"].audit and roles["staff"].audit
    assert not roles["supervisor"].audit  # inherits from staff, but audit is not inherited


def test_the_shipped_auditor_role_has_audit_in_every_pack() -> None:
    from tests.support.app import CONFIG, PACKS

    for pack in PACKS:
        roles = {r.key: r for r in load_spec(str(CONFIG), pack).roles}
        assert {k for k, r in roles.items() if r.audit} == {"admin", "auditor"}, pack


def test_readonly_of_a_form_that_fails_to_build_is_still_checked(tmp_path: Path) -> None:
    """A broken field keeps its form from building; the roles' readonly entries naming that
    form's fields are checked all the same (from its YAML), in the same report. The broken
    field itself is declared, so naming it is not reported again."""
    cfg = make_config(tmp_path)
    form = cfg / "forms" / "complaint.yaml"
    text = form.read_text(encoding="utf-8")
    old = "  - key: batch_no\n    label: {zh: 生产批号, en: Batch number}\n"
    assert text.count(old) == 1
    form.write_text(text.replace(old, old + "    type: integer\n"), encoding="utf-8")
    roles = cfg / "roles.yaml"
    text = roles.read_text(encoding="utf-8")
    old = "      complaint: [list, show, add]\n"
    assert text.count(old) == 1
    roles.write_text(text.replace(
        old, old + "    readonly: {complaint: [batch_no, priorty], customer: [nmae]}\n"),
        encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_spec(str(cfg))
    assert [(p.code, os.path.relpath(p.file, cfg), p.line, p.column, p.path, p.message, p.hint)
            for p in raised.value.problems] == [
        ("PORTAL-E041", "forms/complaint.yaml", 18, 5, "fields[2].max_length",
         "'max_length' does not apply to an integer field",
         "'max_length' applies to: string, text, phone, email"),
        ("PORTAL-E041", "forms/complaint.yaml", 19, 5, "fields[2].pattern",
         "'pattern' does not apply to an integer field", "'pattern' applies to: string"),
        ("PORTAL-E031", "roles.yaml", 10, 38, "roles[1].readonly.complaint[1]",
         "unknown field 'priorty' of form complaint", "did you mean 'priority'?"),
        ("PORTAL-E031", "roles.yaml", 10, 59, "roles[1].readonly.customer[0]",
         "unknown field 'nmae' of form customer", "did you mean 'name'?"),
    ]
