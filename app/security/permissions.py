"""roles.yaml → FAB roles and permissions, synced idempotently and exactly.

A role ends up with exactly the permissions its grants imply: missing ones are added, any
other is removed (including ones granted by hand in the UI). Roles not declared in YAML are
left alone and reported, except the public role, which is kept empty.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from app.audit import log as audit
from app.audit.capture import grouped
from app.portal import portal_of
from app.spec import DashboardSpec, PortalSpec, RoleSpec

ACTION_PERMISSION = {a: f"can_{a}" for a in ("list", "show", "add", "edit", "delete",
                                              "export", "import")}
# What every signed-in user needs for their own account (FAB's AUTH_DB views).
SELF_SERVICE = (
    ("can_userinfo", "UserDBModelView"),
    ("resetmypassword", "UserDBModelView"),
    ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"),
    ("userinfoedit", "UserDBModelView"),
    ("can_this_form_get", "UserInfoEditView"),
    ("can_this_form_post", "UserInfoEditView"),
    ("can_get", "MenuApi"),
    ("can_list", "MyWorkView"),  # 我的待办 (app/views/mywork.py): what waits for them
    ("menu_access", "my_work"),
    ("can_list", "NotificationView"),  # 我的通知 and 通知设置 (app/views/notifications.py)
)

# What `audit: true` grants: the audit screens (app/views/audit.py) and the 审计 menu.
AUDIT_VIEW = "AuditEventView"
AUDIT_MENU = "Audit"  # capitalised like "Security": no YAML category key can take it
AUDIT_PAIRS = (
    ("can_list", AUDIT_VIEW),  # the log, a record's history, a user's activity
    ("can_show", AUDIT_VIEW),
    ("can_export", AUDIT_VIEW),
    ("can_verify", AUDIT_VIEW),
    ("menu_access", "audit_log"),
    ("menu_access", "audit_verify"),
    ("menu_access", AUDIT_MENU),
)


# Dashboards (app/views/dashboards.py): the page's view, the 看板 menu, one item per dashboard.
DASHBOARD_VIEW = "DashboardView"
DASHBOARD_MENU = "Dashboards"
REPORT_VIEW = "ReportView"  # 周报 / 月报 of the dashboards a role sees

MAX_LINES = 200  # report lines kept in the sync's audit event


@dataclass
class SyncReport:
    changes: list[str] = field(default_factory=list)
    untouched_roles: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = list(self.changes) or [
            "roles and permissions already match roles.yaml; nothing changed"]
        if self.untouched_roles:
            out.append("roles not in roles.yaml, left unchanged: " +
                       ", ".join(self.untouched_roles))
        return out


def desired_pairs(role: RoleSpec, spec: PortalSpec) -> set[tuple[str, str]]:
    """(permission, view or menu) pairs a non-admin role must have."""
    pairs = set(SELF_SERVICE)
    for form_key, actions in role.grants.items():
        form = spec.form(form_key)
        pairs.update((ACTION_PERMISSION[a], form.view_name) for a in actions)
        if "list" in actions:
            pairs.add(("menu_access", form.key))
            pairs.add(("menu_access", form.category))
    if role.audit:
        pairs.update(AUDIT_PAIRS)
    for board in spec.dashboards:
        if sees_dashboard(role, board):
            pairs.update({("can_show", DASHBOARD_VIEW), ("can_show", REPORT_VIEW),
                          ("menu_access", DASHBOARD_MENU),
                          ("menu_access", f"dashboard_{board.key}")})
    return pairs


def sees_dashboard(role: RoleSpec, board: DashboardSpec) -> bool:
    """The dashboard's roles, roles inheriting one, or (none named) every role that may
    list one of the forms it counts."""
    if board.roles:
        return bool({role.key, *role.ancestors} & set(board.roles))
    return any("list" in role.grants.get(w.form, ()) for w in board.widgets)


@contextmanager
def one_transaction(session: Any) -> Iterator[None]:
    """FAB's security manager commits after every permission it adds (~250 commits for the
    shipped config): inside this block its commits only flush, and the caller commits once,
    so a sync applies whole or not at all and costs one fsync instead of hundreds."""
    session.commit = session.flush  # FAB calls appbuilder.session.commit()
    try:
        yield
    except BaseException:
        del session.commit
        session.rollback()
        raise
    del session.commit


def sync_roles(app: Flask) -> SyncReport:
    """Make the database's roles match roles.yaml. Running it twice changes nothing."""
    with app.app_context():
        appbuilder = current_app.extensions["appbuilder"]
        session = appbuilder.session
        with one_transaction(session), grouped() as writes:
            report = _sync(appbuilder)
        if writes:  # one event for the whole sync, not one per permission row
            counts = Counter(f"{table} {action}" for action, table in writes)
            audit.record(session, "role_sync", details={
                "rows": len(writes), "tables": dict(sorted(counts.items())),
                "lines": report.lines()[:MAX_LINES]})
        session.commit()
        return report


def _sync(appbuilder: Any) -> SyncReport:
    """The sync itself, inside one transaction (see sync_roles)."""
    sm = appbuilder.sm
    session = sm.session
    spec: PortalSpec = portal_of().spec
    report = SyncReport()
    for name in [r.key for r in spec.roles] + [sm.auth_role_public]:
        if sm.find_role(name) is None:
            _add_role(sm, name, report)
    session.flush()  # FAB grants each new permission to the admin role as it adds it
    granted = {(role.name, pv.permission.name, pv.view_menu.name)
               for role in sm.get_all_roles() for pv in role.permissions
               if pv.permission and pv.view_menu}
    appbuilder.add_permissions(update_perms=True)
    appbuilder.security_cleanup()
    all_pvs = session.query(sm.permissionview_model).all()
    by_pair = {(pv.permission.name, pv.view_menu.name): pv for pv in all_pvs
               if pv.permission and pv.view_menu}
    # FAB's cleanup deletes the permissions of screens no longer registered, silently.
    report.changes.extend(f"role {role}: - {permission} on {view} (no such screen)"
                          for role, permission, view in sorted(granted)
                          if (permission, view) not in by_pair)
    declared = {r.key for r in spec.roles} | {sm.auth_role_public}
    for role_spec in spec.roles:
        role = sm.find_role(role_spec.key)
        if role_spec.admin:
            wanted = set(by_pair.values())
        else:
            pairs = desired_pairs(role_spec, spec)
            missing = sorted(pairs - set(by_pair))
            if missing:  # a view the code did not register: a bug, not a config error
                raise RuntimeError(f"unknown permissions for {role_spec.key}: {missing}")
            wanted = {by_pair[p] for p in pairs}
        _converge(role, wanted, report)
    _converge(sm.find_role(sm.auth_role_public), set(), report)
    report.untouched_roles = sorted(r.name for r in sm.get_all_roles()
                                    if r.name not in declared)
    return report


def _add_role(sm: Any, name: str, report: SyncReport) -> Any:
    role = sm.role_model(name=name)
    sm.session.add(role)
    sm.session.flush()
    report.changes.append(f"role {name}: created")
    return role


def _converge(role: Any, wanted: set, report: SyncReport) -> None:
    current = set(role.permissions)
    for pv in sorted(wanted - current, key=str):
        role.permissions.append(pv)
        report.changes.append(f"role {role.name}: + {pv.permission.name} on {pv.view_menu.name}")
    for pv in sorted(current - wanted, key=str):
        role.permissions.remove(pv)
        report.changes.append(f"role {role.name}: - {pv.permission.name} on {pv.view_menu.name}")
