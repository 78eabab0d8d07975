"""Every write is audited where it happens: in the database session.

One `after_flush` listener on SQLAlchemy's Session sees each insert, update and delete of a
mapped object, whichever path made it (screens, REST API, CLI, import, FAB's user and role
screens, role sync, future features), and appends a create / update / delete event with the
values or the field-by-field changes, in the same transaction as the write: a rolled-back
change leaves no event, and a committed one always has its event. ORM bulk statements
(`session.execute(update(Model)…)`, `query.update()` / `.delete()`) are caught by
`do_orm_execute`: the affected rows are read before and after, and each gets its event.

Form records are described by field keys (so the audit screens can mask `sensitive` ones);
the portal's own tables (users, roles, teams) by attribute names, under their table name.
Passwords, tokens and login counters are never recorded: a password change shows as
"<redacted>". Writes through a raw connection are the migrations' (logged as `migration`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import ORMExecuteState, Session

from app.audit import log as audit

# The audit log itself and bookkeeping that other events already describe.
NOT_AUDITED = frozenset({
    "portal_audit_event", "portal_audit_head", "portal_session", "portal_schema_form",
    "portal_schema_field", "portal_schema_migration", "ab_register_user",
    "portal_workflow_event",  # a transition is audited as one "transition" event
    "portal_alert",  # a raised alert is audited as one "alert" event
    # an import is audited as one "import" event with its file's name and hash
    "portal_job", "portal_job_file", "portal_job_problem",
    "portal_file_chunk",  # an uploaded file's bytes: its portal_file row is audited
    # the record of who was told what (app/notify): reading one is no audit matter; a
    # user's own notification settings (e-mail on or off, language) keep their changed_at
    "portal_notification", "portal_notification_pref",
})
# Columns that are bookkeeping (who/when/version: the event row says so) or secrets.
SKIPPED = frozenset({
    "id", "version", "created_on", "changed_on", "created_by_fk", "changed_by_fk",
    "last_login", "login_count", "fail_login_count",
    "png",  # a signature's image (portal_signature): its sha256 is recorded instead
})
REDACTED = frozenset({"password", "token", "token_hash", "secret", "api_key"})
HIDDEN = "<redacted>"


# Inside `grouped()`: the writes are counted here instead of each getting an event.
_GROUP: ContextVar[list[tuple[str, str]] | None] = ContextVar("portal_audit_group",
                                                              default=None)


@contextmanager
def grouped() -> Iterator[list[tuple[str, str]]]:
    """Count the block's writes, (action, table) each, instead of an event per row: a role
    sync's hundreds of permission rows become the one event its caller records."""
    writes: list[tuple[str, str]] = []
    token = _GROUP.set(writes)
    try:
        yield writes
    finally:
        _GROUP.reset(token)


def _record(session: Session, action: str, form: str, record_id: Any,
            details: dict) -> None:
    group = _GROUP.get()
    if group is not None:
        group.append((action, form))
        return
    audit.record(session, action, form=form, record_id=record_id, details=details)


def _active() -> bool:
    """Inside the portal (an app context of it) with auditing on; a bare SQLAlchemy session
    of some script or unit test has no audit log to write to."""
    return (has_app_context() and "portal" in current_app.extensions
            and audit.enabled())


def _table(obj_or_mapper: Any) -> str | None:
    mapper = getattr(obj_or_mapper, "mapper", None) or sa_inspect(obj_or_mapper).mapper
    table = getattr(mapper, "local_table", None)
    name = getattr(table, "name", None)
    return None if name in NOT_AUDITED else name


def _columns(mapper: Any) -> list[tuple[str, str]]:
    """(attribute key, name in the event) for the columns worth recording."""
    form = getattr(mapper.class_, "__form__", None)
    if form is not None:
        return [(f.column, f.key) for f in form.fields]
    return [(attr.key, attr.key) for attr in mapper.column_attrs if attr.key not in SKIPPED]


def _collections(mapper: Any) -> list[str]:
    """Many-to-many collections (a user's roles, a role's permissions, a team's members)."""
    return [r.key for r in mapper.relationships if r.secondary is not None]


