"""Who a rule tells about one event: the record's assignee, creator or requester, the users
holding the awaited approval's role, and the holders of the rule's roles — active users only,
never the user whose action caused the event, each once, and only those who may open the
record (the form's `show` grant and the record within their row scope): a notification
quotes the record, so it never reaches someone the record's page would answer 404."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from flask_appbuilder.security.sqla.models import Role, User, assoc_user_role
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.security.access import access_for
from app.security.teams import teammate_ids
from app.spec import FormSpec, NotificationSpec, PortalSpec


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    email: str


def _field_id(form: FormSpec, record: Any, key: str | None) -> int | None:
    if not key:
        return None
    value = getattr(record, form.field(key).column, None)
    return int(value) if value is not None else None


def user_ids(rule: NotificationSpec, form: FormSpec, record: Any,
             details: dict[str, Any]) -> tuple[list[int], list[str]]:
    """(user ids named by the record, role keys whose holders are told)."""
    ids: list[int | None] = []
    roles = list(rule.roles)
    for name in rule.recipients:
        if name == "assignee":
            ids.extend(_field_id(form, record, f.key) for f in form.fields if f.assignee)
        elif name == "creator":
            ids.append(getattr(record, "created_by_fk", None))
        elif name == "requester" and form.workflow is not None:
            ids.append(_field_id(form, record, form.workflow.requester))
        elif name == "approvers":
            roles.extend(details.get("approver_roles") or ())
    return [i for i in ids if i is not None], roles


def may_open(session: Session, spec: PortalSpec, form: FormSpec, record: Any, user_id: int,
             roles: set[str]) -> bool:
    """The user (holding `roles`) may see the record: as its page decides (access_for)."""
    held = [r for r in spec.roles if r.key in roles]
    if any(r.admin for r in held):
        return True
    if not any("show" in r.grants.get(form.key, ()) for r in held):
        return False
    user = SimpleNamespace(id=user_id, is_authenticated=True,
                           roles=[SimpleNamespace(name=name) for name in roles])
    scope = access_for(user, spec).scope(form.key)
    if scope == "all":
        return True
    members = {getattr(record, "created_by_fk", None)} | {
        getattr(record, f.column, None) for f in form.fields if f.assignee}
    users = {user_id} if scope == "own" else set(teammate_ids(session, user_id))
    return bool(members & users)


def role_names(session: Session, ids: list[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {i: set() for i in ids}
    if ids:
        rows = session.execute(select(assoc_user_role.c.user_id, Role.name).join(
            Role, Role.id == assoc_user_role.c.role_id).where(
            assoc_user_role.c.user_id.in_(sorted(ids))))
        for user_id, name in rows:
            out[user_id].add(name)
    return out


def people(session: Session, ids: list[int], roles: list[str], actor: str | None,
           reach: tuple[PortalSpec, FormSpec, Any] | None = None) -> list[Person]:
    """The active users among `ids` and the direct holders of `roles`, by id, without the
    actor (a username); with `reach` (spec, form, record), only those who may open it."""
    query = select(User.id, User.username, User.email).where(User.active.is_(True))
    found: dict[int, Person] = {}
    if ids:
        for row in session.execute(query.where(User.id.in_(sorted(set(ids))))):
            found[row.id] = Person(row.id, row.username, row.email or "")
    if roles:
        held = query.join(assoc_user_role, assoc_user_role.c.user_id == User.id).join(
            Role, Role.id == assoc_user_role.c.role_id).where(Role.name.in_(sorted(set(roles))))
        for row in session.execute(held):
            found[row.id] = Person(row.id, row.username, row.email or "")
    told = [p for _, p in sorted(found.items()) if not actor or p.username != actor]
    if reach is None:
        return told
    spec, form, record = reach
    names = role_names(session, [p.id for p in told])
    return [p for p in told if may_open(session, spec, form, record, p.id, names[p.id])]


def full_name(session: Session, username: str) -> str:
    """A user's full name as pages show it (the username when it has none)."""
    row = session.execute(select(User.first_name, User.last_name).where(
        User.username == username)).first()
    name = f"{row.first_name or ''} {row.last_name or ''}".strip() if row else ""
    return name or username
