"""What the tests that start real worker processes share: waiting for what those processes do,
and the exactly-once check of the fault scenario (``bench/bench_job_faults.py``) on the result."""

from __future__ import annotations

import time
from collections.abc import Callable

from bench.bench_job_faults import Outcome, Workers, check
from core.db import Database


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Polls ``condition`` until it holds; fails naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def assert_each_done_once(db: Database, submission_ids: list[int], pool: Workers) -> None:
    """Every job done exactly once (the workers' logs and the rows agree), nothing half-applied."""
    outcome = Outcome("sqlite", len(submission_ids), 0)
    check(db, submission_ids, pool.done_lines(), outcome)
    assert outcome.ok and outcome.done == len(submission_ids), outcome.lines()
