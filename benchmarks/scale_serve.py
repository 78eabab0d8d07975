"""What benchmarks/scale.py serves with gunicorn, and its SQL statement counter.

    BENCH_DATABASE_URL=... BENCH_AUDIT=0|1 gunicorn -c gunicorn.conf.py \
        --pythonpath benchmarks 'scale_serve:portal()'

The portal is built by create_app like wsgi.py does, with the benchmark's settings: login
throttling lifted (one login per server, but many servers in a run) and PORTAL_AUDIT from
BENCH_AUDIT (a settings override only: the portal has no environment variable for it).

    python benchmarks/scale_serve.py count portal|baseline URL...   # one JSON line

counts the SQL statements each GET sends, in-process with Flask's test client, signed in as
admin (the login and a first request to every URL are not counted: caches warm).
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
PASSWORD = "Bench-scale-pw-2026"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def portal() -> Any:
    from bench_config import SHIPPED_CONFIG, overrides

    from app import create_app

    url = os.environ["BENCH_DATABASE_URL"]
    return create_app({**overrides(SHIPPED_CONFIG, url),
                       "PORTAL_AUDIT": os.environ.get("BENCH_AUDIT", "1") == "1",
                       "PORTAL_LOGIN_RATE_LIMIT": "10000 per minute",
                       "PORTAL_LOGIN_IP_RATE_LIMIT": "10000 per minute"})


def count(which: str, urls: list[str]) -> dict[str, int]:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if which == "portal":
        app = portal()
    else:
        from scale_baseline import create_baseline

        app = create_baseline()
    client = app.test_client()
    token = CSRF_RE.search(client.get("/login/").get_data(as_text=True)).group(1)
    client.post("/login/", data={"username": "admin", "password": PASSWORD,
                                 "csrf_token": token})
    seen = [0]

    def counter(*_args: Any) -> None:
        seen[0] += 1

    out = {}
    for url in urls:
        client.get(url)
        event.listen(Engine, "before_cursor_execute", counter)
        seen[0] = 0
        response = client.get(url)
        event.remove(Engine, "before_cursor_execute", counter)
        out[url] = seen[0] if response.status_code == 200 else -response.status_code
    return out


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "count":
        raise SystemExit(__doc__)
    print(json.dumps(count(sys.argv[2], sys.argv[3:])))
