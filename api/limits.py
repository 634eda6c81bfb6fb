"""Request rate limits, per student and per client address, over a sliding minute.

One process keeps its counts in memory; several API replicas share them through Redis (the same
server as the job queue), so a student cannot multiply their allowance by hitting other replicas.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Protocol

WINDOW_SECONDS = 60.0


class RateLimiter(Protocol):
    def hit(self, key: str, limit: int) -> float | None:
        """Counts one request; None when allowed, else the seconds to wait."""
        ...


class MemoryRateLimiter:
    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int) -> float | None:
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= limit:
                return max(0.0, hits[0] + self.window - now)
            hits.append(now)
            if len(self._hits) > 100_000:  # bounded: forget keys that went quiet
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.window}
            return None


class RedisRateLimiter:
    """A fixed one-minute window per key (INCR + EXPIRE), shared by every replica."""

    def __init__(self, url: str, prefix: str = "workbench:api:rate:", window: int = int(WINDOW_SECONDS)) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self.prefix = prefix
        self.window = window

    def hit(self, key: str, limit: int) -> float | None:
        now = time.time()
        bucket = int(now // self.window)
        name = f"{self.prefix}{key}:{bucket}"
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, self.window + 1)
        count = int(pipe.execute()[0])
        if count > limit:
            return (bucket + 1) * self.window - now
        return None


def configured(queue: str) -> RateLimiter:
    return RedisRateLimiter(queue) if queue.startswith("redis://") else MemoryRateLimiter()
