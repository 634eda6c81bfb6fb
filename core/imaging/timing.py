"""Per-stage timing of the imaging pipeline, recorded only when someone asks (the benchmark)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_stage_times: ContextVar[dict[str, float] | None] = ContextVar("imaging_stage_times", default=None)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Adds the time spent in the block to the stage times being recorded, if any."""
    record = _stage_times.get()
    if record is None:
        yield
        return
    start = time.perf_counter()
    try:
        yield
    finally:
        record[name] = record.get(name, 0.0) + time.perf_counter() - start


@contextmanager
def recorded_stage_times() -> Iterator[dict[str, float]]:
    """Collects seconds per pipeline stage for the block."""
    record: dict[str, float] = {}
    token = _stage_times.set(record)
    try:
        yield record
    finally:
        _stage_times.reset(token)
