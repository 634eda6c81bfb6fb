"""The imaging pipeline: a capture's bytes in, the CHSI photo and its quality report out.

It composes the steps (load, find the face, frame, segment, replace the background, encode,
embed, check) and knows nothing of the database or of Streamlit, so the worker, the command line
and the tests all run exactly the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.imaging.encoding import encode_jpeg, format_checks
from core.imaging.errors import FaceTooSmall, ImagingError, MultipleFaces, NoFace
from core.imaging.faces import find_face
from core.imaging.loading import LoadedImage, load_image
from core.imaging.matching import match_enrolment
from core.imaging.quality import EnrolmentReference, enrolment_reference, run_checks
from core.imaging.recapture import assess_recapture, check_recapture
from core.imaging.standard import Background
from core.imaging.standardise import PREVIEW_LONG_SIDE, standardise_found
from core.imaging.thresholds import DEFAULT_THRESHOLDS, ImagingThresholds
from core.imaging.thumbnail import thumbnail_jpeg
from core.imaging.timing import stage
from core.imaging.types import Check, FaceComparison, FoundFace, QualityReport

__all__ = [
    "EnrolmentReference", "ProcessedCapture", "check_standardised", "process_capture",
    "process_enrolment", "process_found", "refused",
]

ENROLMENT_MIN_FACE_WIDTH = 60
"""An enrolment photo is only compared, never printed: a face this wide still embeds reliably."""


@dataclass(frozen=True)
class ProcessedCapture:
    ok: bool
    """Standardised, and no critical check failed."""
    standardised_jpeg: bytes | None
    """The CHSI 480×640 JPEG; None when refused."""
    thumbnail_jpeg: bytes | None
    face: FoundFace | None
    """The face in the standardised photo's pixels, as the checks and the comparison measured it."""
    report: QualityReport
    """Every check; a refusal is there as its one failed check (``load``, ``face_count``, ...)."""
    embedding: np.ndarray | None
    """The descriptor compared with the enrolment embedding (none is needed without one)."""
    comparison: FaceComparison | None
    """Set when an enrolment reference was given."""
    error: str | None
    """The refusal in Chinese and English, None when processed."""


def process_capture(
    data: bytes,
    *,
    background: Background = Background.BLUE,
    enrolment: EnrolmentReference | None = None,
    thresholds: ImagingThresholds | None = None,
) -> ProcessedCapture:
    """Standardise, encode, embed, compare and check a student's capture; refusals are results."""
    try:
        with stage("load"):
            capture = load_image(data, min_long_side=PREVIEW_LONG_SIDE)
        with stage("find_face"):
            face = find_face(capture.rgb, pixel_scale=capture.reduction)
    except ImagingError as refusal:
        return refused(refusal)
    return process_found(
        data, capture, face, background=background, enrolment=enrolment, thresholds=thresholds
    )


def process_found(
    data: bytes,
    capture: LoadedImage,
    face: FoundFace,
    *,
    background: Background = Background.BLUE,
    enrolment: EnrolmentReference | None = None,
    thresholds: ImagingThresholds | None = None,
) -> ProcessedCapture:
    """Everything after face finding (separate so the benchmark can swap the face finder)."""
    thresholds = thresholds or DEFAULT_THRESHOLDS
    try:
        result = standardise_found(data, capture, face, background)
    except ImagingError as refusal:
        return refused(refusal)
    with stage("encode"):
        jpeg = encode_jpeg(result.rgb).data
        delivered = load_image(jpeg).rgb
        thumbnail = thumbnail_jpeg(delivered)
    embedding, comparison = None, None
    if enrolment is not None:
        with stage("embed"):
            match = match_enrolment(delivered, result.face, enrolment.embedding, thresholds)
            embedding, comparison = match.embedding, match.comparison
    with stage("check"):
        report = run_checks(
            delivered,
            result.face,
            capture_rgb=result.capture_rgb,
            capture_face=result.capture_face,
            upscale=result.upscale,
            enrolment=enrolment,
            embedding=embedding,
            thresholds=thresholds,
            person_mask=result.capture_mask,
            photo_person_mask=result.person,
            background=background,
            face_count=1,  # process_found is given the capture's only face
        )
        report = QualityReport(list(report.checks) + format_checks(jpeg))
    with stage("recapture"):  # on the capture: the finished photo's background is no longer the capture's
        report = QualityReport([*report.checks, check_recapture(assess_recapture(capture.rgb, face), thresholds)])
    return ProcessedCapture(
        ok=report.ok,
        standardised_jpeg=jpeg,
        thumbnail_jpeg=thumbnail,
        face=result.face,
        report=report,
        embedding=embedding,
        comparison=comparison,
        error=None,
    )


def process_enrolment(data: bytes) -> EnrolmentReference:
    """The embedding and hash of a roster's enrolment photo; raises an ImagingError when refused."""
    photo = load_image(data, min_long_side=PREVIEW_LONG_SIDE)
    face = find_face(photo.rgb, pixel_scale=photo.reduction, min_width=ENROLMENT_MIN_FACE_WIDTH)
    return enrolment_reference(photo.rgb, face)


def check_standardised(data: bytes, thresholds: ImagingThresholds | None = None) -> QualityReport:
    """The quality report of a photo that is already standardised (``photo check``)."""
    try:
        photo = load_image(data)
        face = find_face(photo.rgb)
    except ImagingError as refusal:
        return refused(refusal).report
    report = run_checks(photo.rgb, face, thresholds=thresholds or DEFAULT_THRESHOLDS)
    return QualityReport(list(report.checks) + format_checks(data))


def refused(refusal: ImagingError) -> ProcessedCapture:
    """A refusal as a result: its report holds the one failed check named by the refusal's code."""
    check = Check(
        code=refusal.code,
        passed=False,
        value=_refused_value(refusal),
        allowed=refusal.allowed,
        message_zh=refusal.message_zh,
        message_en=refusal.message_en,
        **refusal.in_words(),
    )
    return ProcessedCapture(
        ok=False,
        standardised_jpeg=None,
        thumbnail_jpeg=None,
        face=None,
        report=QualityReport([check]),
        embedding=None,
        comparison=None,
        error=str(refusal),
    )


def _refused_value(refusal: ImagingError) -> float | None:
    if isinstance(refusal, MultipleFaces):
        return float(refusal.count)
    if isinstance(refusal, NoFace):
        return 0.0
    if isinstance(refusal, FaceTooSmall):
        return round(refusal.face_width_px, 1)
    return None
