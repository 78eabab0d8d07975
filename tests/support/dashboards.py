"""A fixed data set for the dashboard tests: complaints, callbacks and compensations across
three weeks around a frozen moment, owned by users of two teams, and the figures of the base
dashboard computed from it independently (in Python, from the generated values)."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from dataclasses import dataclass
from typing import Any

import time_machine
from flask import Flask
from sqlalchemy import select

from app.portal import portal_of
from app.spec import CalendarSpec
from tests.support.app import PASSWORD, login

NOW = dt.datetime(2026, 12, 9, 10, 0)  # a Wednesday
WEEK = (dt.date(2026, 12, 7), dt.date(2026, 12, 14))
PREVIOUS = (dt.date(2026, 11, 30), dt.date(2026, 12, 7))
STATES = ("registered", "accepted", "investigating", "escalated", "awaiting_confirmation",
          "resolved", "closed")
DONE = ("resolved", "closed")
CHANNELS = ("phone", "email", "online", "social")
OWNERS = ("staff", "staff2", "staff3")


@dataclass
class Complaint:
    n: int
    owner: str
    handler: str | None
    created_on: dt.datetime
    channel: str
    category: str
    severity: str
    state: str
    resolved_on: dt.datetime | None
    response_due: dt.datetime | None
    responded_on: dt.datetime | None
    resolution_due: dt.datetime | None
    id: int = 0


@dataclass
class Survey:
    complaint: Complaint
    owner: str
    callback_date: dt.date
    service_rating: int


@dataclass
class Compensation:
    complaint: Complaint
    owner: str
    created_on: dt.datetime
    kind: str
    amount: float
    state: str


@dataclass
class Data:
    complaints: list[Complaint]
    surveys: list[Survey]
    compensations: list[Compensation]
    users: dict[str, int]


def generate(seed: int = 7, n: int = 160) -> tuple[list[Complaint], list[Survey],
                                                    list[Compensation]]:
    rng = random.Random(seed)
    start = dt.datetime(2026, 11, 23)
    complaints = []
    for i in range(n):
        created = start + dt.timedelta(seconds=rng.randrange(int((NOW - start).total_seconds())))
        created = created.replace(second=0, microsecond=0)
        state = rng.choice(STATES)
        resolved = created + dt.timedelta(minutes=rng.randrange(30, 6000)) \
            if state in DONE else None
        if resolved is not None and resolved > NOW:
            resolved = NOW - dt.timedelta(minutes=1)
        due = created + dt.timedelta(hours=24) if i % 9 else None  # some without an SLA
        responded = None if rng.random() < 0.3 else created + dt.timedelta(
            minutes=rng.randrange(5, 2500))
        if responded is not None and responded > NOW:
            responded = None
        complaints.append(Complaint(
            i, rng.choice(OWNERS), rng.choice([None, "staff", "staff2", "staff3"]), created,
            rng.choice(CHANNELS), rng.choice(("quality", "misuse", "service")),
            rng.choice(("minor", "normal", "serious")), state, resolved, due, responded,
            created + dt.timedelta(hours=72) if due else None))
    surveys = [Survey(c, c.owner, (c.created_on + dt.timedelta(days=rng.randrange(0, 4))).date(),
                      rng.randrange(1, 6))
               for c in complaints if c.state in DONE and rng.random() < 0.6]
    compensations = [Compensation(c, c.owner, c.created_on + dt.timedelta(hours=2),
                                  rng.choice(("refund", "replacement", "gift", "coupon")),
                                  rng.choice((50.0, 200.0, 500.0, 800.0, 6000.0)),
                                  rng.choice(("draft", "submitted", "approved", "closed",
                                              "cancelled")))
                     for c in complaints if rng.random() < 0.35]
    return complaints, surveys, compensations


def load(app: Flask, users: dict[str, int]) -> Data:
    """Insert the data set (Core inserts, no audit noise) and note each complaint's id."""
    complaints, surveys, compensations = generate()
    portal = portal_of(app)
    tables = portal.models.metadata.tables
    with app.app_context():
        session = app.appbuilder.session
        customer = session.execute(tables["form_customer"].insert().values(
            version=1, name="看板客户", phone="13800000000", created_on=NOW,
            changed_on=NOW, created_by_fk=users["staff"]).returning(
                tables["form_customer"].c.id)).scalar_one()
        rows = [{
            "version": 1, "ticket_no": f"DASH-{c.n:04d}", "customer_id": customer,
            "channel": c.channel, "product_name": f"产品{c.n % 5}", "description": "看板测试",
            "batch_no": f"LOT{c.n % 20:03d}",  # the cosmetics pack requires one
            "category": c.category, "severity": c.severity, "priority": "normal",
            "occurred_at": c.created_on, "expectation": "退换",
            "recorded_by_id": users[c.owner],
            "handler_id": users[c.handler] if c.handler else None, "state": c.state,
            "created_on": c.created_on, "changed_on": c.created_on,
            "created_by_fk": users[c.owner], "sla_resolved_on": c.resolved_on,
            "sla_response_due": c.response_due, "sla_responded_on": c.responded_on,
            "sla_resolution_due": c.resolution_due} for c in complaints]
        table = tables["form_complaint"]
        session.execute(table.insert(), rows)
        ids = dict(session.execute(select(table.c.ticket_no, table.c.id)).all())
        for c in complaints:
            c.id = ids[f"DASH-{c.n:04d}"]
        session.execute(tables["form_satisfaction_survey"].insert(), [{
            "version": 1, "complaint_id": s.complaint.id, "callback_date": s.callback_date,
            "service_rating": s.service_rating, "product_rating": 4, "speed_rating": 4,
            "created_on": NOW, "changed_on": NOW,
            "created_by_fk": users[s.owner]} for s in surveys])
        session.execute(tables["form_compensation"].insert(), [{
            "version": 1, "complaint_id": k.complaint.id, "kind": k.kind, "amount": k.amount,
            "reason": "看板测试", "proposed_by_id": users[k.owner], "state": k.state,
            "created_on": k.created_on, "changed_on": k.created_on,
            "created_by_fk": users[k.owner]} for k in compensations])
        session.commit()
    return Data(complaints, surveys, compensations, users)


