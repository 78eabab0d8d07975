"""Load test: 50 staff users for 60 s against gunicorn + PostgreSQL + Redis (locust, headless,
loopback only), then the same against two gunicorn servers behind HAProxy round-robin; both
runs' figures side by side, then the checks (zero errors, no lost update, audit chain).

    .venv/bin/python benchmarks/load_test.py            # or: make bench-load
    .venv/bin/python benchmarks/load_test.py --faults   # or: make bench-load-faults

The database `load_test` on 127.0.0.1:5432 is dropped and created again for each run, with
some thousands of customers and complaints; Redis database 12 of 127.0.0.1:6379 is flushed.
--faults runs on a PostgreSQL cluster (port 5433) and a redis-server (6380) of its own
instead (benchmarks/load/faults.py). See benchmarks/README.md."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from load import checks, report  # noqa: E402
from load.seed import recreate_database, seed, write_plan  # noqa: E402

from tests.support.servers import Gunicorn, Proxy, ensure_haproxy, free_port  # noqa: E402

LOCUSTFILE = HERE / "load" / "locustfile.py"
SIGN_IN_SLACK = 10  # seconds the last users may take to sign in after the ramp


def server_env(url: str, redis_url: str, secret: str) -> dict[str, str]:
    return {"DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": secret,
            # Every simulated user signs in from 127.0.0.1: the per-address limit (30 a
            # minute) would refuse the 31st; the per-account limit stays as shipped.
            "PORTAL_LOGIN_IP_RATE_LIMIT": "100000 per minute",
            "PORTAL_REVISIONS_DIR": str(Path(tempfile.gettempdir()) / "load-test-revisions")}


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url, socket_timeout=2).flushdb()


def start_locust(host: str, args: argparse.Namespace, plan: Path, folder: Path, tag: str,
                 seconds: int) -> tuple[subprocess.Popen, Path, Path]:
    result = folder / f"{tag}-tally.json"
    prefix = folder / tag
    env = {**os.environ, "LOAD_PLAN": str(plan), "LOAD_RESULT": str(result),
           "LOAD_MARK": f"LT{tag}", "PYTHONPATH": str(HERE), "LOAD_THINK": args.think}
    cmd = [str(Path(sys.executable).parent / "locust"), "-f", str(LOCUSTFILE), "--headless",
           "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{seconds}s",
           "--host", host, "--csv", str(prefix), "--only-summary", "--stop-timeout", "15",
           "--loglevel", "WARNING"]
    log = open(folder / f"{tag}-locust.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, prefix, result


def run_locust(host: str, args: argparse.Namespace, plan: Path, folder: Path, tag: str
               ) -> tuple[dict[str, Any], dict[str, Any]]:
    # Statistics are reset once every user has signed in (benchmarks/load/locustfile.py):
    # about `time` seconds of full load are measured after the ramp and its sign-ins.
    ramp = int(args.users / args.spawn_rate) + 1 + SIGN_IN_SLACK
    proc, prefix, result = start_locust(host, args, plan, folder, tag, args.time + ramp)
    proc.wait()
    return report.read_stats(prefix), json.loads(result.read_text(encoding="utf-8"))


def prepare(args: argparse.Namespace, secret: str, folder: Path, tag: str,
            server: str) -> tuple[str, dict[str, Any], Path]:
    started = time.monotonic()
    url = recreate_database(server, args.db)
    plan = seed(url, secret, args.customers, args.complaints)
    path = folder / f"{tag}-plan.json"
    write_plan(plan, path)
    print(f"  database {args.db} recreated and seeded ({args.customers} customers, "
          f"{args.complaints} complaints, {len(plan['users'])} users) in "
          f"{time.monotonic() - started:.1f} s")
    return url, plan, path


def one_run(args: argparse.Namespace, secret: str, folder: Path, scale_out: bool
            ) -> tuple[dict[str, Any], list[tuple[str, bool, str]]]:
    tag = "scaleout" if scale_out else "single"
    print(f"\n== {tag}: {'two gunicorn servers behind HAProxy' if scale_out else 'one gunicorn'}"
          f", {args.users} users, {args.time} s")
    url, plan, plan_path = prepare(args, secret, folder, tag, args.pg)
    flush_redis(args.redis)
    env = server_env(url, args.redis, secret)
    workers = max(1, (args.workers + 1) // 2) if scale_out else args.workers
    servers = [Gunicorn(env, free_port(), folder / f"{tag}-gunicorn{i}.log", workers=workers)
               for i in range(2 if scale_out else 1)]
    proxy = None
    try:
        for server in servers:
            server.ready()
        host = servers[0].url
        if scale_out:
            proxy = Proxy([s.port for s in servers], free_port(), folder).ready()
            host = proxy.url
        print(f"  {len(servers)} × gunicorn ({workers} workers each) at "
              f"{', '.join(s.url for s in servers)}" + (f"; HAProxy {host}" if proxy else ""))
        stats, tally = run_locust(host, args, plan_path, folder, tag)
    finally:
        if proxy is not None:
            proxy.stop()
        for server in servers:
            server.stop()
    print(f"  answers by status: {report.statuses(tally)}; load average after the run "
          f"{os.getloadavg()[0]:.2f}")
    if tally["absent"]:
        print("  endpoints absent (404, not counted as errors): "
              + ", ".join(f"{k}: {n}" for k, n in tally["absent"].items()))
    rows = report.targets(stats, tally) + checks.check(url, secret, plan, tally, f"LT{tag}")
    return stats, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started a second")
    parser.add_argument("--think", default="2-8",
                        help="seconds a user waits between actions, min-max (default 2-8)")
    parser.add_argument("--time", type=int, default=60, help="seconds of load per run")
    parser.add_argument("--workers", type=int, default=3,
                        help="gunicorn workers of the single server (split over two when "
                             "scaled out)")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432",
                        help="PostgreSQL server URL (no database)")
    parser.add_argument("--db", default="load_test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--complaints", type=int, default=6000)
    parser.add_argument("--single-only", action="store_true", help="skip the HAProxy run")
    parser.add_argument("--faults", action="store_true",
                        help="the fault run instead (own PostgreSQL and Redis)")
    parser.add_argument("--fault-pg-port", type=int, default=5433)
    parser.add_argument("--fault-redis-port", type=int, default=6380)
    parser.add_argument("--keep", action="store_true", help="keep logs and CSV files")
    args = parser.parse_args()
    try:
        import locust  # noqa: F401
    except ImportError:
        print("locust is not installed: `make bench-load` installs the bench extra")
        return 2
    folder = Path(tempfile.mkdtemp(prefix="portal-load-"))
    print(f"logs and locust CSV files: {folder}; load average {os.getloadavg()[0]:.2f}, "
          f"{os.cpu_count()} CPUs")
    secret = secrets.token_hex(32)
    if args.faults:
        from load.faults import run_faults

        return run_faults(args, secret, folder)
    all_ok = True
    runs = []
    stats, rows = one_run(args, secret, folder, scale_out=False)
    runs.append(("one gunicorn", stats))
    all_ok &= checks.print_checks("checks — one gunicorn", rows)
    if not args.single_only:
        if ensure_haproxy():
            stats, rows = one_run(args, secret, folder, scale_out=True)
            runs.append(("two gunicorn + HAProxy", stats))
            all_ok &= checks.print_checks("checks — two gunicorn + HAProxy", rows)
        else:
            print("scale-out run skipped: no HAProxy")
    report.print_side_by_side(runs)
    print(f"\n{'ALL CHECKS PASSED' if all_ok else 'SOME CHECKS FAILED'}; files in {folder}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
