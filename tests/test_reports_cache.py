"""The dashboard cache: kept for its seconds, shared through Redis by every server, and a
Redis that fails only means counting again."""

from __future__ import annotations

import uuid

import time_machine

from app.reports.cache import FigureCache

REDIS = "redis://127.0.0.1:6379/0"


def test_memory_keeps_a_page_for_its_seconds() -> None:
    cache = FigureCache(60)
    with time_machine.travel(0, tick=False) as clock:
        cache.put("k", {"tiles": [1.5, None, "件"]})
        assert cache.get("k") == {"tiles": [1.5, None, "件"]}
        clock.shift(61)
        assert cache.get("k") is None


def test_zero_seconds_keeps_nothing() -> None:
    cache = FigureCache(0, REDIS)
    cache.put("k", {"a": 1})
    assert cache.get("k") is None and cache.redis is None


def test_two_servers_share_pages_through_redis() -> None:
    prefix = f"test-{uuid.uuid4().hex}"
    one, two = FigureCache(30, REDIS, prefix), FigureCache(30, REDIS, prefix)
    one.put("after_sales:week", {"volume": 12})
    assert two.get("after_sales:week") == {"volume": 12}
    assert 0 < one.redis.ttl(f"{prefix}:after_sales:week") <= 30


def test_a_failing_redis_means_counting_again(caplog) -> None:
    cache = FigureCache(30, "redis://127.0.0.1:1/0")  # nothing listens there
    cache.put("k", {"a": 1})
    assert cache.get("k") is None
    assert "dashboard cache: Redis failed" in caplog.text
