"""Spec → SQLAlchemy classes: columns, system columns, exact money, caching per spec."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from app.config.load import load_spec
from app.db.tables import build_models
from app.portal import portal_of
from tests.support.app import CONFIG
from tests.support.factories import make_record


def test_one_table_per_form_with_system_columns() -> None:
    spec = load_spec(str(CONFIG))
    models = build_models(spec)
    assert set(models.metadata.tables) == {f"form_{f.key}" for f in spec.forms}
    table = models.metadata.tables["form_complaint"]
    for column in ("id", "version", "created_on", "changed_on", "created_by_fk",
                   "changed_by_fk", "customer_id", "recorded_by_id", "batch_no"):
        assert column in table.c
    assert not table.c.customer_id.nullable and table.c.expectation.nullable
    assert table.c.product_name.type.length == 100
    assert {fk.target_fullname for fk in table.foreign_keys} == {
        "form_customer.id", "ab_user.id", "portal_signature.id"}  # 记录人签名
    assert [i.name for i in table.indexes if "batch_no" in i.columns] == [
        "ix_form_complaint_batch_no"]


def test_classes_are_named_for_the_form() -> None:
    assert build_models(load_spec(str(CONFIG))).models["complaint"].__name__ == "Complaint"


def test_money_is_exact_and_version_counter_refuses_stale_writes(app) -> None:
    spec = portal_of(app).spec
    record = make_record(app, spec.form("compensation"), amount=Decimal("1234567.89"))
    model = portal_of(app).models.models["compensation"]
    with app.app_context():
        session = app.appbuilder.session
        row = session.get(model, record.id)
        assert row.amount == Decimal("1234567.89") and row.version == 1
        engine = session.get_bind()
        with engine.begin() as conn:  # another writer bumps the version underneath
            conn.execute(sa.text("UPDATE form_compensation SET version = version + 1 "
                                 "WHERE id = :id"), {"id": record.id})
        row.reason = "stale edit"
        with pytest.raises(StaleDataError):
            session.commit()
        session.rollback()
        assert session.get(model, record.id).reason != "stale edit"


def test_display_text_uses_the_display_field(app) -> None:
    spec = portal_of(app).spec
    record = make_record(app, spec.form("customer"), name="李女士")
    assert str(record) == "李女士"


def test_a_blanked_value_is_null_not_the_server_default(app) -> None:
    """A choice with a YAML default also has a server default; the ORM left None out of the
    INSERT, so a severity the user set to "—" was stored as 'normal' (found by
    tests/test_fuzz.py). Rows inserted without the column still get the default."""
    spec = portal_of(app).spec
    record = make_record(app, spec.form("complaint"), severity=None, priority="urgent")
    model = portal_of(app).models.models["complaint"]
    table = model.__table__
    with app.app_context():
        session = app.appbuilder.session
        assert session.get(model, record.id).severity is None
        row = {c.name: getattr(session.get(model, record.id), c.key) for c in table.c
               if c.name not in ("id", "severity", "priority", "ticket_no")}
        new_id = session.execute(table.insert().values(**row)).inserted_primary_key[0]
        session.commit()
        assert session.get(model, new_id).severity == "normal"


def test_a_form_may_reference_itself(make_app, tmp_path) -> None:
    """A complaint that follows up an earlier complaint: one record, not a list."""
    import shutil

    config = tmp_path / "config"
    shutil.copytree(CONFIG, config, ignore=shutil.ignore_patterns("industries"))
    path = config / "forms" / "complaint.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("\nfields:\n", (
        "\nfields:\n  - key: follows\n    label: {zh: 前次投诉, en: Earlier complaint}\n"
        "    type: reference\n    form: complaint\n"), 1), encoding="utf-8")
    app = make_app(config)
    form = portal_of(app).spec.form("complaint")
    first = make_record(app, form)
    second = make_record(app, form, follows=first.id)
    model = portal_of(app).models.models["complaint"]
    with app.app_context():
        stored = app.appbuilder.session.get(model, second.id)
        assert stored.follows.id == first.id
        assert app.appbuilder.session.get(model, first.id).follows is None
