"""Serving and measuring for benchmarks/scale.py: gunicorn (the repository's gunicorn.conf.py),
a signed-in requests.Session, N sequential requests per page after a warm-up, percentiles."""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "Bench-scale-pw-2026"
SLOW = 2.0  # seconds: a warm-up request this slow ends the warm-up
TIMEOUT = 300  # seconds a single request may take (a page listing every customer is slow)


@dataclass
class Request:
    method: str
    url: str
    data: dict[str, Any] | None = None
    json: dict[str, Any] | None = None
    expect: tuple[int, ...] = (200,)
    bearer: bool = False


@dataclass
class Sample:
    """The timings of one page on one server (ms), or why there are none."""

    times: list[float] = field(default_factory=list)
    missing: str = ""  # "n/a" (404: not on this server), or an error

    def pct(self, p: int) -> float | None:
        if not self.times:
            return None
        if len(self.times) == 1:
            return self.times[0]
        return statistics.quantiles(self.times, n=100, method="inclusive")[p - 1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One gunicorn (2 workers, 1 thread each unless told) serving `app_spec`."""

    def __init__(self, app_spec: str, env: dict[str, str], log_path: str,
                 workers: int = 2) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        full = {**os.environ, **env, "PORT": str(self.port), "HOST": "127.0.0.1",
                "PORTAL_WORKERS": str(workers), "PORTAL_THREADS": "1",
                "PORTAL_TIMEOUT": str(TIMEOUT + 30)}
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [GUNICORN, "-c", os.path.join(ROOT, "gunicorn.conf.py"), "--pythonpath", HERE,
             "--access-logfile", "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
             app_spec], cwd=ROOT, env=full, stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self, path: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); see "
                                   f"{self.log.name}")
            try:
                if requests.get(self.base + path, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.base}{path} did not answer in {timeout:.0f} s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Client:
    """A browser-like session signed in as admin, with a CSRF token from the add page and,
    for the portal's API, a JWT."""

    def __init__(self, base: str, add_page: str, api: bool) -> None:
        self.base = base
        self.http = requests.Session()
        page = self.http.get(base + "/login/", timeout=TIMEOUT).text
        token = CSRF_RE.search(page).group(1)
        reply = self.http.post(base + "/login/", data={
            "username": "admin", "password": PASSWORD, "csrf_token": token},
            allow_redirects=False, timeout=TIMEOUT)
        if reply.status_code != 302:
            raise RuntimeError(f"login at {base} failed: {reply.status_code}")
        page = self.http.get(base + add_page, timeout=TIMEOUT).text
        self.csrf = CSRF_RE.search(page).group(1)
        self.jwt = ""
        if api:
            reply = self.http.post(base + "/api/v1/security/login", json={
                "username": "admin", "password": PASSWORD, "provider": "db"}, timeout=TIMEOUT)
            self.jwt = reply.json().get("access_token", "")

    def send(self, req: Request) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.jwt}"} if req.bearer else None
        data = None if req.data is None else {**req.data, "csrf_token": self.csrf}
        return self.http.request(req.method, self.base + req.url, data=data, json=req.json,
                                 headers=headers, allow_redirects=False, timeout=TIMEOUT)


def measure(client: Client, make: Callable[[int], Request], n: int, warmup: int,
            budget: float, min_samples: int = 3) -> Sample:
    """`warmup` untimed requests, then up to n timed ones, sequentially; stops early once
    `budget` seconds are spent and `min_samples` are taken (slow pages at 1M). A warm-up
    request slower than SLOW seconds ends the warm-up: the page is slow, not cold."""
    sample = Sample()
    began = time.monotonic()
    i = warmed = 0
    while len(sample.times) < n:
        req = make(i)
        start = time.perf_counter()
        try:
            reply = client.send(req)
        except requests.RequestException as exc:
            sample.missing = f"error: {type(exc).__name__}"
            return sample
        seconds = time.perf_counter() - start
        if reply.status_code == 404 and i == 0:
            sample.missing = "n/a"
            return sample
        if reply.status_code not in req.expect:
            sample.missing = f"error: HTTP {reply.status_code} on {req.method} {req.url}"
            return sample
        i += 1
        if warmed < warmup:
            warmed = warmup if seconds > SLOW else warmed + 1
            continue
        sample.times.append(seconds * 1000)
        if len(sample.times) >= min_samples and time.monotonic() - began > budget:
            break
    return sample
