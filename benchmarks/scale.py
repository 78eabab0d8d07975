"""Scale benchmark: the complaint pages at 1k / 100k / 1M rows, through real HTTP against
gunicorn, next to a hand-written Flask-AppBuilder baseline over the same tables.

    .venv/bin/python benchmarks/scale.py [--sizes 1k,100k,1m] [--db sqlite,pg] [--requests 50]
                                         [--pg-url postgresql://postgres@127.0.0.1:5432/bench_scale]
    make bench-scale

For every database and size: seed (or reuse) N customers and N complaints (scale_seed.py), then
serve in turn the portal (audit on), the portal with PORTAL_AUDIT off, and the baseline
(scale_baseline.py), each by gunicorn with 2 workers, and time --requests sequential requests
per page after a warm-up, signed in as admin. Prints p50/p95/p99, the ratio to the baseline
and to the smallest size, the targets (printed, not asserted) and the SQL statements per page.
It is a benchmark, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import scale_http  # noqa: E402
from scale_http import HERE, Client, Request, Sample, Server, measure  # noqa: E402
from scale_report import statements, table  # noqa: E402
from scale_seed import Target, ensure_pg_database, parse_size, prepare, size_label, target  # noqa: E402

PAGES = ["list", "filtered list", "sorted list", "deep page", "quick search",
         "reference search", "record page", "add page", "create", "transition"]
COUNTED = ["list", "filtered list", "sorted list", "deep page", "record page", "add page"]
PAGE_SIZE = 20  # complaint.yaml has no page_size: the portal's default, and the baseline's
SERVERS = {  # name -> (gunicorn app, view route, view class, has the portal's extra pages)
    "portal": ("scale_serve:portal()", "/complaintview", "ComplaintView", True),
    "noaudit": ("scale_serve:portal()", "/complaintview", "ComplaintView", True),
    "baseline": ("scale_baseline:create_baseline()", "/complaintbase", "ComplaintBase", False),
}


def _max_offset() -> int:
    """The rows a portal list pages through (app/views/guard.py; beyond them: 400)."""
    try:
        from app.views.guard import MAX_OFFSET
    except ImportError:
        return 10**9
    return int(MAX_OFFSET)


def _facts(t: Target) -> dict[str, Any]:
    """What the requests need from the data: a customer with complaints, the staff user."""
    import sqlalchemy as sa

    engine = sa.create_engine(t.portal_url)
    with engine.connect() as conn:
        customer = conn.execute(sa.text(
            "select customer_id from form_complaint where id = 1")).scalar()
        staff = conn.execute(sa.text(
            "select id from ab_user where username = 'handler'")).scalar()
        total = conn.execute(sa.text("select count(*) from form_complaint")).scalar()
    engine.dispose()
    return {"customer": customer, "staff": staff, "total": total}


def _registered(t: Target, k: int) -> list[tuple[int, int]]:
    """k complaints still in the initial state. Each transition consumes one: when a reused
    database runs short, accepted ones are put back (state, handler; the version moves on)."""
    import sqlalchemy as sa

    pick = ("select id, version from form_complaint where state = 'registered' "
            "order by id limit :k")
    engine = sa.create_engine(t.portal_url)
    with engine.begin() as conn:
        rows = conn.execute(sa.text(pick), {"k": k}).all()
        if len(rows) < k:
            conn.execute(sa.text(
                "update form_complaint set state = 'registered', handler_id = null, "
                "version = version + 1 where id in (select id from form_complaint where "
                "state = 'accepted' order by id limit :n)"), {"n": k - len(rows)})
            rows = conn.execute(sa.text(pick), {"k": k}).all()
    engine.dispose()
    return [(int(a), int(b)) for a, b in rows]


def requests_for(server: str, t: Target, facts: dict[str, Any],
                 pool: list[tuple[int, int]]) -> dict[str, Callable[[int], Request]]:
    _, route, view, portal = SERVERS[server]
    size, cust = t.size, facts["customer"]
    # FAB's pages count from 0: the last one, or the deepest the portal's guard allows
    last = min(max(0, (facts["total"] - 1) // PAGE_SIZE), _max_offset() // PAGE_SIZE - 1)
    create = {"customer": str(cust), "channel": "phone", "product_name": "压测产品",
              "occurred_at": "2024-03-02 10:30:00", "description": "包装破损，无法正常使用。",
              "category": "quality", "severity": "normal", "priority": "normal",
              "recorded_by": "1"}

    def fixed(url: str) -> Callable[[int], Request]:
        return lambda _i: Request("GET", url)

    out = {
        "list": fixed(f"{route}/list/"),
        "filtered list": fixed(f"{route}/list/?_flt_0_customer={cust}"),
        "sorted list": fixed(f"{route}/list/?_oc_{view}=product_name&_od_{view}=asc"),
        "deep page": fixed(f"{route}/list/?page_{view}={last}"),
        "record page": lambda i: Request("GET", f"{route}/show/{1 + (i * 7919) % size}"),
        "add page": fixed(f"{route}/add"),
        "create": lambda _i: Request("POST", f"{route}/add", data=create, expect=(302,)),
    }
    if portal:
        out["quick search"] = fixed("/search/?" + urlencode({"q": "产品123"}))
        out["reference search"] = fixed("/lookup/complaint/customer?"
                                        + urlencode({"q": "客户00012"}))
        out["transition"] = lambda i: Request(
            "POST", f"/api/v1/complaint/{pool[i][0]}/transition/accept", bearer=True,
            json={"version": pool[i][1], "values": {"handler": facts["staff"]}})
    else:
        out["transition"] = lambda i: Request(
            "POST", f"/complaintstatebase/edit/{pool[i][0]}", expect=(302,),
            data={"state": "accepted", "handler": "1"})
    return out


def _env(server: str, t: Target) -> dict[str, str]:
    if server == "baseline":
        env = {"BENCH_DATABASE_URL": t.baseline_url}
        if t.kind == "sqlite":
            env["BENCH_ATTACH"] = t.data_path
        return env
    return {"BENCH_DATABASE_URL": t.portal_url, "BENCH_AUDIT": "0" if server == "noaudit"
            else "1"}


def run_servers(servers: list[str], t: Target, facts: dict[str, Any],
                args: argparse.Namespace, say: Callable[[str], None]
                ) -> dict[str, dict[str, Sample]]:
    """Start every server at once, then time each page on all of them, interleaved."""
    out: dict[str, dict[str, Sample]] = {s: {} for s in servers}
    started: dict[str, Server] = {}
    try:
        clients = {}
        for server in servers:
            app_spec, route, _, portal = SERVERS[server]
            log = os.path.join(args.data_dir,
                               f"gunicorn-{t.kind}-{size_label(t.size)}-{server}.log")
            started[server] = Server(app_spec, _env(server, t), log)
        for server, srv in started.items():
            _, route, _, portal = SERVERS[server]
            try:
                srv.wait("/health" if portal else "/login/")
                clients[server] = Client(srv.port, f"{route}/add", api=portal)
            except Exception as exc:  # noqa: BLE001 - the others are measured without it
                say(f"  {server}: not measured at this size, it could not be set up "
                    f"({type(exc).__name__}: {exc})")
        servers = [s for s in servers if s in clients]
        rounds = args.requests + args.warmup
        pool = _registered(t, rounds * len(servers))  # each transition consumes a record
        makers = {s: requests_for(s, t, facts, pool[k::len(servers)])
                  for k, s in enumerate(servers)}
        for page in PAGES:
            names = [s for s in servers if page in makers[s]]
            began = time.monotonic()
            n = args.requests
            if page == "transition":
                n = min(n, len(pool) // len(servers) - args.warmup)
            samples = measure([(clients[s], makers[s][page]) for s in names], n,
                              args.warmup, args.budget)
            for name, sample in zip(names, samples, strict=True):
                out[name][page] = sample
            say(f"  {page:16} " + "  ".join(
                f"{name} " + (sample.missing or f"{sample.pct(50):.1f} ms")
                for name, sample in zip(names, samples, strict=True))
                + f"  (n={max(len(x.times) for x in samples)}, "
                  f"{time.monotonic() - began:.0f} s)")
    except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
        say(f"  {type(exc).__name__}: {exc} (logs: {args.data_dir}/gunicorn-*.log)")
    finally:
        for srv in started.values():
            srv.stop()
    return out


def count_statements(server: str, t: Target, facts: dict[str, Any]) -> dict[str, int]:
    makers = requests_for(server, t, facts, [(1, 1)])
    urls = {page: makers[page](0).url for page in COUNTED}
    env = {**os.environ, **_env(server, t)}
    which = "baseline" if server == "baseline" else "portal"
    proc = subprocess.run([sys.executable, os.path.join(HERE, "scale_serve.py"), "count",
                           which, *urls.values()], env=env, capture_output=True, text=True,
                          timeout=3600)
    try:
        got = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        print(f"  statement count ({server}) failed:\n{proc.stderr[-2000:]}")
        return {}
    return {page: got[url] for page, url in urls.items()}


def code_under_test() -> str:
    """Which portal code is served: the `app` package's checkout, commit, local changes."""
    import importlib.util

    spec = importlib.util.find_spec("app")
    folder = list(spec.submodule_search_locations or [""])[0] if spec else ""

    def git(*cmd: str) -> str:
        proc = subprocess.run(["git", "-C", folder, *cmd], capture_output=True, text=True)
        return proc.stdout.strip()

    changed = len(git("status", "--porcelain", "--", ".").splitlines())
    return (f"portal code: {folder} at {git('rev-parse', '--short', 'HEAD') or '?'}"
            + (f" + {changed} uncommitted file(s)" if changed else ""))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="1k,100k", help="comma-separated, e.g. 1k,100k,1m")
    p.add_argument("--db", default="sqlite,pg", help="sqlite, pg or both")
    p.add_argument("--requests", type=int, default=50, help="timed requests per page")
    p.add_argument("--warmup", type=int, default=3, help="untimed requests per page first")
    p.add_argument("--budget", type=float, default=30.0,
                   help="seconds per page after which timing stops (at least 5 requests)")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="seconds one request may take; slower prints 'timeout'")
    p.add_argument("--pg-url", default=os.environ.get(
        "BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/bench_scale"))
    p.add_argument("--data-dir", default="/tmp/portal-bench-scale",
                   help="seeded SQLite files and gunicorn logs (reused between runs)")
    p.add_argument("--no-audit-run", action="store_true",
                   help="skip the run with PORTAL_AUDIT off")
    p.add_argument("--no-count", action="store_true", help="skip the SQL statement counts")
    args = p.parse_args(argv)
    sizes = sorted(parse_size(s) for s in args.sizes.split(",") if s.strip())
    kinds = [k.strip() for k in args.db.split(",") if k.strip()]
    os.makedirs(args.data_dir, exist_ok=True)
    scale_http.TIMEOUT = args.timeout
    servers = ["portal", "baseline"] + ([] if args.no_audit_run else ["noaudit"])
    say = lambda text: print(text, flush=True)  # noqa: E731
    say(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs; gunicorn 2 workers "
        f"x 1 thread per server; {args.requests} requests per page and server after "
        f"{args.warmup} warm-up, the servers ({', '.join(servers)}) interleaved")
    say(code_under_test())
    report: list[str] = []
    for kind in kinds:
        if kind == "pg":
            try:
                ensure_pg_database(args.pg_url)
            except Exception as exc:  # noqa: BLE001
                say(f"PostgreSQL at {args.pg_url} is not usable: {exc}; skipped")
                continue
        results: dict[int, dict[str, dict[str, Sample]]] = {}
        counts: dict[int, dict[str, dict[str, int]]] = {}
        for size in sizes:
            try:
                t = prepare(target(kind, size, args.data_dir, args.pg_url), args.pg_url, say)
            except Exception as exc:  # noqa: BLE001
                say(f"{kind} {size_label(size)}: seeding failed: {exc}")
                continue
            facts = _facts(t)
            if not args.no_count:
                # The baseline only at the smallest size: plain FAB loads every customer into
                # the relationship selects, minutes a page in-process at 1M, and its
                # statements do not depend on the size.
                counts[size] = {s: count_statements(s, t, facts) for s in (
                    ("portal", "baseline") if size == sizes[0] else ("portal",))}
            results[size] = run_servers(servers, t, facts, args, say)
        lines = table(kind, PAGES, [s for s in sizes if s in results], results)
        if counts:
            lines += statements(kind, counts)
        say("\n".join([""] + lines))
        report += [""] + lines
    say("\n==== summary ====" + "\n".join(report))
    say("Targets (printed, not asserted): every page at the largest size within 1.5x of the "
        "smallest; every page within 1.1x of the baseline; at most 12 SQL statements for a "
        "list page. 'audit cost' is portal p50 minus the same portal's p50 with "
        "PORTAL_AUDIT off.")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
    sys.exit(0)
