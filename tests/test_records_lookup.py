"""Search-as-you-type matches (app/records/lookup.py): by record name and exact phone, 20 at
a time, within the viewer's row scope, masked as their role sees it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.portal import portal_of
from app.records import lookup
from tests.support.app import CONFIG, login
from tests.support.factories import bulk_records, make_record

ROLES_OWN_CUSTOMERS = ("    scopes:\n      customer: all\n    grants:\n"
                       "      customer: [list, show, add, edit, import]\n")


@pytest.fixture(scope="module")
def world(make_app: Callable[..., Flask], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Staff see only the customers they recorded (scope own); the supervisor all."""
    cfg = Path(tmp_path_factory.mktemp("lookup")) / "config"
    shutil.copytree(CONFIG, cfg, ignore=shutil.ignore_patterns("industries"))
    roles = (cfg / "roles.yaml").read_text(encoding="utf-8")
    assert ROLES_OWN_CUSTOMERS in roles
    (cfg / "roles.yaml").write_text(roles.replace(ROLES_OWN_CUSTOMERS, ROLES_OWN_CUSTOMERS.replace(
        "customer: all", "customer: own"), 1), encoding="utf-8")
    app = make_app(cfg)
    customer = portal_of(app).spec.form("customer")
    ids = {
        "mine": make_record(app, customer, "staff", name="王小姐", phone="13800000001").id,
        "theirs": make_record(app, customer, "supervisor", name="王先生",
                              phone="13900000002").id,
    }
    bulk_records(app, customer, 45, name=lambda i: f"李{i:02d}", phone=lambda i:
                 f"137{i:08d}")
    return {"app": app, "ids": ids}


def answer(app: Flask, user: str, url: str) -> Any:
    client = app.test_client()
    login(client, user)
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_name_matches_by_its_start_and_a_phone_exactly(world: dict) -> None:
    app, ids = world["app"], world["ids"]
    found = answer(app, "supervisor", "/lookup/complaint/customer?q=王")
    assert [r["id"] for r in found["results"]] == [ids["theirs"], ids["mine"]]  # by name
    assert found["results"][0]["text"] == "王先生 · 139****0002"  # revealed on its page only
    by_phone = answer(app, "supervisor", "/lookup/complaint/customer?q=139 0000 0002")
    assert [r["id"] for r in by_phone["results"]] == [ids["theirs"]]
    assert answer(app, "supervisor", "/lookup/complaint/customer?q=1390000")["results"] == []


def test_an_own_scoped_user_cannot_find_another_users_customer(world: dict) -> None:
    app, ids = world["app"], world["ids"]
    assert answer(app, "staff", "/lookup/complaint/customer?q=13900000002")["results"] == []
    assert answer(app, "staff", f"/lookup/complaint/customer?id={ids['theirs']}") == {
        "results": [], "more": False}
    mine = answer(app, "staff", "/lookup/complaint/customer?q=王")["results"]
    assert [r["id"] for r in mine] == [ids["mine"]]
    assert mine[0]["text"] == "王小姐 · 138****0001"


def test_a_phone_is_masked_even_for_a_role_that_may_reveal_it(world: dict) -> None:
    app, ids = world["app"], world["ids"]
    found = answer(app, "auditor", f"/lookup/complaint/customer?id={ids['mine']}")
    assert found["results"] == [{"id": ids["mine"], "text": "王小姐 · 138****0001"}]
    assert "13800000001" not in str(answer(app, "auditor", "/lookup/complaint/customer?q=王"))


def test_matches_come_twenty_a_page(world: dict) -> None:
    app = world["app"]
    first = answer(app, "supervisor", "/lookup/complaint/customer?q=李")
    second = answer(app, "supervisor", "/lookup/complaint/customer?q=李&page=2")
    third = answer(app, "supervisor", "/lookup/complaint/customer?q=李&page=3")
    assert [len(p["results"]) for p in (first, second, third)] == [20, 20, 5]
    assert [p["more"] for p in (first, second, third)] == [True, True, False]
    names = [r["text"].split(" · ")[0] for p in (first, second, third) for r in p["results"]]
    assert names == [f"李{i:02d}" for i in range(45)]


def test_like_wildcards_are_taken_literally(world: dict) -> None:
    app = world["app"]
    for text in ("%", "_", "李%", "\\"):
        assert answer(app, "supervisor", f"/lookup/complaint/customer?q={text}"
                      )["results"] == [], text


def test_a_posted_id_is_fetched_within_scope(world: dict) -> None:
    app, ids = world["app"], world["ids"]
    field = portal_of(app).spec.form("complaint").field("customer")
    with app.test_request_context():
        assert lookup.fetch(field, "abc") is None
        assert lookup.fetch(field, str(2**31)) is None  # beyond an INTEGER id
        assert lookup.fetch(field, ids["theirs"]) is None  # signed out: nothing
    with app.app_context():  # the CLI (an import): every record
        assert lookup.fetch(field, ids["theirs"]).id == ids["theirs"]


def test_names_starting_with_the_text_come_first(make_app: Callable[..., Flask]) -> None:
    """PostgreSQL: those starting with the text, then those containing it (3+ characters),
    each in name order, paged across the two; SQLite matches the start only."""
    app = make_app()
    customer = portal_of(app).spec.form("customer")
    bulk_records(app, customer, 25, name=lambda i: f"张三丰{i:02d}",
                 phone=lambda i: f"136{i:08d}")
    inside = make_record(app, customer, "staff", name="小张三丰", phone="13500000001").id
    first = answer(app, "supervisor", "/lookup/complaint/customer?q=张三丰")
    names = [r["text"].split(" · ")[0] for r in first["results"]]
    assert names == [f"张三丰{i:02d}" for i in range(20)] and first["more"]
    second = answer(app, "supervisor", "/lookup/complaint/customer?q=张三丰&page=2")
    names = [r["text"].split(" · ")[0] for r in second["results"]]
    with app.app_context():
        postgres = app.extensions["migrate"].db.engine.dialect.name == "postgresql"
    if postgres:
        assert names == [f"张三丰{i:02d}" for i in range(20, 25)] + ["小张三丰"]
        assert second["results"][-1]["id"] == inside
    else:
        assert names == [f"张三丰{i:02d}" for i in range(20, 25)]
