"""Audit overhead: records created per second through the app (the add screen, signed in as
staff, one POST per record) with auditing on and off, in the same run, on SQLite and
PostgreSQL. Target: auditing costs at most 15% of throughput.

    .venv/bin/python benchmarks/audit.py [--records 300] [--rounds 5] [--pg URL] [--no-pg]

Rounds alternate off / on on the same app and database, so drift (caches warming, the table
growing, the machine's load) hits both sides alike; the figure per side is the median of its
rounds. "On" writes the create event (values of every field, hash-chained) in the request's
transaction; the access log adds nothing to a POST that redirects.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench_config import SHIPPED_CONFIG, overrides  # noqa: E402
from schema import database  # noqa: E402

from app import create_app  # noqa: E402
from app.schema.upgrade import upgrade  # noqa: E402
from app.security.permissions import sync_roles  # noqa: E402

PASSWORD = "Bench-audit-pw-2026"
TARGET = 0.15


def _app(url: str) -> Any:
    app = create_app({**overrides(SHIPPED_CONFIG, url), "PORTAL_LOGIN_RATE_LIMIT":
                      "10000 per minute", "PORTAL_LOGIN_IP_RATE_LIMIT": "10000 per minute"})
    upgrade(app)
    sync_roles(app)
    with app.app_context():
        sm = app.appbuilder.sm
        sm.add_user("bench", "压测", "员工", "bench@example.com", sm.find_role("staff"),
                    password=PASSWORD)
    return app


def _client(app: Any) -> tuple[Any, str]:
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/login/").get_data(as_text=True)).group(1)
    client.post("/login/", data={"username": "bench", "password": PASSWORD,
                                 "csrf_token": token})
    page = client.get("/customerview/add").get_data(as_text=True)
    return client, re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                             page).group(1)


def _round(app: Any, client: Any, token: str, audit_on: bool, n: int, start: int) -> float:
    app.config["PORTAL_AUDIT"] = audit_on
    began = time.perf_counter()
    for i in range(start, start + n):
        response = client.post("/customerview/add", data={
            "name": f"压测客户{i}", "phone": f"138{i:08d}", "csrf_token": token})
        if response.status_code != 302:
            raise SystemExit(f"add failed with {response.status_code}")
    return n / (time.perf_counter() - began)


def _events(app: Any) -> int:
    from sqlalchemy import text

    with app.app_context():
        return int(app.appbuilder.session.execute(text(
            "select count(*) from portal_audit_event where action = 'create' and "
            "form = 'customer'")).scalar())


def measure(kind: str, url: str, records: int, rounds: int) -> dict[str, float]:
    app = _app(url)
    client, token = _client(app)
    _round(app, client, token, True, 20, 0)  # warm-up: templates, statements, caches
    rates: dict[bool, list[float]] = {False: [], True: []}
    before = _events(app)
    n = 20
    for _ in range(rounds):
        for side in (False, True):
            rates[side].append(_round(app, client, token, side, records, n))
            n += records
    logged = _events(app) - before
    if logged != rounds * records:
        raise SystemExit(f"{kind}: {logged} events for {rounds * records} audited records")
    off, on = statistics.median(rates[False]), statistics.median(rates[True])
    with app.app_context():
        app.appbuilder.session.get_bind().dispose()
    return {"off": off, "on": on, "ratio": on / off}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=300, help="records per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pg", default=os.environ.get("PORTAL_BENCH_PG",
                                                       "postgresql://127.0.0.1:5432/test"))
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    kinds = ["sqlite"] + ([] if args.no_pg else ["postgresql"])
    print(f"records created per second through the add screen, {args.rounds} rounds of "
          f"{args.records} per side (median)")
    print(f"{'database':<12}{'audit off':>12}{'audit on':>12}{'on/off':>9}{'cost':>8}  target")
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for kind in kinds:
            url, drop = database(kind, args.pg, folder)
            try:
                result = measure(kind, url, args.records, args.rounds)
            finally:
                drop()
            cost = 1 - result["ratio"]
            worst = max(worst, cost)
            print(f"{kind:<12}{result['off']:>12.1f}{result['on']:>12.1f}"
                  f"{result['ratio']:>9.3f}{cost:>8.1%}  {'PASS' if cost <= TARGET else 'FAIL'}"
                  f" (≤ {TARGET:.0%})")
    print("=> " + ("PASS" if worst <= TARGET else "FAIL") + f": worst audit cost {worst:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
