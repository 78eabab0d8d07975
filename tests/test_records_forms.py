"""The record forms shared by screens, API and import (app/records/forms.py): reference and
user selects offer what the field allows, and nothing else is accepted."""

from __future__ import annotations

import re

from flask import Flask

from tests.support.api import call, json_body
from tests.support.app import login, user_id


def test_a_user_field_limited_to_roles_offers_only_those_users(app: Flask) -> None:
    """complaint.handler has roles: [staff]: staff, the roles inheriting it (supervisor,
    manager) and admins are offered, the auditor is not."""
    client = app.test_client()
    login(client, "supervisor")
    answer = client.get("/lookup/complaint/handler?q=").get_json()
    offered = {r["id"] for r in answer["results"]}
    ids = {name: user_id(app, name) for name in
           ("staff", "supervisor", "manager", "admin", "auditor")}
    assert {ids["staff"], ids["supervisor"], ids["manager"], ids["admin"]} <= offered
    assert ids["auditor"] not in offered
    page = client.get("/complaintview/add").get_data(as_text=True)
    select = page[page.index('id="handler"'):]
    select = select[:select.index("</select>")]
    assert re.findall(r'<option[^>]*value="(\d+)"', select) == []  # found as one types


def test_the_api_refuses_a_user_outside_the_fields_roles(app: Flask) -> None:
    from app.portal import portal_of

    form = portal_of(app).spec.form("complaint")
    body = json_body(app, form, "staff")
    refused = call(app, "POST", "/api/v1/complaint/", "staff",
                   json={**body, "handler": user_id(app, "auditor")})
    assert refused.status_code == 400
    assert refused.get_json() == {"message": {"handler": ["请从列表中选择一条记录。"]}}
    accepted = call(app, "POST", "/api/v1/complaint/", "staff",
                    json={**body, "handler": user_id(app, "manager")})
    assert accepted.status_code == 201, accepted.get_json()
    assert accepted.get_json()["result"]["handler"] == user_id(app, "manager")
