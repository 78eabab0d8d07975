"""The portal's password policy, applied wherever a password is set.

A password is refused when it is shorter than PASSWORD_MIN_LENGTH (or absurdly long), equals
or contains the user name, is a common password (app/common_passwords.txt, also with digits
and symbols stripped from both ends: 'Password!2026' is 'password'), or is trivially
repetitive or sequential ('aaaaaaaaaaaa', 'abcabcabcabc', 'abcdefgh1234', 'qwertyuiopas').

FAB's own screens (add user, reset a user's password, reset my password) call one
password-only validator (FAB_PASSWORD_COMPLEXITY_VALIDATOR); `fab_password_validator` finds
the user name those screens are about from the request, so the user-name rule applies there
too. The CLI and the first admin call `password_problems` directly, and the security
manager's `add_user` and `reset_password` check again for every caller (FAB's `flask fab`
commands included).
"""

from __future__ import annotations

import functools
import os
import secrets
import string

from flask import current_app, g, has_request_context, request
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128
# A user name shorter than this is only compared for equality, not looked for inside.
USERNAME_MIN_CONTAINED = 3
COMMON_PASSWORDS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     "common_passwords.txt")
DECORATION = string.digits + string.punctuation + string.whitespace
KEYBOARD_ROWS = ("1234567890-=", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./")


class WeakPassword(ValueError):
    """A password the policy refuses; `messages` says every reason, translated."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__(" ".join(messages))


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lower-cased; lines starting with '#' are comments."""
    with open(COMMON_PASSWORDS_FILE, encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh
                         if line.strip() and not line.startswith("#"))


@functools.cache
def _common_numbers() -> tuple[str, ...]:
    return tuple(p for p in common_passwords() if p.isdigit() and len(p) >= 6)


def is_common(password: str) -> bool:
    """Listed as is, or once digits and symbols are stripped from both ends; a number is
    common when it contains a listed number ('5201314520131' contains '5201314')."""
    lowered = password.lower()
    core = lowered.strip(DECORATION)
    listed = common_passwords()
    if lowered in listed or (len(core) >= 4 and core in listed):
        return True
    return lowered.isdigit() and any(number in lowered for number in _common_numbers())


def _neighbours(a: str, b: str) -> bool:
    """b repeats a, or follows it (either way) in the alphabet, the digits (0 after 9) or a
    keyboard row."""
    if a == b:
        return True
    if a.isascii() and b.isascii() and a.isalnum() and b.isalnum():
        if a.isalpha() == b.isalpha() and abs(ord(a) - ord(b)) == 1:
            return True
        if {a, b} == {"0", "9"}:
            return True
    return any(a + b in row or b + a in row for row in KEYBOARD_ROWS)


def _segments(password: str) -> int:
    """How many pieces the password splits into when every repeated or sequential
    neighbour is joined: 'abcdefgh1234' is 2, a random string is about its length."""
    lowered = password.lower()
    return 1 + sum(not _neighbours(a, b) for a, b in zip(lowered, lowered[1:], strict=False))


def _is_periodic(password: str) -> bool:
    """The password is one piece repeated at least twice ('abcabcabcabc')."""
    lowered = password.lower()
    n = len(lowered)
    return any(lowered == (lowered[:p] * (n // p + 1))[:n] for p in range(1, n // 2 + 1))


def is_trivial(password: str) -> bool:
    return (len(set(password.lower())) < 5 or _is_periodic(password)
            or _segments(password) <= max(3, len(password) // 4))


def password_problems(password: str, username: str | None = None) -> list[str]:
    """Every reason the policy refuses the password (translated); empty when it is fine."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(_("The password must have at least %(min)d characters.",
                          min=PASSWORD_MIN_LENGTH))
    elif len(password) > PASSWORD_MAX_LENGTH:
        problems.append(_("The password must have at most %(max)d characters.",
                          max=PASSWORD_MAX_LENGTH))
    name = (username or "").strip().lower()
    lowered = password.lower()
    if name and (lowered == name or (len(name) >= USERNAME_MIN_CONTAINED and name in lowered)):
        problems.append(_("The password must not contain the user name."))
    if is_common(password):
        problems.append(_("This password is too common; choose one that is harder to guess."))
    elif password and is_trivial(password):
        problems.append(_("This password is too simple: it repeats characters or follows a "
                          "sequence."))
    return problems


def check_password(password: str, username: str | None = None) -> None:
    """Raise WeakPassword when the policy refuses the password."""
    problems = password_problems(password, username)
    if problems:
        raise WeakPassword(problems)


def generate_password(username: str | None = None) -> str:
    """A random password the policy accepts (for the first admin, shown once)."""
    while True:
        password = secrets.token_urlsafe(15)
        if not password_problems(password, username):
            return password


def _username_in_request() -> str | None:
    """The user name a FAB password form is about: the user an admin resets (?pk=), the
    signed-in user resetting their own password, or the add-user form's own field. A
    `username` field posted to a reset screen is ignored: the name is the account's."""
    if not has_request_context():
        return None
    sm = current_app.extensions["appbuilder"].sm
    if request.blueprint == sm.resetpasswordview.__name__:
        pk = request.args.get("pk", "")
        user = sm.get_user_by_id(int(pk)) if pk.isdigit() else None
        if user is None:  # FAB would fail with a 500 on saving it
            raise PasswordComplexityValidationError(_("This user does not exist."))
        return str(user.username)
    if request.blueprint != sm.resetmypasswordview.__name__ and "username" in request.form:
        return request.form["username"]
    user = getattr(g, "user", None)
    if user is not None and user.is_authenticated:
        return str(user.username)
    return None


def fab_password_validator(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: the policy, with the user name from the request."""
    problems = password_problems(password or "", _username_in_request())
    if problems:
        raise PasswordComplexityValidationError(" ".join(problems))
