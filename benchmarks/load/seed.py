"""A fresh load-test database: created (dropped first), migrated, roles synced, staff and
supervisors in teams, some thousands of customers and complaints; the plan the locust users
read (who owns which complaints, which complaints everyone edits at once) goes to JSON."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

# Meets app/security/passwords.py: 12+ characters, no user name in it, not common or sequential.
PASSWORD = "Quay-Lantern-7241-ok"
ADMIN_PASSWORD = "Harbor-Keeper-9083-ok"
TEAMS = 5
STAFF_PER_TEAM = 8
SUPERVISORS_PER_TEAM = 2
SHARED_PER_TEAM = 2  # complaints that a team's four editors change at the same time


def sa_url(url: str) -> str:
    from app.settings import database_url

    return database_url(url, "")


def recreate_database(server_url: str, name: str) -> str:
    """DROP (forcing other sessions off) and CREATE `name` on the server; its URL."""
    engine = create_engine(sa_url(f"{server_url.rstrip('/')}/postgres"),
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{server_url.rstrip('/')}/{name}"


def usernames() -> list[tuple[str, str, int]]:
    """(username, role, team number) of every load-test user."""
    out = []
    for team in range(TEAMS):
        out += [(f"clerk{team}{i}", "staff", team) for i in range(STAFF_PER_TEAM)]
        out += [(f"lead{team}{i}", "supervisor", team) for i in range(SUPERVISORS_PER_TEAM)]
    return out


def seed(url: str, secret: str, customers: int = 3000, complaints: int = 6000) -> dict[str, Any]:
    """Migrate and fill the database at `url`; returns the plan (also for the checks)."""
    from app import create_app
    from app.cli.users import ensure_admin
    from app.portal import portal_of
    from app.schema.upgrade import upgrade
    from app.security.permissions import sync_roles
    from app.security.teams import Team

    app = create_app({"SQLALCHEMY_DATABASE_URI": sa_url(url), "SECRET_KEY": secret,
                      "PORTAL_ADMIN_PASSWORD": ADMIN_PASSWORD})
    upgrade(app)
    sync_roles(app)
    ensure_admin(app, lambda _msg: None)
    models = portal_of(app).models
    customer_t = models.metadata.tables["form_customer"]
    complaint_t = models.metadata.tables["form_complaint"]
    rng = random.Random(7)
    plan: dict[str, Any] = {"users": {}, "shared": [], "customers": []}
    with app.app_context():
        sm = app.appbuilder.sm
        session = sm.session
        ids: dict[str, int] = {}
        teams: dict[int, list[Any]] = {}
        for name, role, team in usernames():
            user = sm.add_user(name, name, "load", f"{name}@example.com", sm.find_role(role),
                               password=PASSWORD)
            ids[name] = user.id
            teams.setdefault(team, []).append(user)
            plan["users"][name] = {"role": role, "team": team, "own": []}
        for team, members in teams.items():
            session.add(Team(name=f"负载组{team}", members=members))
        session.commit()
        stamp = dt.datetime(2026, 1, 5, 9, 0)
        session.execute(customer_t.insert(), [
            {"version": 1, "created_on": stamp, "changed_on": stamp, "name": f"客户{i:05d}",
             "phone": f"138{i:08d}", "company": f"公司{i % 97}", "email": f"c{i}@example.com",
             "address": f"上海市{i % 16}区{i}号"} for i in range(customers)])
        customer_ids = [r for (r,) in session.execute(text("select id from form_customer"))]
        plan["customers"] = [f"客户{i:05d}" for i in range(0, customers, 37)]
        staff = [n for n, role, _ in usernames() if role == "staff"]
        rows = []
        for i in range(complaints):
            owner = staff[i % len(staff)]
            handler = staff[(i + 1) % len(staff)] if i % 3 else owner
            rows.append({
                "version": 1, "created_on": stamp, "changed_on": stamp,
                "created_by_fk": ids[owner], "state": "registered",
                "customer_id": rng.choice(customer_ids), "channel": "phone",
                "product_name": f"产品{i % 250}", "batch_no": f"B{i:06d}",
                "occurred_at": stamp - dt.timedelta(hours=i % 500),
                "description": f"第{i}号投诉：包装破损，客户要求更换。",
                "severity": "normal", "priority": ("low", "normal", "urgent")[i % 3],
                "recorded_by_id": ids[owner], "handler_id": ids[handler]})
        session.execute(complaint_t.insert(), rows)
        session.commit()
        for pk, owner_id in session.execute(text(
                "select id, created_by_fk from form_complaint order by id")):
            name = next(n for n, i in ids.items() if i == owner_id)
            own = plan["users"][name]["own"]
            if len(own) < 60:
                own.append(pk)
        # Shared complaints: recorded by a team's first clerk, handled by its second; the two
        # clerks and the team's two leads edit them concurrently (version check).
        for team in range(TEAMS):
            clerk, handler = f"clerk{team}0", f"clerk{team}1"
            for _ in range(SHARED_PER_TEAM):
                pk = session.execute(complaint_t.insert().values(
                    version=1, created_on=stamp, changed_on=stamp,
                    created_by_fk=ids[clerk], state="registered",
                    customer_id=customer_ids[team], channel="phone", product_name="共享投诉",
                    occurred_at=stamp, description="多人同时编辑的投诉记录。",
                    severity="normal", priority="normal", recorded_by_id=ids[clerk],
                    handler_id=ids[handler])).inserted_primary_key[0]
                editors = [clerk, handler] + [f"lead{team}{i}"
                                              for i in range(SUPERVISORS_PER_TEAM)]
                plan["shared"].append({"id": pk, "editors": editors})
        session.commit()
        app.extensions["migrate"].db.engine.dispose()
    plan["password"] = PASSWORD
    plan["ids"] = ids
    return plan


def write_plan(plan: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
