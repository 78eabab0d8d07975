"""Quality alerts (质量预警): a rule of config/alerts/ counts a form's records per group (a
batch, a product, a handler) within a rolling window, in the database; a group reaching the
threshold raises one alert per window (per day without a window), recorded in the audit log
and shown in the 我的待办 of the rule's roles until its window has passed.

Checked by `flask portal alerts run` (cron) and after each create of a record of a rule's
form, for that record's group only, in the transaction that creates it."""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import DateTime, Integer, String, and_, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.audit import log as audit
from app.portal import Portal
from app.reports.sql import Compiler, name_type
from app.spec import AlertSpec

UNSET = object()


class Alert(Model):
    """One raised alert: which rule, which group, how many records in which window."""

    __tablename__ = "portal_alert"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(100))
    form: Mapped[str] = mapped_column(String(100))
    group_key: Mapped[str] = mapped_column(String(300))
    count: Mapped[int] = mapped_column(Integer)
    # None: every record as it stood (a rule without a window)
    window_start: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    window_end: Mapped[dt.datetime] = mapped_column(DateTime)
    raised_on: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


@dataclass(frozen=True)
class Hit:
    """A group that meets a rule now: its key, its count and the previous window's."""

    key: Any
    count: int
    previous: int = 0


def window_of(rule: AlertSpec, now: dt.datetime) -> tuple[dt.datetime | None, dt.datetime]:
    return (None if rule.window is None else now - dt.timedelta(seconds=rule.window)), now


def quiet_since(rule: AlertSpec, now: dt.datetime) -> dt.datetime:
    """An alert raised after this moment still covers its group: no second one."""
    if rule.window is None:
        return dt.datetime.combine(now.date(), dt.time())
    return now - dt.timedelta(seconds=rule.window)


def _counts(session: Session, portal: Portal, rule: AlertSpec, start: dt.datetime | None,
            end: dt.datetime, key: Any = UNSET) -> dict[Any, int]:
    compiler = Compiler(portal, portal.spec.form(rule.form), session.get_bind().dialect.name,
                        end)
    group = compiler.column(rule.group_by)
    conditions = [group.is_not(None)]
    if rule.where is not None:
        conditions.append(compiler.truth(rule.where.tree))
    if start is not None:
        date = compiler.column(rule.date)
        if name_type(compiler, rule.date) == "date":
            conditions += [date >= start.date(), date <= end.date()]
        else:
            conditions += [date > start, date <= end]
    if key is not UNSET:
        conditions.append(group == key)
    stmt = select(group, func.count()).select_from(compiler.model).where(*conditions) \
        .group_by(group)
    return {k: int(n) for k, n in session.execute(stmt).all()}


def hits(session: Session, portal: Portal, rule: AlertSpec, now: dt.datetime,
         key: Any = UNSET) -> list[Hit]:
    """The groups meeting the rule now (all, or only `key`'s)."""
    start, end = window_of(rule, now)
    found = {k: n for k, n in _counts(session, portal, rule, start, end, key).items()
             if n >= rule.threshold}
    if rule.growth is None or not found or start is None:
        return [Hit(k, n) for k, n in found.items()]
    before = _counts(session, portal, rule, start - (end - start), start, key)
    return [Hit(k, n, before.get(k, 0)) for k, n in found.items()
            if before.get(k, 0) and n >= rule.growth * before[k]]


def _lock(session: Session, rule: AlertSpec, key: str) -> None:
    """PostgreSQL: one raiser per (rule, group) at a time (SQLite serialises writers)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                        {"k": zlib.crc32(f"alert:{rule.key}:{key}".encode())})


def raise_alerts(session: Session, portal: Portal, rule: AlertSpec, now: dt.datetime,
                 key: Any = UNSET) -> list[Alert]:
    """Record an alert for each group meeting the rule that none covers yet (in the
    caller's transaction, with its audit event)."""
    out = []
    for hit in hits(session, portal, rule, now, key):
        group = str(hit.key)
        _lock(session, rule, group)
        covered: Any = session.execute(select(Alert.id).where(
            Alert.rule == rule.key, Alert.group_key == group,
            Alert.raised_on > quiet_since(rule, now)).limit(1)).first()
        if covered:
            continue
        start, end = window_of(rule, now)
        alert = Alert(rule=rule.key, form=rule.form, group_key=group, count=hit.count,
                      window_start=start, window_end=end, raised_on=now)
        session.add(alert)
        session.flush()
        audit.record(session, "alert", form=rule.form, record_id=alert.id, details={
            "rule": rule.key, "group": group, "count": hit.count,
            **({"previous": hit.previous} if rule.growth else {})})
        out.append(alert)
    return out


def open_alerts(session: Session, portal: Portal, roles: set[str], admin: bool,
                now: dt.datetime) -> list[tuple[AlertSpec, Alert]]:
    """The alerts still within their window of the rules naming one of `roles`."""
    rules = [r for r in portal.spec.alerts if admin or roles & set(r.roles)]
    out: list[tuple[AlertSpec, Alert]] = []
    for rule in rules:
        rows = session.execute(select(Alert).where(
            Alert.rule == rule.key, Alert.raised_on > quiet_since(rule, now))
            .order_by(Alert.raised_on.desc())).scalars().all()
        out += [(rule, a) for a in rows]
    return out


def alert_records(portal: Portal, rule: AlertSpec, alert: Alert, dialect: str) -> Any:
    """SQL: the records the alert counted (its group, within its window)."""
    compiler = Compiler(portal, portal.spec.form(rule.form), dialect, alert.window_end)
    group = compiler.column(rule.group_by)
    conditions = [group == group_value(portal, rule, alert.group_key)]
    if rule.where is not None:
        conditions.append(compiler.truth(rule.where.tree))
    if alert.window_start is not None:
        date = compiler.column(rule.date)
        conditions += [date > alert.window_start, date <= alert.window_end]
    return and_(*conditions)


def group_value(portal: Portal, rule: AlertSpec, key: str) -> Any:
    """The stored group key as its column's value (ids and numbers are not text)."""
    form = portal.spec.form(rule.form)
    field = next((f for f in form.fields if f.key == rule.group_by), None)
    if field is not None and (field.stores_id or field.type in ("integer", "rating")):
        return int(key) if key.lstrip("-").isdigit() else None
    return key

