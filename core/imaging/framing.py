"""Step 4: where the CHSI frame lies in the capture, and cutting it out.

Only scale and translation: the standard forbids rotating or mirroring a portrait, so a tilted
head stays tilted and is left to the pose check.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from core.imaging.faces import eye_line, face_centre_x, face_width
from core.imaging.standard import EYE_LINE_RANGE, FACE_WIDTH_RANGE, HAIR_TOP_RANGE, HEIGHT, WIDTH
from core.imaging.types import FaceBox, FoundFace

HAIR_ABOVE_EYES = 0.88
"""Eye line to top of hair, in face widths: the median over the London set's neutral portraits,
used only when the person mask cannot show the hair."""

SAFETY_PX = 3.0
"""Room kept inside the face-width and eye-line ranges: landmarks found again on the output move
by a pixel or two."""
BODY_MARGIN_PX = 10.0
"""Room kept to every range edge (face width, eye line, hair top) when the head is placed lower or
larger so that more of the body reaches the bottom edge: the hair top measured on the finished
photo moves by several pixels, and a head that rests on a range edge would fail its check."""


@dataclass(frozen=True)
class Head:
    """The measures that place a head in the frame, in capture pixels."""

    hair_top: float
    eye_line: float
    face_width: float
    centre_x: float


@dataclass(frozen=True)
class Frame:
    """Capture pixel (x, y) lands at output pixel (scale * (x - left), scale * (y - top))."""

    scale: float
    left: float
    top: float
    width: int = WIDTH
    height: int = HEIGHT

    def to_output(self, x: float, y: float) -> tuple[float, float]:
        return self.scale * (x - self.left), self.scale * (y - self.top)

    def in_image(self, pixel_scale: float) -> Frame:
        """The same frame for a copy of the capture decoded at 1/``pixel_scale`` size."""
        return Frame(self.scale * pixel_scale, self.left / pixel_scale, self.top / pixel_scale,
                     self.width, self.height)

    def widened(self, sides: float, top: float, height: int) -> Frame:
        """A larger frame around this one (``sides``/``top`` as fractions of it), ``height`` px high."""
        span_w = self.width / self.scale * (1 + 2 * sides)
        span_h = self.height / self.scale * (1 + top)
        scale = height / span_h
        return Frame(
            scale,
            self.left - sides * self.width / self.scale,
            self.top - top * self.height / self.scale,
            max(1, round(span_w * scale)),
            height,
        )


def measure_head(face: FoundFace, hair_top: float | None) -> Head:
    """The head's measures; the hair top estimated from the landmarks when the mask gave none."""
    eyes = eye_line(face)
    width = face_width(face)
    top = hair_top if hair_top is not None else eyes - HAIR_ABOVE_EYES * width
    return Head(hair_top=top, eye_line=eyes, face_width=width, centre_x=face_centre_x(face))


def plan_frame(
    head: Head, max_scale: float = float("inf"), body_end: float | None = None, reach_scale: float = 1.0
) -> Frame:
    """The scale and offset that put the head best inside the standard's ranges.

    ``body_end`` is the capture row where the capture stops (its height). When the centred frame
    would show it above the bottom edge, the frame that needs the least completion of the body
    within the standard's ranges is chosen instead (see ``_frame_reaching``), enlarging no further
    than ``reach_scale`` (or the centred frame's own scale, when larger).
    """
    centred = _centred_frame(head, max_scale)
    if body_end is None or bottom_row(centred, body_end) >= centred.height:
        return centred
    cap = min(max(centred.scale, reach_scale), max_scale)
    return _frame_reaching(head, centred, body_end, cap) or centred


def bottom_row(frame: Frame, body_end: float) -> float:
    """Output row on which capture row ``body_end`` (where the capture stops) lands."""
    return frame.to_output(0.0, body_end)[1]


