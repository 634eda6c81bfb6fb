"""Paths to the shared real-photo fixtures (read-only; tests read them in place, never copy them
into the project)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from core.config import fixtures_dir
from core.imaging.faces import eye_line, face_centre_x, face_width, find_face
from core.imaging.pipeline import ProcessedCapture, process_capture
from tests.photos import MISSING

FIXTURES = fixtures_dir()
FACES = FIXTURES / "faces"
LONDON = FIXTURES / "london"
EDGE_CASES = FACES / "edge_cases"


LONDON_NEUTRAL = sorted(LONDON.glob("*_neutral.jpg"))
LONDON_SMILING = sorted(LONDON.glob("*_smiling.jpg"))
EVERYDAY = sorted(p for p in FACES.glob("*/*") if p.parent.name != "edge_cases" and p.suffix != ".md")
TWO_FACES = sorted(EDGE_CASES.glob("two_faces*.jpg"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without the fixture photos every imaging test is skipped, saying where they were looked for."""
    if LONDON.is_dir():
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason=MISSING.format(path=LONDON))
    for item in items:
        if here in item.path.parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    return FACES


@pytest.fixture(scope="session")
def london_dir() -> Path:
    return LONDON


@pytest.fixture(scope="session")
def edge_cases_dir() -> Path:
    return EDGE_CASES


@pytest.fixture(scope="session")
def processed() -> Callable[[Path], ProcessedCapture]:
    """The pipeline's result for a fixture photo (default blue background, no enrolment photo),
    computed once per test session: each costs about a tenth of a second."""
    results: dict[Path, ProcessedCapture] = {}

    def result(path: Path) -> ProcessedCapture:
        if path not in results:
            results[path] = process_capture(path.read_bytes())
        return results[path]

    return result


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


@dataclass(frozen=True)
class MeasuredGeometry:
    """The standard's measures taken afresh on a finished photo (a new face search, not the pipeline's)."""

    hair_top: int
    eye_line: float
    face_width: float
    centre_offset: float


def _measure(image_rgb: np.ndarray, background: tuple[int, int, int]) -> MeasuredGeometry:
    face = find_face(image_rgb)
    chin = face.landmarks["chin"]
    band = image_rgb[:, int(chin[2][0]) : int(chin[14][0])].astype(int)
    not_background = np.abs(band - np.array(background)).max(axis=2) > 30
    rows = np.flatnonzero(not_background.any(axis=1))
    return MeasuredGeometry(
        hair_top=int(rows[0]),
        eye_line=eye_line(face),
        face_width=face_width(face),
        centre_offset=face_centre_x(face) - image_rgb.shape[1] / 2,
    )


@pytest.fixture(scope="session")
def measure() -> Callable[[np.ndarray, tuple[int, int, int]], MeasuredGeometry]:
    """Measures hair top, eye line, face width and centring of a standardised photo."""
    return _measure


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Report the collection-code decode rate per degradation kind measured by test_qr.py."""
    rows = [
        dict(report.user_properties)
        for status in ("passed", "failed")
        for report in terminalreporter.stats.get(status, [])
        if report.when == "call" and any(key == "qr_kind" for key, _ in report.user_properties)
    ]
    if not rows:
        return
    terminalreporter.section("collection-code decode rate per degradation")
    for row in rows:
        n = row["qr_count"]
        terminalreporter.write_line(
            f"{row['qr_kind']:<13} zxing alone {row['qr_plain'] / n:6.1%}   "
            f"zxing+zbar+ladder {row['qr_full'] / n:6.1%}   ({n} images)"
        )
    total = sum(row["qr_count"] for row in rows)
    terminalreporter.write_line(
        f"{'all':<13} zxing alone {sum(r['qr_plain'] for r in rows) / total:6.1%}   "
        f"zxing+zbar+ladder {sum(r['qr_full'] for r in rows) / total:6.1%}   ({total} images)"
    )
