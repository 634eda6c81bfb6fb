"""Fixtures of the tests that start real worker processes on the fault scenario's portrait."""

from __future__ import annotations

import pytest

from bench.bench_job_faults import PORTRAIT


@pytest.fixture
def portrait_present() -> None:
    if not PORTRAIT.is_file():
        pytest.skip(f"fixture portrait not found at {PORTRAIT}")
