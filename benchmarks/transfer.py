"""Excel in and out at scale: a list's XLSX export of up to 1,000,000 customers (rows per
second and peak memory at each size, which should stay flat), and an import of 100,000 rows on
SQLite and PostgreSQL (rows per second, CSV and XLSX).

    .venv/bin/python benchmarks/transfer.py [--sizes 10k,100k,1m] [--import-rows 100000]
                                            [--pg-url postgresql://127.0.0.1:5432/test] [--no-pg]

Export: one SQLite database grows to each size (Core inserts), and the customer list is
exported through its route (the app's test client, signed in as an admin who may reveal the
phone numbers), reading the body chunk by chunk as a browser would. Memory is the process's
resident set, sampled every 10 ms while the export runs, above what it was just before.
Baseline, in the same run: the CSV export (streamed the same way) at every size, and the way
exports worked before (every row of the list loaded at once, the file built in memory) at the
sizes up to 100k, last, as it grows the process.

Import: `import_file` of a CSV and an XLSX file of `--import-rows` customers (every field
filled), a dry run and the real import, on a fresh SQLite file and a throwaway PostgreSQL
schema (dropped at the end). A benchmark, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE / 2**20


class PeakRss:
    """The largest resident set seen while the block runs (sampled every 10 ms)."""

    def __enter__(self) -> PeakRss:
        gc.collect()
        self.base = self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())

    @property
    def growth(self) -> float:
        return self.peak - self.base


def build(url: str, folder: str) -> Any:
    from app import create_app
    from app.schema.upgrade import upgrade
    from app.security.permissions import sync_roles
    from tests.support.app import PASSWORD

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-transfer-" + "x" * 40,
        "PORTAL_CONFIG_DIR": os.path.join(ROOT, "config"), "TESTING": True,
        "SERVER_NAME": "bench.local", "PORTAL_REVISIONS_DIR": os.path.join(folder, "rev"),
        "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "PORTAL_LOGIN_RATE_LIMIT": "10000 per minute",
        "PORTAL_LOGIN_IP_RATE_LIMIT": "10000 per minute",
        "PORTAL_WORKER_THREAD": False})  # export jobs are run by the benchmark itself
    upgrade(app, allow_risky=True)
    sync_roles(app)
    with app.app_context():
        sm = app.appbuilder.sm
        if not sm.find_user(username="admin"):
            sm.add_user("admin", "admin", "bench", "admin@example.com", sm.find_role("admin"),
                        password=PASSWORD)
    return app


def customer(i: int) -> dict[str, Any]:
    return {"name": f"客户{i}", "phone": f"138{i:08d}", "company": f"=公司{i % 97}",
            "address": f"上海市某区某路{i}号", "email": f"c{i}@example.com",
            "notes": "偏好：线上\n第二行" if i % 2 else None}


def seed(app: Any, start: int, stop: int) -> None:
    """Customers start … stop-1, by Core inserts of 10,000."""
    from app.portal import portal_of

    table = portal_of(app).models.metadata.tables["form_customer"]
    now = dt.datetime(2026, 1, 1)
    with app.app_context():
        session = app.appbuilder.session
        admin = app.appbuilder.sm.find_user(username="admin").id
        for low in range(start, stop, 10_000):
            session.execute(table.insert(), [
                {**customer(i), "version": 1, "created_on": now, "changed_on": now,
                 "created_by_fk": admin, "changed_by_fk": admin}
                for i in range(low, min(stop, low + 10_000))])
            session.commit()


def export(app: Any, client: Any, fmt: str) -> tuple[float, float, float, float, bool]:
    """(seconds, peak RSS growth MB, file MB, seconds until the request answered, whether a
    worker wrote it) of the customer list's export. A list longer than
    PORTAL_EXPORT_INLINE_ROWS answers at once with its job's page; the worker (run here, in
    this process) writes the file, which is then downloaded."""
    from app.jobs.worker import run_pending

    with PeakRss() as memory:
        started = time.perf_counter()
        response = client.get(f"/customerview/export/?format={fmt}", buffered=False)
        answered = time.perf_counter() - started
        background = response.status_code == 302
        if background:
            job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
            response.close()
            with app.app_context():
                assert run_pending() == 1
            response = client.get(f"/customerview/export/{job_id}/file", buffered=False)
        assert response.status_code == 200, response.status_code
        size = 0
        for chunk in response.response:
            size += len(chunk)
        response.close()
        took = time.perf_counter() - started
    return took, memory.growth, size / 2**20, answered, background


def export_all_at_once(app: Any) -> tuple[float, float]:
    """The way exports worked before: every row loaded, the CSV built in memory."""
    import io

    from app.portal import portal_of

    model = portal_of(app).models.models["customer"]
    with PeakRss() as memory, app.app_context():
        started = time.perf_counter()
        rows = app.appbuilder.session.query(model).all()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow([row.id, row.name, row.phone, row.company, row.address, row.email,
                             row.notes, row.created_on, row.changed_on])
        data = ("\ufeff" + buffer.getvalue()).encode()
        took = time.perf_counter() - started
        del rows, buffer, data
        app.appbuilder.session.rollback()
    return took, memory.growth


def export_bench(sizes: list[str], folder: str) -> None:
    from tests.support.app import login

    app = build(f"sqlite:///{folder}/export.db", folder)
    client = app.test_client()
    login(client, "admin")
    have, results = 0, {}
    for name in sizes:
        seed(app, have, SIZES[name])
        have = SIZES[name]
        results[name] = {fmt: export(app, client, fmt) for fmt in ("xlsx", "csv")}
        took, growth, size, answered, background = results[name]["xlsx"]
        how = "worker" if background else "inline"
        print(f"  {name:>5} rows ({how}; request answered in {answered * 1000:7,.0f} ms): "
              f"xlsx {have / took:8,.0f} rows/s ({took:5.1f} s), peak +{growth:6.1f} MB, "
              f"{size:6.1f} MB file | csv {have / results[name]['csv'][0]:8,.0f} rows/s, "
              f"peak +{results[name]['csv'][1]:6.1f} MB", flush=True)
    print("  baseline (before: all rows loaded, file built in memory):")
    have = 0
    app2 = build(f"sqlite:///{folder}/baseline.db", folder)
    for name in [s for s in sizes if SIZES[s] <= 100_000]:
        seed(app2, have, SIZES[name])
        have = SIZES[name]
        took, growth = export_all_at_once(app2)
        print(f"  {name:>5} rows: csv {have / took:8,.0f} rows/s, peak +{growth:6.1f} MB",
              flush=True)


def write_files(rows: int, folder: str) -> dict[str, str]:
    from openpyxl import Workbook

    header = ["客户名称", "联系电话", "公司名称", "地址", "电子邮箱", "备注（偏好、购买记录）"]
    paths = {"csv": os.path.join(folder, "in.csv"), "xlsx": os.path.join(folder, "in.xlsx")}
    tag = uuid.uuid4().hex[:6]
    values = [[f"导入{tag}{i}", f"139{i:08d}", f"公司{i % 97}", f"北京市某路{i}号",
               f"i{i}@example.com", "备注\n第二行"] for i in range(rows)]
    with open(paths["csv"], "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([header, *values])
    book = Workbook(write_only=True)
    sheet = book.create_sheet("数据")
    sheet.append(header)
    for row in values:
        sheet.append(row)
    book.save(paths["xlsx"])
    return paths


def import_bench(url: str, label: str, paths: dict[str, str], rows: int, folder: str) -> None:
    from app.transfer.importer import import_file

    app = build(url, folder)
    for fmt, path in paths.items():
        for dry_run in (True, False):
            with app.app_context():
                started = time.perf_counter()
                outcome = import_file(path, "customer", "admin", dry_run=dry_run)
                took = time.perf_counter() - started
            assert outcome.rows == rows and not outcome.errors, (outcome.rows, outcome.errors)
            if not dry_run:  # the next file imports the same customers again
                with app.app_context():
                    from sqlalchemy import text

                    app.appbuilder.session.execute(text("delete from form_customer"))
                    app.appbuilder.session.commit()
            print(f"  {label:10} {fmt:4} {'dry run' if dry_run else 'import ':7} "
                  f"{rows / took:7,.0f} rows/s ({took:.1f} s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1m")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--pg-url", default="postgresql://127.0.0.1:5432/test")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--skip-import", action="store_true")
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="bench-transfer-")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    try:
        if not args.skip_export:
            print("\nXLSX export of the customer list (streamed), SQLite:")
            export_bench(args.sizes.split(","), folder)
        if not args.skip_import:
            print(f"\nimport of {args.import_rows:,} customers:")
            paths = write_files(args.import_rows, folder)
            import_bench(f"sqlite:///{folder}/import.db", "SQLite", paths, args.import_rows,
                         folder)
            if not args.no_pg:
                pg_import(args.pg_url, paths, args.import_rows, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def pg_import(pg_url: str, paths: dict[str, str], rows: int, folder: str) -> None:
    from sqlalchemy import create_engine, text

    from app.settings import database_url

    admin = create_engine(database_url(pg_url, ""), isolation_level="AUTOCOMMIT")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - no server: say so, keep the SQLite figures
        print(f"  PostgreSQL at {pg_url} not usable ({exc}); skipped")
        return
    try:
        url = f"{database_url(pg_url, '')}?options=-csearch_path%3D{schema}"
        import_bench(url, "PostgreSQL", paths, rows, folder)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