def _centred_frame(head: Head, max_scale: float) -> Frame:
    """The frame with the head best inside the standard's ranges.

    Candidate scales are scored by the smallest margin (px) left to any range edge. The face
    width and eye line come first: when a head cannot meet every range (a tall bun, say), it is
    the hair top, the softest of the three measures, that gives. ``max_scale`` caps enlarging.
    """
    span = max(head.eye_line - head.hair_top, 1.0)
    lo = min(FACE_WIDTH_RANGE[0] / head.face_width, (EYE_LINE_RANGE[0] - HAIR_TOP_RANGE[1]) / span)
    hi = max(FACE_WIDTH_RANGE[1] / head.face_width, (EYE_LINE_RANGE[1] - HAIR_TOP_RANGE[0]) / span)
    lo, hi = min(lo, max_scale), min(hi, max_scale)
    scales = np.linspace(lo, hi, 200)
    hair_rows = _hair_positions(scales * span)
    eyes_out = hair_rows + scales * span
    face_out = scales * head.face_width
    facial = np.minimum.reduce([
        face_out - FACE_WIDTH_RANGE[0], FACE_WIDTH_RANGE[1] - face_out,
        eyes_out - EYE_LINE_RANGE[0], EYE_LINE_RANGE[1] - eyes_out,
    ])
    hair = np.minimum(hair_rows - HAIR_TOP_RANGE[0], HAIR_TOP_RANGE[1] - hair_rows)
    first, second = np.minimum(facial - SAFETY_PX, 0.0), np.minimum(facial, hair)
    tied = np.flatnonzero(first == first.max())
    best = tied[np.argmax(second[tied])]  # the first candidate with the best (first, second) score
    scale, hair_out = float(scales[best]), float(hair_rows[best])
    return Frame(
        scale=scale,
        left=head.centre_x - WIDTH / 2 / scale,
        top=head.hair_top - hair_out / scale,
    )


def _frame_reaching(head: Head, centred: Frame, body_end: float, max_scale: float) -> Frame | None:
    """The frame, inside every range by ``BODY_MARGIN_PX`` (or as far as the centred frame is), whose
    bottom edge needs the least body completed below the capture's end; among those needing equally
    little, the one with the scale nearest the centred frame's, and the head moved down from the
    centre no more than needed. None when the hair top is already out of range (a tall bun): the
    centred frame stands.
    """
    span = max(head.eye_line - head.hair_top, 1.0)
    hair_now, eyes_now = centred.to_output(0.0, head.hair_top)[1], centred.to_output(0.0, head.eye_line)[1]
    if not HAIR_TOP_RANGE[0] <= hair_now <= HAIR_TOP_RANGE[1]:
        return None
    # The centred frame may itself sit nearer an edge than the margin (a small face enlarged to the
    # limit): it is never asked to do better than it already does.
    face_margin = _room(centred.scale * head.face_width, FACE_WIDTH_RANGE)
    eye_margin = _room(eyes_now, EYE_LINE_RANGE)
    hair_margin = _room(hair_now, HAIR_TOP_RANGE)
    lo = min((FACE_WIDTH_RANGE[0] + face_margin) / head.face_width, centred.scale)
    hi = max(min((FACE_WIDTH_RANGE[1] - face_margin) / head.face_width, max_scale), lo)
    scales = np.linspace(lo, hi, 200)
    hair_lo = np.maximum(HAIR_TOP_RANGE[0] + hair_margin, EYE_LINE_RANGE[0] + eye_margin - scales * span)
    hair_hi = np.minimum(HAIR_TOP_RANGE[1] - hair_margin, EYE_LINE_RANGE[1] - eye_margin - scales * span)
    feasible = hair_lo <= hair_hi
    if not feasible.any():
        return None
    reaching = HEIGHT - scales * (body_end - head.hair_top)  # the hair row putting the end on the edge
    hair_rows = np.clip(np.maximum((hair_lo + hair_hi) / 2, reaching), hair_lo, hair_hi)
    shortfall = np.where(feasible, np.maximum(reaching - hair_rows, 0.0), np.inf)
    least = np.flatnonzero(shortfall <= shortfall.min() + 0.5)
    best = least[np.argmin(np.abs(np.log(scales[least] / centred.scale)))]
    scale, hair_out = float(scales[best]), float(hair_rows[best])
    return Frame(scale=scale, left=head.centre_x - WIDTH / 2 / scale, top=head.hair_top - hair_out / scale)


def _room(value: float, bounds: tuple[int, int]) -> float:
    """The margin kept to the nearer edge of ``bounds``: ``BODY_MARGIN_PX``, or less if ``value`` has less."""
    return float(np.clip(min(value - bounds[0], bounds[1] - value), 0.0, BODY_MARGIN_PX))


