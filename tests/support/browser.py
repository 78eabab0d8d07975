"""Helpers for the real-browser tests: a running portal, a Debian Chromium, UI shortcuts.

The portal runs exactly as a developer runs it: `flask portal init` and `flask portal user
create` through the CLI, then `python run.py` in its own process group on a free port of
127.0.0.1, with a fresh SQLite database in the test's tmp_path. Chromium is Debian's
(`apt-get install chromium`, /usr/bin/chromium): Playwright never downloads a browser here.

    with running_portal(tmp_path) as portal, browser() as chromium:
        page = new_page(chromium, portal)
        login(page, portal)
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SKIP_REASON = "Chromium not installed: apt-get install chromium"
STARTUP_TIMEOUT = 30.0
CLI_TIMEOUT = 60.0
LOG_TAIL = 80

# The machine has no internet: keep Chromium from phoning home (updates, sync, QUIC probes).
# Playwright adds --headless itself (the "new" headless mode in current Chromium).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Debian's Chromium launcher, or None when it is not installed."""
    for candidate in (CHROMIUM, shutil.which("chromium")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@dataclass(frozen=True)
class Portal:
    """A running portal: where it answers and who can sign in."""

    base_url: str
    username: str
    password: str
    admin_username: str
    admin_password: str
    database_url: str
    log_path: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def portal_env(tmp_path: Path, overrides: Mapping[str, str | None] | None = None) -> dict:
    """The environment of the portal's processes; an override of None removes a variable.

    Everything run.py and the CLI read is set explicitly, so a developer's .env (which
    python-dotenv never lets override a set variable) cannot leak into the test."""
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}",
        "PORTAL_REVISIONS_DIR": str(tmp_path / "revisions"),
        "PORTAL_CONFIG_DIR": str(ROOT / "config"),
        "PORTAL_INDUSTRY": "",
        "SECRET_KEY": secrets.token_hex(16),
        "PORTAL_ADMIN_USER": "admin",
        "PORTAL_ADMIN_PASSWORD": "Portal-first-" + secrets.token_hex(6),  # passes the policy
        "HOST": "127.0.0.1",
        "FLASK_APP": "app:create_app",
        "FLASK_SKIP_DOTENV": "1",
        "PYTHONUNBUFFERED": "1",
    })
    for key, value in (overrides or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def flask_cli(env: Mapping[str, str], *args: str) -> str:
    """Run `flask <args>` from the repository like a developer; its output, or an error
    carrying that output."""
    proc = subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=dict(env), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed ({proc.returncode}):\n"
                           f"{proc.stdout}{proc.stderr}")
    return proc.stdout


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


def _answers(url: str) -> bool:
    try:
        with _DIRECT.open(url, timeout=2) as response:
            return bool(response.status == 200)
    except urllib.error.HTTPError as exc:
        exc.close()
        return False
    except OSError:
        return False


def _stop(proc: subprocess.Popen) -> None:
    """Terminate the server's whole process group; kill it if it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=5)


@contextlib.contextmanager
def running_portal(tmp_path: Path, env_overrides: Mapping[str, str | None] | None = None,
                   username: str = "staff1", password: str = "staff-pass-1",
                   role: str = "staff") -> Iterator[Portal]:
    """A fresh portal on a free 127.0.0.1 port, with one user of `role`; stopped at exit
    (process group terminated, even when the body fails). The server's output goes to
    tmp_path/server.log and is printed when the body fails."""
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    env = portal_env(tmp_path, env_overrides)
    flask_cli(env, "portal", "init")
    flask_cli(env, "portal", "user", "create", username, "--role", role,
              "--password", password)

    port = free_port()  # taken as late as possible: the CLI above takes seconds
    env["PORT"] = str(port)
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "server.log"
    portal = Portal(base_url, username, password, env["PORTAL_ADMIN_USER"],
                    env["PORTAL_ADMIN_PASSWORD"], env["DATABASE_URL"], log_path)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "run.py"], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while not _answers(portal.url("/login/")):
                if proc.poll() is not None:
                    raise RuntimeError(f"portal exited with {proc.returncode} before "
                                       f"answering:\n{portal.log()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"portal did not answer {portal.url('/login/')} "
                                       f"within {STARTUP_TIMEOUT:.0f} s:\n{portal.log()}")
                time.sleep(0.1)
            try:
                yield portal
            except GeneratorExit:
                raise
            except BaseException:
                tail = "\n".join(portal.log().splitlines()[-LOG_TAIL:])
                print(f"--- portal server log, last {LOG_TAIL} lines ({log_path}) ---\n{tail}")
                raise
        finally:
            _stop(proc)


EXPECT_TIMEOUT_MS = 20_000


@contextlib.contextmanager
def browser(executable_path: str | None = None) -> Iterator[Any]:
    """Playwright's Chromium, launched from the Debian package with the offline flags."""
    from playwright.sync_api import expect, sync_playwright

    path = executable_path or chromium_path()
    if path is None:
        raise RuntimeError(SKIP_REASON)
    # CI runs the two suites side by side on two cores: a page that follows a job of the
    # worker thread can take longer than expect()'s default of 5 s to get there.
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, headless=True,
                                              args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(chromium: Any, portal: Portal, timeout_ms: int = 10_000,
             width: int = 1280) -> Any:
    """A page in a fresh context (no cookies) that resolves relative URLs on the portal;
    `width` 390 is a phone."""
    context = chromium.new_context(base_url=portal.base_url, locale="zh-CN",
                                   viewport={"width": width, "height": 900},
                                   is_mobile=width < 768, has_touch=width < 768)
    context.set_default_timeout(timeout_ms)
    return context.new_page()


