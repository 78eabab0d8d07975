"""Settings from environment variables (a .env file in development), with test overrides."""

from __future__ import annotations

import os
import secrets
from typing import Any

from flask_appbuilder.const import AUTH_DB

from app.paths import ROOT
from app.security.manager import StartupRefused, security_settings


def database_url(value: str | None, instance_path: str) -> str:
    """DATABASE_URL, normalised to a driver we ship (psycopg 3 for PostgreSQL)."""
    if not value:
        return "sqlite:///" + os.path.join(instance_path, "portal.db")
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix):]
    return value


def _dev_secret(instance_path: str) -> str:
    """A per-installation random key kept in the instance folder (development only). Made
    whole and published with a hard link, so processes starting together agree on it."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        os.makedirs(instance_path, exist_ok=True)
        draft = f"{path}.{os.getpid()}"
        with open(draft, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32))
        os.chmod(draft, 0o600)
        try:
            os.link(draft, path)  # the first process wins; the others read its key
        except FileExistsError:
            pass
        finally:
            os.remove(draft)
    with open(path, encoding="ascii") as fh:
        return fh.read().strip()


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _count(name: str, value: str | None) -> int:
    text = (value or "0").strip()
    if not text.isdigit():
        raise ValueError(f"{name} must be a whole number of 0 or more, not {value!r}")
    return int(text)


def _hosts(value: str | list[str] | None) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    return [h.strip() for h in value or [] if h.strip()]


def _derive_security(cfg: dict[str, Any]) -> None:
    """Cookie flags, URL scheme and Flask's TRUSTED_HOSTS from the PORTAL_* keys (an explicit
    override of a derived key wins)."""
    https = bool(cfg["PORTAL_HTTPS"])
    cfg.setdefault("SESSION_COOKIE_SECURE", https)
    cfg.setdefault("REMEMBER_COOKIE_SECURE", https)
    cfg.setdefault("PREFERRED_URL_SCHEME", "https" if https else "http")
    cfg["PORTAL_TRUSTED_HOSTS"] = _hosts(cfg["PORTAL_TRUSTED_HOSTS"])
    cfg.setdefault("TRUSTED_HOSTS", cfg["PORTAL_TRUSTED_HOSTS"] or None)


def build_settings(instance_path: str, overrides: dict[str, Any] | None = None) -> dict:
    env = os.environ
    overrides = dict(overrides or {})
    cfg: dict[str, Any] = {
        "PORTAL_CONFIG_DIR": env.get("PORTAL_CONFIG_DIR") or os.path.join(ROOT, "config"),
        "PORTAL_INDUSTRY": env.get("PORTAL_INDUSTRY") or None,
        "PORTAL_ADMIN_USER": env.get("PORTAL_ADMIN_USER", "admin"),
        "PORTAL_ADMIN_PASSWORD": env.get("PORTAL_ADMIN_PASSWORD") or None,
        # Revision files of applied schema plans: they belong to one database.
        "PORTAL_REVISIONS_DIR": env.get("PORTAL_REVISIONS_DIR") or None,
        "SQLALCHEMY_DATABASE_URI": database_url(env.get("DATABASE_URL"), instance_path),
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "APP_NAME": "售后服务门户",
        "AUTH_TYPE": AUTH_DB,
        "AUTH_ROLE_ADMIN": "admin",
        "AUTH_ROLE_PUBLIC": "public",
        "FAB_CREATE_DB": False,
        "FAB_UPDATE_PERMS": False,
        "FAB_ADD_SECURITY_API": False,
        "FAB_API_SWAGGER_UI": False,
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_TRANSLATION_DIRECTORIES": os.path.join(ROOT, "app", "translations"),
        "LANGUAGES": {"zh": {"flag": "cn", "name": "中文"},
                      "en": {"flag": "gb", "name": "English"}},
        "WTF_CSRF_ENABLED": True,
        # Cookies, hosts and proxies (app/security/headers.py): PORTAL_HTTPS=1 in production behind
        # HTTPS makes the cookies Secure; derived keys are set after the overrides below.
        "PORTAL_HTTPS": _flag(env.get("PORTAL_HTTPS")),
        "PORTAL_TRUSTED_HOSTS": env.get("PORTAL_TRUSTED_HOSTS", ""),
        "PORTAL_PROXY_COUNT": _count("PORTAL_PROXY_COUNT", env.get("PORTAL_PROXY_COUNT")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # The cookie is written when the session changes, not on every response: a page's
        # parallel requests (its static files, a lookup) wrote back the session they had read,
        # and one finishing after the page dropped the page's new CSRF token ("The CSRF
        # session token is missing" on the next save). Its expiry is the lifetime cap, set
        # at sign-in; the idle timeout is kept on the server (app/security/sessions.py).
        "SESSION_REFRESH_EACH_REQUEST": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PORTAL_MAX_PAGE_SIZE": 100,
        # Seconds a dashboard page's figures are kept per (dashboard, period, scope); 0: off.
        "PORTAL_DASHBOARD_CACHE_SECONDS": _count(
            "PORTAL_DASHBOARD_CACHE_SECONDS", env.get("PORTAL_DASHBOARD_CACHE_SECONDS", "60")),
        # Background work (app/jobs/worker.py): a worker thread in each app server process,
        # polling the database for jobs every PORTAL_WORKER_POLL_SECONDS.
        "PORTAL_WORKER_THREAD": _flag(env.get("PORTAL_WORKER_THREAD", "1")),
        "PORTAL_WORKER_POLL_SECONDS": _at_least(env, "PORTAL_WORKER_POLL_SECONDS", 2, 1),
        # Uploaded files of file and image fields (app/files/storage.py): in a folder, or in
        # the database (chunks) so every app server shares them.
        "PORTAL_FILE_STORAGE": _one_of("PORTAL_FILE_STORAGE", env.get("PORTAL_FILE_STORAGE"),
                                       ("folder", "database")),
        "PORTAL_FILE_DIR": env.get("PORTAL_FILE_DIR") or os.path.join(instance_path, "files"),
        # The largest file an import in the browser accepts, in MB.
        "PORTAL_IMPORT_MAX_MB": _at_least(env, "PORTAL_IMPORT_MAX_MB", 50, 1),
        # The outbox (app/outbox/, docs/webhooks.md): a message is retried with backoff for
        # this many hours, then failed; finished ones are deleted after KEEP_DAYS (0: kept).
        "PORTAL_OUTBOX_GIVE_UP_HOURS": _count(
            "PORTAL_OUTBOX_GIVE_UP_HOURS", env.get("PORTAL_OUTBOX_GIVE_UP_HOURS", "24")),
        "PORTAL_OUTBOX_KEEP_DAYS": _count(
            "PORTAL_OUTBOX_KEEP_DAYS", env.get("PORTAL_OUTBOX_KEEP_DAYS", "30")),
        # Seconds a webhook's receiver has to answer (app/webhooks/send.py).
        "PORTAL_WEBHOOK_TIMEOUT": _count(
            "PORTAL_WEBHOOK_TIMEOUT", env.get("PORTAL_WEBHOOK_TIMEOUT", "10")),
        # Notification e-mails (app/notify/mail.py, docs/notifications.md): sent by the worker
        # through this SMTP server; no host, no e-mail (notifications record why).
        "PORTAL_SMTP_HOST": env.get("PORTAL_SMTP_HOST") or None,
        "PORTAL_SMTP_PORT": _count("PORTAL_SMTP_PORT", env.get("PORTAL_SMTP_PORT", "0")) or None,
        "PORTAL_SMTP_USER": env.get("PORTAL_SMTP_USER") or None,
        "PORTAL_SMTP_PASSWORD": env.get("PORTAL_SMTP_PASSWORD") or None,
        "PORTAL_SMTP_FROM": env.get("PORTAL_SMTP_FROM") or None,
        "PORTAL_SMTP_STARTTLS": _flag(env.get("PORTAL_SMTP_STARTTLS")),
        "PORTAL_SMTP_SSL": _flag(env.get("PORTAL_SMTP_SSL")),
        "PORTAL_SMTP_TIMEOUT": _at_least(env, "PORTAL_SMTP_TIMEOUT", 10, 1),
        # The portal's address as users reach it: e-mails link to the record with it.
        "PORTAL_BASE_URL": env.get("PORTAL_BASE_URL") or None,
        # Rows an export of a list may hold (CSV and XLSX): Excel's sheet limit less the
        # header by default; a larger list is refused with its count (app/views/export.py).
        "PORTAL_EXPORT_MAX_ROWS": _count(
            "PORTAL_EXPORT_MAX_ROWS", env.get("PORTAL_EXPORT_MAX_ROWS", "1048575")),
        # A longer list is exported by a worker (app/views/export_jobs.py): the page follows
        # it and then offers the file, so no request holds an app server for a minute.
        "PORTAL_EXPORT_INLINE_ROWS": _count(
            "PORTAL_EXPORT_INLINE_ROWS", env.get("PORTAL_EXPORT_INLINE_ROWS", "10000")),
        # Auditing is always on; only a benchmark's override turns it off (no env variable).
        "PORTAL_AUDIT": True,
        # Passwords, login throttling, sessions, JWT (app/security/manager.py; README, Settings).
        **security_settings(env),
    }
    cfg.update(overrides)
    _derive_security(cfg)
    # Requests larger than an import's file (and its form fields) are refused before reading.
    cfg.setdefault("MAX_CONTENT_LENGTH", cfg["PORTAL_IMPORT_MAX_MB"] * (1 << 20) + (1 << 16))
    cfg["SQLALCHEMY_DATABASE_URI"] = database_url(cfg["SQLALCHEMY_DATABASE_URI"],
                                                  instance_path)
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = env.get("SECRET_KEY") or _dev_secret(instance_path)
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    else:  # one pool per worker process: size it for the worker's threads
        cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS", pool_options(env))
    return cfg


def pool_options(env: Any) -> dict[str, Any]:
    """The connection pool of a server database, from PORTAL_DB_POOL_SIZE,
    PORTAL_DB_MAX_OVERFLOW and PORTAL_DB_POOL_TIMEOUT (seconds a request waits for a
    connection); connections are checked before use, so a restarted database is
    reconnected to instead of failing the next requests."""
    return {
        "pool_size": _at_least(env, "PORTAL_DB_POOL_SIZE", 5, 1),
        "max_overflow": _at_least(env, "PORTAL_DB_MAX_OVERFLOW", 10, 0),
        "pool_timeout": _at_least(env, "PORTAL_DB_POOL_TIMEOUT", 10, 1),
        "pool_pre_ping": True,
    }


def _one_of(name: str, value: str | None, allowed: tuple[str, ...]) -> str:
    """The value, or the first allowed one when unset; another one stops the start-up."""
    text = (value or allowed[0]).strip().lower()
    if text not in allowed:
        raise StartupRefused(f"{name} must be one of {', '.join(allowed)}, not '{value}'.")
    return text


def _at_least(env: Any, name: str, default: int, minimum: int) -> int:
    text = (env.get(name) or str(default)).strip()
    if not text.isdigit() or int(text) < minimum:
        raise StartupRefused(f"{name} must be a whole number of at least {minimum}, "
                             f"not '{env.get(name)}'.")
    return int(text)
