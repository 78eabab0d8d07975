"""Value formats shared by the linter (defaults) and the screens (user input)."""

from __future__ import annotations

import re

# Mainland mobile (optionally +86), landline with area code and extension, 400/800 numbers.
PHONE_RE = re.compile(
    r"^(?:(?:\+?86[- ]?)?1[3-9]\d{9}"
    r"|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?"
    r"|[48]00-?\d{3}-?\d{4})$",
    re.ASCII,  # full-width digits (１３８…) are not a phone number
)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def is_phone(text: str) -> bool:
    return PHONE_RE.match(text) is not None


def is_email(text: str) -> bool:
    return EMAIL_RE.match(text) is not None
