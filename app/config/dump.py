"""The merged, validated config as YAML: what `flask portal config show` prints."""

from __future__ import annotations

from typing import Any

import yaml

from app.spec import FieldSpec, FormSpec, Label, PortalSpec

_FIELD_DEFAULTS = FieldSpec(key="", label=Label("", ""), type="string")


def _label(label: Label | None) -> Any:
    if label is None:
        return None
    return label.zh if label.zh == label.en else {"zh": label.zh, "en": label.en}


def _field(field: FieldSpec) -> dict:
    out: dict[str, Any] = {"key": field.key, "label": _label(field.label), "type": field.type}
    for name in ("required", "unique", "default", "min_length", "max_length", "min", "max",
                 "pattern", "searchable", "indexed", "list", "sensitive", "form"):
        value = getattr(field, name)
        if value != getattr(_FIELD_DEFAULTS, name) and value is not None:
            out[name] = value if not hasattr(value, "as_tuple") else str(value)
    if field.type in ("decimal", "money"):
        out["precision"], out["scale"] = field.precision, field.scale
    if field.help:
        out["help"] = _label(field.help)
    if field.choices:
        out["choices"] = [{"value": c.value, "label": _label(c.label)} for c in field.choices]
    return out


def _form(form: FormSpec) -> dict:
    return {
        "key": form.key, "label": _label(form.label), "category": form.category,
        "table": form.table, "source": form.source, "display": form.display,
        "list_columns": list(form.list_columns), "search_columns": list(form.search_columns),
        "order_by": form.order_by, "page_size": form.page_size,
        "fields": [_field(f) for f in form.fields],
    }


def dump(spec: PortalSpec) -> str:
    data = {
        "industry": spec.industry or "(base pack only)",
        "fingerprint": spec.fingerprint,
        "categories": [{"key": c.key, "label": _label(c.label)} for c in spec.categories],
        "forms": [_form(f) for f in spec.forms],
        "roles": [{"key": r.key, "label": _label(r.label), "admin": r.admin,
                   "audit": r.audit, "grants": {k: sorted(v) for k, v in sorted(r.grants.items())}}
                  for r in spec.roles],
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
