"""Dashboard benchmark: every statement of the base dashboard (售后服务看板) at 10,000 and
1,000,000 complaints on PostgreSQL, and the whole page cold and warm.

    .venv/bin/python benchmarks/dashboard.py [--sizes 10k,1m] [--pg-url postgresql://127.0.0.1:5432/test]

For each size a database bench_dash_<size> is created and seeded once (kept and reused):
complaints spread over the year before a fixed moment (so a week holds about 1/52 of them),
a callback for every third, a compensation for every tenth, in bulk INSERT … SELECT over
generate_series, then ANALYZE. Per widget it times its statements (this period and the
previous one) for a manager (every record) and for a staff member (row scope `own`): the
first run and the median of five. Then the page over the app's test client as the manager:
cold (cache empty: every statement runs), warm (the minute's cache) and uncached again.
Targets (printed, not asserted): every statement under 500 ms at 1M, the page under 2 s
cold and under 200 ms warm. A benchmark, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

NOW = dt.datetime(2026, 12, 9, 10, 0)
PASSWORD = "Bench-dash-pw-2026"
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}


def ensure_database(pg_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            conn.execute(f'create database "{name}"')
    base = pg_url.rsplit("/", 1)[0]
    return f"{base}/{name}"


def build(url: str, cache_seconds: int) -> Any:
    from app import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-dashboard-" + "x" * 40,
        "PORTAL_CONFIG_DIR": os.path.join(ROOT, "config"), "TESTING": True,
        "SERVER_NAME": "bench.local", "PORTAL_DASHBOARD_CACHE_SECONDS": cache_seconds,
        "PORTAL_REVISIONS_DIR": os.path.join("/tmp", "bench-dash-revisions", url.rsplit(
            "/", 1)[1]), "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "PORTAL_LOGIN_RATE_LIMIT": "10000 per minute",
        "PORTAL_LOGIN_IP_RATE_LIMIT": "10000 per minute"})


def setup(app: Any) -> dict[str, int]:
    from app.schema.upgrade import upgrade
    from app.security.permissions import sync_roles

    upgrade(app, allow_risky=True)
    sync_roles(app)
    with app.app_context():
        sm = app.appbuilder.sm
        for name in ("admin", "manager", "staff", "staff2"):
            if not sm.find_user(username=name):
                sm.add_user(name, name, "bench", f"{name}@example.com",
                            sm.find_role(name if name != "staff2" else "staff"),
                            password=PASSWORD)
        return {n: sm.find_user(username=n).id for n in ("admin", "manager", "staff", "staff2")}


SEED = """
INSERT INTO form_customer (version, created_on, changed_on, name, phone)
SELECT 1, :now, :now, '客户' || g, '138' || lpad(g::text, 8, '0')
FROM generate_series(1, 1000) g;

INSERT INTO form_complaint (version, created_on, changed_on, created_by_fk, state,
  sla_response_due, sla_responded_on, sla_resolution_due, sla_resolved_on,
  sla_response_breached, sla_resolution_breached, ticket_no, customer_id, channel,
  product_name, batch_no, occurred_at, description, category, severity, priority,
  recorded_by_id, handler_id)
SELECT 1, c.made, c.made, CASE WHEN g % 4 = 0 THEN :staff ELSE :staff2 END, c.state,
  c.made + interval '1 day', CASE WHEN g % 5 < 4 THEN c.made + (g % 40) * interval '1 hour' END,
  c.made + interval '3 days',
  CASE WHEN c.state IN ('resolved', 'closed') THEN c.made + (g % 97) * interval '1 hour' END,
  false, false, 'B-' || g, 1 + g % 1000,
  (ARRAY['phone','email','online','social','in_person','visit'])[1 + g % 6],
  '产品' || (g % 200), 'LOT' || (g % 5000), c.made, '基准数据',
  (ARRAY['quality','misuse','service'])[1 + g % 3],
  (ARRAY['minor','normal','serious'])[1 + g % 3], 'normal', :admin,
  CASE WHEN g % 7 = 0 THEN NULL WHEN g % 3 = 0 THEN :staff ELSE :staff2 END
FROM generate_series(1, :n) g,
LATERAL (SELECT :now - (g % 365) * interval '1 day' - (g % 600) * interval '1 minute' AS made,
         (ARRAY['registered','accepted','investigating','resolved','closed','closed','closed'
                ])[1 + g % 7] AS state) c;

INSERT INTO form_satisfaction_survey (version, created_on, changed_on, created_by_fk,
  complaint_id, callback_date, product_rating, service_rating, speed_rating)
SELECT 1, created_on, created_on, created_by_fk, id, (created_on + interval '2 days')::date,
  1 + id % 5, 1 + (id / 3) % 5, 4
FROM form_complaint WHERE id % 3 = 0;

