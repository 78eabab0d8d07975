"""Failures in no language (app/outbox/errors.py): network errors classified, stored within
the column, said as a sentence in Chinese and in English, a receiver's words kept apart."""

from __future__ import annotations

import json
import re
import socket
import ssl
import urllib.error

import pytest
from flask import Flask
from flask_babel import force_locale

from app.outbox.errors import describe, detail, dumps, failure, from_exception, loads

SENTENCES = [
    ({"code": "refused"}, "无法连接接收方（连接被拒绝）",
     "Could not connect to the receiver (connection refused)"),
    ({"code": "reset"}, "接收方未应答就断开了连接",
     "The receiver closed the connection without answering"),
    ({"code": "timeout", "seconds": 10}, "接收方在 10 秒内没有应答",
     "The receiver did not answer within 10 seconds"),
    ({"code": "dns", "host": "crm.example.com"},
     "找不到接收方的服务器 crm.example.com（域名无法解析）",
     "The receiver's server crm.example.com was not found (its name does not resolve)"),
    ({"code": "tls", "detail": "certificate verify failed"}, "与接收方的安全连接（HTTPS）失败",
     "The secure connection (HTTPS) to the receiver failed"),
    ({"code": "network", "detail": "OSError: [Errno 101] Network is unreachable"},
     "无法连接接收方（网络错误）", "Could not connect to the receiver (network error)"),
    ({"code": "http", "status": 500}, "接收方返回 HTTP 500", "The receiver answered HTTP 500"),
    ({"code": "robot", "errcode": 93000, "errmsg": "invalid webhook url"},
     "群机器人拒绝了消息（错误码 93000）",
     "The group robot refused the message (error code 93000)"),
    ({"code": "not_json"}, "无法识别群机器人的应答", "The group robot's answer was not understood"),
    ({"code": "env_missing", "name": "PORTAL_X"}, "未设置环境变量 PORTAL_X",
     "The environment variable PORTAL_X is not set"),
    ({"code": "env_not_url", "name": "PORTAL_X"},
     "环境变量 PORTAL_X 不是以 http:// 或 https:// 开头的地址",
     "The environment variable PORTAL_X is not an http:// or https:// address"),
    ({"code": "hook_gone", "hook": "x"}, "推送配置已删除", "The hook is no longer configured"),
    ({"code": "no_sender", "channel": "mail"}, "没有可以发送这类消息的程序",
     "Nothing can send this kind of message"),
    ({"code": "other", "detail": "KeyError: 'x'"}, "发送时出现意外错误",
     "An unexpected error occurred while sending"),
    ({"code": "from_a_newer_version"}, "发送时出现意外错误",
     "An unexpected error occurred while sending"),
]
LATIN = re.compile(r"[A-Za-z]{2,}")


@pytest.mark.parametrize(("error", "zh", "en"), SENTENCES)
def test_each_failure_is_a_sentence_in_the_page_language(app: Flask, error, zh, en):
    with app.test_request_context(), force_locale("zh"):
        assert describe(error) == zh
    with app.test_request_context(), force_locale("en"):
        assert describe(error) == en
    # in Chinese, only the parameters (a host, a variable, HTTP) are Latin letters
    words = set(LATIN.findall(zh)) - {"HTTP", "HTTPS", "http", "https", "PORTAL_X"}
    assert words <= {"crm", "example", "com", "PORTAL"}, words
    assert not re.search(r"[\u4e00-\u9fff\uff00-\uffef]", en)


def test_network_errors_are_classified():
    def classify(reason: BaseException) -> dict:
        return from_exception(urllib.error.URLError(reason), seconds=10, host="h.example")

    assert classify(ConnectionRefusedError(111, "Connection refused")) == {"code": "refused"}
    assert classify(TimeoutError("timed out")) == {"code": "timeout", "seconds": 10}
    assert from_exception(TimeoutError("timed out"), seconds=2.5) == {
        "code": "timeout", "seconds": 2.5}
    assert classify(socket.gaierror(-2, "Name or service not known")) == {
        "code": "dns", "host": "h.example"}
    assert classify(ssl.SSLCertVerificationError(1, "certificate verify failed")) == {
        "code": "tls", "detail": "certificate verify failed"}
    assert from_exception(ConnectionResetError(104, "reset")) == {"code": "reset"}
    assert from_exception(OSError(101, "Network is unreachable")) == {
        "code": "network", "detail": "OSError: [Errno 101] Network is unreachable"}
    assert from_exception(urllib.error.URLError("unknown url type: ftp")) == {
        "code": "other", "detail": "unknown url type: ftp"}


def test_stored_failures_fit_the_column_and_old_texts_still_read():
    long = failure("robot", errcode=1, errmsg="\"\\" * 400)
    assert len(long["errmsg"]) == 200
    stored = dumps(long)
    assert stored is not None and len(stored) <= 500 and json.loads(stored)["errcode"] == 1
    assert dumps(None) is None and loads(None) is None and loads("") is None
    assert loads('{"code": "refused"}') == {"code": "refused"}
    assert loads("ConnectionRefusedError: [Errno 111]") == {
        "code": "other", "detail": "ConnectionRefusedError: [Errno 111]"}
    assert detail({"code": "tls", "detail": "certificate verify failed"}) == \
        "certificate verify failed"
    assert detail({"code": "robot", "errcode": 1, "errmsg": "sign not match"}) == ""
    assert detail({"code": "refused"}) == detail(None) == ""
