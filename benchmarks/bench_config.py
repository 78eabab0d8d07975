"""Generates a large, realistic portal config (every field type) for the benchmarks."""

from __future__ import annotations

import os
import random

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


def overrides(config_dir: str, db_url: str) -> dict:
    """create_app settings for a benchmark run."""
    import hashlib
    import tempfile

    revisions = os.path.join(tempfile.gettempdir(), "portal-bench-revisions",
                             hashlib.sha1(db_url.encode()).hexdigest()[:12])
    return {"PORTAL_CONFIG_DIR": config_dir, "PORTAL_INDUSTRY": None,
            "SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": SECRET,
            "PORTAL_REVISIONS_DIR": revisions}
