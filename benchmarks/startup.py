"""Startup benchmark: how long the portal takes to turn YAML into a running Flask-AppBuilder app.

    .venv/bin/python benchmarks/startup.py              # 5 runs per config
    .venv/bin/python benchmarks/startup.py --runs 9 --profile

What it does:

1. Generates a large config (50 forms x 40 fields by default, every field type, references
   to earlier forms, 4 menu categories, 4 roles) into a temporary folder.
2. Times, for the shipped config/ (baseline) and for the generated one, in a fresh Python
   process per run (so the build cache of app/portal.py is always cold):
   (a) load_spec, (b) build_models, (c) register_views (build_view for every form plus FAB's
   add_view), and (d) the whole create_app call, plus peak RSS. The phases are timed by
   wrapping the functions create_app calls, inside that single create_app call.
   Reports medians of N runs and PASS/FAIL against the target for (d) on the large config.
3. Shows that requests do no YAML parsing and build no classes: after create_app on the large
   config (on a throwaway SQLite file, set up before counting starts), counts YAML loader
   instantiations, load_yaml/load_spec/build_models/build_view calls and new classes while
   serving ~200 logged-out requests (and a few logged-in ones) with the Flask test client.

It is a benchmark, not a test: it always exits 0 unless the script itself breaks.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from bench_config import ROOT, SHIPPED_CONFIG, generate_config, overrides  # noqa: E402
from bench_requests import print_requests, worker_requests  # noqa: E402

# --------------------------------------------------------------------------------------------
# 2. Worker side (runs in a fresh subprocess)
# --------------------------------------------------------------------------------------------

def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def worker_measure(config_dir: str) -> dict:
    """One cold create_app; the phases are timed by wrapping what create_app calls."""
    t0 = time.perf_counter()
    sys.path.insert(0, ROOT)
    import app as portal
    import app.config.loader as config_loader
    import app.portal as portal_mod
    import app.views.forms as forms_mod
    from app.portal import portal_of

    imports = time.perf_counter() - t0
    rss_imports = _peak_rss_mb()
    phases: dict[str, float] = {}

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - start
        return wrapper

    portal.load_spec = timed("load_spec", portal.load_spec)
    portal_mod.build_models = timed("build_models", portal_mod.build_models)
    portal.register_views = timed("register_views", portal.register_views)
    forms_mod.build_view = timed("build_view", forms_mod.build_view)
    config_loader.load_yaml = timed("load_yaml", config_loader.load_yaml)
    try:  # SQLAlchemy configures all mappers (relationships) lazily, on first inspection
        import importlib

        sa_mapper = importlib.import_module("sqlalchemy.orm.mapper")
        sa_mapper._configure_registries = timed(
            "configure_mappers", sa_mapper._configure_registries)
    except (ImportError, AttributeError):
        pass

    start = time.perf_counter()
    application = portal.create_app(overrides(config_dir, "sqlite://"))
    total = time.perf_counter() - start
    spec = portal_of(application).spec
    return {
        "imports": imports,
        "load_spec": phases["load_spec"],
        "load_yaml": phases.get("load_yaml", 0.0),
        "build_models": phases["build_models"],
        "build_view": phases["build_view"],
        "configure_mappers": phases.get("configure_mappers", 0.0),
        "register_views": phases["register_views"],
        "rest": total - phases["load_spec"] - phases["build_models"]
        - phases["register_views"],
        "create_app": total,
        "rss_imports": rss_imports,
        "rss_after": _peak_rss_mb(),
        "forms": len(spec.forms),
        "fields": sum(len(f.fields) for f in spec.forms),
        "routes": len(list(application.url_map.iter_rules())),
    }


def worker_profile(config_dir: str, out_path: str) -> dict:
    import cProfile

    sys.path.insert(0, ROOT)
    import app as portal

    profiler = cProfile.Profile()
    profiler.enable()
    portal.create_app(overrides(config_dir, "sqlite://"))
    profiler.disable()
    profiler.dump_stats(out_path)
    return {"stats": out_path}


def worker_yaml(config_dir: str) -> dict:
    """The form files through the pure-Python loader and through load_yaml (libyaml when
    available, what the app uses): time, and whether data and source locations agree."""
    import glob

    sys.path.insert(0, ROOT)
    import yaml

    import app.config.source as yaml_source

    texts = []
    for path in sorted(glob.glob(os.path.join(config_dir, "forms", "*.yaml"))):
        with open(path, encoding="utf-8") as fh:
            texts.append((fh.read(), path))

    def locs(node: Any, acc: list) -> list:
        if isinstance(node, dict):
            acc.append((node.loc, node.key_locs, node.value_locs))
            for value in node.values():
                locs(value, acc)
        elif isinstance(node, list):
            acc.append((node.loc, node.item_locs))
            for value in node:
                locs(value, acc)
        return acc

    def parse(load: Any) -> tuple[float, list]:
        start = time.perf_counter()
        docs = [load(text, path)[0] for text, path in texts]
        return time.perf_counter() - start, docs

    pure_s, pure = parse(yaml_source._load_pure)
    if not getattr(yaml, "__with_libyaml__", False):
        return {"pure": pure_s, "libyaml": None, "same": None}
    c_s, fast = parse(yaml_source.load_yaml)
    same = pure == fast and all(locs(a, []) == locs(b, []) for a, b in zip(pure, fast, strict=True))
    return {"pure": pure_s, "libyaml": c_s, "same": same}


# --------------------------------------------------------------------------------------------
# 3. Parent side
# --------------------------------------------------------------------------------------------

def run_worker(*args: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("PYTHONHASHSEED", "0")
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"worker {args[0]} failed (exit {proc.returncode}):\n"
                           f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def measure(config_dir: str, runs: int, label: str) -> list[dict]:
    out = []
    for i in range(runs):
        result = run_worker("measure", config_dir)
        print(f"  {label}: run {i + 1}/{runs}: create_app {result['create_app']:.3f} s",
              flush=True)
        out.append(result)
    return out


def _loadavg() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def med(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def print_table(base: list[dict], big: list[dict], target: float, big_name: str) -> bool:
    rows = [
        ("imports (app, FAB, SQLAlchemy...)", "imports", "s"),
        ("(a) load_spec: YAML -> spec", "load_spec", "s"),
        ("    of which YAML parsing (load_yaml)", "load_yaml", "s"),
        ("(b) build_models: spec -> tables", "build_models", "s"),
        ("(c) register_views: views + add_view", "register_views", "s"),
        ("    of which build_view (all forms)", "build_view", "s"),
        ("rest of create_app (Flask/FAB init...)", "rest", "s"),
        ("SQLAlchemy configure_mappers (in c/rest)", "configure_mappers", "s"),
        ("(d) create_app total", "create_app", "s"),
        ("peak RSS after imports", "rss_imports", "MB"),
        ("peak RSS after create_app", "rss_after", "MB"),
    ]
    b0, g0 = base[0], big[0]
    head_b = f"shipped ({b0['forms']}f/{b0['fields']}fl)"
    head_g = f"{big_name} ({g0['forms']}f/{g0['fields']}fl)"
    w = 40
    print()
    print(f"{'median of ' + str(len(big)) + ' fresh processes':<{w}} {head_b:>20} "
          f"{head_g:>22} {'min-max (large)':>17} {'ratio':>7}")
    print("-" * (w + 20 + 22 + 17 + 7 + 4))
    for title, key, unit in rows:
        b, g = med(base, key), med(big, key)
        lo, hi = min(r[key] for r in big), max(r[key] for r in big)
        fmt = (lambda v: f"{v:.3f} s") if unit == "s" else (lambda v: f"{v:.0f} MB")
        span = f"{lo:.3f}-{hi:.3f}" if unit == "s" else f"{lo:.0f}-{hi:.0f}"
        ratio = f"x{g / b:.1f}" if b > 0 else ""
        print(f"{title:<{w}} {fmt(b):>20} {fmt(g):>22} {span:>17} {ratio:>7}")
    print("-" * (w + 20 + 22 + 17 + 7 + 4))
    total = med(big, "create_app")
    ok = total <= target
    print(f"target: create_app on {big_name} <= {target:.1f} s  ->  measured {total:.3f} s  "
          f"->  {'PASS' if ok else 'FAIL'}")
    cold = med(big, "imports") + total
    print(f"(for information: cold start incl. imports = {cold:.3f} s; "
          f"routes registered: {b0['routes']} shipped, {g0['routes']} {big_name})")
    return ok


def _where(filename: str) -> str:
    """'app', a site-packages top-level package, 'stdlib' or 'builtin'."""
    if filename.startswith(ROOT + os.sep + "app" + os.sep):
        return "app (portal)"
    marker = os.sep + "site-packages" + os.sep
    if marker in filename:
        return filename.split(marker, 1)[1].split(os.sep, 1)[0]
    return "builtin" if filename == "~" else "stdlib"


def print_profile(config_dir: str, top: int) -> None:
    """cProfile of one cold create_app. The profiler slows pure-Python code (the YAML parser
    above all) more than the rest, so read shares, not absolute seconds."""
    import pstats

    fd, path = tempfile.mkstemp(suffix=".prof")
    os.close(fd)
    try:
        run_worker("profile", config_dir, path)
        stats = pstats.Stats(path)
    finally:
        os.unlink(path)
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in entries.values())
    own: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tt, _ct, _callers) in entries.items():
        own[_where(filename)] = own.get(_where(filename), 0.0) + tt
    print(f"\ncProfile of create_app on the generated config ({total:.2f} s under the "
          "profiler; shares matter, not seconds)")
    print("  own time by package:")
    for pkg, tt in sorted(own.items(), key=lambda kv: -kv[1])[:8]:
        print(f"    {pkg:<24} {tt:7.2f} s  {100 * tt / total:5.1f} %")

    def show(title: str, keep: Callable[[str, str], bool]) -> None:
        rows = sorted(((ct, nc, f"{_where(fn)}: {os.path.basename(fn)}:{line}({name})")
                       for (fn, line, name), (_cc, nc, _tt, ct, _callers) in entries.items()
                       if keep(fn, name)), reverse=True)[:top]
        print(f"  {title}:")
        for ct, nc, where in rows:
            print(f"    {ct:7.2f} s  {100 * ct / total:5.1f} %  {nc:>8} calls  {where}")

    yaml_cmp = run_worker("yaml", config_dir)
    if yaml_cmp["libyaml"]:
        print(f"  hint: parsing the form files with the pure-Python yaml.SafeLoader took "
              f"{yaml_cmp['pure']:.3f} s; with libyaml (what load_yaml uses) "
              f"{yaml_cmp['libyaml']:.3f} s (x{yaml_cmp['pure'] / yaml_cmp['libyaml']:.1f}), "
              f"same data and locations: {yaml_cmp['same']}")
    show(f"top {top} cumulative, the portal's own functions",
         lambda fn, name: _where(fn) == "app (portal)" and name != "create_app")
    show(f"top {top} cumulative, library functions (YAML parser internals left out)",
         lambda fn, name: _where(fn) not in ("app (portal)", "yaml", "stdlib", "builtin"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per config (5)")
    parser.add_argument("--forms", type=int, default=50)
    parser.add_argument("--fields", type=int, default=40)
    parser.add_argument("--target", type=float, default=2.0,
                        help="seconds allowed for create_app on the generated config (2.0)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", action="store_true",
                        help="always print a cProfile of create_app (default: only on FAIL)")
    parser.add_argument("--keep", action="store_true", help="keep the generated config folder")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.runs = max(1, args.runs)

    if args.worker:
        mode, *rest = args.worker
        if mode == "measure":
            result = worker_measure(rest[0])
        elif mode == "profile":
            result = worker_profile(rest[0], rest[1])
        elif mode == "yaml":
            result = worker_yaml(rest[0])
        elif mode == "requests":
            result = worker_requests(rest[0], int(rest[1]), rest[2])
        else:
            raise SystemExit(f"unknown worker mode {mode}")
        print("RESULT " + json.dumps(result), flush=True)
        return 0

    folder = tempfile.mkdtemp(prefix="portal-bench-")
    try:
        config_dir = os.path.join(folder, "config")
        t = time.perf_counter()
        summary = generate_config(config_dir, args.forms, args.fields)
        big_name = f"{args.forms}x{args.fields}"
        print(f"generated {summary['forms']} forms / {summary['fields']} fields in "
              f"{config_dir} ({time.perf_counter() - t:.2f} s); field types: "
              + ", ".join(f"{k} {v}" for k, v in sorted(summary["types"].items())))
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
              f"{_loadavg()}; {args.runs} fresh process(es) per config, one warm-up run "
              "discarded")
        run_worker("measure", SHIPPED_CONFIG)  # warm the OS file cache / .pyc files
        base = measure(SHIPPED_CONFIG, args.runs, "shipped config")
        big = measure(config_dir, args.runs, big_name)
        ok = print_table(base, big, args.target, big_name)
        print(f"(load average now {_loadavg()}: timings on a busy machine run slow; "
              "compare the min column)")
        if args.profile or not ok:
            print_profile(config_dir, 10)
        db_path = os.path.join(folder, "requests.db")
        print_requests(run_worker("requests", config_dir, str(args.requests), db_path))
    finally:
        if args.keep:
            print(f"\ngenerated config kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
