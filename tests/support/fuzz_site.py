"""The apps tests/test_fuzz.py runs against, and its oracles: database snapshots, stored
values, field messages as the form shows them, the portal's 400 page."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.portal import portal_of
from app.spec import FieldSpec, FormSpec, PortalSpec
from tests.support.app import csrf_token, login
from tests.support.factories import bulk_records
from tests.support.fuzz import Targets, Value

BIG_FORM_ROWS = 105  # more than PORTAL_MAX_PAGE_SIZE, so the cap is really tested
# Stored texts that LIKE patterns and comparisons must cope with (some PostgreSQL errors only
# happen when a row gets that far in the match).
SEED_TEXTS = ("abc\\", "\\", "%_%", "50%", "a_b", "'", '"', "abc", "一二三", "😀", "é", "<b>x</b>")
# The portal's own 400 messages (app/views/guard.py), as the Chinese page shows them.
GUARD_MESSAGES = ("页码无效：", "每页条数无效：", "不能按“", "排序方向无效：", "未知的筛选条件：",
                  "筛选值无效（", "筛选值过长（")


class Site:
    """One pack's app, seeded, with a logged-in client and CSRF token per user."""

    def __init__(self, app: Flask, clients: dict[str, FlaskClient], tokens: dict[str, str],
                 targets: Targets) -> None:
        self.app, self.clients, self.tokens, self.targets = app, clients, tokens, targets

    @property
    def spec(self) -> PortalSpec:
        return portal_of(self.app).spec

    def view(self, form_key: str) -> Any:
        name = self.spec.form(form_key).view_name
        return next(v for v in self.app.appbuilder.baseviews if type(v).__name__ == name)

    def granted(self, user: str, form_key: str, action: str) -> bool:
        role = next(r for r in self.spec.roles if r.key == user)
        return role.admin or action in role.grants.get(form_key, ())

    def __repr__(self) -> str:
        return f"Site({self.spec.industry or 'base'})"

    def readonly(self, user: str, form_key: str) -> frozenset[str]:
        """Fields the user's roles may not change (their posted values are ignored)."""
        from app.security.access import access_for

        with self.app.app_context():
            account = self.app.appbuilder.sm.find_user(username=user)
            return access_for(account, self.spec).readonly_fields(form_key)

    def flashes(self, user: str) -> list:
        """Pops the flashed messages (so the session cookie never grows) and returns them."""
        with self.clients[user].session_transaction() as session:
            return session.pop("_flashes", [])


def _seed_order(spec: PortalSpec) -> list[FormSpec]:
    """Forms with the forms they refer to first."""
    done: list[FormSpec] = []
    while len(done) < len(spec.forms):
        for form in spec.forms:
            needs = {f.form for f in form.fields if f.type == "reference"} - {form.key}
            if form not in done and needs <= {d.key for d in done}:
                done.append(form)
    return done


def build_site(app: Flask, users: tuple[str, ...]) -> Site:
    """Seeds every form (customer with more rows than a page may show, and texts that LIKE
    patterns must cope with), logs each user in and keeps a CSRF token for each."""
    spec = portal_of(app).spec
    models = portal_of(app).models
    for form in _seed_order(spec):
        if form.key == "customer":
            bulk_records(app, form, BIG_FORM_ROWS,
                         company=lambda i: SEED_TEXTS[i % len(SEED_TEXTS)])
        else:
            bulk_records(app, form, 12)
    with app.app_context():
        session = app.appbuilder.session
        ids = {f.key: list(session.scalars(select(models.metadata.tables[f.table].c.id)))
               for f in spec.forms}
        roles_of = {u.id: {r.name for r in u.roles}
                    for u in app.appbuilder.sm.get_all_users()}
    user_ids = list(roles_of)
    users_with = {}
    for limited in {f.roles for form in spec.forms for f in form.fields if f.roles}:
        names = {r.key for r in spec.roles
                 if r.admin or r.key in limited or set(r.ancestors) & set(limited)}
        users_with[limited] = [uid for uid, roles in roles_of.items() if roles & names]
    clients, tokens = {}, {}
    for user in users:
        clients[user] = client = app.test_client()
        login(client, user)
        tokens[user] = csrf_token(client, "/customerview/add")
    return Site(app, clients, tokens, Targets(ids, user_ids, users_with))


def snapshot(app: Flask) -> dict[str, list[tuple]]:
    """Every row of every form table, in id order."""
    models = portal_of(app).models
    with app.app_context():
        session = app.appbuilder.session
        return {name: [tuple(r) for r in session.execute(select(t).order_by(t.c.id))]
                for name, t in models.metadata.tables.items()}


def stored(app: Flask, form: FormSpec, pk: int) -> dict[str, Any]:
    model = portal_of(app).models.models[form.key]
    with app.app_context():
        row = app.appbuilder.session.get(model, pk)
        assert row is not None, f"{form.key} #{pk} is gone"
        return {f.key: getattr(row, f.column) for f in form.fields}


def same(field: FieldSpec, value: Value, actual: Any) -> bool:
    if value.expected is None or value.expected == "":
        return actual is None or actual == ""
    if field.type in ("decimal", "money"):
        return actual is not None and Decimal(actual) == value.expected
    return bool(actual == value.expected)


ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.S)
LABEL_FOR = re.compile(r'<label for="([^"]+)"')
ALERT = re.compile(r'<div class="alert alert-danger">(.*?)</div>', re.S)
CJK = re.compile(r"[\u4e00-\u9fff]")


def field_errors(page: str) -> dict[str, str]:
    """field key -> the error text shown in that field's own row of the form."""
    errors = {}
    for row in ROW.findall(page):
        label, alert = LABEL_FOR.search(row), ALERT.search(row)
        if label and alert:
            errors[label.group(1)] = " ".join(alert.group(1).split())
    return errors


def assert_portal_400(page: str) -> None:
    assert 'id="portal-error"' in page, page[-2000:]
    text = page.replace("&#34;", '"').replace("&#39;", "'")
    assert any(m in text for m in GUARD_MESSAGES), text[text.find("portal-error"):][:300]
    assert "Traceback" not in page
