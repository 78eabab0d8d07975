"""The quick search's matching (app/records/search.py): a number finds a record, a phone a
customer exactly, a name its record; within scope, masked, a few per form."""

from __future__ import annotations

import re

from flask import Flask

from app.portal import portal_of
from app.records.search import PER_FORM, clause, quick_search
from tests.support.factories import bulk_records, make_record


def names(app: Flask, text: str) -> dict[str, list[str]]:
    spec = portal_of(app).spec
    with app.app_context():  # no signed-in user: every record (as from the CLI)
        return {r.form.key: [h.name for h in r.hits] for r in quick_search(text, spec.forms)}


def test_a_phone_finds_its_customer_exactly(app: Flask) -> None:
    customer = portal_of(app).spec.form("customer")
    make_record(app, customer, name="王小姐", phone="15600001111")
    make_record(app, customer, name="王先生", phone="15600001112")
    assert names(app, "156-0000-1111") == {"customer": ["王小姐"]}
    assert names(app, "1560000111") == {}  # part of a number finds nothing


def test_a_name_or_searchable_text_finds_records_in_every_form(app: Flask) -> None:
    spec = portal_of(app).spec
    make_record(app, spec.form("customer"), name="娇韵诗蓓专柜", company="某公司")
    make_record(app, spec.form("complaint"), product_name="娇韵诗蓓面霜")
    found = names(app, "娇韵诗")
    assert sorted(found) == ["complaint", "customer"] and found["customer"] == ["娇韵诗蓓专柜"]
    [complaint] = found["complaint"]  # named by its title: number, customer, product
    assert re.fullmatch(r"TS-\d{8}-\d{4} \S+ 娇韵诗蓓面霜", complaint), complaint


def test_a_number_finds_the_record_with_that_id(app: Flask) -> None:
    record = make_record(app, portal_of(app).spec.form("complaint"), product_name="面膜")
    [name] = names(app, f"#{record.id}")["complaint"]
    assert name.startswith(f"{record.ticket_no} ") and name.endswith(" 面膜")


def test_matches_are_capped_per_form_newest_first(app: Flask) -> None:
    customer = portal_of(app).spec.form("customer")
    bulk_records(app, customer, PER_FORM + 3, name=lambda i: f"覃{i:02d}")
    with app.app_context():
        [found] = quick_search("覃", [customer])
    assert found.more and len(found.hits) == PER_FORM
    assert [h.name for h in found.hits] == [f"覃{i:02d}" for i in range(PER_FORM + 2, 2, -1)]


def test_a_hit_shows_masked_fields_to_a_role_without_reveal(app: Flask) -> None:
    from tests.support.app import login

    make_record(app, portal_of(app).spec.form("customer"), name="钱女士", phone="13912345678")
    client = app.test_client()
    login(client, "auditor")
    page = client.get("/search/?q=钱").get_data(as_text=True)
    assert "钱女士" in page and "139****5678" in page and "13912345678" not in page


def test_text_that_cannot_match_a_form_reads_nothing(app: Flask) -> None:
    """'#abc' is no number and names no record: no query at all."""
    spec = portal_of(app).spec
    model = portal_of(app).model("customer")
    with app.test_request_context():
        assert clause(model, spec.form("customer"), "#abc") is None
