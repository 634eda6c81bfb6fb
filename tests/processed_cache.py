"""Each photo through the imaging pipeline once per test session.

Service, page and journey tests push the same few fixture portraits through the full pipeline
again and again (every ``world`` uploads them); the pipeline is deterministic, so its result for
the same bytes, background, enrolment reference and thresholds is the same every time. The
services' copies of ``process_capture`` and ``process_enrolment`` are wrapped here to compute
each distinct input once and hand out the stored result after that. Everything around them (the
store, the state machine, the jobs, the database) runs for real in every test, and the tests that
are about the pipeline (tests/core/imaging) call it directly, uncached.

Refusals are cached too: ``process_enrolment`` raises, and the same refusal is raised again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import Any

from core.imaging.errors import ImagingError
from core.imaging.pipeline import EnrolmentReference, ProcessedCapture, process_capture, process_enrolment
from core.imaging.standard import Background
from core.imaging.thresholds import ImagingThresholds


class PipelineCache:
    """Memoised ``process_capture`` / ``process_enrolment``, counting what was computed and reused."""

    def __init__(self) -> None:
        self._captures: dict[Hashable, ProcessedCapture] = {}
        self._enrolments: dict[bytes, EnrolmentReference | ImagingError] = {}
        self.computed = 0
        self.reused = 0

    def process_capture(self, data: bytes, *, background: Background = Background.BLUE,
                        enrolment: EnrolmentReference | None = None,
                        thresholds: ImagingThresholds | None = None) -> ProcessedCapture:
        key = (_digest(data), background, _enrolment_key(enrolment), thresholds)
        found = self._captures.get(key)
        if found is None:
            self.computed += 1
            found = self._captures[key] = process_capture(
                data, background=background, enrolment=enrolment, thresholds=thresholds)
        else:
            self.reused += 1
        return found

    def process_enrolment(self, data: bytes) -> EnrolmentReference:
        key = _digest(data)
        found = self._enrolments.get(key)
        if found is None:
            self.computed += 1
            try:
                found = process_enrolment(data)
            except ImagingError as refusal:
                found = refusal
            self._enrolments[key] = found
        else:
            self.reused += 1
        if isinstance(found, ImagingError):
            raise found.with_traceback(None)
        return found

    def install(self, patch: Callable[[Any, str, Any], None]) -> None:
        """Puts the cached versions where the services look them up (``core.services.processing``)."""
        from core.services import processing

        patch(processing, "process_capture", self.process_capture)
        patch(processing, "process_enrolment", self.process_enrolment)


def _digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _enrolment_key(enrolment: EnrolmentReference | None) -> Hashable:
    if enrolment is None:
        return None
    return _digest(enrolment.embedding.tobytes()), enrolment.phash
