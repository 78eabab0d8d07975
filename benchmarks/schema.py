"""Schema-plan benchmark: plan time for 50 forms x 40 fields (target < 1 s), and adding a field
and a safe type change on a table of N rows (default 1,000,000), on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/schema.py [--rows 1000000] [--pg postgresql://127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402
from bench_config import SHIPPED_CONFIG, generate_config, overrides  # noqa: E402

from app import create_app  # noqa: E402
from app.portal import portal_of
from app.schema.apply import migration_transaction  # noqa: E402
from app.schema.plan import make_plan  # noqa: E402
from app.schema.upgrade import upgrade  # noqa: E402


def database(kind: str, pg_url: str, folder: str) -> tuple[str, callable]:
    if kind == "sqlite":
        return f"sqlite:///{folder}/bench-{uuid.uuid4().hex[:6]}.db", lambda: None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
    url = pg_url.replace("postgresql://", "postgresql+psycopg://")
    return f"{url}?options=-csearch_path%3D{schema}", drop


def plan_seconds(app, runs: int = 5) -> float:
    times = []
    with app.app_context():
        engine = app.extensions["migrate"].db.engine
        for _ in range(runs):
            with migration_transaction(engine) as conn:
                start = time.perf_counter()
                make_plan(conn, portal_of(app).spec,
                          portal_of(app).models)
                times.append(time.perf_counter() - start)
                conn.rollback()
        engine.dispose()
    return statistics.median(times)


def big_table(kind: str, url: str, folder: str, rows: int) -> tuple[float, float]:
    cfg = os.path.join(folder, f"cfg-{kind}")
    shutil.copytree(SHIPPED_CONFIG, cfg, ignore=shutil.ignore_patterns("industries"))
    app = create_app(overrides(cfg, url))
    upgrade(app)
    with app.app_context():
        engine = app.extensions["migrate"].db.engine
        with engine.begin() as conn:
            batch = 50_000
            for start in range(0, rows, batch):
                conn.execute(sa.text(
                    "INSERT INTO form_customer (version, created_on, changed_on, name, phone, "
                    "company) VALUES (1, :t, :t, :n, '13800000000', :c)"),
                    [{"t": "2026-01-01 00:00:00", "n": f"客户{i}", "c": str(i % 1000)}
                     for i in range(start, min(start + batch, rows))])
        engine.dispose()
    path = os.path.join(cfg, "forms", "customer.yaml")
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("  - key: vip\n    label: 会员\n    type: boolean\n")
    app = create_app(overrides(cfg, url))
    start = time.perf_counter()
    assert upgrade(app).applied
    add_field = time.perf_counter() - start
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text.replace("    max_length: 200\n    searchable: true\n",
                              "    type: integer\n    searchable: true\n", 1))
    app = create_app(overrides(cfg, url))
    start = time.perf_counter()
    result = upgrade(app, allow_risky=True)
    assert result.applied, result.plan.text()
    convert = time.perf_counter() - start
    with app.app_context():
        app.extensions["migrate"].db.engine.dispose()
    return add_field, convert


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg", default="postgresql://127.0.0.1:5432/test")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="portal-schema-bench-")
    kinds = ["sqlite"] + ([] if args.no_pg else ["postgresql"])
    print(f"{'':44}" + "".join(f"{k:>14}" for k in kinds))
    results: dict[str, list] = {k: [] for k in kinds}
    for kind in kinds:
        for n_forms, label in ((4, "plan, shipped config (baseline)"), (50, "plan, 50x40")):
            url, drop = database(kind, args.pg, folder)
            cfg = SHIPPED_CONFIG if n_forms == 4 else os.path.join(folder, f"big-{kind}")
            if n_forms == 50:
                generate_config(cfg, 50, 40)
            app = create_app(overrides(cfg, url))
            upgrade(app)
            results[kind].append((label, plan_seconds(app)))
            drop()
        url, drop = database(kind, args.pg, folder)
        add_field, convert = big_table(kind, url, folder, args.rows)
        results[kind].append((f"add a field, {args.rows:,} rows", add_field))
        results[kind].append((f"safe type change, {args.rows:,} rows", convert))
        drop()
    for i, (label, _) in enumerate(results[kinds[0]]):
        print(f"{label:44}" + "".join(f"{results[k][i][1]:>13.3f}s" for k in kinds))
    worst = max(results[k][1][1] for k in kinds)
    print(f"target: plan for 50 forms < 1 s -> {worst:.3f} s -> "
          f"{'PASS' if worst < 1 else 'FAIL'}")
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
