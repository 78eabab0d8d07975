"""Phone and e-mail formats (app/fieldtypes/formats.py): one rule each, everywhere."""

from __future__ import annotations

import pytest

from app.fieldtypes.formats import is_email, is_phone


@pytest.mark.parametrize("number", ["13812345678", "+8613812345678", "+86 13812345678",
                                    "010-12345678", "0755-1234567", "02112345678",
                                    "010-12345678-801", "400-123-4567", "4001234567"])
def test_phone_numbers_accepted(number: str) -> None:
    assert is_phone(number)


@pytest.mark.parametrize("number", ["12345", "12812345678", "1381234567", "138123456789",
                                    "tel:13812345678", "13812345678\n", "abc",
                                    "138１２３４５６７８", "13812345678 "])
def test_phone_numbers_refused(number: str) -> None:
    assert not is_phone(number)


@pytest.mark.parametrize(("email", "ok"), [
    ("kehu@example.com", True), ("x@y.cn", True), ("张三@例子.中国", True),
    ("a@b", False), ("no at.com", False), ("a..b@example.com", False),
    ("kehu@example.com\n", False), (".a@example.com", False)])
def test_email_format(email: str, ok: bool) -> None:
    assert is_email(email) is ok
