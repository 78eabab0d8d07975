"""FAB's user, role and permission screens in words: a role by its label from roles.yaml,
its grants as "投诉登记：列表、查看、新增" per screen (not "can add on ComplaintView"), yes/no as
是/否, permission and screen names translated."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_appbuilder.fields import QuerySelectMultipleField
from flask_appbuilder.fieldwidgets import Select2ManyWidget
from flask_appbuilder.security import views as fab
from flask_appbuilder.widgets import ListWidget, ShowWidget
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.portal import portal_of
from app.spec import current_lang

PERMISSIONS = {
    "can_list": _l("list"), "can_show": _l("open"), "can_add": _l("add"),
    "can_edit": _l("edit"), "can_delete": _l("delete"), "can_export": _l("export"),
    "can_import": _l("import"),
    "menu_access": _l("menu"), "can_get": _l("read"), "can_userinfo": _l("own account"),
    "userinfoedit": _l("edit own account"), "resetmypassword": _l("change own password"),
    "resetpasswords": _l("reset passwords"), "can_this_form_get": _l("open the form"),
    "can_this_form_post": _l("submit the form"), "can_download": _l("download"),
    "copyrole": _l("copy"), "can_verify": _l("check the chain"),
    "can_retry": _l("send again"),
}
SCREENS = {
    "UserDBModelView": _l("Users"), "RoleModelView": _l("Roles"),
    "UserGroupModelView": _l("User groups"), "PermissionModelView": _l("Permissions"),
    "ViewMenuModelView": _l("Screens and menus"),
    "PermissionViewModelView": _l("Permissions on screens"),
    "ResetMyPasswordView": _l("Change own password"),
    "ResetPasswordView": _l("Reset password"), "UserInfoEditView": _l("Own account"),
    "MenuApi": _l("Menu"), "MyWorkView": _l("My work"),
    "NotificationView": _l("My notifications"),
    "NotificationLogView": _l("Notification log"),
    "notification_log": _l("Notification log"), "AuditEventView": _l("Audit log"),
    "TeamView": _l("Teams"), "SchemaView": _l("Database schema"),
    "my_work": _l("My work"), "audit_log": _l("Audit log"), "audit": _l("Audit"),
    "audit_verify": _l("Check the audit chain"), "Security": _l("Security"),
    # FAB's and the portal's menu items, by their internal names
    "List Users": _l("Users"), "List Roles": _l("Roles"), "List Groups": _l("User groups"),
    "Base Permissions": _l("Permissions"), "Views/Menus": _l("Screens and menus"),
    "Permission on Views/Menus": _l("Permissions on screens"), "Teams": _l("Teams"),
    "schema": _l("Database schema"), "Audit": _l("Audit"),
    "AuthDBView": _l("Sign-in page"), "LocaleView": _l("Language"),
    "LookupView": _l("Reference lookup"), "PortalIndexView": _l("Home page"),
    "PortalSecurityApi": _l("Sign-in API"), "QuickSearchView": _l("Quick search"),
    "UtilView": _l("Back link"), "ApiDocsView": _l("API documentation"),
    "OpenApiView": _l("OpenAPI document (JSON)"),
    "DashboardView": _l("Dashboards"), "ReportView": _l("Reports"),
    "Dashboards": _l("Dashboards"),
    "WebhookDeliveryView": _l("Webhook deliveries"),
    "webhook_deliveries": _l("Webhook deliveries"),
}


def screen_name(name: str) -> str:
    """A view or menu name as people call it: a form's label, a menu category's, or ours."""
    spec = portal_of().spec
    for form in spec.forms:
        if name in (form.view_name, form.key):
            return form.label.get()
    for category in spec.categories:
        if name == category.key:
            return category.label.get()
    for board in spec.dashboards:  # a dashboard's menu item (app/views/dashboards.py)
        if name == f"dashboard_{board.key}":
            return board.label.get()
    return str(SCREENS[name]) if name in SCREENS else name


def permission_name(name: str) -> str:
    return str(PERMISSIONS[name]) if name in PERMISSIONS else name


def role_label(name: Any) -> str:
    """'客服专员 (staff)': the label roles.yaml gives, then the stored key."""
    role = next((r for r in portal_of().spec.roles if r.key == str(name)), None)
    return f"{role.label.get()} ({name})" if role is not None and role.label.get() != str(
        name) else str(name)


def grants_in_words(pvs: Any) -> Markup:
    """A role's permissions, one line per screen: '投诉登记：列表、查看、新增'."""
    by_screen: dict[str, list[str]] = {}
    for pv in pvs or []:
        if pv.permission is None or pv.view_menu is None:
            continue
        by_screen.setdefault(screen_name(pv.view_menu.name), []).append(
            permission_name(pv.permission.name))
    colon, comma = ("：", "、") if current_lang() == "zh" else (": ", ", ")
    lines = [Markup("{0}{1}{2}").format(screen, colon, comma.join(sorted(set(words))))
             for screen, words in sorted(by_screen.items())]
    return Markup("<br>").join(lines)


def yes_no(value: Any) -> str:
    return str(_l("Yes") if value else _l("No"))


def roles_in_words(roles: Any) -> str:
    return ("、" if current_lang() == "zh" else ", ").join(role_label(r.name)
                                                         for r in roles or [])


# The subclasses keep FAB's class names: endpoints and permission names derive from them.
def _permission_views() -> list[Any]:
    sm = current_app.extensions["appbuilder"].sm
    pvs = sm.session.query(sm.permissionview_model).all()
    return sorted(pvs, key=pv_label)


def pv_label(pv: Any) -> str:
    """'投诉登记：新增' for one permission on one screen."""
    if pv.permission is None or pv.view_menu is None:
        return str(pv)
    colon = "：" if current_lang() == "zh" else ": "
    return f"{screen_name(pv.view_menu.name)}{colon}{permission_name(pv.permission.name)}"


def _permissions_field() -> Any:
    return QuerySelectMultipleField(_l("Permissions"), query_func=_permission_views,
                                    get_pk_func=lambda pv: pv.id, get_label=pv_label,
                                    widget=Select2ManyWidget())


class RoleModelView(fab.RoleModelView):
    """Roles by label, grants in words (FAB's role widgets list raw permission names)."""

    list_widget = ListWidget
    show_widget = ShowWidget
    formatters_columns = {"name": role_label, "permissions": grants_in_words}
    add_form_extra_fields = {"permissions": _permissions_field()}
    edit_form_extra_fields = {"permissions": _permissions_field()}


class UserDBModelView(fab.UserDBModelView):
    formatters_columns = {"active": yes_no, "roles": roles_in_words}


class PermissionModelView(fab.PermissionModelView):
    formatters_columns = {"name": permission_name}


class ViewMenuModelView(fab.ViewMenuModelView):
    formatters_columns = {"name": screen_name}


class PermissionViewModelView(fab.PermissionViewModelView):
    formatters_columns = {
        "permission": lambda p: permission_name(getattr(p, "name", str(p))),
        "view_menu": lambda v: screen_name(getattr(v, "name", str(v)))}


