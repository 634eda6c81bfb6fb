"""The fixture photos for tests: located through ``core.config.fixtures_dir`` (so
WORKBENCH_FIXTURES applies everywhere), and a clear skip, not an error, when they are missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import fixtures_dir

MISSING = "fixture photos not found at {path} (set WORKBENCH_FIXTURES to the folder of ../shared/fixtures)"


def fixture_path(*parts: str) -> Path:
    """A file or folder inside the fixtures, or skip the test that asked for it."""
    path = fixtures_dir(*parts)
    if not path.exists():
        pytest.skip(MISSING.format(path=path))
    return path


def portrait(n: int = 1, expression: str = "neutral", folder: Path | None = None) -> bytes:
    """The n-th London portrait (wrapping round), neutral or smiling."""
    london = (folder / "london") if folder is not None else fixture_path("london")
    files = sorted(london.glob(f"*_{expression}.jpg"))
    if not files:
        pytest.skip(MISSING.format(path=london))
    return files[(n - 1) % len(files)].read_bytes()
