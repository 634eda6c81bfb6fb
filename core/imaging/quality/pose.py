"""Head pose from the landmarks: roll from the eye line, yaw and pitch from a generic 3-D face.

The generic model (nose tip, chin, outer eye corners, mouth corners, in mm) is the one commonly
used with dlib's 68 points; its absolute pitch depends on the model, which is why the allowed pitch
range is calibrated rather than centred on zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from core.imaging.quality.regions import eye_centres
from core.imaging.thresholds import ImagingThresholds
from core.imaging.types import Check, FoundFace
from core.imaging.words import DEGREES, Reading, in_words

MODEL_POINTS = np.array(
    [(0.0, 0.0, 0.0), (0.0, -330.0, -65.0), (-225.0, 170.0, -135.0), (225.0, 170.0, -135.0),
     (-150.0, -150.0, -125.0), (150.0, -150.0, -125.0)],
    dtype=np.float64,
)


@dataclass(frozen=True)
class Pose:
    roll: float
    yaw: float
    pitch: float


def head_pose(face: FoundFace, image_size: tuple[int, int]) -> Pose:
    """Roll, yaw and pitch in degrees (``image_size`` is width, height)."""
    lm = face.landmarks
    left, right = eye_centres(face)
    roll = math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))
    image_points = np.array(
        [lm["nose_tip"][2], lm["chin"][8], lm["left_eye"][0], lm["right_eye"][3], lm["top_lip"][0], lm["top_lip"][6]],
        dtype=np.float64,
    )
    width, height = image_size
    camera = np.array([[width, 0, width / 2], [0, width, height / 2], [0, 0, 1]], dtype=np.float64)
    _, rotation, _ = cv2.solvePnP(MODEL_POINTS, image_points, camera, np.zeros(4), flags=cv2.SOLVEPNP_ITERATIVE)
    matrix, _ = cv2.Rodrigues(rotation)
    pitch = math.degrees(math.atan2(matrix[2, 1], matrix[2, 2]))
    pitch = (pitch + 360) % 360 - 180  # the model's z axis points towards the camera
    yaw = math.degrees(math.asin(float(np.clip(-matrix[2, 0], -1.0, 1.0))))
    return Pose(roll=roll, yaw=yaw, pitch=pitch)


def check_roll(pose: Pose, thresholds: ImagingThresholds) -> Check:
    passed = abs(pose.roll) <= thresholds.max_roll_deg
    return Check(
        code="pose_roll", passed=passed, value=round(pose.roll, 1), allowed=f"±{thresholds.max_roll_deg:g}°",
        message_zh="头部端正。" if passed else "头部歪斜：请保持头部正直，双眼保持水平。",
        message_en="The head is level." if passed else "The head is tilted; hold it upright with both eyes level.",
        **in_words(Reading(pose.roll, "头部倾斜角度", "Head tilt", "头歪了", "Head tilted",
                           high=thresholds.max_roll_deg, symmetric=True, unit=DEGREES, digits=1)),
    )


def check_yaw(pose: Pose, thresholds: ImagingThresholds) -> Check:
    passed = abs(pose.yaw) <= thresholds.max_yaw_deg
    return Check(
        code="pose_yaw", passed=passed, value=round(pose.yaw, 1), allowed=f"±{thresholds.max_yaw_deg:g}°",
        message_zh="正面朝向镜头。" if passed else "脸部侧转：请正对镜头，两耳对称可见。",
        message_en="The face is frontal." if passed else "The face is turned aside; face the camera so both ears show equally.",
        **in_words(Reading(pose.yaw, "左右转头角度", "Head turn", "脸侧转了", "Face turned aside",
                           high=thresholds.max_yaw_deg, symmetric=True, unit=DEGREES, digits=1)),
    )


def check_pitch(pose: Pose, thresholds: ImagingThresholds) -> Check:
    lo, hi = thresholds.pitch_range_deg
    passed = lo <= pose.pitch <= hi
    return Check(
        code="pose_pitch", passed=passed, value=round(pose.pitch, 1), allowed=f"{lo:g}°–{hi:g}°",
        message_zh="头部没有仰起或低下。" if passed else "头部仰起或低下：请平视镜头。",
        message_en="The head is neither raised nor lowered." if passed else "The head is raised or lowered; look straight into the camera.",
        **in_words(Reading(pose.pitch, "抬头低头角度", "Head pitch", "头仰起或低下了", "Head raised or lowered",
                           low=lo, high=hi, unit=DEGREES, digits=1)),
    )