INSERT INTO form_compensation (version, created_on, changed_on, created_by_fk, state,
  complaint_id, kind, amount, reason, proposed_by_id)
SELECT 1, created_on, created_on, created_by_fk,
  (ARRAY['draft','submitted','approved','closed'])[1 + id % 4], id,
  (ARRAY['refund','replacement','gift','coupon'])[1 + id % 4],
  (ARRAY[50, 200, 800, 6000])[1 + id % 4], '基准数据', created_by_fk
FROM form_complaint WHERE id % 10 = 0;
"""


def seed(app: Any, users: dict[str, int], n: int) -> float:
    from sqlalchemy import text

    with app.app_context():
        session = app.appbuilder.session
        have = session.execute(text("select count(*) from form_complaint")).scalar_one()
        if have >= n:
            return 0.0
        started = time.perf_counter()
        for statement in SEED.strip().split(";\n\n"):
            session.execute(text(statement), {"now": NOW, "n": n, **users})
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()
        return time.perf_counter() - started


def time_widgets(app: Any, users: dict[str, int]) -> dict[str, dict[str, tuple[float, float]]]:
    """widget → viewer → (first run, median of five) in ms, this period + the previous."""
    from app.portal import portal_of
    from app.reports.dashboard import Viewer, widget_query
    from app.reports.periods import period_of
    from app.security.access import members_clause

    out: dict[str, dict[str, tuple[float, float]]] = {}
    with app.app_context():
        portal = portal_of(app)
        session = app.appbuilder.session
        board = portal.spec.dashboard("after_sales")
        assert board is not None
        period = period_of("week", NOW.date())
        forms = {f.key for f in portal.spec.forms}
        viewers = {"manager": Viewer(forms, lambda *_: None),
                   "staff": Viewer(forms, lambda key, model: members_clause(
                       model, portal.spec.form(key), [users["staff"]]))}
        for widget in board.widgets:
            out[widget.key] = {}
            for name, viewer in viewers.items():
                query = widget_query(session, portal, widget, viewer, NOW)
                runs = []
                for _ in range(6):
                    started = time.perf_counter()
                    query.rows(session, period)
                    if widget.compare and widget.period:
                        query.rows(session, period.previous())
                    runs.append((time.perf_counter() - started) * 1000)
                out[widget.key][name] = (runs[0], statistics.median(runs[1:]))
            session.rollback()
    return out


def time_page(url: str) -> dict[str, float]:
    import time_machine

    from tests.support.app import login

    out = {}
    for label, cache in (("cached", 60), ("uncached", 0)):
        app = build(url, cache)
        client = app.test_client()
        with time_machine.travel(NOW, tick=True):
            login(client, "manager", PASSWORD)
            for attempt in ("cold", "warm"):
                started = time.perf_counter()
                response = client.get("/dashboard/after_sales/?period=week&at=2026-12-07")
                assert response.status_code == 200, response.status_code
                out[f"{attempt} ({label})"] = (time.perf_counter() - started) * 1000
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,1m")
    parser.add_argument("--pg-url", default="postgresql://127.0.0.1:5432/test")
    args = parser.parse_args(argv)
    sizes = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    widgets: dict[str, dict] = {}
    pages: dict[str, dict] = {}
    for size in sizes:
        url = ensure_database(args.pg_url, f"bench_dash_{size}")
        app = build(url.replace("postgresql://", "postgresql+psycopg://"), 60)
        users = setup(app)
        took = seed(app, users, SIZES[size])
        print(f"{size}: seeded in {took:.0f} s" if took else f"{size}: reusing the seeded data")
        widgets[size] = time_widgets(app, users)
        pages[size] = time_page(url.replace("postgresql://", "postgresql+psycopg://"))
    print("\nper widget, this period + the previous, ms (first run / median of 5)")
    head = "".join(f" | {s} manager | {s} staff" for s in sizes)
    print(f"{'widget':28}{head}")
    slowest = {s: 0.0 for s in sizes}
    for key in widgets[sizes[0]]:
        cells = ""
        for s in sizes:
            for viewer in ("manager", "staff"):
                first, median = widgets[s][key][viewer]
                slowest[s] = max(slowest[s], first, median)
                cells += f" | {first:7.1f} / {median:6.1f}"
        print(f"{key:28}{cells}")
    print("\nthe page as the manager, ms")
    for s in sizes:
        print(f"{s}: " + ", ".join(f"{k} {v:.0f}" for k, v in pages[s].items()))
    big = sizes[-1]
    print(f"\ntargets at {big}: every widget under 500 ms: slowest {slowest[big]:.0f} ms; "
          f"page cold under 2 s: {pages[big]['cold (cached)']:.0f} ms; warm under 200 ms: "
          f"{pages[big]['warm (cached)']:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
