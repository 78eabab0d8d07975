"""Masks of sensitive values: 138****1234, z***@example.com, 浙江省****: enough to recognise,
not to use."""

from __future__ import annotations

MASK = "****"


def mask_text(text: str) -> str:
    keep = min(6, len(text) // 4)
    return text[:keep] + MASK


def mask_phone(text: str) -> str:
    if len(text) >= 11:
        return text[:3] + MASK + text[-4:]
    return text[:2] + MASK + text[-2:] if len(text) >= 7 else MASK


def mask_email(text: str) -> str:
    if "@" not in text:
        return mask_text(text)
    local, _, domain = text.partition("@")
    return local[:1] + "***@" + domain
