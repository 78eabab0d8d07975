"""Working time in SQL (app/db/worktime.py): AVG of working_seconds against AVG of plain
calendar_seconds over the same rows, overall and grouped, on PostgreSQL (1,000,000 rows made
by generate_series in a throwaway schema) and SQLite (100,000 rows in a temporary file).

    .venv/bin/python benchmarks/worktime.py [--pg-rows 1000000] [--sqlite-rows 100000]
                                            [--pg postgresql://127.0.0.1:5432/test] [--no-pg]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402
from bench_config import SHIPPED_CONFIG  # noqa: E402
from schema import database  # noqa: E402

from app.config.load import load_spec  # noqa: E402
from app.db.worktime import (  # noqa: E402
    Workday,
    WorkdaySource,
    calendar_seconds,
    outer_joined,
    sync_workdays,
    working_seconds,
)

METADATA = sa.MetaData()
CASES = sa.Table("bench_worktime", METADATA,
                 sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("grp", sa.Integer, nullable=False),
                 sa.Column("started", sa.DateTime, nullable=False),
                 sa.Column("ended", sa.DateTime))
# 1M rows in one statement: starts over three years, ends up to 30 days later, 1 in 20 open.
PG_FILL = """INSERT INTO bench_worktime (id, grp, started, ended)
SELECT i, i % 10, s, CASE WHEN i % 20 = 0 THEN NULL ELSE s + random() * interval '30 days' END
FROM (SELECT i, timestamp '2024-01-01' + random() * interval '1095 days' AS s
      FROM generate_series(1, :rows) AS i) AS g"""


def _fill_sqlite(conn: Any, rows: int) -> None:
    rng = random.Random(2026)
    base = dt.datetime(2024, 1, 1)
    batch = []
    for i in range(1, rows + 1):
        start = base + dt.timedelta(seconds=rng.uniform(0, 1095 * 86400))
        end = None if i % 20 == 0 else start + dt.timedelta(seconds=rng.uniform(0, 30 * 86400))
        batch.append({"id": i, "grp": i % 10, "started": start, "ended": end})
    conn.execute(CASES.insert(), batch)


def _median_seconds(conn: Any, query: Any, runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        begin = time.perf_counter()
        result = conn.execute(query).all()
        times.append(time.perf_counter() - begin)
    return statistics.median(times), result


def run(kind: str, url: str, rows: int, runs: int) -> None:
    engine = sa.create_engine(url)
    calendar = load_spec(SHIPPED_CONFIG).calendar
    dialect = engine.dialect.name
    with engine.begin() as conn:
        Workday.__table__.create(conn)
        WorkdaySource.__table__.create(conn)
        METADATA.create_all(conn)
        begin = time.perf_counter()
        sync_workdays(conn, calendar)
        built = time.perf_counter() - begin
        begin = time.perf_counter()
        if dialect == "postgresql":
            conn.execute(sa.text(PG_FILL), {"rows": rows})
        else:
            _fill_sqlite(conn, rows)
        filled = time.perf_counter() - begin
    with engine.connect() as conn:
        conn.execute(sa.text("ANALYZE"))
        conn.commit()
        begin = time.perf_counter()
        assert not sync_workdays(conn, calendar)
        unchanged = time.perf_counter() - begin
        print(f"\n{kind}: {rows:,} rows (made in {filled:.1f} s); portal_workday built in "
              f"{built * 1000:.0f} ms, an unchanged sync takes {unchanged * 1000:.1f} ms")
        working, joins = working_seconds(CASES.c.started, CASES.c.ended, dialect, calendar)
        plain = calendar_seconds(CASES.c.started, CASES.c.ended, dialect)
        flat = sa.select(sa.func.count()).select_from(CASES)
        queries = {
            "count(*) (a scan, for scale)": flat,
            "AVG(calendar_seconds)": sa.select(sa.func.avg(plain)),
            "AVG(working_seconds)": sa.select(sa.func.avg(working)).select_from(
                outer_joined(CASES, joins)),
            "AVG(calendar_seconds) GROUP BY grp": sa.select(CASES.c.grp, sa.func.avg(plain))
            .group_by(CASES.c.grp),
            "AVG(working_seconds) GROUP BY grp": sa.select(CASES.c.grp, sa.func.avg(working))
            .select_from(outer_joined(CASES, joins)).group_by(CASES.c.grp),
        }
        for label, query in queries.items():
            seconds, result = _median_seconds(conn, query, runs)
            shown = result[0][-1] if len(result) == 1 else f"{len(result)} groups"
            print(f"  {label:38} {seconds * 1000:8.0f} ms   ({shown})")
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg-rows", type=int, default=1_000_000)
    parser.add_argument("--sqlite-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", default="postgresql://127.0.0.1:5432/test")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f}; median of {args.runs} runs each")
    with tempfile.TemporaryDirectory(prefix="portal-worktime-bench-") as folder:
        url, _ = database("sqlite", "", folder)
        run("SQLite", url, args.sqlite_rows, args.runs)
    if not args.no_pg:
        url, drop = database("postgresql", args.pg, "")
        try:
            run("PostgreSQL", url, args.pg_rows, args.runs)
        finally:
            drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
