"""Per-stage timing of the imaging pipeline, recorded only when someone asks (the benchmark).

Both wall-clock and CPU time are kept: on a shared machine the CPU time of a single-threaded
run is the steadier measure of what a stage costs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class StageTimes:
    """Seconds per stage name."""

    wall: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)


_stage_times: ContextVar[StageTimes | None] = ContextVar("imaging_stage_times", default=None)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Adds the time spent in the block to the stage times being recorded, if any."""
    record = _stage_times.get()
    if record is None:
        yield
        return
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        record.wall[name] = record.wall.get(name, 0.0) + time.perf_counter() - wall
        record.cpu[name] = record.cpu.get(name, 0.0) + time.process_time() - cpu


@contextmanager
def recorded_stage_times() -> Iterator[StageTimes]:
    """Collects the time per pipeline stage spent inside the block."""
    record = StageTimes()
    token = _stage_times.set(record)
    try:
        yield record
    finally:
        _stage_times.reset(token)
