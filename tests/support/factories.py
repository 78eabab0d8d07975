"""Data builders: valid values for any form of any pack, as form posts or ORM records."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from flask import Flask
from sqlalchemy import select

from app.portal import portal_of
from app.spec import FieldSpec, FormSpec

_counter = itertools.count(1)
PATTERN_CANDIDATES = ("ABC-123", "A1B2C3", "20260101", "SF1234567890", "abc")


def _text_value(field: FieldSpec, n: int) -> str:
    if field.type == "phone":
        return f"138{n:08d}"[-11:]
    if field.type == "email":
        return f"kehu{n}@example.com"
    if field.pattern:
        for candidate in PATTERN_CANDIDATES:
            if re.fullmatch(field.pattern, candidate):
                return candidate
        raise AssertionError(f"no test value matches pattern {field.pattern} of {field.key}")
    base = f"测试{field.label.zh}{n}"
    lo = field.min_length or 0
    value = base if len(base) >= lo else base + "，详细情况说明" * lo
    return value[: field.max_length] if field.max_length else value


def python_value(field: FieldSpec, n: int) -> Any:
    """A valid Python value for the field (references and users excluded; a signature:
    none, tests/support/signatures.py draws one)."""
    t = field.type
    if t == "signature":
        return None
    if field.is_file:
        return None  # no file: files are uploaded (tests/support/files.py)
    if t in ("string", "text", "phone", "email"):
        return _text_value(field, n)
    if t == "integer":
        lo = int(field.min) if field.min is not None else 0
        hi = int(field.max) if field.max is not None else lo + 100
        return min(lo + 1 + n % 5, hi)
    if t == "rating":
        return int(field.max or 5) - 1
    if t in ("decimal", "money"):
        return Decimal("88.50")
    if t == "date":
        return dt.date(2026, 1, 15)
    if t == "datetime":
        return dt.datetime(2026, 1, 15, 10, 30, 0)
    if t == "boolean":
        return True
    if t == "choice":
        return field.choices[-1].value
    if t == "multi_choice":
        return ",".join(c.value for c in field.choices[:2])
    raise AssertionError(f"python_value does not build {t}")


def form_value(field: FieldSpec, value: Any) -> Any:
    """How a browser would post `value` for this field."""
    if field.type == "date":
        return value.strftime("%Y-%m-%d")
    if field.type == "datetime":
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if field.type == "boolean":
        return "y" if value else ""
    if field.type == "multi_choice":
        return value.split(",")
    return str(value)


def make_record(app: Flask, form: FormSpec, _owner: str | None = "staff",
                **values: Any) -> Any:
    """Insert a valid record through the ORM (creating referenced records as needed), as
    created by `_owner` (a username; None: no creator, as from a script)."""
    spec = portal_of(app).spec
    model = portal_of(app).models.models[form.key]
    with app.app_context():
        session = app.appbuilder.session
        n = next(_counter)
        data: dict[str, Any] = {}
        owner = app.appbuilder.sm.find_user(username=_owner) if _owner else None
        if owner is not None:
            data["created_by_fk"] = data["changed_by_fk"] = owner.id
        for field in form.entered:  # an autonumber is given on insert
            if field.signed and field.key not in values:
                continue  # not signed (tests/support/signatures.py draws one)
            if field.key in values and field.type in ("reference", "user") and isinstance(
                    values[field.key], int):
                data[field.column] = values[field.key]  # an id
            elif field.key in values:
                data[field.key] = values[field.key]
            elif field.type == "reference":
                if field.required:
                    target = make_record(app, spec.form(field.form), _owner)
                    data[field.column] = target.id
            elif field.type == "user":
                if field.required:
                    data[field.column] = app.appbuilder.sm.find_user(username="admin").id
            else:
                data[field.key] = python_value(field, n)
        record = model(**data)
        session.add(record)
        session.commit()
        session.refresh(record)
        session.expunge(record)
        return record


def offered_user(app: Flask, field: Any, user_id: int) -> int:
    """`user_id` if the user field offers that user (its `roles`: one of them, a role
    inheriting one, or an admin role), else the admin's id."""
    if not field.roles:
        return user_id
    spec = portal_of(app).spec
    allowed = {r.key for r in spec.roles
               if r.admin or r.key in field.roles or set(r.ancestors) & set(field.roles)}
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.get_user_by_id(user_id)
        if {r.name for r in user.roles} & allowed:
            return user_id
        return int(sm.find_user(username="admin").id)


def post_data(app: Flask, form: FormSpec, user_id: int) -> tuple[dict, dict]:
    """(form post, expected python values) for a valid new record of `form`."""
    spec = portal_of(app).spec
    n = next(_counter)
    posted: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    for field in form.entered:
        if field.signed:
            continue  # nothing drawn: not signed
        if field.type == "reference":
            target = make_record(app, spec.form(field.form))
            posted[field.key] = str(target.id)
            expected[field.column] = target.id
        elif field.type == "user":
            offered = offered_user(app, field, user_id)
            posted[field.key] = str(offered)
            expected[field.column] = offered
        else:
            value = python_value(field, n)
            posted[field.key] = form_value(field, value)
            expected[field.key] = value
    return posted, expected


