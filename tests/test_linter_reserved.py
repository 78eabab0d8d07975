"""Reserved names (app/config/lint/reserved.py): a form key may not take the name of a screen
or an API path the portal registers itself, and none is reserved for no reason."""

from __future__ import annotations

import re

from app.config.keys import KEY_RE
from app.config.lint.reserved import RESERVED_FORM_KEYS
from app.portal import portal_of


def test_reserved_form_keys_cover_every_screen_the_portal_registers(app) -> None:
    """A form key k gives the view class <K>View: none may equal a non-form view's name, and
    no key is reserved for a screen the portal does not register."""
    spec = portal_of(app).spec
    forms = {f.view_name for f in spec.forms}
    others = {type(v).__name__ for v in app.appbuilder.baseviews} - forms
    as_keys = {re.sub(r"(?<!^)(?=[A-Z])", "_", name[:-4]).lower() for name in others
               if name.endswith("View")}
    clashing = {k for k in as_keys
                if "".join(p.capitalize() for p in k.split("_")) + "View" in others}
    api_paths = {r.rule.split("/")[3] for r in app.url_map.iter_rules()
                 if r.rule.startswith("/api/v1/")} - {f.key for f in spec.forms}
    api_paths = {p for p in api_paths if KEY_RE.match(p)}  # openapi.json is no key
    # Exactly these: a key stays usable once its screen is gone (user_stats_chart, the
    # FAB chart the portal no longer registers).
    assert set(RESERVED_FORM_KEYS) == clashing | api_paths
