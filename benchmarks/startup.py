"""Startup benchmark: how long the portal takes to turn YAML into a running Flask-AppBuilder app.

    .venv/bin/python benchmarks/startup.py              # 5 runs per config
    .venv/bin/python benchmarks/startup.py --runs 9 --profile

What it does:

1. Generates a large config (50 forms x 40 fields by default, every field type, references
   to earlier forms, 4 menu categories, 4 roles) into a temporary folder.
2. Times, for the shipped config/ (baseline) and for the generated one, in a fresh Python
   process per run (so the module-level caches _BUILT and _VIEWS are always cold):
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
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED_CONFIG = os.path.join(ROOT, "config")
SECRET = "benchmark-only-secret-key-not-used-anywhere-else"

# --------------------------------------------------------------------------------------------
# 1. Config generator
# --------------------------------------------------------------------------------------------

CATEGORIES = [
    ("customers", "客户管理", "Customers", "fa-address-book"),
    ("service", "售后服务", "After-sales Service", "fa-headset"),
    ("quality", "质量管理", "Quality", "fa-star"),
    ("logistics", "物流备件", "Logistics & Parts", "fa-truck"),
]
NOUNS = ["客户", "工单", "投诉", "回访", "备件", "维修", "退货", "赔偿", "巡检", "合同"]
# 40 slots per form; every one of the 15 types appears, the common ones more than once.
FIELD_MIX = [
    "string", "string", "string", "string", "string", "string", "text", "text", "text",
    "integer", "integer", "integer", "decimal", "decimal", "money", "money",
    "date", "date", "date", "datetime", "datetime", "boolean", "boolean", "boolean",
    "choice", "choice", "choice", "choice", "choice", "multi_choice", "multi_choice",
    "phone", "phone", "email", "email", "rating", "reference", "reference", "user", "user",
]
assert len(FIELD_MIX) == 40


def _field(rng: random.Random, form_no: int, j: int, ftype: str) -> dict:
    key = f"f{j:02d}_{ftype}"
    noun = NOUNS[(form_no + j) % len(NOUNS)]
    field: dict = {"key": key, "label": {"zh": f"{noun}{j}", "en": f"{ftype.title()} {j}"}}
    if ftype != "string" or rng.random() < 0.5:
        field["type"] = ftype
    if rng.random() < 0.2:
        field["required"] = True
    if rng.random() < 0.15:
        field["help"] = {"zh": f"请填写{noun}相关信息", "en": f"Fill in the {ftype} value"}
    if ftype == "string":
        field["max_length"] = rng.choice([40, 100, 200])
        if j == 1:
            field["pattern"] = "[A-Za-z0-9-]+"
            field["pattern_message"] = {"zh": "只能包含字母、数字和连字符",
                                        "en": "Letters, digits and '-' only"}
        if j == 2 and form_no % 5 == 0:
            field["unique"] = True
    elif ftype == "text":
        field["max_length"] = 2000
        if rng.random() < 0.3:
            field["min_length"] = 5
    elif ftype == "integer":
        field["min"], field["max"] = 0, rng.choice([100, 1000, 99999])
    elif ftype in ("decimal", "money"):
        field["precision"], field["scale"] = 12, 2
        if rng.random() < 0.5:
            field["min"] = 0
    elif ftype == "date" and rng.random() < 0.3:
        field["default"] = "today"
    elif ftype == "datetime" and rng.random() < 0.3:
        field["default"] = "now"
    elif ftype == "boolean" and rng.random() < 0.5:
        field["default"] = False
    elif ftype in ("choice", "multi_choice"):
        n = rng.randint(3, 6)
        field["choices"] = [{"value": f"opt{c}", "label": {"zh": f"选项{c}", "en": f"Option {c}"}}
                            for c in range(1, n + 1)]
        if ftype == "choice" and rng.random() < 0.4:
            field["default"] = "opt1"
    elif ftype == "rating":
        field["max"] = rng.choice([5, 10])
    elif ftype == "user" and j == 38:
        field["default"] = "current_user"
    return field


def generate_config(folder: str, n_forms: int, n_fields: int, seed: int = 1) -> dict:
    """Write forms/*.yaml, menu.yaml and roles.yaml; return a small summary."""
    import yaml  # only the generator needs it in the parent process

    rng = random.Random(seed)
    os.makedirs(os.path.join(folder, "forms"), exist_ok=True)
    form_keys = [f"bench_form{i:02d}" for i in range(1, n_forms + 1)]

    def dump(path: str, data: dict) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            yaml.safe_dump(data, fh, allow_unicode=True, sort_keys=False, width=100,
                           default_flow_style=None)  # {zh: .., en: ..} like config/forms

    counts: dict[str, int] = {}
    for i, form_key in enumerate(form_keys):
        types = [FIELD_MIX[(k + i) % len(FIELD_MIX)] for k in range(n_fields)]
        fields = []
        for j, ftype in enumerate(types, start=1):
            if ftype == "reference" and i == 0:
                ftype = "string"  # the first form has nothing earlier to point to
            field = _field(rng, i, j, ftype)
            if ftype == "reference":
                field["form"] = form_keys[rng.randrange(i)]
            fields.append(field)
            counts[ftype] = counts.get(ftype, 0) + 1
        # A few list / searchable / indexed flags, on types FAB can list and filter well.
        plain = [f for f in fields if f.get("type", "string") in
                 ("string", "choice", "date", "integer", "phone", "email")]
        for f in plain[:6]:
            f["list"] = True
        for f in plain[:4]:
            f["searchable"] = True
        for f in plain[:2]:
            f["indexed"] = True
        cat = CATEGORIES[i % len(CATEGORIES)]
        form = {
            "key": form_key,
            "label": {"zh": f"{NOUNS[i % len(NOUNS)]}登记表{i + 1}", "en": f"Register {i + 1}"},
            "category": cat[0],
            "icon": "fa-table",
            "description": {"zh": "基准测试生成的表单", "en": "Generated for the benchmark"},
            "order_by": "-created_on",
            "page_size": rng.choice([20, 50]),
            "fields": fields,
        }
        dump(os.path.join(folder, "forms", f"{form_key}.yaml"), form)

    dump(os.path.join(folder, "menu.yaml"), {"categories": [
        {"key": k, "label": {"zh": zh, "en": en}, "icon": icon}
        for k, zh, en, icon in CATEGORIES]})
    half = form_keys[: len(form_keys) // 2]
    dump(os.path.join(folder, "roles.yaml"), {"roles": [
        {"key": "admin", "label": {"zh": "系统管理员", "en": "Administrator"}, "admin": True},
        {"key": "staff", "label": {"zh": "客服专员", "en": "Service Staff"},
         "grants": {"*": ["list", "show", "add", "edit"]}},
        {"key": "supervisor", "label": {"zh": "客服主管", "en": "Supervisor"},
         "inherits": ["staff"],
         "grants": {**{k: "all" for k in half},
                    **{k: ["list", "show", "add", "edit", "export"]
                       for k in form_keys[len(half):]}}},
        {"key": "auditor", "label": {"zh": "审计员", "en": "Auditor"},
         "grants": {"*": ["list", "show", "export"]}},
    ]})
    return {"forms": n_forms, "fields": n_forms * n_fields, "types": counts}


# --------------------------------------------------------------------------------------------
# 2. Worker side (runs in a fresh subprocess)
# --------------------------------------------------------------------------------------------

def _overrides(config_dir: str, db_url: str) -> dict:
    return {"PORTAL_CONFIG_DIR": config_dir, "PORTAL_INDUSTRY": None,
            "SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": SECRET}


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def worker_measure(config_dir: str) -> dict:
    """One cold create_app; the phases are timed by wrapping what create_app calls."""
    t0 = time.perf_counter()
    sys.path.insert(0, ROOT)
    import app as portal
    import app.config_loader as config_loader
    import app.views.forms as forms_mod

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
    portal.build_models = timed("build_models", portal.build_models)
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
    application = portal.create_app(_overrides(config_dir, "sqlite://"))
    total = time.perf_counter() - start
    spec = application.extensions["portal"]["spec"]
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
    portal.create_app(_overrides(config_dir, "sqlite://"))
    profiler.disable()
    profiler.dump_stats(out_path)
    return {"stats": out_path}


def worker_yaml(config_dir: str) -> dict:
    """The form files through the pure-Python loader and through load_yaml (libyaml when
    available, what the app uses): time, and whether data and source locations agree."""
    import glob

    sys.path.insert(0, ROOT)
    import yaml

    import app.yaml_source as yaml_source

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


def worker_requests(config_dir: str, n_requests: int, db_path: str) -> dict:
    """create_app, set up a throwaway DB, then count YAML/class work while serving requests."""
    import gc
    import re

    sys.path.insert(0, ROOT)
    import yaml

    import app as portal
    import app.config_loader as config_loader
    import app.linter as linter
    import app.tables as tables
    import app.views.forms as forms_mod
    import app.yaml_source as yaml_source
    from app.cli import ensure_admin
    from app.database import upgrade
    from app.permissions import sync_roles
    from app.views.base import PortalModelView

    application = portal.create_app(_overrides(config_dir, "sqlite:///" + db_path))
    application.config["PORTAL_ADMIN_PASSWORD"] = "bench-admin-pw"
    report = upgrade(application)
    sync_roles(application)
    ensure_admin(application, lambda _msg: None)
    spec = application.extensions["portal"]["spec"]
    model_base = next(iter(application.extensions["portal"]["models"].models.values())
                      ).__mro__[1]

    # Function counters are installed before the first request: none may ever fire.
    calls = {"yaml loader created": 0, "load_yaml": 0, "load_spec": 0, "build_models": 0,
             "_build_class": 0, "build_view": 0}

    def counting(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    loader_classes = [getattr(yaml, n) for n in (
        "BaseLoader", "SafeLoader", "FullLoader", "Loader", "UnsafeLoader",
        "CBaseLoader", "CSafeLoader", "CFullLoader", "CLoader", "CUnsafeLoader")
        if hasattr(yaml, n)]
    for cls in loader_classes:
        cls.__init__ = counting("yaml loader created", cls.__init__)
    for mod in (yaml_source, config_loader):
        mod.load_yaml = counting("load_yaml", mod.load_yaml)
    for mod in (linter, portal):
        mod.load_spec = counting("load_spec", mod.load_spec)
    for mod in (tables, portal):
        mod.build_models = counting("build_models", mod.build_models)
    tables._build_class = counting("_build_class", tables._build_class)
    forms_mod.build_view = counting("build_view", forms_mod.build_view)

    def live_classes() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, type))

    def run(urls: list[str], n: int) -> dict:
        """Warm up (once per URL: Jinja compiles templates, SQLAlchemy builds its lazy
        Annotated* classes...), then n counted GETs. Function counts include the warm-up."""
        before_calls = dict(calls)
        models_before = len(model_base.__subclasses__())
        views_before = len(PortalModelView.__subclasses__())
        for url in urls:
            client.get(url)
        classes_before = live_classes()
        statuses: dict[str, int] = {}
        latencies: list[float] = []
        for i in range(n):
            t = time.perf_counter()
            resp = client.get(urls[i % len(urls)])
            latencies.append(time.perf_counter() - t)
            statuses[str(resp.status_code)] = statuses.get(str(resp.status_code), 0) + 1
        counts = {k: v - before_calls[k] for k, v in calls.items()}
        counts["new model classes"] = len(model_base.__subclasses__()) - models_before
        counts["new view classes"] = len(PortalModelView.__subclasses__()) - views_before
        counts["new classes, any (live)"] = live_classes() - classes_before
        return {"urls": urls, "requests": n + len(urls), "statuses": statuses,
                "median_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
                "counts": counts}

    client = application.test_client()
    forms = list(spec.forms)
    picks = [forms[0], forms[len(forms) // 3], forms[len(forms) // 2], forms[-1]]
    out_urls = ["/login/", "/"] + [f"/{f.view_name.lower()}/list/" for f in picks] + [
        f"/{picks[0].view_name.lower()}/add", f"/{picks[1].view_name.lower()}/show/1"]
    logged_out = run(out_urls, n_requests)

    # Logged in as admin too: renders the list tables and the 40-field add forms.
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    login = client.post("/login/", data={
        "username": application.config["PORTAL_ADMIN_USER"], "password": "bench-admin-pw",
        "csrf_token": token.group(1) if token else ""})
    logged_in = None
    if login.status_code in (301, 302) and "/login" not in login.headers.get("Location", ""):
        in_urls = [f"/{f.view_name.lower()}/list/" for f in picks] + [
            f"/{f.view_name.lower()}/add" for f in picks] + ["/"]
        logged_in = run(in_urls, max(n_requests // 4, len(in_urls)))
    # Probe: prove the counters are live (each of these calls must register once).
    before = dict(calls)
    config_loader.load_yaml("probe: 1\n", "probe.yaml")
    built = tables.build_models(spec)  # a cache hit: counts the call, builds nothing
    forms_mod.build_view(spec.forms[0], built, spec)
    probes = {k: calls[k] - before[k] for k in
              ("yaml loader created", "load_yaml", "build_models", "build_view")}
    return {"logged_out": logged_out, "logged_in": logged_in, "login_status": login.status_code,
            "probes_ok": all(v == 1 for v in probes.values()), "probes": probes,
            "schema_applied": len(report.applied)}


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


def print_requests(result: dict) -> None:
    out, inn = result["logged_out"], result["logged_in"]
    print("\nPer-request work after create_app on the generated config (Flask test client):")
    print(f"  logged out: {out['requests']} GETs over {', '.join(out['urls'])}")
    print(f"              status codes {out['statuses']}, median {out['median_ms']:.1f} ms")
    if inn:
        print(f"  logged in:  {inn['requests']} GETs (admin) over {', '.join(inn['urls'])}")
        print(f"              status codes {inn['statuses']}, median {inn['median_ms']:.1f} ms")
    else:
        print(f"  (login failed with status {result['login_status']}; logged-in part skipped)")
    print(f"  {'counter (expected 0)':<28} {'logged out':>10} {'logged in':>10}")
    all_zero = True
    for name, value in out["counts"].items():
        other = inn["counts"][name] if inn else None
        all_zero = all_zero and value == 0 and not other
        print(f"  {name:<28} {value:>10} {'-' if other is None else other:>10}")
    print("  (call counters cover every request incl. one warm-up per URL; the live-class count "
          "is taken after the warm-up)")
    print(f"  counters checked live afterwards (one probe call each: {result['probes']}): "
          f"{'ok' if result['probes_ok'] else 'NOT LIVE - counts above are meaningless'}")
    all_zero = all_zero and result["probes_ok"]
    print("  => " + ("PASS: no YAML parsing and no class building per request" if all_zero
                     else "UNEXPECTED: some work is repeated per request; see above"))


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
