"""A short cache of dashboard pages per (dashboard, period, language, scope): a manager's
refresh does not rerun every query. In Redis when REDIS_URL is set (shared by every server),
else in the process; a Redis failure only means counting again."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

log = logging.getLogger(__name__)
MEMORY_ITEMS = 500  # the in-process cache's size; the oldest entries go first


class FigureCache:
    def __init__(self, seconds: int, redis_url: str | None = None,
                 prefix: str = "portal-dash") -> None:
        self.seconds, self.prefix = max(0, seconds), prefix
        self.redis: Any = None
        if redis_url and self.seconds:
            import redis  # the package limits' Redis storage uses too

            self.redis = redis.Redis.from_url(redis_url, socket_timeout=0.5,
                                              socket_connect_timeout=0.5)
        self.memory: dict[str, tuple[float, str]] = {}
        self.lock = threading.Lock()

    def get(self, key: str) -> Any:
        if not self.seconds:
            return None
        text: Any = None
        if self.redis is not None:
            try:
                text = self.redis.get(f"{self.prefix}:{key}")
            except Exception as exc:  # noqa: BLE001 - Redis down: count again
                log.warning("dashboard cache: Redis failed (%s); counting again", exc)
        else:
            with self.lock:
                held = self.memory.get(key)
            if held is not None and held[0] > time.monotonic():
                text = held[1]
        return None if text is None else json.loads(text)

    def put(self, key: str, value: Any) -> None:
        if not self.seconds:
            return
        text = json.dumps(value, ensure_ascii=False)
        if self.redis is not None:
            try:
                self.redis.set(f"{self.prefix}:{key}", text, ex=self.seconds)
            except Exception as exc:  # noqa: BLE001
                log.warning("dashboard cache: Redis failed (%s); not kept", exc)
            return
        with self.lock:
            if len(self.memory) >= MEMORY_ITEMS:
                now = time.monotonic()
                self.memory = {k: v for k, v in self.memory.items() if v[0] > now}
                while len(self.memory) >= MEMORY_ITEMS:
                    self.memory.pop(next(iter(self.memory)))
            self.memory[key] = (time.monotonic() + self.seconds, text)
