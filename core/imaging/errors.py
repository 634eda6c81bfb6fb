"""Typed refusals of the imaging core.

Each error carries a stable ``code`` (the name of the failed check in a quality report) and a
message in Chinese for students and staff and in English for logs and the English UI.
"""

from __future__ import annotations

from core.imaging.words import PIXELS, Reading, Words, in_words


class ImagingError(Exception):
    """Base of every refusal: a photo that cannot be loaded, found or standardised."""

    code = "imaging"
    allowed = ""
    """What the refused check accepts, shown next to the failed value in a report."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en

    def __str__(self) -> str:
        return f"{self.message_zh} / {self.message_en}"

    def in_words(self) -> Words:
        """``detail_zh``/``detail_en`` of the refused check: the message, with the numbers where known."""
        return Words(detail_zh=self.message_zh.rstrip("。"), detail_en=self.message_en.rstrip("."))


class ImageLoadError(ImagingError):
    """The bytes are not a readable photo (empty, corrupt, truncated, unsupported, too large)."""

    code = "load"
    allowed = "JPEG, PNG, WebP, HEIC"

    def in_words(self) -> Words:
        """The Chinese message names file formats; staff read the plain refusal."""
        return Words(detail_zh="照片文件无法读取（文件损坏、过大或不是照片）",
                     detail_en=self.message_en.rstrip("."))


class NoFace(ImagingError):
    code = "face_count"
    allowed = "1"

    def __init__(self) -> None:
        super().__init__(
            "照片中未检测到人脸，请正对镜头重新拍摄。",
            "No face was found in the photo; face the camera and take it again.",
        )

    def in_words(self) -> Words:
        return in_words(Reading(0, "照片中的人脸数", "Faces in the photo", "没有找到人脸", "No face found",
                                low=1, high=1, digits=0))


class MultipleFaces(ImagingError):
    code = "face_count"
    allowed = "1"

    def __init__(self, count: int) -> None:
        super().__init__(
            f"照片中检测到 {count} 张人脸，照片中只能有本人一人。",
            f"{count} faces were found; only the student may be in the photo.",
        )
        self.count = count

    def in_words(self) -> Words:
        return in_words(Reading(self.count, "照片中的人脸数", "Faces in the photo", "人脸不止一张",
                                "More than one face", low=1, high=1, digits=0))


class FaceCutOff(ImagingError):
    code = "face_cut"
    allowed = "whole face inside the photo"

    def __init__(self, what_zh: str = "人脸", what_en: str = "The face") -> None:
        super().__init__(
            f"{what_zh}被照片边缘截断，请让头部和肩部完整入镜。",
            f"{what_en} is cut by the edge of the photo; keep the whole head and shoulders in frame.",
        )


class FaceTooSmall(ImagingError):
    code = "face_too_small"

    def __init__(self, face_width_px: float, needed_px: float) -> None:
        super().__init__(
            f"人脸太小（宽 {face_width_px:.0f} 像素，至少需要 {needed_px:.0f} 像素），请靠近镜头或使用更高分辨率拍摄。",
            f"The face is too small ({face_width_px:.0f} px wide, at least {needed_px:.0f} px needed); "
            "move closer or shoot at a higher resolution.",
        )
        self.face_width_px = face_width_px
        self.needed_px = needed_px
        self.allowed = f">= {needed_px:.0f} px"

    def in_words(self) -> Words:
        return in_words(Reading(self.face_width_px, "人脸宽度", "Face width", "人脸太小", "Face too small",
                                low=round(self.needed_px), unit=PIXELS, digits=0))


class TooLittleBody(ImagingError):
    """The capture stops so close below the chin that the CHSI frame would be mostly invented body."""

    code = "body_cut"

    def __init__(self, missing_px: float, allowed_px: float) -> None:
        super().__init__(
            "照片中肩部和上身太少：请离镜头远一些（后退半步），让双肩和上胸部完整入镜后重新拍摄。",
            "Too little of your shoulders and chest is in the photo; step back a little so that both "
            "shoulders and your upper chest are in frame, and take it again.",
        )
        self.missing_px = missing_px
        self.allowed = f"body missing at the bottom <= {allowed_px:.0f} px"
        self.allowed_px = allowed_px

    def in_words(self) -> Words:
        return in_words(Reading(self.missing_px, "照片底部缺少的身体高度", "Body missing at the bottom",
                                "肩部和上身拍得太少", "Too little of the shoulders and chest",
                                high=round(self.allowed_px), unit=PIXELS, digits=0))


REFUSAL_CODES = frozenset(
    kind.code for kind in (ImageLoadError, NoFace, MultipleFaces, FaceCutOff, FaceTooSmall, TooLittleBody)
)
"""Check codes that mean the photo was refused before any quality check could run."""
