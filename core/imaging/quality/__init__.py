"""Quality checks of a standardised photo, one small module per check; ``run_checks`` runs them all."""

from __future__ import annotations

import numpy as np

from core.imaging.embedding import face_embedding
from core.imaging.faces import detect_faces
from core.imaging.phash import perceptual_hash
from core.imaging.quality.background import check_background
from core.imaging.quality.bottom import check_bottom_strip
from core.imaging.quality.colour import check_colour_cast, check_greyscale, skin_colour
from core.imaging.quality.derived import EnrolmentReference, check_derived
from core.imaging.quality.exposure import check_dynamic_range, check_exposure, skin_levels
from core.imaging.quality.eyes import check_eyes_open
from core.imaging.quality.face_count import check_face_count
from core.imaging.quality.geometry import (
    background_colour, check_centring, check_eye_line, check_face_width, check_hair_top, hair_top_row,
)
from core.imaging.quality.lighting import check_lighting
from core.imaging.quality.mouth import check_expression, check_mouth_closed
from core.imaging.quality.noise import check_noise
from core.imaging.quality.pose import check_pitch, check_roll, check_yaw, head_pose
from core.imaging.quality.resolution import check_resolution
from core.imaging.quality.sharpness import check_sharpness
from core.imaging.standard import Background
from core.imaging.thresholds import DEFAULT_THRESHOLDS, ImagingThresholds
from core.imaging.types import FoundFace, QualityReport

__all__ = ["EnrolmentReference", "enrolment_reference", "run_checks"]


def enrolment_reference(image_rgb: np.ndarray, face: FoundFace) -> EnrolmentReference:
    """What to store for a roster record's enrolment photo."""
    return EnrolmentReference(embedding=face_embedding(image_rgb, face), phash=perceptual_hash(image_rgb, face))


def run_checks(
    standardised_rgb: np.ndarray,
    face: FoundFace,
    *,
    capture_rgb: np.ndarray | None = None,
    capture_face: FoundFace | None = None,
    upscale: float = 1.0,
    enrolment: EnrolmentReference | None = None,
    embedding: np.ndarray | None = None,
    thresholds: ImagingThresholds = DEFAULT_THRESHOLDS,
    person_mask: np.ndarray | None = None,
    background: Background | None = None,
    face_count: int | None = None,
    photo_person_mask: np.ndarray | None = None,
) -> QualityReport:
    """Every check of a standardised photo.

    ``person_mask`` (capture pixels, 0..1) sharpens the background check; without it the person is
    approximated from the face box. ``photo_person_mask`` (the standardised photo's pixels, 0..1)
    tells the bottom-strip check where clothing as light as the background is body.
    ``background`` is the colour the background was replaced with;
    without it, it is read from the photo's top corners. The capture checks (background) and the
    enrolment check (derived) run only when their inputs are given. ``face_count`` is the number of
    faces the capture held, when the caller has counted them there: the photo is cut from the
    capture and its background replaced around the one person, so it cannot show a face the capture
    did not, and counting again would cost a second detection. Without it the photo's faces are
    counted (``photo check`` of a finished photo).
    """
    image = standardised_rgb
    height, width = image.shape[:2]
    pose = head_pose(face, (width, height))
    levels, skin = skin_levels(image, face), skin_colour(image, face)
    bg = np.array(background.rgb) if background is not None else background_colour(image)
    checks = [
        check_face_count(face_count if face_count is not None else len(detect_faces(image))),
        check_resolution(upscale, thresholds),
        check_hair_top(hair_top_row(image, face, bg), thresholds),
        check_eye_line(face, thresholds),
        check_face_width(face, thresholds),
        check_centring(face, width, thresholds),
        check_bottom_strip(image, face, bg, thresholds, photo_person_mask),
        check_roll(pose, thresholds),
        check_yaw(pose, thresholds),
        check_pitch(pose, thresholds),
        check_eyes_open(image, face, thresholds),
        check_mouth_closed(image, face, thresholds),
        check_expression(face, thresholds),
        check_sharpness(image, face, thresholds),
        check_noise(image, face, thresholds, capture_rgb, capture_face),
        check_exposure(levels, thresholds),
        check_dynamic_range(levels, thresholds),
        check_lighting(image, face, thresholds),
        check_greyscale(skin, thresholds),
        check_colour_cast(skin, thresholds),
    ]
    if capture_rgb is not None and capture_face is not None:
        checks.append(check_background(capture_rgb, capture_face, thresholds, person_mask))
    if enrolment is not None:
        own = embedding if embedding is not None else face_embedding(image, face)
        checks.append(check_derived(perceptual_hash(image, face), own, enrolment, thresholds))
    return QualityReport(checks)
