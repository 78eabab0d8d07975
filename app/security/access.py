"""Who may see which records and fields: row scopes, sensitive-field masking, read-only fields.

Computed once per request from the signed-in user's roles and the spec (roles.yaml), and
applied by every screen, export and API through `ScopeFilter` (a FAB base filter) and `mask`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g, has_request_context
from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import false, or_

from app.db.users import request_user
from app.portal import portal_of
from app.security.teams import teammate_ids
from app.spec import FormSpec, PortalSpec

SCOPE_RANK = {"own": 0, "team": 1, "all": 2}


@dataclass(frozen=True)
class Access:
    """What one user may do, across all their roles."""

    user_id: int | None
    admin: bool = False
    scopes: dict[str, str] = field(default_factory=dict)  # form → widest scope
    reveal: frozenset[str] = frozenset()  # 'form.field'
    readonly: dict[str, frozenset[str]] = field(default_factory=dict)  # form → fields

    def scope(self, form: str) -> str:
        return "all" if self.admin else self.scopes.get(form, "own")

    def can_reveal(self, form: str, field_key: str) -> bool:
        return self.admin or f"{form}.{field_key}" in self.reveal

    def readonly_fields(self, form: str) -> frozenset[str]:
        return frozenset() if self.admin else self.readonly.get(form, frozenset())


def access_for(user: Any, spec: PortalSpec) -> Access:
    """Combine the user's roles: the widest scope and every reveal right win; a field is
    read-only only when every role that may edit the form makes it read-only."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Access(user_id=None)
    names = {r.name for r in getattr(user, "roles", []) or []}
    roles = [r for r in spec.roles if r.key in names]
    if any(r.admin for r in roles):
        return Access(user_id=user.id, admin=True)
    scopes: dict[str, str] = {}
    readonly: dict[str, frozenset[str]] = {}
    for role in roles:
        for form, scope in role.scopes.items():
            if form not in scopes or SCOPE_RANK[scope] > SCOPE_RANK[scopes[form]]:
                scopes[form] = scope
        for form, actions in role.grants.items():
            if "edit" in actions:
                mine = frozenset(role.readonly.get(form, ()))
                readonly[form] = readonly[form] & mine if form in readonly else mine
    return Access(user_id=user.id, scopes=scopes,
                  reveal=frozenset(ref for r in roles for ref in r.reveal),
                  readonly={f: keys for f, keys in readonly.items() if keys})


def current_access() -> Access:
    """The request's Access, computed once per request."""
    if not has_request_context():
        return Access(user_id=None, admin=True)  # CLI and start-up: no user to restrict
    cached = g.get("portal_access")
    user = request_user()
    if cached is None or cached.user_id != getattr(user, "id", None):
        cached = access_for(user, portal_of().spec)
        g.portal_access = cached
    return cached


def scope_clause(model: Any, form: FormSpec, access: Access) -> Any:
    """SQL condition for the records of `form` the user may reach (None: all of them)."""
    scope = access.scope(form.key)
    if scope == "all":
        return None
    if access.user_id is None:
        return false()
    if scope == "own":
        users = [access.user_id]
    else:
        users = teammate_ids(current_app.extensions["appbuilder"].session, access.user_id)
    return members_clause(model, form, users)


def members_clause(model: Any, form: FormSpec, users: list[int]) -> Any:
    """SQL: records created by, or assigned to, one of `users` (a team's, for reports)."""
    if not users:
        return false()
    columns = [model.created_by_fk] + [getattr(model, f.column) for f in form.fields
                                       if f.assignee]
    return or_(*[c.in_(users) if len(users) > 1 else c == users[0] for c in columns])


class ScopeFilter(BaseFilter):
    """FAB base filter: rows outside the user's scope do not exist for list, show, edit,
    delete, export and the REST API alike (FAB answers 404 for them)."""

    name = "row scope"
    arg_name = "scope"

    def apply(self, query: Any, value: Any) -> Any:
        clause = scope_clause(self.model, value, current_access())
        return query if clause is None else query.filter(clause)
