"""The fault run (load_test.py --faults): the mixed load on one gunicorn over a PostgreSQL
cluster (initdb into a temporary folder, port 5433) and a redis-server (6380) of its own,
while (a) PostgreSQL is stopped for a few seconds and started again, (b) Redis is stopped and
people sign in, (c) a gunicorn worker is killed with SIGKILL under load.

Expected: no 500 and no traceback ever; 503 with the clear page while the database is away,
served again within seconds of its return; sign-in working without Redis (a warning logged);
the master replacing the killed worker while the others serve on; no half-written record and
an intact audit chain afterwards."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from load import checks, report
from load.seed import ADMIN_PASSWORD, PASSWORD, recreate_database, seed, write_plan

from tests.support.servers import Browser, Gunicorn, free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
CLEAR = ("数据库暂时不可用", "database is temporarily unavailable")


def _as_postgres(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", "postgres", "--", *cmd], capture_output=True,
                          text=True, check=True)


class Cluster:
    """A PostgreSQL cluster in a temporary folder, owned by the `postgres` user."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="portal-faults-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(self.dir / "data"), "-A", "trust",
                     "-U", "postgres", "--no-sync", "-E", "UTF8")
        self.url = f"postgresql://postgres@127.0.0.1:{port}"

    def _ctl(self, *args: str) -> None:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-l",
                     str(self.dir / "server.log"), "-w", *args)

    def start(self) -> None:
        self._ctl("-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                  "-c fsync=off -c max_connections=200", "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    def __init__(self, port: int, folder: Path) -> None:
        self.port, self.folder = port, folder
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, start_new_session=True)
        import redis

        for _ in range(50):
            try:
                redis.Redis(port=self.port, socket_timeout=1).ping()
                return
            except (redis.RedisError, OSError):
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class Probe(threading.Thread):
    """A signed-in admin opening a record every 0.1 s: (time, status, clear, traceback)."""

    def __init__(self, base: str, pk: int) -> None:
        super().__init__(daemon=True)
        self.base, self.pk, self.seen, self.running = base, pk, [], True
        self.browser = Browser()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                          self.browser.get(f"{base}/login/").text)
        assert token, "probe: no sign-in form"
        self.browser.post(f"{base}/login/", data={"username": "admin", "csrf_token":
                                                  token.group(1), "password": ADMIN_PASSWORD})

    def run(self) -> None:
        while self.running:
            try:
                r = self.browser.get(f"{self.base}/complaintview/show/{self.pk}")
                self.seen.append((time.time(), r.status_code, any(c in r.text for c in CLEAR),
                                  "Traceback" in r.text))
            except OSError as exc:
                self.seen.append((time.time(), type(exc).__name__, False, False))
            time.sleep(0.1)


def _sign_ins(base: str, users: list[str]) -> Counter:
    """A form sign-in and a JWT sign-in per user, and one wrong password: statuses."""
    seen: Counter = Counter()
    for user in users:
        browser = Browser()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                          browser.get(f"{base}/login/").text)
        form = browser.post(f"{base}/login/", data={
            "username": user, "password": PASSWORD, "csrf_token": token.group(1) if token
            else ""})
        seen[f"form {form.status_code}"] += 1
        api = browser.post(f"{base}/api/v1/security/login", json={
            "username": user, "password": PASSWORD, "provider": "db", "refresh": False})
        seen[f"api {api.status_code}"] += 1
    wrong = Browser().post(f"{base}/api/v1/security/login", json={
        "username": users[0], "password": "Not-the-pass-123", "provider": "db"})
    seen[f"wrong password {wrong.status_code}"] += 1
    return seen


def _window(tally: dict[str, Any], start: float, end: float) -> Counter:
    t0 = tally["t0"]
    return Counter(status for t, _name, status in tally["timeline"]
                   if start <= t0 + t <= end)


