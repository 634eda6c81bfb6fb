"""Paths to the shared real-photo fixtures (read-only; tests read them in place, never copy them
into the project)."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "fixtures"
FACES = FIXTURES / "faces"
LONDON = FIXTURES / "london"
EDGE_CASES = FACES / "edge_cases"

if not LONDON.is_dir():
    raise RuntimeError(f"the shared face fixtures are missing: expected them at {FIXTURES}")

LONDON_NEUTRAL = sorted(LONDON.glob("*_neutral.jpg"))
EVERYDAY = sorted(p for p in FACES.glob("*/*") if p.parent.name != "edge_cases" and p.suffix != ".md")
TWO_FACES = sorted(EDGE_CASES.glob("two_faces*.jpg"))


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    return FACES


@pytest.fixture(scope="session")
def london_dir() -> Path:
    return LONDON


@pytest.fixture(scope="session")
def edge_cases_dir() -> Path:
    return EDGE_CASES


@pytest.fixture(params=LONDON_NEUTRAL, ids=lambda p: p.name)
def london_portrait(request: pytest.FixtureRequest) -> Path:
    """Each London neutral portrait in turn."""
    return request.param


@pytest.fixture(params=EVERYDAY, ids=lambda p: f"{p.parent.name}/{p.name}")
def everyday_photo(request: pytest.FixtureRequest) -> Path:
    """Each everyday photo of faces/ (podium, event, outdoor) in turn."""
    return request.param


@pytest.fixture(params=TWO_FACES, ids=lambda p: p.name)
def two_faces_photo(request: pytest.FixtureRequest) -> Path:
    return request.param