def login(page: Any, portal: Portal, username: str | None = None,
          password: str | None = None) -> None:
    """Sign in through FAB's login form (/login/) and wait for the redirect away from it."""
    page.goto("/login/")
    page.fill("input[name=username]", username or portal.username)
    page.fill("input[name=password]", password or portal.password)
    page.locator("form input[type=submit], form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)


def choose_select2(page: Any, field: str, label: str) -> None:
    """Pick `label` in the select2 widget of the <select id=field>, the way a user does:
    open the dropdown, click the option."""
    page.locator(f"select#{field} + .select2-container .select2-selection").click()
    page.locator(".select2-container--open .select2-results__option",
                 has_text=label).first.click()


def type_date(page: Any, field: str, value: str) -> None:
    """Type a YYYY-MM-DD date into a date picker and close the picker with Escape.

    Real keystrokes matter: bootstrap-datepicker reads the input on keyup, and on closing it
    rewrites the input from what it read (a `fill` without keyup leaves it empty)."""
    page.locator(f"#{field}").press_sequentially(value)
    page.keyboard.press("Escape")


def alert_texts(page: Any) -> list[str]:
    """The texts of the page's alerts: FAB's flashed messages ("记录已添加") and the error
    box under each invalid field (without the close button's ×)."""
    return [text.replace("×", "").strip() for text in page.locator(".alert").all_inner_texts()]


OVERFLOW_JS = """() => [...document.querySelectorAll(
    '#model_form input:not([type=hidden]), #model_form select, #model_form textarea,'
    + ' #model_form .select2-container, .panel-body table td, .portal-related,'
    + ' #portal-export, .portal-count')]
  .filter(e => e.offsetParent !== null && e.getBoundingClientRect().right > innerWidth + 1)
  .map(e => e.id || e.name || e.className)"""


def overflowing(page: Any) -> list[str]:
    """Form elements and record rows reaching past the right edge of the viewport."""
    return list(page.evaluate(OVERFLOW_JS))


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """An app built in the test process, served over HTTP on a free 127.0.0.1 port from a
    thread (for pages only a test registers); its base URL. Build it with SERVER_NAME=None:
    url_for then writes the address the browser used."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="test-app-server",
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def offline_page(chromium: Any, base_url: str, width: int = 1280,
                 timeout_ms: int = 10_000) -> tuple[Any, dict[str, list[str]]]:
    """A page like new_page's that may only reach loopback addresses (every other request
    is aborted and listed under "blocked"), and what it reports: CSP violations (console
    "Refused to …" and securitypolicyviolation events), console errors, uncaught errors."""
    from urllib.parse import urlsplit

    found: dict[str, list[str]] = {"blocked": [], "csp": [], "console": [], "errors": []}
    context = chromium.new_context(base_url=base_url, locale="zh-CN",
                                   viewport={"width": width, "height": 900},
                                   is_mobile=width < 768, has_touch=width < 768)
    context.set_default_timeout(timeout_ms)

    def route(route: Any) -> None:
        if (urlsplit(route.request.url).hostname or "") in LOOPBACK:
            route.continue_()
        else:
            found["blocked"].append(route.request.url)
            route.abort("internetdisconnected")

    def console(message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            found["csp"].append(text)
        elif message.type == "error":
            found["console"].append(text)

    context.route("**/*", route)
    context.expose_function("reportCsp", lambda text: found["csp"].append(text))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("console", console)
    page.on("pageerror", lambda error: found["errors"].append(str(error)))
    return page, found


# Reported through a binding: bindings and init scripts come in through DevTools, so the
# page's CSP does not block them.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.reportCsp(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " in "
                   + e.sourceFile + ":" + e.lineNumber);
});
"""
