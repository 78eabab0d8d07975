"""The typed portal state (app/portal.py): one build per spec, per-form facts shared by the
screens and the API."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from app.config.load import load_spec
from app.portal import build_portal, portal_of

CONFIG = Path(__file__).resolve().parent.parent / "config"


def test_the_same_spec_is_built_once() -> None:
    first = build_portal(load_spec(str(CONFIG)))
    second = build_portal(load_spec(str(CONFIG)))
    assert first is second
    assert first.model("complaint") is first.models.models["complaint"]


def test_sorting_leaves_out_what_would_leak_or_cannot_sort() -> None:
    """References, users and multiple choices do not sort; sensitive fields would reveal
    their order; the workflow's state and deadlines do."""
    portal = build_portal(load_spec(str(CONFIG)))
    complaint = portal.form("complaint")
    spec = complaint.spec
    assert set(complaint.order_columns) <= set(spec.order_columns)
    for key in set(spec.order_columns) - set(complaint.order_columns):
        field = spec.field(key)
        assert field.stores_id or field.type == "multi_choice" or field.sensitive, key
    assert "state" in complaint.workflow_columns
    assert complaint.base_order == ("created_on", "desc")


def test_referrers_name_every_reference_field_pointing_at_a_form() -> None:
    portal = build_portal(load_spec(str(CONFIG)))
    expected = sorted((other.key, f.column) for other in portal.spec.forms
                      for f in other.fields if f.type == "reference" and f.form == "customer")
    assert expected  # the complaint refers to its customer
    assert sorted((r.form.key, r.column) for r in portal.form("customer").referrers) == expected


def test_the_app_serves_the_portal_of_its_spec(app: Flask) -> None:
    portal = portal_of(app)
    assert portal is build_portal(portal.spec)
    views = {type(v).__name__: v for v in app.appbuilder.baseviews}
    assert views["ComplaintView"].order_columns == list(portal.form("complaint").order_columns)
    assert views["ComplaintFormApi"].order_columns == list(
        portal.form("complaint").order_columns)
