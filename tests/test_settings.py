"""Settings from the environment: database URLs, secret key, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.security.manager import StartupRefused
from app.settings import build_settings, database_url


def test_database_url_defaults_to_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    assert database_url(None, str(tmp_path)) == f"sqlite:///{tmp_path / 'portal.db'}"
    assert database_url("postgres://u@h/db", "") == "postgresql+psycopg://u@h/db"
    assert database_url("postgresql://u@h:5432/db", "") == "postgresql+psycopg://u@h:5432/db"
    assert database_url("sqlite:////x.db", "") == "sqlite:////x.db"


def test_environment_drives_settings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://127.0.0.1/test")
    monkeypatch.setenv("PORTAL_INDUSTRY", "education")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    cfg = build_settings(str(tmp_path))
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://127.0.0.1/test"
    assert cfg["PORTAL_INDUSTRY"] == "education"
    assert cfg["SECRET_KEY"] == "from-env"
    assert cfg["BABEL_DEFAULT_LOCALE"] == "zh"
    assert cfg["FAB_CREATE_DB"] is False and cfg["FAB_UPDATE_PERMS"] is False


def test_development_secret_is_random_and_kept(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = build_settings(str(tmp_path))["SECRET_KEY"]
    second = build_settings(str(tmp_path))["SECRET_KEY"]
    other = build_settings(str(tmp_path / "other"))["SECRET_KEY"]
    assert first == second and first != other and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_a_server_database_gets_a_pool_sized_from_the_environment(tmp_path: Path,
                                                                   monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://127.0.0.1/test")
    assert build_settings(str(tmp_path))["SQLALCHEMY_ENGINE_OPTIONS"] == {
        "pool_size": 5, "max_overflow": 10, "pool_timeout": 10, "pool_pre_ping": True}
    monkeypatch.setenv("PORTAL_DB_POOL_SIZE", "20")
    monkeypatch.setenv("PORTAL_DB_MAX_OVERFLOW", "0")
    monkeypatch.setenv("PORTAL_DB_POOL_TIMEOUT", "3")
    assert build_settings(str(tmp_path))["SQLALCHEMY_ENGINE_OPTIONS"] == {
        "pool_size": 20, "max_overflow": 0, "pool_timeout": 3, "pool_pre_ping": True}
    monkeypatch.delenv("DATABASE_URL")
    assert build_settings(str(tmp_path))["SQLALCHEMY_ENGINE_OPTIONS"] == {
        "connect_args": {"timeout": 30}}  # SQLite: one file, no pool to size


@pytest.mark.parametrize(("name", "value", "minimum"), [
    ("PORTAL_DB_POOL_SIZE", "0", 1), ("PORTAL_DB_MAX_OVERFLOW", "-1", 0),
    ("PORTAL_DB_POOL_TIMEOUT", "ten", 1)])
def test_a_bad_pool_setting_stops_start_up_with_its_name(tmp_path: Path, monkeypatch,
                                                         name: str, value: str,
                                                         minimum: int) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://127.0.0.1/test")
    monkeypatch.setenv(name, value)
    with pytest.raises(StartupRefused) as exc:
        build_settings(str(tmp_path))
    assert str(exc.value) == f"{name} must be a whole number of at least {minimum}, not '{value}'."


def test_the_dashboard_cache_is_set_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert build_settings(str(tmp_path))["PORTAL_DASHBOARD_CACHE_SECONDS"] == 60
    monkeypatch.setenv("PORTAL_DASHBOARD_CACHE_SECONDS", "5")
    assert build_settings(str(tmp_path))["PORTAL_DASHBOARD_CACHE_SECONDS"] == 5
    monkeypatch.setenv("PORTAL_DASHBOARD_CACHE_SECONDS", "a minute")
    with pytest.raises(ValueError, match="PORTAL_DASHBOARD_CACHE_SECONDS must be a whole "
                       "number of 0 or more, not 'a minute'"):
        build_settings(str(tmp_path))


def test_the_export_limit_is_set_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert build_settings(str(tmp_path))["PORTAL_EXPORT_MAX_ROWS"] == 1_048_575
    monkeypatch.setenv("PORTAL_EXPORT_MAX_ROWS", "5000")
    assert build_settings(str(tmp_path))["PORTAL_EXPORT_MAX_ROWS"] == 5000
    monkeypatch.setenv("PORTAL_EXPORT_MAX_ROWS", "lots")
    with pytest.raises(ValueError, match="PORTAL_EXPORT_MAX_ROWS must be a whole number of 0 "
                       "or more, not 'lots'"):
        build_settings(str(tmp_path))


def test_the_worker_thread_is_on_unless_switched_off_and_uploads_are_capped(
        tmp_path: Path, monkeypatch) -> None:
    from app.security.manager import StartupRefused

    monkeypatch.delenv("PORTAL_WORKER_THREAD", raising=False)
    cfg = build_settings(str(tmp_path))
    assert (cfg["PORTAL_WORKER_THREAD"], cfg["PORTAL_WORKER_POLL_SECONDS"]) == (True, 2)
    assert cfg["MAX_CONTENT_LENGTH"] == 50 * (1 << 20) + (1 << 16)
    monkeypatch.setenv("PORTAL_WORKER_THREAD", "0")
    monkeypatch.setenv("PORTAL_IMPORT_MAX_MB", "5")
    cfg = build_settings(str(tmp_path))
    assert (cfg["PORTAL_WORKER_THREAD"], cfg["MAX_CONTENT_LENGTH"]) == (
        False, 5 * (1 << 20) + (1 << 16))
    monkeypatch.setenv("PORTAL_WORKER_POLL_SECONDS", "0")
    with pytest.raises(StartupRefused, match="PORTAL_WORKER_POLL_SECONDS must be a whole "
                                             "number of at least 1, not '0'"):
        build_settings(str(tmp_path))


def test_files_are_kept_in_the_instance_folder_unless_set(tmp_path: Path, monkeypatch) -> None:
    from app.security.manager import StartupRefused

    monkeypatch.delenv("PORTAL_FILE_STORAGE", raising=False)
    monkeypatch.delenv("PORTAL_FILE_DIR", raising=False)
    cfg = build_settings(str(tmp_path))
    assert (cfg["PORTAL_FILE_STORAGE"], cfg["PORTAL_FILE_DIR"]) == (
        "folder", str(tmp_path / "files"))
    monkeypatch.setenv("PORTAL_FILE_STORAGE", "Database")
    monkeypatch.setenv("PORTAL_FILE_DIR", "/srv/portal-files")
    cfg = build_settings(str(tmp_path))
    assert (cfg["PORTAL_FILE_STORAGE"], cfg["PORTAL_FILE_DIR"]) == (
        "database", "/srv/portal-files")
    monkeypatch.setenv("PORTAL_FILE_STORAGE", "s3")
    with pytest.raises(StartupRefused, match="PORTAL_FILE_STORAGE must be one of folder, "
                                             "database, not 's3'"):
        build_settings(str(tmp_path))
