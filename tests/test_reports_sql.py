"""Conditions and computed values compiled to SQL mean what they mean on a record page: over
records with empty, equal and differing values, the rows a compiled condition selects are
exactly those the workflow evaluator accepts, and a computed value in SQL equals the
record's own (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from sqlalchemy import select

from app.config import dashboard_expr, expressions
from app.db.computed import record_values
from app.portal import portal_of
from app.reports.sql import Compiler

NOW = dt.datetime(2026, 12, 9, 10, 0)
CONDITIONS = [
    "category == 'quality'", "category != 'quality'", "category == null",
    "category != null", "category in ['quality', 'misuse']",
    "category not in ['quality']", "severity == 'serious' and category == 'misuse'",
    "severity == 'serious' or not satisfied",
    "satisfied", "not satisfied", "satisfied == false", "satisfied != true",
    "production_date < '2026-06-01'", "production_date >= '2026-06-01'",
    "occurred_at < created_on", "sla_resolved_on != null and sla_resolved_on <= "
    "sla_resolution_due", "not (sla_resolved_on <= sla_resolution_due)",
    "batch_no == ''", "batch_no != ''", "product_name == 'A'",
    "state in ['resolved', 'closed']", "sla_resolution_due < now",
]


@pytest.fixture(scope="module")
def records(make_app: Any) -> Any:
    app = make_app()
    portal = portal_of(app)
    table = portal.models.metadata.tables["form_complaint"]
    values = itertools.product(
        (None, "quality", "misuse"), (None, True, False),
        (None, dt.date(2026, 1, 5), dt.date(2026, 9, 5)),
        (None, NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=1)))
    with app.app_context():
        session = app.appbuilder.session
        customer = session.execute(portal.models.metadata.tables["form_customer"].insert()
                                   .values(version=1, name="甲", phone="13800000000",
                                           created_on=NOW, changed_on=NOW).returning(
            portal.models.metadata.tables["form_customer"].c.id)).scalar_one()
        rows = []
        for i, (category, satisfied, made, resolved) in enumerate(values):
            rows.append({
                "version": 1, "ticket_no": f"SQL-{i}", "customer_id": customer,
                "channel": "phone", "category": category, "product_name": "A" if i % 2 else "B",
                "batch_no": None if i % 3 == 0 else ("" if i % 3 == 1 else "X1"),
                "production_date": made, "occurred_at": NOW - dt.timedelta(hours=i),
                "description": "d", "recorded_by_id": 1, "severity": ("serious", None)[i % 2],
                "satisfied": satisfied, "state": ("resolved", "registered", "closed")[i % 3],
                "created_on": NOW - dt.timedelta(hours=i % 5), "changed_on": NOW,
                "sla_resolved_on": resolved,
                "sla_resolution_due": NOW + dt.timedelta(hours=(-3, 0, 3)[i % 3])})
        session.execute(table.insert(), rows)
        session.commit()
    return app


@pytest.mark.parametrize("text", CONDITIONS)
def test_a_compiled_condition_selects_what_the_evaluator_accepts(records, text):
    app = records
    portal = portal_of(app)
    form = portal.spec.form("complaint")
    model = portal.model("complaint")
    with app.app_context():
        session = app.appbuilder.session
        compiler = Compiler(portal, form, session.get_bind().dialect.name, NOW)
        tree = dashboard_expr.parse(text)
        chosen = set(session.execute(select(model.id).where(compiler.truth(tree.tree)))
                     .scalars())
        rows = session.execute(select(model)).scalars().all()
        facts = expressions.UserFacts(id=None)
        wanted = {r.id for r in rows if expressions.evaluate(
            expressions.parse(text.replace("now", "'2026-12-09 10:00'")),
            record_values(form, r), facts)}
    assert chosen == wanted
    assert 0 < len(wanted) < len(rows) or text in ("satisfied == false",)


def test_a_computed_value_in_sql_equals_the_records_own(make_app):
    app = make_app()
    portal = portal_of(app)
    model = portal.model("compensation")
    from tests.support.factories import make_record

    for amount in ("0", "500", "500.01", "5000", "8000"):
        make_record(app, portal.spec.form("compensation"), amount=amount)
    with app.app_context():
        session = app.appbuilder.session
        compiler = Compiler(portal, portal.spec.form("compensation"),
                            session.get_bind().dialect.name, NOW)
        pairs = session.execute(select(model, compiler.column("approval_level"))).all()
        assert [(r.approval_level, sql) for r, sql in pairs] == [
            (r.approval_level, r.approval_level) for r, _ in pairs]
        assert [sql for _, sql in pairs] == ["supervisor", "supervisor", "manager", "manager",
                                             "two_managers"]
