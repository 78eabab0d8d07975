"""Login timing: does a failed sign-in take as long for an unknown user name as for a wrong
password or a disabled account? (User enumeration by timing, OWASP ASVS 2.2 / 3.x.)

    .venv/bin/python benchmarks/login_timing.py [--runs 41] [--database-url URL]

Builds a throwaway portal (SQLite file, or the given database), then alternates the cases
round-robin through FAB's login form and the JWT login API, and prints the median, the
interquartile range and the spread between cases. FAB 5.3 checks a fake scrypt hash for
unknown and disabled users, so every failure costs one hash; the medians should differ by
far less than the hash itself takes. A benchmark, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "Bench-login-pass-2026"


def build(database_url: str | None) -> object:
    sys.path.insert(0, ROOT)
    from app import create_app
    from app.schema.upgrade import upgrade
    from app.security.permissions import sync_roles

    folder = tempfile.mkdtemp(prefix="login-timing-")
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{folder}/portal.db",
        "PORTAL_REVISIONS_DIR": os.path.join(folder, "revisions"),
        "SECRET_KEY": uuid.uuid4().hex * 2, "SERVER_NAME": "portal.bench",
        "PORTAL_LOGIN_RATE_LIMIT": "100000 per minute",
        "PORTAL_LOGIN_IP_RATE_LIMIT": "100000 per minute"})
    upgrade(app)
    sync_roles(app)
    with app.app_context():
        sm = app.appbuilder.sm
        for name, active in (("known", True), ("disabled", False)):
            user = sm.add_user(name, name, "bench", f"{name}@example.com",
                               sm.find_role("staff"), password=PASSWORD)
            user.active = active
        sm.session.commit()
    return app


def attempts(app: object) -> dict[str, Callable[[], int]]:
    import re

    client = app.test_client()  # type: ignore[attr-defined]
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore

    def form(username: str, password: str) -> Callable[[], int]:
        return lambda: client.post("/login/", data={
            "username": username, "password": password, "csrf_token": token}).status_code

    def api(username: str, password: str) -> Callable[[], int]:
        return lambda: client.post("/api/v1/security/login", json={
            "username": username, "password": password, "provider": "db"}).status_code

    cases = {"unknown user": ("nobody-here", PASSWORD), "wrong password": ("known", "Wrong-2026"),
             "disabled user": ("disabled", PASSWORD)}
    found: dict[str, Callable[[], int]] = {}
    for label, (username, password) in cases.items():
        found[f"form: {label}"] = form(username, password)
        found[f"api:  {label}"] = api(username, password)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=41)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # FAB logs every failed login and its redirect
    app = build(args.database_url)
    cases = attempts(app)
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for attempt in cases.values():  # warm-up: caches, connections
        attempt()
    for _ in range(args.runs):
        for name, attempt in cases.items():
            start = time.perf_counter()
            attempt()
            timings[name].append((time.perf_counter() - start) * 1000)
    print(f"login timing, {args.runs} runs per case (ms; load average "
          f"{os.getloadavg()[0]:.2f})")
    print(f"{'case':28} {'median':>8} {'q1':>8} {'q3':>8}")
    for name, values in timings.items():
        q1, _q2, q3 = statistics.quantiles(values, n=4)
        print(f"{name:28} {statistics.median(values):8.1f} {q1:8.1f} {q3:8.1f}")
    for kind in ("form", "api:"):
        medians = [statistics.median(v) for k, v in timings.items() if k.startswith(kind)]
        print(f"{kind.rstrip(':')} spread of medians: {max(medians) - min(medians):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
