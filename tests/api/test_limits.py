"""Rate limits: the in-process sliding window and the Redis window several replicas share."""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from api.limits import MemoryRateLimiter, RedisRateLimiter

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_the_sliding_window_lets_requests_in_again_once_the_oldest_leaves_it():
    limiter = MemoryRateLimiter(window=0.2)
    assert [limiter.hit("student:1", 2) for _ in range(2)] == [None, None]
    wait = limiter.hit("student:1", 2)
    assert wait is not None and 0 < wait <= 0.2
    assert limiter.hit("student:2", 2) is None  # each key counts alone
    time.sleep(wait + 0.01)
    assert limiter.hit("student:1", 2) is None


def test_replicas_share_one_count_through_redis():
    redis = pytest.importorskip("redis")
    prefix = f"api:test:{uuid.uuid4().hex}:"  # this branch's keys, never another helper's
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    replica_a, replica_b = RedisRateLimiter(REDIS_URL, prefix=prefix), RedisRateLimiter(REDIS_URL, prefix=prefix)
    try:
        assert [replica_a.hit("address:10.0.0.1", 3), replica_b.hit("address:10.0.0.1", 3),
                replica_a.hit("address:10.0.0.1", 3)] == [None, None, None]
        wait = replica_b.hit("address:10.0.0.1", 3)
        assert wait is not None and 0 < wait <= 60
        assert replica_b.hit("address:10.0.0.2", 3) is None
        # the middleware's count on the event loop adds to the same window as the blocking one
        async def mixed() -> list[float | None]:
            return [await replica_a.hit_async("address:10.0.0.2", 3), replica_b.hit("address:10.0.0.2", 3),
                    await replica_a.hit_async("address:10.0.0.2", 3)]

        with ThreadPoolExecutor(1) as own_loop:  # a browser test earlier in this process may hold a running loop
            late, blocking, refused = own_loop.submit(asyncio.run, mixed()).result()
        assert late is None and blocking is None and refused is not None and 0 < refused <= 60
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for name in client.scan_iter(f"{prefix}*"):
            client.delete(name)
