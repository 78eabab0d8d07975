"""Signatures: the portal's own (X-Portal-Signature) and DingTalk's 加签.

Portal: `sha256=` + hex HMAC-SHA256(secret, f"{timestamp}.{body}"), timestamp in Unix seconds
(X-Portal-Timestamp), so a receiver can refuse old or replayed deliveries (docs/webhooks.md).
DingTalk (its robot documentation): sign = urlencode(base64(HMAC-SHA256(secret,
f"{timestamp}\\n{secret}"))), timestamp in milliseconds, both added to the robot's URL."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus


def portal_signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The `sign` query parameter, already URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(),
                      hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def dingtalk_url(url: str, secret: str, timestamp_ms: int) -> str:
    """The robot's URL with its timestamp and sign parameters."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"
