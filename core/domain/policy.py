"""Operating policy: the numbers that staff may tune, with their defaults from the seed guide.

Admins change them through the policy service (with history); everything else reads a ``Policy``
value, so a change takes effect for new work without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Policy:
    daily_standardisations: int = 5
    """每日限 5 次照片标准化 (seed, step 11)."""
    free_submissions: int = 2
    """上传后仍提供 2 次照片免费提交审核."""
    free_replacements: int = 1
    """人工审核前提供 1 次更换照片服务."""
    extra_service_price_fen: int = 100
    """后续服务费为 1 元/次."""
    claim_expiry_seconds: int = 300
    """A reviewer's claim on a photo returns to the queue after this long (closed tab)."""
    second_review_rate: float = 0.05
    """Share of ordinary approvals sampled for a blind second review."""
    verification_attempts: int = 5
    """Failed identity checks before the check locks (as CHSI does)."""
    verification_lock_hours: int = 24
    face_same_distance: float | None = None
    """At or below: 同一人. None = the calibrated ``ImagingThresholds.same_max_distance``, so the
    calibration stays the one place the default lives."""
    face_different_distance: float | None = None
    """From here up: 非同一人, blocked automatically. None = the calibrated
    ``ImagingThresholds.different_min_distance``."""

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


RANGES: dict[str, tuple[float, float]] = {
    "daily_standardisations": (1, 20),
    "free_submissions": (0, 10),
    "free_replacements": (0, 5),
    "extra_service_price_fen": (0, 10_000),
    "claim_expiry_seconds": (30, 3600),
    "second_review_rate": (0.0, 1.0),
    "verification_attempts": (1, 20),
    "verification_lock_hours": (1, 72),
    "face_same_distance": (0.2, 0.7),
    "face_different_distance": (0.2, 0.8),
}
"""Validated ranges for each setting; the admin page refuses values outside them."""
