"""Real servers on loopback for the scale-out test and the load test: gunicorn instances of
the portal (gunicorn.conf.py, wsgi.py) and an HAProxy in front of them, round-robin.

Used by tests/test_scale_out.py and benchmarks/load_test.py; no pytest import here."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PROXY_HINT = ("HAProxy is not installed: `make proxy-deps` installs it "
              "(Debian: apt-get install haproxy)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None,
              log: Path | None = None) -> None:
    """Until `url` answers 200; a clear error with the log's tail if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"server for {url} exited ({proc.returncode}):\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")


class Gunicorn:
    """One portal server: `gunicorn` from the venv, configured by gunicorn.conf.py."""

    def __init__(self, env: dict[str, str], port: int, log: Path, workers: int = 2,
                 threads: int = 1) -> None:
        self.port = port
        self.log = log
        self.url = f"http://127.0.0.1:{port}"
        full = {**os.environ, **env, "PORT": str(port), "HOST": "127.0.0.1",
                "PORTAL_WORKERS": str(workers), "PORTAL_THREADS": str(threads),
                "PYTHONPATH": str(ROOT)}
        full.pop("FLASK_APP", None)
        self._fh = open(log, "ab")  # noqa: SIM115 - kept open while the server runs
        # Each server its own control socket folder (gunicorn 23+ defaults to ~/.gunicorn).
        ctl = log.with_suffix(".ctl")
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
             "--control-socket", str(ctl)],
            cwd=ROOT, env=full, stdout=self._fh, stderr=subprocess.STDOUT,
            start_new_session=True)

    def ready(self, timeout: float = 60.0) -> Gunicorn:
        wait_http(self.url + "/ready", timeout, self.proc, self.log)
        return self

    def workers(self) -> list[int]:
        """The worker processes' pids (children of the master)."""
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._fh.close()


def haproxy_binary() -> str | None:
    return shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy",) if os.access(p, os.X_OK)), None)


def ensure_haproxy(say: Any = print) -> str | None:
    """The haproxy binary; installed with apt-get when missing and we are root."""
    found = haproxy_binary()
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        if not found:
            say(PROXY_HINT + " (not root: cannot install it here)")
        return found
    say("installing haproxy with apt-get …")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "haproxy"], check=False, env=env,
                   stdout=subprocess.DEVNULL)
    return haproxy_binary()


class Proxy:
    """HAProxy on `port`, round-robin over the backends; X-Backend names the one that
    answered (so a test can see both were used)."""

    def __init__(self, backends: list[int], port: int, folder: Path) -> None:
        binary = haproxy_binary()
        if binary is None:
            raise RuntimeError(PROXY_HINT)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        # Lenient health checks: a sync worker busy under load answers /health late, which
        # is no reason to take its server out (HAProxy would answer 503 itself).
        servers = "\n".join(f"    server app{i} 127.0.0.1:{p} check inter 2s fall 10"
                            for i, p in enumerate(backends))
        config = folder / "haproxy.cfg"
        config.write_text(f"""global
    maxconn 1000
defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    timeout check 20s
    option http-server-close
frontend portal
    bind 127.0.0.1:{port}
    default_backend portal
backend portal
    balance roundrobin
    option httpchk GET /health
    http-response set-header X-Backend %[srv_name]
{servers}
""", encoding="utf-8")
        self.log = folder / "haproxy.log"
        self._fh = open(self.log, "ab")  # noqa: SIM115 - kept open while the proxy runs
        self.proc = subprocess.Popen([binary, "-db", "-f", str(config)], stdout=self._fh,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def ready(self, timeout: float = 30.0) -> Proxy:
        wait_http(self.url + "/health", timeout, self.proc, self.log)
        return self

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._fh.close()


class Answer:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.text = body.decode("utf-8", "replace")

    def json(self) -> Any:
        import json

        return json.loads(self.text)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """A cookie-keeping HTTP client of the standard library (redirects not followed): the
    test suite's venv has no `requests`."""

    def __init__(self) -> None:
        import http.cookiejar

        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect())

    def request(self, method: str, url: str, *, data: dict[str, str] | None = None,
                json: Any = None, headers: dict[str, str] | None = None) -> Answer:
        import json as jsonlib
        import urllib.parse

        sent = dict(headers or {})
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif json is not None:
            body = jsonlib.dumps(json).encode()
            sent["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=body, headers=sent, method=method)
        try:
            with self.opener.open(req, timeout=30) as response:
                return Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, exc.headers, exc.read())

    def get(self, url: str, **kw: Any) -> Answer:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> Answer:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> Answer:
        return self.request("PUT", url, **kw)
