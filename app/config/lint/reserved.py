"""Names the YAML may not give a field or a form: they would collide with the portal's own
columns, classes, screens or API paths (the form linter, app/config/lint/forms.py)."""

from __future__ import annotations

from app.spec import SYSTEM_COLUMNS

# Names a field may not take: the system columns, the audit relationships of every generated
# class, and the attributes SQLAlchemy's declarative base keeps for itself.
RESERVED_NAMES = SYSTEM_COLUMNS + ("created_by", "changed_by", "metadata", "registry")
# Form keys whose screen or API would take the name of one of the portal's or FAB's own:
# <Key>View class names (a test compares this with the views an app registers) and the
# /api/v1/menu/ and /api/v1/security/ paths.
RESERVED_FORM_KEYS = (
    "api_docs", "audit_event", "auth_d_b", "dashboard", "locale", "lookup", "menu", "my_work",
    "open_api", "permission_model", "permission_view_model", "portal_file", "portal_index",
    "quick_search", "report", "reset_my_password", "reset_password", "signature",
    "role_model", "schema", "security", "team", "user_d_b_model", "user_group_model",
    "user_info_edit", "util", "view_menu_model", "webhook_delivery", "notification",
    "notification_log",
)
