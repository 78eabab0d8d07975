"""Seeded databases for benchmarks/scale.py: the portal's schema (its own migration), an admin
and a staff user, then N customers and N complaints loaded in bulk (SQLite: executemany in one
transaction; PostgreSQL: COPY), with the two tables' indexes dropped during the load and
recreated from their own DDL afterwards. A seeded database is kept and reused, keyed by size.

    SQLite:     <data-dir>/sqlite-<size>/portal.db (+ baseline.db: the baseline's ab_* tables)
    PostgreSQL: schema s_<size> (portal) and b_<size> (the baseline's ab_* tables)
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))
PASSWORD = "Bench-scale-pw-2026"
BATCH = 50_000
START = dt.datetime(2023, 1, 2, 8, 0, 0)
STATES = ["registered"] * 3 + ["accepted", "investigating", "escalated",
                               "awaiting_confirmation", "resolved", "closed"]
CHANNELS = ["phone", "email", "online", "social", "in_person", "visit"]
CUSTOMER_COLS = ["id", "version", "created_on", "changed_on", "created_by_fk", "changed_by_fk",
                 "name", "phone", "company", "address", "email", "notes"]
COMPLAINT_COLS = ["id", "version", "created_on", "changed_on", "created_by_fk",
                  "changed_by_fk", "state", "sla_response_due", "sla_resolution_due",
                  "sla_response_breached", "sla_resolution_breached", "customer_id", "channel",
                  "product_name", "product_spec", "batch_no", "production_date", "occurred_at",
                  "description", "category", "severity", "priority", "recorded_by_id",
                  "handler_id", "satisfied"]


@dataclass
class Target:
    """One seeded database: the portal's URL, the baseline's, and how it was made."""

    kind: str  # sqlite | pg
    size: int
    portal_url: str
    baseline_url: str
    baseline_setup_url: str  # the baseline's security tables alone (created before serving)
    data_path: str  # SQLite: the portal file the baseline attaches; PG: the data schema
    seeded_seconds: float = 0.0  # 0: reused


def size_label(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"


def parse_size(text: str) -> int:
    text = text.strip().lower()
    mult = {"k": 1000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * mult)


def sqlalchemy_pg(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _with_options(url: str, options: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(options)}"


def target(kind: str, size: int, data_dir: str, pg_url: str) -> Target:
    label = size_label(size)
    if kind == "sqlite":
        folder = os.path.join(data_dir, f"sqlite-{label}")
        db, base = os.path.join(folder, "portal.db"), os.path.join(folder, "baseline.db")
        return Target(kind, size, f"sqlite:///{db}", f"sqlite:///{base}", f"sqlite:///{base}",
                      db)
    url = sqlalchemy_pg(pg_url)
    return Target(kind, size, _with_options(url, f"-csearch_path=s_{label}"),
                  _with_options(url, f"-csearch_path=b_{label},s_{label}"),
                  _with_options(url, f"-csearch_path=b_{label}"), f"s_{label}")


# -- rows -----------------------------------------------------------------------------------
def _ts(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def customer_rows(n: int) -> Iterator[tuple]:
    for i in range(1, n + 1):
        t = _ts(START + dt.timedelta(seconds=i * 20))
        yield (i, 1, t, t, 1, 1, f"客户{i:07d}", f"13{(i * 7919) % 10**9:09d}",
               f"公司{i % 5000:04d}", f"上海市浦东新区{i % 900}号", f"c{i}@example.com",
               "偏好：线上联系" if i % 3 else None)


def complaint_rows(n: int, customers: int, staff_id: int) -> Iterator[tuple]:
    rng = random.Random(n)
    step = max(1, 40_000_000 // n)  # spread over ~15 months whatever the size
    for j in range(1, n + 1):
        created = START + dt.timedelta(seconds=j * step)
        state = STATES[j % len(STATES)]
        yield (j, 1, _ts(created), _ts(created), 1, 1, state,
               _ts(created + dt.timedelta(days=1)), _ts(created + dt.timedelta(days=3)),
               False, j % 17 == 0, rng.randint(1, customers), CHANNELS[j % 6],
               f"产品{j % 500:03d}", "500ml" if j % 2 else None, f"B{j % 10000:05d}",
               created.date().isoformat(), _ts(created - dt.timedelta(hours=5)),
               f"第{j}号投诉：包装破损，产品无法使用。", ("quality", "misuse", "service")[j % 3],
               ("minor", "normal", "serious")[j % 3], ("low", "normal", "urgent")[j % 3], 1,
               None if state == "registered" else staff_id,
               None if state != "closed" else bool(j % 2))


# -- the portal's schema and users ------------------------------------------------------------
def _portal_setup(url: str) -> int:
    """Migrate an empty database with the portal's own code; returns the staff user's id."""
    sys.path.insert(0, HERE)
    from bench_config import SHIPPED_CONFIG, overrides

    from app import create_app
    from app.cli.users import ensure_admin
    from app.schema.upgrade import upgrade
    from app.security.permissions import sync_roles

    app = create_app({**overrides(SHIPPED_CONFIG, url), "PORTAL_ADMIN_PASSWORD": PASSWORD})
    upgrade(app)
    sync_roles(app)
    ensure_admin(app, lambda _m: None)
    with app.app_context():
        sm = app.appbuilder.sm
        staff = sm.add_user("handler", "处理", "员工", "handler@example.com",
                            sm.find_role("staff"), password=PASSWORD)
        staff_id = int(staff.id)
        app.extensions["migrate"].db.engine.dispose()
    return staff_id


def _portal_upgrade(url: str, say: Any) -> None:
    """A reused database follows the portal's current schema (new indexes, columns): the
    portal's own migration, as `flask portal migrate` would apply it."""
    sys.path.insert(0, HERE)
    from bench_config import SHIPPED_CONFIG, overrides

    from app import create_app
    from app.schema.upgrade import upgrade

    app = create_app(overrides(SHIPPED_CONFIG, url))
    result = upgrade(app, applied_by="benchmarks/scale.py")
    if result.applied:
        say(f"  schema brought up to date: {result.revision}")
    elif result.reason in ("risky", "refused"):
        say(f"  schema differs and was not changed ({result.reason}):\n{result.plan.text()}")
    with app.app_context():
        app.extensions["migrate"].db.engine.dispose()


