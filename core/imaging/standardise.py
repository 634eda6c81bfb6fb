"""Standardisation: a capture cut to the CHSI frame with its background replaced.

Composes the steps — frame from the landmarks, person mask on a generous region, hair top from
the mask, final frame (reaching as far down the body as the ranges allow), cut, body completed
below the capture's end, background — and decodes the capture again, finer, only when the
reduced first decode would have to be enlarged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.imaging.background import replace_background
from core.imaging.body import complete_body, require_completable
from core.imaging.faces import face_at, find_face
from core.imaging.thresholds import MAX_UPSCALE
from core.imaging.framing import (
    Frame, bottom_row, cut, from_output, map_face, measure_head, plan_frame, warp_to_frame,
)
from core.imaging.loading import LoadedImage, load_image
from core.imaging.quality.background import WORK_WIDTH as BACKGROUND_WORK_WIDTH
from core.imaging.segmentation import hair_top, keep_face_region, person_mask
from core.imaging.standard import Background
from core.imaging.timing import stage
from core.imaging.types import FoundFace

PREVIEW_LONG_SIDE = 1000
"""A capture is first decoded at least this large (JPEG DCT scaling: 1/4 of a 12-megapixel photo);
for a selfie at arm's length that is already enough for the 480×640 frame."""
SEGMENT_HEIGHT = 384
SEGMENT_SIDES, SEGMENT_TOP = 0.2, 0.35
"""The person mask covers the frame plus this much room, so hair above a first guess still shows."""


@dataclass(frozen=True)
class Standardised:
    """A capture cut to the CHSI frame with the background replaced, before encoding."""

    rgb: np.ndarray
    face: FoundFace
    """The face in the standardised image's pixels."""
    capture_rgb: np.ndarray
    capture_face: FoundFace
    """The capture (possibly decoded at reduced size) and the face found in it."""
    upscale: float
    """How much the capture was enlarged (1.0 when it was only reduced)."""
    person: np.ndarray
    """The person mask (0..1) in the standardised image's pixels, the completed body included: what
    the background was replaced around."""
    capture_mask: np.ndarray
    """The person mask (0..1) over the whole capture, at the background check's working width
    (the check measures a share of pixels, so a full-size map would only cost time); 0 outside
    the region that was segmented."""


def standardise(data: bytes, background: Background = Background.BLUE) -> Standardised:
    """Crop, scale and recolour a capture to the standard; raises an ImagingError when refused."""
    capture = load_image(data, min_long_side=PREVIEW_LONG_SIDE)
    face = find_face(capture.rgb, pixel_scale=capture.reduction)
    return standardise_found(data, capture, face, background)


def standardise_found(
    data: bytes, capture: LoadedImage, face: FoundFace, background: Background
) -> Standardised:
    """Standardise around a face already found in ``capture`` (the decode of ``data``)."""
    colour = background.rgb
    max_scale = MAX_UPSCALE * capture.reduction
    with stage("segment"):
        first_guess = plan_frame(measure_head(face, None), max_scale)
        region = first_guess.widened(SEGMENT_SIDES, SEGMENT_TOP, SEGMENT_HEIGHT)
        region_face = map_face(face, region)
        mask = keep_face_region(person_mask(cut(capture.rgb, region, colour, continue_below=True)), region_face.box)
        top_in_region = hair_top(mask, region_face)
    with stage("compose"):
        hair = None if top_in_region is None else max(from_output(region, top_in_region), 0.0)
        body_end = float(capture.rgb.shape[0])
        frame = plan_frame(measure_head(face, hair), max_scale, body_end=body_end)
        end_row, frame_face = bottom_row(frame, body_end), map_face(face, frame)
        require_completable(end_row, frame_face, frame.height)
        source, in_source = _image_for(frame, capture, data)
        crop = cut(source.rgb, in_source, colour)
        person = warp_to_frame(mask, region, frame)
        if end_row < frame.height:
            covered = (frame.to_output(0.0, 0.0)[0], frame.to_output(float(capture.rgb.shape[1]), 0.0)[0])
            crop, person = complete_body(crop, person, end_row, frame_face, covered)
        out = replace_background(crop, person, colour)
        out_face = face_at(out, frame_face.box)
    return Standardised(
        rgb=out,
        face=out_face,
        capture_rgb=capture.rgb,
        capture_face=face,
        person=person,
        upscale=max(1.0, frame.scale / capture.reduction),
        capture_mask=_mask_in_capture(mask, region, capture.rgb.shape[:2]),
    )


def _mask_in_capture(mask: np.ndarray, region: Frame, size: tuple[int, int]) -> np.ndarray:
    height, width = size
    scale = min(1.0, BACKGROUND_WORK_WIDTH / width)
    whole = Frame(scale=scale, left=0.0, top=0.0, width=round(width * scale), height=max(1, round(height * scale)))
    return warp_to_frame(mask, region, whole, outside=0.0)


def _image_for(frame: Frame, capture: LoadedImage, data: bytes) -> tuple[LoadedImage, Frame]:
    """The capture at a resolution that needs no enlarging for ``frame`` (decoded again if needed)."""
    if frame.scale <= 1.0 or capture.reduction == 1.0:
        return capture, frame
    full_scale = frame.scale / capture.reduction
    needed = math.ceil(max(capture.source_size) * min(full_scale, 1.0))
    source = load_image(data, min_long_side=needed)
    return source, frame.in_image(source.reduction / capture.reduction)
