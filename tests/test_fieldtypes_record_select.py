"""The reference and user select (app/fieldtypes/record_select.py): it renders the chosen
record only, and accepts a posted id only when its lookup would offer it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import Flask
from werkzeug.datastructures import MultiDict

from app.fieldtypes.record_select import RecordSelectField
from app.records.forms import RecordForm

RECORDS = {1: SimpleNamespace(id=1, name="王小姐"), 2: SimpleNamespace(id=2, name="李先生")}


def form_class(offered: set[int], required: bool = False) -> type:
    def fetch(pk: Any) -> Any:
        return RECORDS.get(int(pk)) if str(pk).isdigit() and int(pk) in offered else None

    field = RecordSelectField(label="客户", fetch=fetch, label_of=lambda r: r.name,
                              lookup=("complaint", "customer"), allow_blank=not required,
                              blank_text="—")
    return type("One", (RecordForm,), {"customer": field})


def test_it_renders_the_chosen_record_only_and_its_lookup_url(app: Flask) -> None:
    with app.test_request_context():
        form = form_class({1, 2})(obj=SimpleNamespace(customer=RECORDS[2]))
        html = str(form.customer())
    assert 'data-lookup="/lookup/complaint/customer"' in html
    assert 'class="portal-lookup form-control"' in html
    assert '<option value="__None">—</option>' in html
    assert '<option value="2" selected>李先生</option>' in html
    assert 'value="1"' not in html


def test_a_posted_id_it_would_not_offer_is_refused(app: Flask) -> None:
    with app.test_request_context():
        form = form_class({1})(formdata=MultiDict({"customer": "2"}))
        assert not form.validate()
        assert form.errors == {"customer": ["请从列表中选择一条记录。"]}
        accepted = form_class({1})(formdata=MultiDict({"customer": "1"}))
        assert accepted.validate()
        assert accepted.customer.data is RECORDS[1]


def test_the_stored_record_stays_acceptable_when_no_longer_offered(app: Flask) -> None:
    """Editing a record whose customer has left the user's scope keeps that customer."""
    with app.test_request_context():
        form = form_class(set())(formdata=MultiDict({"customer": "2"}),
                                 obj=SimpleNamespace(customer=RECORDS[2]))
        assert form.validate(), form.errors
        assert form.customer.data is RECORDS[2]


def test_blank_is_none_when_optional_and_refused_when_required(app: Flask) -> None:
    with app.test_request_context():
        for posted in ("", "__None"):
            form = form_class({1})(formdata=MultiDict({"customer": posted}))
            assert form.validate(), (posted, form.errors)
            assert form.customer.data is None
        required = form_class({1}, required=True)(formdata=MultiDict({"customer": ""}))
        assert not required.validate()
