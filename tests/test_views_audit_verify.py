"""The chain check's verdict in Chinese, for every reason app.audit.log.verify gives."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from app.audit.log import Verdict
from app.views.audit_verify import reason_text, verdict_text


@pytest.fixture(scope="module")
def bare_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(setup=False)


@pytest.fixture(autouse=True)
def chinese(bare_app: Flask) -> Iterator[None]:
    with bare_app.test_request_context("/"):
        yield


@pytest.mark.parametrize(("reason", "text"), [
    ("sequence 7 is missing (a deleted event)", "缺少序号 7（有事件被删除）"),
    ("sequence 7 appears twice (an inserted event)", "序号 7 出现两次（有事件被插入）"),
    ("previous hash does not match the event before it (events inserted, deleted or "
     "reordered)", "与前一条事件的链接断开（有事件被插入、删除或调换顺序）"),
    ("content does not match its hash (the event was edited)",
     "内容与其哈希不符（该事件被修改过）"),
    ("the chain head row is missing", "链头记录缺失"),
    ("the head records 9 event(s) but the table ends at 7 (events deleted from the end)",
     "链头记录了 9 条事件，但日志止于第 7 条（末尾的事件被删除）"),
    ("events 1–4 are missing and no archive accounts for them",
     "第 1 至 4 条事件缺失，且没有归档记录说明它们的去向（事件被删除）"),
    ("event 1 is missing and no archive accounts for it",
     "第 1 至 1 条事件缺失，且没有归档记录说明它们的去向（事件被删除）"),
    ("something new", "something new"),
])
def test_every_reason_is_translated(reason: str, text: str) -> None:
    assert reason_text(reason) == text


def test_verdicts() -> None:
    assert verdict_text(Verdict(True, 12)) == "审计日志完整：已校验 12 条事件。"
    assert verdict_text(Verdict(True, 12, unchecked=30)) == (
        "审计日志完整：已校验 12 条事件。第 1 至 30 条事件已归档，此处不校验：用 flask portal "
        "audit verify --archive 文件 校验。")
    assert verdict_text(Verdict(False, 3, 41, "content does not match its hash (the event "
                                                "was edited)")) == (
        "审计日志在事件 41 处被篡改：内容与其哈希不符（该事件被修改过）。此前 3 条事件校验无误。")
    assert verdict_text(Verdict(False, 5, None, "the chain head row is missing")) == (
        "审计日志末尾被篡改：链头记录缺失。已校验 5 条事件。")
