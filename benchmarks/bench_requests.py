"""Proof that serving requests parses no YAML and builds no classes (counted, then checked)."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from bench_config import ROOT, overrides


def worker_requests(config_dir: str, n_requests: int, db_path: str) -> dict:
    """create_app, set up a throwaway DB, then count YAML/class work while serving requests."""
    import gc
    import re

    sys.path.insert(0, ROOT)
    import yaml

    import app as portal
    import app.config.load as loading
    import app.config.loader as config_loader
    import app.config.source as yaml_source
    import app.db.tables as tables
    import app.portal as portal_mod
    import app.views.forms as forms_mod
    from app.cli.users import ensure_admin
    from app.portal import portal_of
    from app.schema.upgrade import upgrade
    from app.security.permissions import sync_roles
    from app.views.base import PortalModelView

    application = portal.create_app(overrides(config_dir, "sqlite:///" + db_path))
    application.config["PORTAL_ADMIN_PASSWORD"] = "Bench-portal-pw-2026"
    report = upgrade(application)
    sync_roles(application)
    ensure_admin(application, lambda _msg: None)
    spec = portal_of(application).spec
    model_base = next(iter(portal_of(application).models.models.values())
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
    for mod in (loading, portal):
        mod.load_spec = counting("load_spec", mod.load_spec)
    for mod in (tables, portal_mod):
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
        "username": application.config["PORTAL_ADMIN_USER"], "password": "Bench-portal-pw-2026",
        "csrf_token": token.group(1) if token else ""})
    logged_in = None
    if login.status_code in (301, 302) and "/login" not in login.headers.get("Location", ""):
        in_urls = [f"/{f.view_name.lower()}/list/" for f in picks] + [
            f"/{f.view_name.lower()}/add" for f in picks] + ["/"]
        logged_in = run(in_urls, max(n_requests // 4, len(in_urls)))
    # Probe: prove the counters are live (each of these calls must register once).
    before = dict(calls)
    config_loader.load_yaml("probe: 1\n", "probe.yaml")
    tables.build_models(spec)  # counts the call (a throwaway set, after the counting)
    served = portal_of(application)
    forms_mod.build_view(served.form(spec.forms[0].key), served)  # a cache hit
    probes = {k: calls[k] - before[k] for k in
              ("yaml loader created", "load_yaml", "build_models", "build_view")}
    return {"logged_out": logged_out, "logged_in": logged_in, "login_status": login.status_code,
            "probes_ok": all(v == 1 for v in probes.values()), "probes": probes,
            "schema_applied": report.applied}


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