def _value(name: str, value: Any) -> Any:
    if name in REDACTED:
        return HIDDEN
    if isinstance(value, (list, tuple, set, frozenset)):
        return sorted(_name(v) for v in value)
    return value


def _name(obj: Any) -> str:
    """A related object as people know it: a user by user name, anything else by str()."""
    return str(getattr(obj, "username", None) or obj)


def _event_key(mapper: Any) -> str:
    form = getattr(mapper.class_, "__form__", None)
    return form.key if form is not None else mapper.local_table.name


def _values(obj: Any) -> dict[str, Any]:
    state = sa_inspect(obj)
    out = {name: _value(name, state.dict[key]) for key, name in _columns(state.mapper)
           if key in state.dict}
    for key in _collections(state.mapper):
        if key in state.dict:
            out[key] = _value(key, state.dict[key])
    return out


def _changes(obj: Any) -> dict[str, Any]:
    state = sa_inspect(obj)
    out: dict[str, Any] = {}
    for key, name in _columns(state.mapper):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old != new:
            out[name] = [HIDDEN, HIDDEN] if name in REDACTED else [old, new]
    for key in _collections(state.mapper):
        history = state.attrs[key].history
        added = [_name(v) for v in history.added]
        removed = [_name(v) for v in history.deleted]
        if set(added) != set(removed):
            out[key] = {"added": sorted(set(added) - set(removed)),
                        "removed": sorted(set(removed) - set(added))}
    return out


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    """Runs inside the flush's transaction, after the rows are written (new ids known) and
    before the session forgets what changed."""
    if not _active():
        return
    events: list[tuple[str, Any, dict]] = []
    for obj in session.new:
        if _table(obj):
            events.append(("create", obj, {"values": _values(obj)}))
    for obj in session.dirty:
        if _table(obj) and session.is_modified(obj):
            changes = _changes(obj)
            if changes:
                events.append(("update", obj, {"changes": changes}))
    for obj in session.deleted:
        if _table(obj):
            events.append(("delete", obj, {"values": _values(obj)}))
    batch = []
    for action, obj, details in sorted(events, key=_order):
        state = sa_inspect(obj)
        key = state.identity[0] if state.identity else getattr(obj, "id", None)
        batch.append((action, _event_key(state.mapper), key, details))
    group = _GROUP.get()
    if group is not None:
        group.extend((action, form) for action, form, _key, _details in batch)
    else:  # one flush's events in one append: an import's batch of rows is one statement
        audit.record_many(session, batch)


def _order(item: tuple[str, Any, dict]) -> tuple:
    """A deterministic order inside one flush: by table, then id."""
    state = sa_inspect(item[1])
    ident = state.identity[0] if state.identity else 0
    return (state.mapper.local_table.name, str(ident), item[0])


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> Any:
    """ORM bulk UPDATE / DELETE: one event per affected row, with its changes or values."""
    if not (state.is_update or state.is_delete) or not _active():
        return None
    mapper = state.bind_mapper
    if mapper is None or not _table(mapper):
        return None
    table = mapper.local_table
    where = state.statement.whereclause  # type: ignore[attr-defined]
    query = select(table) if where is None else select(table).where(where)
    conn = state.session.connection()
    columns = _columns(mapper)
    before = {row.id: row._mapping for row in conn.execute(query)}
    result = state.invoke_statement()
    key = _event_key(mapper)
    if state.is_delete:
        for pk, row in sorted(before.items()):
            values = {name: _value(name, row[table.c[k].name]) for k, name in columns
                      if k in table.c}
            _record(state.session, "delete", key, pk, {"values": values, "bulk": True})
        return result
    after = {row.id: row._mapping for row in conn.execute(
        select(table).where(table.c.id.in_(list(before))))} if before else {}
    for pk, row in sorted(before.items()):
        new = after.get(pk)
        if new is None:
            continue
        changes = {name: ([HIDDEN, HIDDEN] if name in REDACTED else
                          [row[table.c[k].name], new[table.c[k].name]])
                   for k, name in columns if k in table.c
                   and row[table.c[k].name] != new[table.c[k].name]}
        if changes:
            _record(state.session, "update", key, pk, {"changes": changes, "bulk": True})
    return result
