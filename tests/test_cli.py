"""`flask portal ...` commands: clean output, exit codes, idempotence, no tracebacks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.app import CONFIG, PASSWORD, login

ROOT = Path(__file__).resolve().parent.parent


def test_config_show_prints_the_merged_config(make_app) -> None:
    app = make_app(industry="cosmetics", setup=False)
    result = app.test_cli_runner().invoke(args=["portal", "config", "show"])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(result.output)
    assert data["industry"] == "cosmetics"
    forms = {f["key"]: f for f in data["forms"]}
    assert "return_exchange" in forms and forms["complaint"]["table"] == "form_complaint"
    base = yaml.safe_load(make_app(setup=False).test_cli_runner().invoke(
        args=["portal", "config", "show"]).output)
    assert base["industry"] == "(base pack only)"
    assert "return_exchange" not in {f["key"] for f in base["forms"]}


def test_init_is_idempotent_and_prints_the_generated_admin_password_once(make_app) -> None:
    app = make_app(setup=False, PORTAL_ADMIN_PASSWORD=None, PORTAL_ADMIN_USER="boss")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["portal", "init"])
    assert first.exit_code == 0, first.output
    assert "  + create table form_complaint (19 fields)" in first.output
    line = next(x for x in first.output.splitlines() if x.startswith("first admin created"))
    password = line.split("password '")[1].split("'")[0]
    assert len(password) >= 16
    second = runner.invoke(args=["portal", "init"])
    assert second.exit_code == 0
    assert "database schema is up to date" in second.output
    assert "roles synced (0 changes)" in second.output
    assert second.output.splitlines()[-1] == (
        "first admin: user 'boss' exists already; no account was created")
    client = app.test_client()
    login(client, "boss", password)
    assert client.get("/users/list/").status_code == 200
    with app.app_context():
        boss = app.appbuilder.sm.find_user(username="boss")
        assert (boss.first_name, boss.last_name) == ("系统管理员", "")
        assert boss.get_full_name().strip() == "系统管理员"
    home = client.get("/").get_data(as_text=True)
    assert "系统管理员" in home and "Portal Admin" not in home  # the navigation bar's user menu


def test_init_says_why_it_creates_no_admin_on_a_database_with_other_users(make_app) -> None:
    """A database restored without the PORTAL_ADMIN_USER account: init must not stay silent
    (it used to exit 0 saying nothing) and must not add an admin by itself."""
    app = make_app(setup=False, PORTAL_ADMIN_PASSWORD=None, PORTAL_ADMIN_USER="boss")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["portal", "init"]).exit_code == 0
    created = runner.invoke(args=["portal", "user", "create", "wangli", "--role", "staff",
                                  "--password", "Counter-desk-7391"])
    assert created.exit_code == 0, created.output
    with app.app_context():
        sm = app.appbuilder.sm
        sm.session.delete(sm.find_user(username="boss"))
        sm.session.commit()
    result = runner.invoke(args=["portal", "init"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        "first admin: none created, the database has 1 user(s) already and none is 'boss' "
        "(PORTAL_ADMIN_USER); an admin adds accounts in 安全 → 用户列表, or: flask portal "
        "user create NAME --role admin")
    with app.app_context():
        assert [u.username for u in app.appbuilder.sm.get_all_users()] == ["wangli"]


def test_roles_sync_command_reports_nothing_to_do(app) -> None:
    result = app.test_cli_runner().invoke(args=["portal", "roles", "sync"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == (
        "roles and permissions already match roles.yaml; nothing changed")


def test_user_create_and_roles(app) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "user", "create", "zhangsan", "--role", "staff",
                                 "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "user zhangsan created with roles: staff"
    again = runner.invoke(args=["portal", "user", "create", "zhangsan", "--role", "staff",
                                "--password", PASSWORD])
    assert again.exit_code == 1 and "user 'zhangsan' already exists" in again.output
    bad = runner.invoke(args=["portal", "user", "roles", "zhangsan", "supervisr"])
    assert bad.exit_code == 1
    assert "unknown role(s): supervisr; known: " in bad.output
    ok = runner.invoke(args=["portal", "user", "roles", "zhangsan", "supervisor"])
    assert ok.exit_code == 0
    client = app.test_client()
    login(client, "zhangsan")
    assert client.get("/customerview/delete/1").status_code != 403
    with app.app_context():
        user = app.appbuilder.sm.find_user(username="zhangsan")
        assert [r.name for r in user.roles] == ["supervisor"]


def _broken_config(tmp_path: Path) -> Path:
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config, ignore=shutil.ignore_patterns("industries"))
    path = config / "forms" / "complaint.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "    default: normal\n    help:", "    default: urgentt\n    help:"), encoding="utf-8")
    return config


def _flask(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), *args], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120)


def test_real_flask_command_finds_the_app_and_reports_config_errors(tmp_path: Path) -> None:
    config = _broken_config(tmp_path)
    db = tmp_path / "portal.db"
    env = {"PORTAL_CONFIG_DIR": str(config), "DATABASE_URL": f"sqlite:///{db}",
           "SECRET_KEY": "x" * 32}
    for args in (["portal", "check"], ["portal", "init"], ["portal", "config", "show"]):
        result = _flask(args, env)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
        line = (config / "forms" / "complaint.yaml").read_text(encoding="utf-8").split(
            "\n").index("    default: urgentt") + 1
        assert (f"forms/complaint.yaml:{line}:14 PORTAL-E040 fields[12].default: 'urgentt' "
                "is not one of the choices (low, normal, urgent)") in result.stderr
        assert "1 problem found; the portal was not started and the database was not " \
               "touched." in result.stderr
    assert not db.exists()
    ok = _flask(["portal", "check"], {"PORTAL_CONFIG_DIR": str(CONFIG)})
    assert ok.returncode == 0
    assert ok.stdout.startswith("OK: 4 forms")


def test_run_py_refuses_a_broken_config_without_touching_the_database(tmp_path: Path) -> None:
    config = _broken_config(tmp_path)
    db = tmp_path / "portal.db"
    result = subprocess.run(
        [sys.executable, str(ROOT / "run.py")], cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "PORTAL_CONFIG_DIR": str(config), "DATABASE_URL": f"sqlite:///{db}",
             "SECRET_KEY": "x" * 32}, timeout=120)
    assert result.returncode == 1
    assert "PORTAL-E040" in result.stderr and "Traceback" not in result.stderr
    assert not db.exists()


# --- passwords and accounts (app/security/passwords.py) ----------------------------------

WEAK_ADMIN = ("PORTAL_ADMIN_PASSWORD 不可用：密码至少需要 12 个字符。 密码不能包含用户名。 "
              "该密码过于常见，请换一个不易被猜到的密码。 请设置更强的密码，或留空以自动生成密码；"
              "未创建任何账号。")
KNOWN_PASSWORDS = ("admin", "password", PASSWORD, "admin123", "Admin@123", "123456",
                   "changeme", "")


def test_user_create_refuses_a_weak_password(app) -> None:
    result = app.test_cli_runner().invoke(args=[
        "portal", "user", "create", "lisi2", "--role", "staff", "--password", "lisi2-password"])
    assert result.exit_code == 1
    assert result.output == "Error: 未创建用户“lisi2”：密码不能包含用户名。\n"
    with app.app_context():
        assert app.appbuilder.sm.find_user(username="lisi2") is None


def test_init_refuses_a_weak_admin_password_and_creates_no_account(make_app) -> None:
    app = make_app(setup=False, PORTAL_ADMIN_PASSWORD="admin123456", PORTAL_ADMIN_USER="admin")
    result = app.test_cli_runner().invoke(args=["portal", "init"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == f"Error: {WEAK_ADMIN}"
    with app.app_context():
        assert app.appbuilder.sm.count_users() == 0


def test_init_creates_no_account_with_a_known_password(make_app) -> None:
    from werkzeug.security import check_password_hash

    app = make_app(setup=False, PORTAL_ADMIN_PASSWORD=None)
    assert app.test_cli_runner().invoke(args=["portal", "init"]).exit_code == 0
    with app.app_context():
        users = app.appbuilder.sm.get_all_users()
        assert [u.username for u in users] == ["admin"]
        assert not any(check_password_hash(users[0].password, p) for p in KNOWN_PASSWORDS)
    for password in KNOWN_PASSWORDS[:3]:
        assert app.test_client().post("/api/v1/security/login", json={
            "username": "admin", "password": password, "provider": "db"}).status_code in (
            400, 401)


def test_run_py_refuses_a_weak_admin_password(tmp_path: Path) -> None:
    db = tmp_path / "portal.db"
    result = subprocess.run(
        [sys.executable, str(ROOT / "run.py")], cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{db}", "SECRET_KEY": "x" * 32,
             "PORTAL_ADMIN_USER": "admin", "PORTAL_ADMIN_PASSWORD": "admin123456"},
        timeout=180)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == WEAK_ADMIN
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from ab_user").fetchone() == (0,)


def test_the_flask_command_migrates_a_database_the_production_entry_would_refuse(
        tmp_path: Path) -> None:
    """Without FLASK_APP, Flask's discovery imported wsgi.py, which refuses a database that
    needs migrating: `flask portal migrate` could never run on one."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
           "PORTAL_REVISIONS_DIR": str(tmp_path / "revisions"), "SECRET_KEY": "",
           "FLASK_APP": ""}
    plan = _flask(["portal", "migrate", "--plan"], env)
    assert plan.returncode == 0, plan.stderr
    assert plan.stdout.rstrip().endswith("4 changes")
    applied = _flask(["portal", "migrate", "--yes"], env)
    assert applied.returncode == 0, applied.stderr
    assert _flask(["portal", "migrate", "--plan"], env).stdout == (
        "The database matches the configuration; nothing to do.\n")


def test_check_warns_of_a_robot_variable_missing_here(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from app.cli.config import check
    from tests.support.notify import notify_config

    config = notify_config(tmp_path)  # the shipped robots switched on
    for name in ("PORTAL_SERVICE_ROBOT_URL", "PORTAL_WAREHOUSE_ROBOT_URL",
                 "PORTAL_WAREHOUSE_ROBOT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORTAL_WAREHOUSE_ROBOT_URL", "http://127.0.0.1:9/x")
    result = CliRunner().invoke(check, ["--config-dir", str(config)])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "warning: notification rule 'compensation_ship_robot': environment variable "
        "PORTAL_WAREHOUSE_ROBOT_SECRET is not set here; its robot messages fail until it is "
        "set on the servers",
        "warning: notification rule 'complaint_breach_robot': environment variable "
        "PORTAL_SERVICE_ROBOT_URL is not set here; its robot messages fail until it is set "
        "on the servers"]
