"""Phone and e-mail formats: one rule each, for the screens, the API, defaults in the YAML,
imports and type changes alike."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

# Mainland mobile (optionally +86), landline with area code and extension, 400/800 numbers.
# \Z, not $: '$' also matches before a final line break, so '13812345678\n' passed.
PHONE_RE = re.compile(
    r"(?:(?:\+?86[- ]?)?1[3-9]\d{9}"
    r"|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?"
    r"|[48]00-?\d{3}-?\d{4})\Z",
    re.ASCII,  # full-width digits (１３８…) are not a phone number
)


def is_phone(text: str) -> bool:
    return PHONE_RE.match(text) is not None


def is_email(text: str) -> bool:
    """An address as WTForms' Email() judges it on the screens (email-validator, no DNS
    lookup): internationalised addresses such as 张三@例子.中国 pass, 'a..b@example.com'
    does not."""
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True
