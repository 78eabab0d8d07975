"""Every permission check of a request answered from one query.

FAB asks the database once per check (`exist_permission_on_roles`: an EXISTS over five
tables): a list page asked 27 times for its buttons, actions and menu. The roles' whole
permission set is small (a few hundred pairs), so it is read once per request and role set,
and kept in `g` only: the next request sees a role change at once.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from flask_appbuilder.security.sqla.models import assoc_permissionview_role
from sqlalchemy import select

CACHE = "portal_permissions"  # g: (role ids, {(permission, view)})


class RequestPermissionCache:
    """Mixed into the security manager (its models and session are FAB's)."""

    permission_model: Any
    viewmenu_model: Any
    permissionview_model: Any
    session: Any

    def exist_permission_on_roles(self, view_name: str, permission_name: str,
                                  role_ids: list[int]) -> bool:
        if not has_request_context():
            return super().exist_permission_on_roles(  # type: ignore[misc, no-any-return]
                view_name, permission_name, role_ids)
        key = tuple(sorted(role_ids))
        cached = g.get(CACHE)
        if cached is None or cached[0] != key:
            cached = (key, self._role_permissions(key))
            setattr(g, CACHE, cached)
        return (permission_name, view_name) in cached[1]

    def _role_permissions(self, role_ids: tuple[int, ...]) -> frozenset[tuple[str, str]]:
        pv, perm, view = self.permissionview_model, self.permission_model, self.viewmenu_model
        link = assoc_permissionview_role.c
        rows = self.session.execute(
            select(perm.name, view.name).select_from(pv)
            .join(perm, pv.permission_id == perm.id)
            .join(view, pv.view_menu_id == view.id)
            .join(assoc_permissionview_role, link.permission_view_id == pv.id)
            .where(link.role_id.in_(role_ids)))
        return frozenset((p, v) for p, v in rows)