def run_faults(args: argparse.Namespace, secret: str, folder: Path) -> int:
    from load_test import server_env, start_locust

    print("\n== faults: one gunicorn over a PostgreSQL (5433) and Redis (6380) of its own")
    cluster = Cluster(args.fault_pg_port)
    redis_server = Redis(args.fault_redis_port, folder)
    server = None
    locust = None
    probe = None
    try:
        cluster.start()
        redis_server.start()
        url = recreate_database(cluster.url, args.db)
        plan = seed(url, secret, args.customers, args.complaints)
        write_plan(plan, folder / "faults-plan.json")
        env = server_env(url, f"redis://127.0.0.1:{args.fault_redis_port}/0", secret)
        server = Gunicorn(env, free_port(), folder / "faults-gunicorn.log",
                          workers=args.workers).ready()
        ramp = int(args.users / args.spawn_rate) + 1
        locust, prefix, result = start_locust(server.url, args, folder / "faults-plan.json",
                                              folder, "faults", ramp + 75)
        probe = Probe(server.url, plan["users"]["clerk00"]["own"][0])
        probe.start()
        time.sleep(ramp + 10)
        # (a) PostgreSQL away for 3 s under load
        a0 = time.time()
        cluster.stop()
        time.sleep(3)
        cluster.start()
        a1 = time.time()
        time.sleep(8)
        # (b) Redis stopped: people sign in
        b0 = time.time()
        redis_server.stop()
        sign_ins = _sign_ins(server.url, ["lead00", "lead10", "lead20"])
        b1 = time.time()
        redis_server.start()
        time.sleep(5)
        # (c) one worker killed mid-request
        before = server.workers()
        victim = before[0]
        c0 = time.time()
        os.kill(victim, signal.SIGKILL)
        replaced = None
        while time.time() - c0 < 30:
            now = server.workers()
            if victim not in now and len(now) == len(before):
                replaced = time.time() - c0
                break
            time.sleep(0.05)
        locust.wait()
        probe.running = False
        stats = report.read_stats(prefix)
        tally = json.loads(result.read_text(encoding="utf-8"))
    finally:
        if probe is not None:
            probe.running = False
        if locust is not None and locust.poll() is None:
            locust.terminate()
        if server is not None:
            server.stop()
        redis_server.stop()
    log = server.log.read_text(errors="replace")
    ok_after = [t for t, status, *_ in probe.seen if t > a1 and status == 200]
    failed_a = [s for t, s, *_ in probe.seen if a0 <= t <= (ok_after[0] if ok_after else a1)
                and s != 200]
    back = ok_after[0] if ok_after else a1
    # Answers of the probe while the database was away that are not the clear 503 page (the
    # one cut off by the worker kill in (c) is counted there, not here).
    unclear = [s for t, s, clear, _tb in probe.seen
               if a0 <= t <= back and s not in (200, 302) and not clear]
    tracebacks = sum(1 for *_, tb in probe.seen if tb) + log.count("Traceback")
    statuses = Counter()
    for per in tally["statuses"].values():
        statuses.update(per)
    window_a = _window(tally, a0, (ok_after[0] if ok_after else a1) + 1)
    window_c = _window(tally, c0 - 0.2, c0 + 3)
    print(f"  answers by status, whole run: {report.statuses(tally)}")
    print(f"  (a) PostgreSQL down {a1 - a0:.1f} s (stop, 3 s, start): load answers then "
          f"{dict(window_a)}; probe failures {Counter(failed_a)}; served again "
          + (f"{ok_after[0] - a1:.2f} s after PostgreSQL was back" if ok_after else "NEVER"))
    print(f"  (b) Redis stopped {b1 - b0:.1f} s: sign-ins {dict(sign_ins)}; warnings "
          f"logged: {log.count('Redis failed; counting in this process')}")
    print(f"  (c) worker {victim} killed: replaced after "
          + (f"{replaced:.2f} s" if replaced else "NOT replaced")
          + f"; load answers in the 3 s after: {dict(window_c)}")
    rows = [
        ("no 500 at all", statuses.get("500", 0) == 0 and "500" not in str(unclear),
         f"{statuses.get('500', 0)} answers 500"),
        ("no traceback shown or logged", tracebacks == 0, f"{tracebacks} tracebacks"),
        ("database away: clear 503 page", not unclear and all(
            s == 503 for s in failed_a), f"probe: {Counter(failed_a)}, unclear {unclear[:5]}"),
        ("recovered by itself within 10 s", bool(ok_after) and ok_after[0] - a1 < 10,
         f"{ok_after[0] - a1:.2f} s" if ok_after else "never"),
        ("sign-in without Redis", all(k.split()[-1] in ("200", "302") for k in sign_ins
                                      if not k.startswith("wrong")) and
         not any(k.endswith("500") for k in sign_ins), str(dict(sign_ins))),
        ("Redis outage logged as a warning",
         "Redis failed; counting in this process" in log, ""),
        ("killed worker replaced", replaced is not None and replaced < 15,
         f"{replaced:.2f} s" if replaced else "no"),
    ] + checks.check(url, secret, plan, tally, "LTfaults", exact=False)
    ok = checks.print_checks("checks — faults", rows)
    report.print_side_by_side([("faults run", stats)])
    cluster.remove()
    print(f"\n{'ALL CHECKS PASSED' if ok else 'SOME CHECKS FAILED'}; files in {folder}")
    return 0 if ok else 1
