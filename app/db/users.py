"""The user acting in this request: the session's, or the API token's (FAB sets g.user).
Read by the tables' created_by/changed_by defaults and by the audit log."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context


def request_user() -> Any:
    """The user of this request, or None (anonymous)."""
    user = g.get("user")
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    from flask_login import current_user

    return current_user if getattr(current_user, "is_authenticated", False) else None


def current_user_id() -> int | None:
    """The signed-in user's id inside a request; None from the CLI or anonymous."""
    if not has_request_context():
        return None
    user = request_user()
    return user.id if user is not None else None
