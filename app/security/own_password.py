"""FAB's "reset my password" screen, asking for the current password first (ASVS 6.2.3).

A wrong current password changes nothing and is audited (`password_change`, failed); every
POST to the screen counts against the sign-in throttle of the signed-in user's name
(app/security/throttle.py), so the form guesses no faster than the login form does.
The admin's reset of another user's password (ResetPasswordView) is FAB's, unchanged.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security import views as fab_views
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from app.audit import log as audit


class OwnPasswordForm(DynamicForm):
    """FAB's ResetPasswordForm with the current password first."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     widget=BS3PasswordFieldWidget())
    password = PasswordField(
        _l("New password"),
        # FAB's msgid: the catalog translates it as the portal's policy.
        description=_l("Please use a good password policy, this application does not check "
                       "this for you"),
        validators=[DataRequired(), PasswordComplexityValidator()],
        widget=BS3PasswordFieldWidget())
    conf_password = PasswordField(
        _l("Confirm Password"), description=_l("Please rewrite the password to confirm"),
        validators=[EqualTo("password", message=_l("Passwords must match"))],
        widget=BS3PasswordFieldWidget())

    def validate_current_password(self, field: Any) -> None:
        user = g.user
        if check_password_hash(user.password or "", field.data or ""):
            return
        session = current_app.extensions["appbuilder"].session
        audit.record(session, "password_change", outcome="failed", user=user)
        session.commit()
        raise ValidationError(_("The current password is not correct."))


class ResetMyPasswordView(fab_views.ResetMyPasswordView):
    """FAB's screen with OwnPasswordForm. FAB names the endpoint and the permissions after
    the class, so it keeps FAB's class name (roles keep can_this_form_* on it)."""

    form = OwnPasswordForm