SCOPES = {  # whose records each viewer's figures count (row scope `own`, `team`, `all`)
    "staff": lambda rec, owner, handler: "staff" in (owner, handler),
    "supervisor": lambda rec, owner, handler: bool({owner, handler} & {"staff", "staff2"}),
    "manager": lambda rec, owner, handler: True,
}


def make_board(make_app: Any, **settings: Any) -> tuple[Flask, Data]:
    """An app holding the data set; staff2 shares the test team with staff and the
    supervisor, staff3 is alone in 客服二组. Dashboard pages are not cached unless asked."""
    from app.security.teams import Team

    app = make_app(**{"PORTAL_DASHBOARD_CACHE_SECONDS": 0, **settings})
    with app.app_context():
        sm = app.appbuilder.sm
        for name in ("staff2", "staff3"):
            sm.add_user(name, name, "test", f"{name}@example.com", sm.find_role("staff"),
                        password=PASSWORD)
        one = sm.session.query(Team).one()
        one.members.append(sm.find_user(username="staff2"))
        sm.session.add(Team(name="客服二组", members=[sm.find_user(username="staff3")]))
        sm.session.commit()
        users = {u: sm.find_user(username=u).id for u in ("staff", "staff2", "staff3")}
    return app, load(app, users)


def signed_in(app: Flask, username: str) -> Any:
    client = app.test_client()
    with time_machine.travel(NOW, tick=False):
        login(client, username)
    return client


def get(client: Any, url: str, **query: Any) -> Any:
    with time_machine.travel(NOW, tick=False):
        return client.get(url, query_string=query) if query else client.get(url)


def figures(app: Flask, username: str, **args: str) -> dict[str, Any]:
    """The base dashboard's figures by widget key, as the page shows them to the user."""
    query = {"period": "week", "at": WEEK[0].isoformat(), **args}
    response = get(signed_in(app, username), "/dashboard/after_sales/", **query)
    assert response.status_code == 200
    data = page_data(response.get_data(as_text=True))
    return {**{t["key"]: t for t in data["tiles"]}, **{w["key"]: w for w in data["widgets"]}}


def page_data(body: str) -> dict[str, Any]:
    """The figures a dashboard page carries for its charts (and shows in its tiles)."""
    match = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>',
                      body, re.S)
    assert match, "no dashboard data on the page"
    return json.loads(match.group(1))


def working_seconds(start: dt.datetime, end: dt.datetime, calendar: CalendarSpec) -> int:
    """Working seconds from start to end, minute by minute (an independent reference)."""
    hours = calendar.hours or ((0, 1440),)
    total, moment = 0, start.replace(second=0)
    step = dt.timedelta(minutes=1)
    while moment < end:
        minute = moment.hour * 60 + moment.minute
        if calendar.is_working_day(moment.date()) and any(a <= minute < b for a, b in hours):
            total += 60
        moment += step
    return total


def p90(values: list[float]) -> float | None:
    """Nearest rank: the value at rank ceil(0.9 n)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[(9 * len(ordered) + 9) // 10 - 1]