# -- SQLite ---------------------------------------------------------------------------------
def _seed_sqlite(t: Target) -> None:
    import sqlite3

    folder = os.path.dirname(t.data_path)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    staff_id = _portal_setup(t.portal_url)
    conn = sqlite3.connect(t.data_path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA journal_mode=MEMORY")
    conn.execute("BEGIN")
    indexes = [sql for (sql,) in conn.execute(
        "select sql from sqlite_master where type='index' and sql is not null and tbl_name in "
        "('form_customer', 'form_complaint')")]
    for (name,) in conn.execute("select name from sqlite_master where type='index' and sql is "
                                "not null and tbl_name in ('form_customer', 'form_complaint')"
                                ).fetchall():
        conn.execute(f'DROP INDEX "{name}"')
    for table, cols, rows in (
            ("form_customer", CUSTOMER_COLS, customer_rows(t.size)),
            ("form_complaint", COMPLAINT_COLS, complaint_rows(t.size, t.size, staff_id))):
        sql = (f"INSERT INTO {table} ({', '.join(cols)}) VALUES "
               f"({', '.join('?' * len(cols))})")
        batch: list[tuple] = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                conn.executemany(sql, batch)
                batch.clear()
        conn.executemany(sql, batch)
    for sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()


# -- PostgreSQL -------------------------------------------------------------------------------
def _pg_conninfo(pg_url: str, dbname: str | None = None) -> str:
    url = pg_url.replace("postgresql+psycopg://", "postgresql://")
    if dbname:
        head, _, tail = url.partition("?")
        url = head.rsplit("/", 1)[0] + "/" + dbname + (("?" + tail) if tail else "")
    return url


def ensure_pg_database(pg_url: str) -> None:
    """Create the benchmark's database (the last part of --pg-url) when it is missing."""
    import psycopg

    name = pg_url.partition("?")[0].rsplit("/", 1)[1]
    with psycopg.connect(_pg_conninfo(pg_url, "postgres"), autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def _seed_pg(t: Target, pg_url: str) -> None:
    import psycopg

    schema, base = t.data_path, "b_" + t.data_path[2:]
    with psycopg.connect(_pg_conninfo(pg_url), autocommit=True) as conn:
        for s in (schema, base):
            conn.execute(f'DROP SCHEMA IF EXISTS "{s}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{s}"')
    staff_id = _portal_setup(t.portal_url)
    with psycopg.connect(_pg_conninfo(pg_url)) as conn:
        conn.execute(f'SET search_path = "{schema}"')
        indexes = conn.execute(
            "select indexname, indexdef from pg_indexes where schemaname = %s and tablename in "
            "('form_customer', 'form_complaint') and indexname like 'ix_%%'", (schema,)
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        with conn.cursor() as cur:
            for table, cols, rows in (
                    ("form_customer", CUSTOMER_COLS, customer_rows(t.size)),
                    ("form_complaint", COMPLAINT_COLS,
                     complaint_rows(t.size, t.size, staff_id))):
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    lines: list[str] = []
                    for row in rows:
                        lines.append("\t".join(map(_copy_text, row)))
                        if len(lines) == BATCH:
                            copy.write("\n".join(lines) + "\n")
                            lines.clear()
                    if lines:
                        copy.write("\n".join(lines) + "\n")
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT max(id) FROM {table}))")
        for _, ddl in indexes:
            conn.execute(ddl)
        conn.commit()
    with psycopg.connect(_pg_conninfo(pg_url), autocommit=True) as conn:
        conn.execute(f'SET search_path = "{schema}"')
        conn.execute("VACUUM ANALYZE form_customer")
        conn.execute("VACUUM ANALYZE form_complaint")


def _seeded(t: Target, pg_url: str) -> bool:
    if t.kind == "sqlite":
        return os.path.exists(os.path.join(os.path.dirname(t.data_path), "ready"))
    import psycopg

    with psycopg.connect(_pg_conninfo(pg_url)) as conn:
        return conn.execute("select 1 from information_schema.tables where table_schema = %s "
                            "and table_name = 'bench_seed'", (t.data_path,)).fetchone() is not None


def _mark(t: Target, pg_url: str) -> None:
    """Written last: a run stopped half way seeds again next time."""
    if t.kind == "sqlite":
        with open(os.path.join(os.path.dirname(t.data_path), "ready"), "w") as fh:
            fh.write(str(t.size))
        return
    import psycopg

    with psycopg.connect(_pg_conninfo(pg_url)) as conn:
        conn.execute(f'CREATE TABLE "{t.data_path}".bench_seed (size integer)')
        conn.execute(f'INSERT INTO "{t.data_path}".bench_seed VALUES (%s)', (t.size,))


def prepare(t: Target, pg_url: str, say: Any) -> Target:
    """Seed the database unless a seeded one of this size exists; set up the baseline's
    security tables (in a process of its own: FAB's metadata must not hold the portal's)."""
    if _seeded(t, pg_url):
        say(f"{t.kind} {size_label(t.size)}: reusing the seeded database")
        _portal_upgrade(t.portal_url, say)
        return t
    say(f"{t.kind} {size_label(t.size)}: seeding {t.size:,} customers and complaints ...")
    began = time.perf_counter()
    if t.kind == "sqlite":
        _seed_sqlite(t)
    else:
        _seed_pg(t, pg_url)
    subprocess.run([sys.executable, os.path.join(HERE, "scale_baseline.py"), "setup",
                    t.baseline_setup_url], check=True)
    _mark(t, pg_url)
    t.seeded_seconds = time.perf_counter() - began
    say(f"{t.kind} {size_label(t.size)}: seeded in {t.seeded_seconds:.0f} s")
    return t
