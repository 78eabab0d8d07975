"""The OpenAPI document of the form APIs (app/views/api/openapi/) and the Swagger UI page:
a valid OpenAPI 3 document of every form of the loaded pack with the spec's real rules, for
signed-in users only (session or bearer token); FAB's own OpenAPI and Swagger views stay off."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openapi_spec_validator import validate

from app.portal import portal_of
from app.views.workflow import COMMENT_MAX
from tests.support.api import LOGIN_URL, call, token
from tests.support.app import PASSWORD, login

ROOT = Path(__file__).resolve().parent.parent
URL = "/api/v1/openapi.json"
PAGE = "/api-docs/"
HINT = "run `make assets` (npm ci from package-lock.json, then the copy into app/static/vendor)"


def _doc(app: Flask, lang: str = "zh", user: str = "staff") -> dict[str, Any]:
    response = call(app, "GET", URL, user, headers={"Accept-Language": lang})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()  # type: ignore[no-any-return]


def _schema(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return doc["components"]["schemas"][name]  # type: ignore[no-any-return]


# -- the document ----------------------------------------------------------------------------
def test_the_document_of_every_pack_is_valid_openapi_and_names_every_form(
        pack_apps: dict[str | None, Flask]) -> None:
    for pack, app in pack_apps.items():
        doc = _doc(app)
        validate(doc)  # raises on any breach of the OpenAPI 3.0 schema
        assert doc["openapi"].startswith("3.0")
        assert doc["info"]["x-industry"] == (pack or "base")
        spec = portal_of(app).spec
        for form in spec.forms:
            base = f"/api/v1/{form.key}"
            for path, methods in ((f"{base}/", {"get", "post"}),
                                  (f"{base}/{{pk}}", {"get", "put", "delete"}),
                                  (f"{base}/_info", {"get"})):
                assert methods <= set(doc["paths"][path]), (pack, path)
            for t in form.workflow.transitions if form.workflow else ():
                assert "post" in doc["paths"][f"{base}/{{pk}}/transition/{t.key}"]
            if form.workflow:
                assert "get" in doc["paths"][f"{base}/{{pk}}/transitions"]
        forms = {p.split("/")[3] for p in doc["paths"] if p != LOGIN_URL}
        assert forms == {f.key for f in spec.forms}, pack  # only the loaded pack's forms


def test_every_path_of_the_document_is_a_route_of_the_app(app: Flask) -> None:
    doc = _doc(app)
    routes = {(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", r.rule), m.lower())
              for r in app.url_map.iter_rules() for m in r.methods or ()}
    for path, item in doc["paths"].items():
        for method in set(item) - {"parameters"}:
            concrete = re.sub(r"/transition/[a-z_0-9]+$", "/transition/{key}", path)
            assert (concrete, method) in routes, (method, path)


def test_required_fields_without_a_default_are_required_on_add(app: Flask) -> None:
    doc = _doc(app)
    new = _schema(doc, "ComplaintNew")
    assert {"customer", "product_name", "occurred_at", "description"} <= set(new["required"])
    assert "channel" not in new["required"]  # required, with a YAML default (phone)
    assert new["properties"]["channel"]["default"] == "phone"
    assert "recorded_by" not in new["required"]  # default: the signed-in user
    assert new["properties"]["recorded_by"]["x-default"] == "current_user"
    assert "required" not in _schema(doc, "ComplaintChange")  # a PUT sends what changes
    assert new["additionalProperties"] is False


def test_lengths_ranges_patterns_and_choices_come_from_the_spec(app: Flask) -> None:
    doc = _doc(app)
    props = _schema(doc, "ComplaintNew")["properties"]
    assert (props["description"]["minLength"], props["description"]["maxLength"]) == (5, 4000)
    assert props["batch_no"]["pattern"] == "^(?:[A-Za-z0-9-]+)$"
    assert props["batch_no"]["maxLength"] == 40
    assert props["priority"]["enum"] == ["low", "normal", "urgent", None]  # optional: null
    assert [c["value"] for c in props["priority"]["x-choices"]] == ["low", "normal", "urgent"]
    assert "`urgent`: 紧急" in props["priority"]["description"]
    assert props["customer"]["type"] == "integer" and props["customer"]["x-reference"] == (
        "customer")
    assert "customer" in props["customer"]["description"]
    assert "客户档案" in props["customer"]["description"]  # the target form, by its label
    rating = _schema(doc, "SatisfactionSurveyNew")["properties"]["product_rating"]
    assert (rating["type"], rating["minimum"], rating["maximum"]) == ("integer", 1, 5)
    amount = _schema(doc, "CompensationNew")["properties"]["amount"]
    number = amount["anyOf"][0]
    assert (number["minimum"], number["maximum"], number["multipleOf"]) == (0, 1000000, 0.01)
    phone = _schema(doc, "CustomerNew")["properties"]["phone"]
    assert re.search(phone["pattern"], "13812345678") and not re.search(phone["pattern"],
                                                                          "12345")


def test_sensitive_fields_are_described_as_masked_with_who_may_reveal(app: Flask) -> None:
    doc = _doc(app)
    phone = _schema(doc, "CustomerRecord")["properties"]["phone"]
    assert phone["x-sensitive"]["masked-example"] == "138****5678"
    spec = portal_of(app).spec
    assert phone["x-sensitive"]["revealed-for-roles"] == [
        r.key for r in spec.roles if r.admin or "customer.phone" in r.reveal]
    assert "脱敏" in phone["description"]
    assert "masked" in _schema(_doc(app, "en"), "CustomerRecord")["properties"]["phone"][
        "description"]
    assert _schema(doc, "CustomerNew")["properties"]["phone"]["x-sensitive"] is True


def test_computed_system_and_given_values_are_read_only(app: Flask) -> None:
    record = _schema(_doc(app), "ComplaintRecord")["properties"]
    for key in ("id", "version", "created_on", "changed_on", "state", "sla_resolution_due",
                "handling_hours", "ticket_no"):
        assert record[key]["readOnly"] is True, key
    assert record["handling_hours"]["x-computed"] == "hours(created_on, sla_resolved_on)"
    assert "ticket_no" not in _schema(_doc(app), "ComplaintNew")["properties"]


def test_read_only_fields_per_role_are_named_on_change(app: Flask) -> None:
    doc = _doc(app)
    amount = _schema(doc, "CompensationChange")["properties"]["amount"]
    assert amount["x-readonly-for-roles"] == ["staff"]
    assert "x-readonly-for-roles" not in _schema(doc, "CompensationNew")["properties"]["amount"]


def test_each_operation_names_its_permission_and_its_error_answers(app: Flask) -> None:
    doc = _doc(app)
    spec = portal_of(app).spec
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or path == LOGIN_URL:
                continue
            permission = operation["x-permission"]
            form = spec.form(path.split("/")[3])
            assert permission["view"] == form.view_name
            action = permission["permission"].removeprefix("can_")
            assert set(permission["roles"]) == {
                r.key for r in spec.roles if r.admin or action in r.grants.get(form.key, ())}
            codes = set(operation["responses"])
            assert {"401", "403", "503"} <= codes, (method, path)
            if "{pk}" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "put"):
                assert "400" in codes, (method, path)
                assert ("201" if path.endswith("/") else "200") in codes, (method, path)
    list_op = doc["paths"]["/api/v1/complaint/"]["get"]
    assert list_op["x-permission"]["permission"] == "can_list"
    assert "409" in doc["paths"]["/api/v1/complaint/{pk}"]["put"]["responses"]
    errors = _schema(doc, "ValidationError")["properties"]["message"]["oneOf"]
    assert errors[1]["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


def test_the_list_query_is_the_one_the_api_accepts(app: Flask) -> None:
    doc = _doc(app)
    q = doc["paths"]["/api/v1/complaint/"]["get"]["parameters"][0]
    assert q["name"] == "q" and q["in"] == "query"
    query = _schema(doc, "ComplaintListQuery")
    api = next(v for v in app.appbuilder.baseviews if getattr(v, "resource_name", "") ==
               "complaint")
    assert query["properties"]["order_column"]["enum"] == list(api.order_columns)
    assert query["properties"]["page_size"]["maximum"] == app.config["PORTAL_MAX_PAGE_SIZE"]
    columns = {b["properties"]["col"]["enum"][0]
               for b in query["properties"]["filters"]["items"]["oneOf"]}
    assert columns == set(api._filters.get_search_filters())
    # The document's JSON form of q works (the API takes Rison or JSON).
    sent = json.dumps({"order_column": "priority", "order_direction": "desc", "page_size": 5,
                       "filters": [{"col": "priority", "opr": "in", "value": ["urgent"]}]})
    assert call(app, "GET", "/api/v1/complaint/", "admin",
                query_string={"q": sent}).status_code == 200


def test_transition_endpoints_and_their_bodies(app: Flask) -> None:
    doc = _doc(app)
    fire = doc["paths"]["/api/v1/complaint/{pk}/transition/not_accepted"]["post"]
    assert fire["x-transition"]["comment"] == "required"
    assert set(fire["responses"]) >= {"200", "400", "401", "403", "404", "409"}
    body = _schema(doc, "ComplaintFireNotAccepted")
    assert body["required"] == ["version", "comment"]
    assert body["properties"]["comment"]["maxLength"] == COMMENT_MAX
    accept = _schema(doc, "ComplaintFireAccept")
    assert list(accept["properties"]["values"]["properties"]) == ["handler"]
    offers = _schema(doc, "ComplaintTransitions")["properties"]["result"]["items"]
    assert "accept" in offers["properties"]["key"]["enum"]


def test_the_bearer_login_is_the_security_scheme(app: Flask) -> None:
    doc = _doc(app, "en")
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "An access token from POST /api/v1/security/login (15 minutes)."}
    assert doc["security"] == [{"bearerAuth": []}]
    login_op = doc["paths"][LOGIN_URL]["post"]
    assert login_op["security"] == []
    assert set(login_op["responses"]) == {"200", "400", "401", "429", "503"}
    assert "/api/v1/security/refresh" not in doc["paths"]


def test_labels_follow_the_request_language(app: Flask) -> None:
    zh, en = _doc(app, "zh"), _doc(app, "en")
    assert _schema(zh, "ComplaintRecord")["title"] == "投诉登记"
    assert _schema(en, "ComplaintRecord")["title"] == "Complaints"
    assert zh["paths"]["/api/v1/complaint/"]["get"]["summary"] == "列表：投诉登记"
    assert en["paths"]["/api/v1/complaint/"]["get"]["summary"] == "List: Complaints"


# -- who gets it -----------------------------------------------------------------------------
def test_the_document_needs_a_session_or_a_token(app: Flask) -> None:
    anonymous = app.test_client().get(URL)
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]
    bad = app.test_client().get(URL, headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and bad.get_json()["message"]
    browser = app.test_client()
    login(browser, "auditor")
    assert browser.get(URL).get_json()["openapi"] == _doc(app)["openapi"]
    assert call(app, "GET", URL, "auditor").status_code == 200


def test_fab_openapi_and_swagger_views_stay_off(app: Flask) -> None:
    assert app.config["FAB_API_SWAGGER_UI"] is False
    browser = app.test_client()
    login(browser, "admin")
    for url in ("/api/v1/_openapi", "/swagger/v1"):
        assert browser.get(url).status_code == 404, url
        assert call(app, "GET", url, "admin").status_code == 404, url


def test_the_swagger_page_needs_sign_in_and_loads_the_portal_copy(app: Flask) -> None:
    anonymous = app.test_client().get(PAGE)
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]
    browser = app.test_client()
    login(browser, "staff")
    page = browser.get(PAGE).get_data(as_text=True)
    assert 'src="/static/vendor/swagger-ui/swagger-ui-bundle.js"' in page
    assert 'href="/static/vendor/swagger-ui/swagger-ui.css"' in page
    assert 'src="/static/portal/api_docs.js"' in page
    assert 'data-url="/api/v1/openapi.json?_l_=zh"' in page
    assert "<title>API 文档" in page
    assert 'id="portal-api-docs-link"' in page  # the help menu
    assert "//cdn" not in page and "unpkg" not in page
    browser.get("/lang/en")
    english = browser.get(PAGE).get_data(as_text=True)
    assert "<title>API documentation" in english
    assert 'data-url="/api/v1/openapi.json?_l_=en"' in english


def test_swagger_ui_is_served_with_its_licence(app: Flask) -> None:
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    version = package["dependencies"]["swagger-ui-dist"]
    assert lock["packages"]["node_modules/swagger-ui-dist"]["version"] == version
    client = app.test_client()
    bundle = client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")
    assert bundle.status_code == 200, HINT
    assert bundle.mimetype in ("text/javascript", "application/javascript")
    assert "no-store" not in bundle.headers.get("Cache-Control", "")
    bundle.close()
    for name, words in (("LICENSE", "Apache License"), ("NOTICE", "SmartBear"),
                        ("swagger-ui-bundle.js.LICENSE.txt", "MIT")):
        response = client.get(f"/static/vendor/swagger-ui/{name}")
        assert response.status_code == 200, f"{name}: {HINT}"
        assert words in response.get_data(as_text=True), name
        response.close()
    assert f"| {version} | Apache-2.0 |" in (ROOT / "docs" / "third-party.md").read_text(
        encoding="utf-8")


# -- what the schemathesis run found ---------------------------------------------------------
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_id_beyond_an_integer_column_is_no_record(app: Flask, method: str) -> None:
    response = call(app, method, "/api/v1/customer/99999999999", "admin", json={})
    assert response.status_code == 404  # Werkzeug's int(max=…) answered 405
    assert response.get_json()["message"]


def test_the_login_refuses_a_missing_provider_and_issues_no_refresh_token(app: Flask) -> None:
    client = app.test_client()
    missing = client.post(LOGIN_URL, json={"username": "staff", "password": PASSWORD})
    assert missing.status_code == 400  # FAB's login raised KeyError: a 500
    assert missing.get_json() == {"message": {"provider": ["Missing data for required field."]}}
    signed = client.post(LOGIN_URL, json={"username": "staff", "password": PASSWORD,
                                          "provider": "db", "refresh": True})
    assert signed.status_code == 200
    assert set(signed.get_json()) == {"access_token"}
    assert call(app, "GET", "/api/v1/customer/", None, headers={
        "Authorization": f"Bearer {signed.get_json()['access_token']}"}).status_code == 200
    assert token(app, "staff")


def test_an_unknown_method_under_the_api_is_a_json_405(app: Flask) -> None:
    response = call(app, "PATCH", "/api/v1/customer/1", "admin")
    assert response.status_code == 405
    assert response.mimetype == "application/json" and response.get_json()["message"]