def _hair_positions(span_out: np.ndarray) -> np.ndarray:
    """Hair-top row centring both the hair top and the eye line in their ranges; when both
    cannot be met, the eye line stays in range (``span_out``: hair-to-eyes span in output px)."""
    lo = np.maximum(HAIR_TOP_RANGE[0], EYE_LINE_RANGE[0] - span_out)
    hi = np.minimum(HAIR_TOP_RANGE[1], EYE_LINE_RANGE[1] - span_out)
    middle = (HAIR_TOP_RANGE[0] + HAIR_TOP_RANGE[1]) / 2
    squeezed = np.clip(middle, EYE_LINE_RANGE[0] + SAFETY_PX - span_out, EYE_LINE_RANGE[1] - SAFETY_PX - span_out)
    return np.where(lo <= hi, (lo + hi) / 2, squeezed)


def cut(image_rgb: np.ndarray, frame: Frame, fill: tuple[int, int, int], continue_below: bool = False) -> np.ndarray:
    """The frame's pixels, area-averaged; what lies outside the capture is ``fill``.

    With ``continue_below``, rows below the capture's bottom edge repeat its last row instead: the
    segmentation model, shown a body cut flat against ``fill``, fades the person out along the cut.
    """
    out = solid(frame.height, frame.width, fill)
    height, width = image_rgb.shape[:2]
    x0, y0 = max(frame.left, 0.0), max(frame.top, 0.0)
    x1 = min(frame.left + frame.width / frame.scale, float(width))
    y1 = min(frame.top + frame.height / frame.scale, float(height))
    if x1 <= x0 or y1 <= y0:
        return out
    sx0, sy0, sx1, sy1 = int(np.floor(x0)), int(np.floor(y0)), int(np.ceil(x1)), int(np.ceil(y1))
    u0, v0 = frame.to_output(sx0, sy0)
    u1, v1 = frame.to_output(sx1, sy1)
    ou0, ov0 = int(round(u0)), int(round(v0))
    ow, oh = max(int(round(u1)) - ou0, 1), max(int(round(v1)) - ov0, 1)
    interpolation = cv2.INTER_AREA if frame.scale < 1 else cv2.INTER_CUBIC
    patch = cv2.resize(image_rgb[sy0:sy1, sx0:sx1], (ow, oh), interpolation=interpolation)
    du0, dv0 = max(-ou0, 0), max(-ov0, 0)
    du1, dv1 = min(frame.width - ou0, ow), min(frame.height - ov0, oh)
    out[ov0 + dv0 : ov0 + dv1, ou0 + du0 : ou0 + du1] = patch[dv0:dv1, du0:du1]
    if continue_below and sy1 >= height and 0 < ov0 + dv1 < frame.height:
        out[ov0 + dv1 :] = out[ov0 + dv1 - 1]
    return out


def solid(height: int, width: int, colour: tuple[int, int, int]) -> np.ndarray:
    """An image of one colour (built from one row: filling pixel by pixel is 50× slower)."""
    row = np.tile(np.array(colour, np.uint8), width).reshape(1, width, 3)
    return np.broadcast_to(row, (height, width, 3)).copy()


def warp_to_frame(
    values: np.ndarray, source: Frame, target: Frame, outside: float | None = None
) -> np.ndarray:
    """Resample a map rendered in ``source`` frame coordinates into ``target`` frame coordinates.

    Beyond the source, edge values are repeated, or ``outside`` is used when given.
    """
    ratio = source.scale / target.scale
    matrix = np.array(
        [
            [ratio, 0.0, source.scale * (target.left - source.left)],
            [0.0, ratio, source.scale * (target.top - source.top)],
        ]
    )
    return cv2.warpAffine(
        values, matrix, (target.width, target.height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE if outside is None else cv2.BORDER_CONSTANT,
        borderValue=0.0 if outside is None else outside,
    )


def map_face(face: FoundFace, frame: Frame) -> FoundFace:
    """The face's box and landmarks in the frame's output pixels."""
    (left, top), (right, bottom) = (
        frame.to_output(face.box.left, face.box.top), frame.to_output(face.box.right, face.box.bottom)
    )
    box = FaceBox(top=round(top), right=round(right), bottom=round(bottom), left=round(left))
    landmarks = {
        name: [frame.to_output(x, y) for x, y in points] for name, points in face.landmarks.items()
    }
    return FoundFace(box=box, landmarks=landmarks)


def from_output(frame: Frame, y: float) -> float:
    """The capture row that lands on output row ``y``."""
    return frame.top + y / frame.scale