def bulk_records(app: Flask, form: FormSpec, n: int, **fixed: Any) -> None:
    """Insert n valid rows at once (Core insert), referencing existing rows round-robin."""
    spec = portal_of(app).spec
    models = portal_of(app).models
    table = models.metadata.tables[form.table]
    with app.app_context():
        session = app.appbuilder.session
        admin = app.appbuilder.sm.find_user(username="admin").id
        staff = app.appbuilder.sm.find_user(username="staff")
        targets = {
            f.key: [r for (r,) in session.execute(
                select(models.metadata.tables[spec.form(f.form).table].c.id))]
            for f in form.fields if f.type == "reference"}
        rows = []
        for i in range(n):
            row: dict[str, Any] = {"version": 1, "created_on": dt.datetime(2026, 1, 1),
                                   "changed_on": dt.datetime(2026, 1, 1),
                                   "created_by_fk": staff.id if staff else None}
            for f in form.fields:
                if f.key in fixed:
                    row[f.column] = fixed[f.key](i) if callable(fixed[f.key]) else fixed[f.key]
                elif f.type == "reference":
                    row[f.column] = targets[f.key][i % len(targets[f.key])]
                elif f.type == "user":
                    row[f.column] = admin
                elif f.given:  # a Core insert skips the ORM's numbering: a unique stand-in
                    row[f.column] = f"BULK-{uuid.uuid4().hex[:16]}"
                else:
                    row[f.column] = python_value(f, i)
            rows.append(row)
        session.execute(table.insert(), rows)
        session.commit()


def drop_form_from_roles(roles_file: Path, form_key: str) -> None:
    """What an admin does when removing a form: drop it from every role's grants, scopes,
    read-only fields and reveal rights (comments of the file are not kept)."""
    data = yaml.safe_load(roles_file.read_text(encoding="utf-8"))
    for role in data["roles"]:
        for key in ("grants", "scopes", "readonly"):
            if key in role:
                role[key].pop(form_key, None)
                if not role[key] and key != "grants":
                    del role[key]
        if "reveal" in role:
            role["reveal"] = [r for r in role["reveal"] if not r.startswith(form_key + ".")]
    roles_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                          encoding="utf-8")


def drop_form_from_dashboards(config_dir: Path, form_key: str) -> None:
    """The rest of removing a form: its dashboard widgets (and those asking has(form)),
    its alert rules, webhooks, notification rules and print templates go too (comments of
    the files are not kept)."""
    for path in sorted((config_dir / "dashboards").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["widgets"] = [w for w in data["widgets"] if w["form"] != form_key and
                           f"has({form_key})" not in f"{w.get('rate')} {w.get('where')}"]
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    for kind in ("alerts", "webhooks", "notifications"):
        for path in sorted((config_dir / kind).glob("*.yaml")):
            if yaml.safe_load(path.read_text(encoding="utf-8"))["form"] == form_key:
                path.unlink()
    shutil.rmtree(config_dir / "prints" / form_key, ignore_errors=True)


def two_teams(app: Flask, password: str) -> dict[str, int]:
    """The scope story of the IDOR matrices (screens and API). Two teams — 客服一组: staff,
    staff2, supervisor (and the other test users); 客服二组: staff3, supervisor2 — and four
    complaints: by staff, by staff2, by staff3, and one by staff3 handled by staff.
    Returns the complaint ids by name."""
    from app.security.teams import Team

    with app.app_context():
        sm = app.appbuilder.sm
        for name, role in (("staff2", "staff"), ("staff3", "staff"),
                           ("supervisor2", "supervisor")):
            sm.add_user(name, name, "test", f"{name}@example.com", sm.find_role(role),
                        password=password)
        one = sm.session.query(Team).filter_by(name="客服一组").one()
        one.members.append(sm.find_user(username="staff2"))
        sm.session.add(Team(name="客服二组", members=[sm.find_user(username="staff3"),
                                                     sm.find_user(username="supervisor2")]))
        sm.session.commit()
        staff_id = sm.find_user(username="staff").id
    complaint = portal_of(app).spec.form("complaint")
    records = {
        "by_staff": make_record(app, complaint, _owner="staff", description="甲的投诉",
                                product_name="甲的产品"),
        "by_staff2": make_record(app, complaint, _owner="staff2", description="乙的投诉",
                                 product_name="乙的产品"),
        "by_staff3": make_record(app, complaint, _owner="staff3", description="丙的投诉",
                                 product_name="丙的产品"),
        "handled_by_staff": make_record(app, complaint, _owner="staff3", description="丙转甲",
                                        product_name="丙转甲的产品", handler=staff_id),
    }
    return {k: r.id for k, r in records.items()}


# who reaches which record (everything else must be a 404 / absent)
REACH = {
    "staff": {"by_staff", "handled_by_staff"},
    "staff2": {"by_staff2"},
    "staff3": {"by_staff3", "handled_by_staff"},
    "supervisor": {"by_staff", "by_staff2", "handled_by_staff"},
    "supervisor2": {"by_staff3", "handled_by_staff"},
    "auditor": {"by_staff", "by_staff2", "by_staff3", "handled_by_staff"},
    "admin": {"by_staff", "by_staff2", "by_staff3", "handled_by_staff"},
}


def audit_events(app: Flask, days: int, n: int, tag: str = "") -> None:
    """n `test` audit events dated `days` from today at noon (one second apart), appended
    at the end of the chain: a history to archive (tests/test_audit_archive.py)."""
    from app.audit import log as audit

    noon = dt.datetime.combine(dt.date.today() + dt.timedelta(days=days), dt.time(12))
    with app.app_context():
        session = app.appbuilder.session
        for i in range(n):
            values = audit.event_values("test", form="complaint", record_id=i,
                                        details={"n": i, "tag": tag, "text": "中文"})
            values["at"] = noon + dt.timedelta(seconds=i, microseconds=1234)
            audit.append(session.connection(), values)
        session.commit()


def day(days: int) -> dt.datetime:
    """Midnight `days` from today, as `--before` takes it."""
    return dt.datetime.combine(dt.date.today() + dt.timedelta(days=days), dt.time())
