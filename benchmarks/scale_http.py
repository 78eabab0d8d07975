"""Serving and measuring for benchmarks/scale.py: gunicorn (the repository's gunicorn.conf.py),
a signed-in HTTP client (the standard library's: `requests` is no dependency of the portal),
N sequential requests per page after a warm-up, percentiles."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "Bench-scale-pw-2026"
SLOW = 2.0  # seconds: a warm-up request this slow ends the warm-up
# Seconds a single request may take (scale.py --timeout); slower is reported as "timeout".
TIMEOUT = 120


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
        full = {**os.environ, **env, "PORT": str(self.port), "HOST": "127.0.0.1",
                "PORTAL_WORKERS": str(workers), "PORTAL_THREADS": "1",
                # gunicorn kills a worker at the client's timeout: no abandoned request
                # keeps a core busy while the next pages are timed
                "PORTAL_TIMEOUT": str(int(TIMEOUT))}
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
                if Client.fetch(self.port, "GET", path, timeout=5).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"port {self.port}{path} did not answer in {timeout:.0f} s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@dataclass
class Reply:
    status: int
    text: str
    headers: http.client.HTTPMessage


class Client:
    """A browser-like session signed in as admin (its cookies), with a CSRF token from the add
    page and, for the portal's API, a JWT. One connection per request: gunicorn's sync
    workers close it after each answer anyway."""

    def __init__(self, port: int, add_page: str, api: bool) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        token = self._csrf("/login/")
        reply = self.send(Request("POST", "/login/", data={
            "username": "admin", "password": PASSWORD, "csrf_token": token}))
        if reply.status != 302:
            raise RuntimeError(f"login on port {port} failed: HTTP {reply.status}")
        self.csrf = self._csrf(add_page)
        self.jwt = ""
        if api:
            reply = self.send(Request("POST", "/api/v1/security/login", json={
                "username": "admin", "password": PASSWORD, "provider": "db"}))
            self.jwt = json.loads(reply.text).get("access_token", "")

    def _csrf(self, path: str) -> str:
        page = self.send(Request("GET", path))
        match = CSRF_RE.search(page.text)
        if not match:
            raise RuntimeError(f"no csrf_token on {path} (HTTP {page.status})")
        return match.group(1)

    @staticmethod
    def fetch(port: int, method: str, path: str, body: bytes | None = None,
              headers: dict[str, str] | None = None, timeout: float = 0) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout or TIMEOUT + 10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            return Reply(response.status, text, response.headers)
        finally:
            conn.close()

    def send(self, req: Request) -> Reply:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if req.bearer:
            headers["Authorization"] = f"Bearer {self.jwt}"
        if req.json is not None:
            body, headers["Content-Type"] = json.dumps(req.json).encode(), "application/json"
        elif req.data is not None:
            data = {**req.data, "csrf_token": req.data.get("csrf_token") or self.csrf}
            body = urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        reply = self.fetch(self.port, req.method, req.url, body, headers)
        for value in reply.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        return reply


def _timed(client: Client, req: Request, sample: Sample) -> float:
    """One request: its seconds, or -1 with the reason in `sample.missing`."""
    start = time.perf_counter()
    try:
        reply = client.send(req)
    except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
        # past the timeout gunicorn kills the worker: the connection drops
        slow = time.perf_counter() - start >= TIMEOUT * 0.95
        sample.missing = (f"timeout (>{TIMEOUT:.0f} s)" if slow or isinstance(exc, TimeoutError)
                          else f"error: {type(exc).__name__}: {exc}")
        return -1
    except Exception as exc:  # noqa: BLE001 - reported in the table, the run goes on
        sample.missing = f"error: {type(exc).__name__}: {exc}"
        return -1
    seconds = time.perf_counter() - start
    if reply.status == 404 and not sample.times:
        sample.missing = "n/a"
    elif reply.status not in req.expect:
        sample.missing = f"error: HTTP {reply.status} on {req.method} {req.url}"
    return -1 if sample.missing else seconds


def measure(runs: list[tuple[Client, Callable[[int], Request]]], n: int, warmup: int,
            budget: float, min_samples: int = 3) -> list[Sample]:
    """The same page on several servers, interleaved request by request (so the host's load
    drifts over all of them alike): `warmup` untimed requests each, then up to n timed ones.
    A server drops out once its own requests took `budget` seconds and it has `min_samples`
    timings, or 3 x `budget` and one timing (pages taking minutes at 1M), so a slow server
    does not cut a fast one's sample short. A warm-up request slower than SLOW seconds ends
    that server's warm-up: the page is slow, not cold. A server answering 404 has no such
    page ("n/a")."""
    samples = [Sample() for _ in runs]
    spent = [0.0] * len(runs)
    warmed = [0] * len(runs)
    done = [False] * len(runs)
    i = 0
    while not all(done):
        for k, ((client, make), sample) in enumerate(zip(runs, samples, strict=True)):
            if done[k]:
                continue
            seconds = _timed(client, make(i), sample)
            if seconds < 0:
                done[k] = True
                continue
            if warmed[k] < warmup:
                warmed[k] = warmup if seconds > SLOW else warmed[k] + 1
                continue
            sample.times.append(seconds * 1000)
            spent[k] += seconds
            done[k] = (len(sample.times) >= n
                       or (len(sample.times) >= min_samples and spent[k] > budget)
                       or spent[k] > 3 * budget)
        i += 1
    return samples
