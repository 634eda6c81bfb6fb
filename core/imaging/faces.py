"""Step 2: find exactly one face and its 68 landmarks.

Detection runs on a downscaled copy (dlib's HOG detector costs about a second on a 12-megapixel
photo at full size, a few tens of milliseconds at 512 px) and the box is mapped back; landmarks
are then predicted on the image itself, so they are as precise as its resolution allows.
"""

from __future__ import annotations

import face_recognition
import numpy as np

from core.imaging.errors import FaceCutOff, FaceTooSmall, MultipleFaces, NoFace
from core.imaging.resample import shrink
from core.imaging.standard import FACE_WIDTH_RANGE
from core.imaging.thresholds import MAX_UPSCALE
from core.imaging.types import FaceBox, FoundFace, Landmarks

DETECTION_LONG_SIDE = 512
"""HOG without upsampling finds faces from about 80 px, i.e. from 1/6 of the photo's long side."""
MIN_FACE_WIDTH = FACE_WIDTH_RANGE[0] / MAX_UPSCALE


def find_face(
    image_rgb: np.ndarray, *, pixel_scale: float = 1.0, min_width: float = MIN_FACE_WIDTH
) -> FoundFace:
    """The one face of ``image_rgb``, in its pixel coordinates.

    ``pixel_scale`` is how many full-resolution pixels one pixel of ``image_rgb`` stands for (a
    JPEG decoded at reduced size); the face must be ``min_width`` wide at full resolution (the
    default is what a 480×640 photo needs; an enrolment photo, only compared, may pass less).
    Raises NoFace, MultipleFaces, FaceCutOff or FaceTooSmall.
    """
    boxes = detect_faces(image_rgb)
    if not boxes:
        raise NoFace()
    if len(boxes) > 1:
        raise MultipleFaces(len(boxes))
    found = face_at(image_rgb, boxes[0])
    height, width = image_rgb.shape[:2]
    if _cut_by_edge(found, width, height):
        raise FaceCutOff()
    face_px = face_width(found) * pixel_scale
    if face_px < min_width:
        raise FaceTooSmall(face_px, min_width)
    return found


def detect_faces(image_rgb: np.ndarray) -> list[FaceBox]:
    """Face boxes in ``image_rgb`` coordinates, detected on a copy at most 512 px long.

    When nothing is found at that size, the detector looks again at twice the size, so a small
    face is reported as too small rather than as missing.
    """
    height, width = image_rgb.shape[:2]
    factor = min(1.0, DETECTION_LONG_SIDE / max(height, width))
    small = image_rgb
    if factor < 1.0:
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        small = shrink(image_rgb, size)
    found = face_recognition.face_locations(small, number_of_times_to_upsample=0)
    if not found:
        found = face_recognition.face_locations(small, number_of_times_to_upsample=1)
    fx, fy = width / small.shape[1], height / small.shape[0]
    return [
        FaceBox(top=round(t * fy), right=round(r * fx), bottom=round(b * fy), left=round(left * fx))
        for t, r, b, left in found
    ]


def face_width(face: FoundFace) -> float:
    """Cheek-to-cheek width: between the jaw-line points level with the ears (1 and 17 of 68)."""
    chin = face.landmarks["chin"]
    return float(np.hypot(chin[16][0] - chin[0][0], chin[16][1] - chin[0][1]))


def eye_line(face: FoundFace) -> float:
    """Height of the eye line: the mean of both eyes' landmark centres."""
    left = np.mean(face.landmarks["left_eye"], axis=0)
    right = np.mean(face.landmarks["right_eye"], axis=0)
    return float((left[1] + right[1]) / 2)


def face_centre_x(face: FoundFace) -> float:
    """Horizontal centre of the face, midway between the cheeks."""
    chin = face.landmarks["chin"]
    return float((chin[0][0] + chin[16][0]) / 2)


def face_at(image_rgb: np.ndarray, box: FaceBox) -> FoundFace:
    """The 68 landmarks of the face known to be in ``box`` (a couple of milliseconds, no detection)."""
    location = (box.top, box.right, box.bottom, box.left)
    named = face_recognition.face_landmarks(image_rgb, [location], model="large")[0]
    landmarks: Landmarks = {
        name: [(float(x), float(y)) for x, y in points] for name, points in named.items()
    }
    return FoundFace(box=box, landmarks=landmarks)


def _cut_by_edge(face: FoundFace, width: int, height: int) -> bool:
    """A face is cut when its jaw line or brows fall outside the picture."""
    landmarks = face.landmarks
    outline = landmarks["chin"] + landmarks["left_eyebrow"] + landmarks["right_eyebrow"]
    margin = 0.02 * face.box.width
    return any(
        x < margin or y < margin or x > width - 1 - margin or y > height - 1 - margin
        for x, y in outline
    )
