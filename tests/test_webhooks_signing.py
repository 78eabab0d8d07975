"""Signatures (app/webhooks/signing.py): the portal's header and DingTalk's 加签, against
values computed independently with hmac/base64."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

from app.webhooks.signing import dingtalk_sign, dingtalk_url, portal_signature


def test_portal_signature_is_hmac_sha256_of_timestamp_dot_body():
    body = '{"event":"created","record":{"product_name":"面霜"}}'.encode()
    expected = hmac.new(b"s3cret", b"1765000000." + body, hashlib.sha256).hexdigest()
    assert portal_signature("s3cret", 1765000000, body) == "sha256=" + expected


def test_dingtalk_sign_and_url():
    raw = base64.b64encode(hmac.new(b"SECabc", b"1765000000000\nSECabc",
                                    hashlib.sha256).digest()).decode()
    assert parse_qs("sign=" + dingtalk_sign("SECabc", 1765000000000))["sign"] == [raw]
    url = dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=t", "SECabc",
                       1765000000000)
    query = parse_qs(urlsplit(url).query)
    assert query == {"access_token": ["t"], "timestamp": ["1765000000000"], "sign": [raw]}
    assert dingtalk_url("http://h/x", "SECabc", 1).startswith("http://h/x?timestamp=1&sign=")
