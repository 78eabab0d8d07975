"""Production serving (gunicorn.conf.py, wsgi.py): the real server, its workers, a graceful
reload, and headers that name no versions."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.app import ROOT

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gunicorn exited ({proc.returncode}):\n{log.read_text()}")
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"gunicorn did not answer within 60 s:\n{log.read_text()}")


def test_gunicorn_serves_the_portal_and_reloads_gracefully(make_app: Any,
                                                           tmp_path: Path) -> None:
    url = make_app().config["SQLALCHEMY_DATABASE_URI"]  # migrated, roles synced
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "k" * 40, "PORT": str(port),
           "PORTAL_WORKERS": "2", "PORTAL_ADMIN_PASSWORD": ""}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("w") as out:
        proc = subprocess.Popen([str(gunicorn)], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/health", proc, log)
        status, headers, body = get(f"{base}/ready")
        assert (status, body) == (200, b'{"checks":{"database":"ok","schema":"ok"},'
                                       b'"status":"ready"}\n')
        status, headers, body = get(f"{base}/login/")
        assert status == 200 and "售后服务门户" in body.decode()
        assert headers["Server"] == "gunicorn"  # no version, no Python
        proc.send_signal(signal.SIGHUP)  # new workers on the current YAML, old ones finish
        time.sleep(1)
        wait_until_up(f"{base}/health", proc, log)
        assert proc.poll() is None
        text = log.read_text()
        assert text.count("Booting worker") >= 4, text  # two at start, two after the HUP
        assert '"GET /login/ HTTP/1.1" 200' in text  # the access log
    finally:
        proc.terminate()
        proc.wait(timeout=30)
