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

    async def hit_async(self, key: str, limit: int) -> float | None:
        """The same, for the event loop (the per-address count in the middleware): a blocking
        round trip there would stall every request the process is serving."""
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

    async def hit_async(self, key: str, limit: int) -> float | None:
        return self.hit(key, limit)  # memory only: nothing to wait for


class RedisRateLimiter:
    """A fixed one-minute window per key (INCR + EXPIRE), shared by every replica."""

    def __init__(self, url: str, prefix: str = "workbench:api:rate:", window: int = int(WINDOW_SECONDS)) -> None:
        import redis
        import redis.asyncio

        self._redis = redis.Redis.from_url(url)
        self._redis_async = redis.asyncio.Redis.from_url(url)
        self.prefix = prefix
        self.window = window

    def _bucket(self, key: str) -> tuple[float, int, str]:
        now = time.time()
        bucket = int(now // self.window)
        return now, bucket, f"{self.prefix}{key}:{bucket}"

    def _wait(self, now: float, bucket: int, count: int, limit: int) -> float | None:
        return (bucket + 1) * self.window - now if count > limit else None

    def hit(self, key: str, limit: int) -> float | None:
        now, bucket, name = self._bucket(key)
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, self.window + 1)
        return self._wait(now, bucket, int(pipe.execute()[0]), limit)

    async def hit_async(self, key: str, limit: int) -> float | None:
        now, bucket, name = self._bucket(key)
        pipe = self._redis_async.pipeline()
        pipe.incr(name)
        pipe.expire(name, self.window + 1)
        return self._wait(now, bucket, int((await pipe.execute())[0]), limit)


def configured(queue: str) -> RateLimiter:
    return RedisRateLimiter(queue) if queue.startswith("redis://") else MemoryRateLimiter()
