"""Typed results shared by the imaging steps.

Images travel between steps as ``numpy`` arrays of shape (H, W, 3), dtype uint8, RGB order.
Landmarks use face_recognition's named groups of the 68-point model (``chin``, ``left_eyebrow``,
``right_eyebrow``, ``nose_bridge``, ``nose_tip``, ``left_eye``, ``right_eye``, ``top_lip``,
``bottom_lip``), each a list of (x, y) pixel coordinates in the image they were found in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.domain.enums import Verdict as Verdict  # shared vocabulary: defined in the domain, re-exported

Point = tuple[float, float]
Landmarks = dict[str, list[Point]]


@dataclass(frozen=True)
class FaceBox:
    """A face rectangle in pixel coordinates of the image it was found in."""

    top: int
    right: int
    bottom: int
    left: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass(frozen=True)
class FoundFace:
    """Exactly one face found in an image, with its 68 landmarks."""

    box: FaceBox
    landmarks: Landmarks


@dataclass(frozen=True)
class Check:
    """One quality check: what was measured, what is allowed, and what the student should do."""

    code: str
    passed: bool
    value: float | str | None
    allowed: str
    message_zh: str
    message_en: str
    critical: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "passed": self.passed,
            "value": self.value,
            "allowed": self.allowed,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "critical": self.critical,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Check":
        return cls(**data)


@dataclass(frozen=True)
class QualityReport:
    """All checks of one photo; ``ok`` when no critical check failed."""

    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.passed for c in self.checks if c.critical)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def to_list(self) -> list[dict[str, Any]]:
        return [c.to_dict() for c in self.checks]

    @classmethod
    def from_list(cls, data: list[dict[str, Any]]) -> "QualityReport":
        return cls([Check.from_dict(d) for d in data])


@dataclass(frozen=True)
class FaceComparison:
    """Result of comparing a capture with the enrolment photo."""

    distance: float
    similarity: float
    verdict: Verdict
