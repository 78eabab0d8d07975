"""Record titles (app/db/titles.py): the form's `title` in the request's language, parts as
people read them, empty parts left out with the text before them, references by their own
title one level deep, and lists that read what titles name in one query per page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask
from flask_babel import force_locale

from app.portal import portal_of
from app.spec import Label, use_language
from tests.support.app import login
from tests.support.factories import make_record
from tests.support.statements import statements_of


def _complaint(app: Flask, **values: object):  # noqa: ANN202 - a generated class
    spec = portal_of(app).spec
    customer = make_record(app, spec.form("customer"), name="林女士")
    return make_record(app, spec.form("complaint"), customer=customer.id,
                       product_name="玻尿酸面霜", **values)


def _loaded(app: Flask, form: str, pk: int):  # noqa: ANN202 - inside an app context
    return app.appbuilder.session.get(portal_of(app).model(form), pk)


def test_a_complaint_is_named_by_its_number_customer_and_product(app: Flask) -> None:
    record = _complaint(app)
    with app.app_context():
        row = _loaded(app, "complaint", record.id)
        assert str(row) == f"{row.ticket_no} 林女士 玻尿酸面霜"


def test_empty_parts_are_left_out_with_the_text_before_them(app: Flask) -> None:
    complaint = _complaint(app)
    spec = portal_of(app).spec
    comp = make_record(app, spec.form("compensation"), complaint=complaint.id, kind="refund",
                       amount=Decimal("200.00"))
    with app.app_context():
        row = _loaded(app, "compensation", comp.id)
        number = row.complaint.ticket_no
        assert str(row) == f"退款 200.00元 · {number} 林女士 玻尿酸面霜"
        row.kind, row.amount = None, None  # not saved: how a title reads without them
        assert str(row) == f"{number} 林女士 玻尿酸面霜"
        row.complaint = None
        assert str(row) == f"#{row.id}"
        app.appbuilder.session.rollback()


def test_titles_follow_the_language(app: Flask) -> None:
    complaint = _complaint(app)
    survey = make_record(app, portal_of(app).spec.form("satisfaction_survey"),
                         complaint=complaint.id, callback_date=dt.date(2026, 12, 5))
    use_language(lambda: "en")
    try:
        with app.app_context():
            row = _loaded(app, "satisfaction_survey", survey.id)
            assert str(row).startswith("Callback 2026-12-05 · TS-")
    finally:
        from app.i18n import request_language

        use_language(request_language)
    with app.app_context(), force_locale("zh"):
        row = _loaded(app, "satisfaction_survey", survey.id)
        assert str(row).startswith("回访 2026-12-05 · TS-")


def test_a_sensitive_part_is_masked(app: Flask) -> None:
    from dataclasses import replace

    model = portal_of(app).model("customer")
    form = model.__form__
    customer = make_record(app, form, name="周先生", phone="13812345678")
    with app.app_context():
        row = _loaded(app, "customer", customer.id)
        model.__form__ = replace(form, title=Label("{name} {phone}", "{name} {phone}"))
        try:
            assert str(row) == "周先生 138****5678"
        finally:
            model.__form__ = form


def test_a_list_of_surveys_reads_complaints_and_their_customers_once_a_page(app: Flask) -> None:
    spec = portal_of(app).spec
    for _ in range(6):
        complaint = _complaint(app)
        make_record(app, spec.form("satisfaction_survey"), complaint=complaint.id)
    client = app.test_client()
    login(client, "admin")
    status, few = statements_of(app, client, "/satisfactionsurveyview/list/?psize_"
                                "SatisfactionSurveyView=2")
    status, many = statements_of(app, client, "/satisfactionsurveyview/list/?psize_"
                                 "SatisfactionSurveyView=6")
    assert status == 200
    assert len(many) == len(few)  # not one query per row
    page = client.get("/satisfactionsurveyview/list/").get_data(as_text=True)
    assert "林女士 玻尿酸面霜" in page
